//! The `ssl` block of an AKS attachment, as Azure ML's AKS compute takes it (seed, "Next
//! steps": "Securely deploy models with SSL", Azure's article on securing a web service
//! with TLS). Scoring over HTTPS is served with a certificate from Microsoft for a name
//! under `cloudapp.azure.com` made from a leaf domain label (`status = "Auto"`), or with
//! your own certificate and key for a CNAME of yours (`status = "Enabled"`); the two kinds
//! of settings do not mix. Your own certificate must be PEM-encoded with its chain, its key
//! PEM-encoded too, and it must be valid for the CNAME clients call. The certificate and key
//! come here already read ([`crate::checks::ssl_certificate`]), as facts.

use super::seed_section;
use super::{Applies, Finding, Rule, Severity, join_and, sources};

pub static OWN_CERTIFICATE_INCOMPLETE: Rule = Rule {
    id: "AMLS241",
    title: "SSL with your own certificate needs the certificate, its key and the CNAME",
    seed_section: seed_section::NEXT_STEPS,
    applies: Applies::Both(&sources::SECURE_WEB_SERVICE),
    severity: Severity::Error,
};

pub static SETTINGS_MIXED: Rule = Rule {
    id: "AMLS242",
    title: "SSL settings for a certificate from Microsoft and for your own certificate are mixed",
    seed_section: seed_section::NEXT_STEPS,
    applies: Applies::Both(&sources::SECURE_WEB_SERVICE),
    severity: Severity::Error,
};

pub static LEAF_DOMAIN_LABEL_MISSING: Rule = Rule {
    id: "AMLS243",
    title: "SSL with a certificate from Microsoft needs a leaf domain label",
    seed_section: seed_section::NEXT_STEPS,
    applies: Applies::Both(&sources::SECURE_WEB_SERVICE),
    severity: Severity::Error,
};

/// Azure's article: with an internal load balancer, "using a Microsoft provided certificate
/// is not supported and you must use custom certificate to enable TLS".
pub static MICROSOFT_CERTIFICATE_INTERNAL: Rule = Rule {
    id: "AMLS244",
    title: "A certificate from Microsoft is not supported behind an internal load balancer",
    seed_section: seed_section::NEXT_STEPS,
    applies: Applies::Both(&sources::SECURE_WEB_SERVICE),
    severity: Severity::Error,
};

/// A warning: Azure ML takes the block with SSL off, the settings are only not used.
pub static DISABLED_WITH_SETTINGS: Rule = Rule {
    id: "AMLS245",
    title: "SSL is disabled, so its other settings are not used",
    seed_section: seed_section::NEXT_STEPS,
    applies: Applies::Both(&sources::SECURE_WEB_SERVICE),
    severity: Severity::Warning,
};

/// "The certificate must contain the full certificate chain, and it must be PEM-encoded";
/// "The key must also be PEM-encoded".
pub static CERTIFICATE_UNREADABLE: Rule = Rule {
    id: "AMLS246",
    title: "SSL certificate or key is not PEM-encoded, or the key is not the certificate's",
    seed_section: seed_section::NEXT_STEPS,
    applies: Applies::Both(&sources::SECURE_WEB_SERVICE),
    severity: Severity::Error,
};

/// "The address that's stamped into the certificate and the address that the clients use
/// are compared ... If those addresses don't match, the client gets an error message."
pub static CERTIFICATE_NAME_MISMATCH: Rule = Rule {
    id: "AMLS247",
    title: "SSL certificate is not valid for the CNAME clients call",
    seed_section: seed_section::NEXT_STEPS,
    applies: Applies::Both(&sources::SECURE_WEB_SERVICE),
    severity: Severity::Error,
};

pub static CERTIFICATE_NOT_VALID_NOW: Rule = Rule {
    id: "AMLS248",
    title: "SSL certificate has expired or is not valid yet",
    seed_section: seed_section::NEXT_STEPS,
    applies: Applies::Both(&sources::SECURE_WEB_SERVICE),
    severity: Severity::Error,
};

/// A warning: a certificate issued straight from a root clients trust needs no chain.
pub static CHAIN_MISSING: Rule = Rule {
    id: "AMLS249",
    title: "SSL certificate comes without the certificates of its issuers",
    seed_section: seed_section::NEXT_STEPS,
    applies: Applies::Both(&sources::SECURE_WEB_SERVICE),
    severity: Severity::Warning,
};

pub const STATUS: &str = "ssl.status";
pub const LEAF_DOMAIN_LABEL: &str = "ssl.leaf_domain_label";
pub const OVERWRITE_EXISTING_DOMAIN: &str = "ssl.overwrite_existing_domain";
pub const CNAME: &str = "ssl.cname";
pub const CERTIFICATE: &str = "ssl.certificate";
pub const KEY: &str = "ssl.key";

/// `sslConfiguration.status`, spelled as Azure spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslStatus {
    /// Your own certificate.
    Enabled,
    /// A certificate from Microsoft.
    Auto,
    Disabled,
}

impl SslStatus {
    pub const NAMES: [&'static str; 3] = ["Enabled", "Auto", "Disabled"];

    pub fn parse(text: &str) -> Option<SslStatus> {
        match text {
            "Enabled" => Some(SslStatus::Enabled),
            "Auto" => Some(SslStatus::Auto),
            "Disabled" => Some(SslStatus::Disabled),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SslStatus::Enabled => "Enabled",
            SslStatus::Auto => "Auto",
            SslStatus::Disabled => "Disabled",
        }
    }

    /// Whether scoring is served over HTTPS.
    pub fn serves_https(self) -> bool {
        self != SslStatus::Disabled
    }
}

/// One setting of the block: left out, written with a value not known yet, or known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting<T> {
    Unset,
    Unknown,
    Set(T),
}

impl<T> Setting<T> {
    fn is_unset(&self) -> bool {
        matches!(self, Setting::Unset)
    }

    fn known(&self) -> Option<&T> {
        match self {
            Setting::Set(value) => Some(value),
            _ => None,
        }
    }
}

/// A setting read from text: left out, unknown, or what was read, or why it cannot be.
pub type Readable<T> = Setting<Result<T, String>>;

/// Your own certificate, as read from its PEM: the first certificate, the server's, which
/// the certificates of its issuers follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The DNS names it is valid for, lower-case: its subject alternative names, or, when it
    /// has none, its subject's common name.
    pub names: Vec<String>,
    /// Valid from and until, in seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// Issued by itself (self-signed or a root), so it needs no chain.
    pub self_issued: bool,
    /// How many certificates the PEM holds, the server's included.
    pub chain_length: usize,
}

impl Certificate {
    /// Whether a client calling `host` accepts the certificate's names: one equal to it, or a
    /// wildcard (`*.contoso.com`) standing for its first label.
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|name| {
            let name = name.trim_end_matches('.');
            match name.strip_prefix("*.") {
                Some(parent) => host
                    .split_once('.')
                    .is_some_and(|(first, rest)| !first.is_empty() && rest == parent),
                None => name == host,
            }
        })
    }
}

/// Your own private key, as read from its PEM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// Whether it is the certificate's key; `None` when that cannot be told (no readable
    /// certificate, or a kind of key whose public half is not worked out).
    pub of_the_certificate: Option<bool>,
}

/// The block as configured, the certificate and key read from their PEM (or why they
/// cannot be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SslPlan {
    pub status: SslStatus,
    pub leaf_domain_label: Setting<String>,
    pub overwrite_existing_domain: Setting<bool>,
    pub cname: Setting<String>,
    pub certificate: Readable<Certificate>,
    pub key: Readable<Key>,
    /// Whether the cluster's load balancer is internal; `None` when not known (an attached
    /// cluster keeps its own).
    pub internal_load_balancer: Option<bool>,
    /// The time to judge the certificate's validity at, in seconds since the Unix epoch.
    pub now: i64,
}

/// Every SSL rule, for the block as planned.
pub fn check_ssl(plan: &SslPlan) -> Vec<Finding> {
    match plan.status {
        SslStatus::Enabled => own_certificate(plan),
        SslStatus::Auto => microsoft_certificate(plan),
        SslStatus::Disabled => disabled(plan),
    }
}

/// The settings of a certificate from Microsoft that are set: the label, and overwriting
/// the existing domain when asked for (false is what leaving it out means).
fn microsoft_settings(plan: &SslPlan) -> Vec<&'static str> {
    let mut set = Vec::new();
    if !plan.leaf_domain_label.is_unset() {
        set.push(LEAF_DOMAIN_LABEL);
    }
    if plan.overwrite_existing_domain.known() == Some(&true) {
        set.push(OVERWRITE_EXISTING_DOMAIN);
    }
    set
}

/// The settings of your own certificate that are set.
fn own_settings(plan: &SslPlan) -> Vec<&'static str> {
    [
        (CNAME, plan.cname.is_unset()),
        (CERTIFICATE, plan.certificate.is_unset()),
        (KEY, plan.key.is_unset()),
    ]
    .into_iter()
    .filter(|(_, unset)| !unset)
    .map(|(name, _)| name)
    .collect()
}

fn own_certificate(plan: &SslPlan) -> Vec<Finding> {
    let mut findings = Vec::new();
    let missing: Vec<&str> = [CERTIFICATE, KEY, CNAME]
        .into_iter()
        .filter(|name| !own_settings(plan).contains(name))
        .collect();
    if let Some(first) = missing.first() {
        findings.push(Finding::new(
            &OWN_CERTIFICATE_INCOMPLETE,
            first,
            format!(
                "ssl.status \"Enabled\" serves your own certificate, but {} {} not set; Azure ML needs the certificate, its key and the name clients call together",
                join_and(&missing),
                if missing.len() == 1 { "is" } else { "are" }
            ),
            "Set ssl.certificate and ssl.key to the PEM files of a certificate for the name clients call (certificate = file(\"cert.pem\"), key = file(\"key.pem\")) and ssl.cname to that name, or use a certificate from Microsoft: status = \"Auto\" with a leaf_domain_label",
        ));
    }
    let mixed = microsoft_settings(plan);
    if let Some(first) = mixed.first() {
        findings.push(Finding::new(
            &SETTINGS_MIXED,
            first,
            format!(
                "{} {} for a certificate from Microsoft (status \"Auto\"), but ssl.status \"Enabled\" serves your own",
                join_and(&mixed),
                if mixed.len() == 1 { "is" } else { "are" }
            ),
            format!(
                "Remove {}, or remove the certificate, key and cname and set status = \"Auto\"",
                join_and(&mixed)
            ),
        ));
    }
    findings.extend(certificate_findings(plan));
    findings
}

fn microsoft_certificate(plan: &SslPlan) -> Vec<Finding> {
    let mut findings = Vec::new();
    if plan.leaf_domain_label.is_unset() {
        findings.push(Finding::new(
            &LEAF_DOMAIN_LABEL_MISSING,
            LEAF_DOMAIN_LABEL,
            "ssl.status \"Auto\" has Microsoft issue the certificate for a name made from ssl.leaf_domain_label (<label>######.<region>.cloudapp.azure.com), which is not set",
            "Set ssl.leaf_domain_label, like leaf_domain_label = \"contoso\", or use your own certificate: status = \"Enabled\" with certificate, key and cname",
        ));
    }
    let mixed = own_settings(plan);
    if let Some(first) = mixed.first() {
        findings.push(Finding::new(
            &SETTINGS_MIXED,
            first,
            format!(
                "{} {} for your own certificate (status \"Enabled\"), but ssl.status \"Auto\" serves a certificate from Microsoft",
                join_and(&mixed),
                if mixed.len() == 1 { "is" } else { "are" }
            ),
            format!(
                "Remove {}, or set status = \"Enabled\" and remove leaf_domain_label to serve your own certificate",
                join_and(&mixed)
            ),
        ));
    }
    if plan.internal_load_balancer == Some(true) {
        findings.push(Finding::new(
            &MICROSOFT_CERTIFICATE_INTERNAL,
            STATUS,
            "ssl.status \"Auto\" asks for a certificate from Microsoft, which Azure ML does not support for a cluster with load_balancer_type \"InternalLoadBalancer\"",
            "Use your own certificate (status = \"Enabled\" with certificate, key and cname), or load_balancer_type = \"PublicIp\"",
        ));
    }
    findings
}

fn disabled(plan: &SslPlan) -> Vec<Finding> {
    let mut set: Vec<&str> = microsoft_settings(plan)
        .into_iter()
        .filter(|name| *name != LEAF_DOMAIN_LABEL || plan.leaf_domain_label.known().is_some())
        .collect();
    set.extend(
        [
            (CNAME, plan.cname.known().is_some()),
            (CERTIFICATE, plan.certificate.known().is_some()),
            (KEY, plan.key.known().is_some()),
        ]
        .into_iter()
        .filter(|(_, known)| *known)
        .map(|(name, _)| name),
    );
    match set.first() {
        None => Vec::new(),
        Some(first) => vec![Finding::new(
            &DISABLED_WITH_SETTINGS,
            first,
            format!(
                "ssl.status \"Disabled\" serves scoring over plain HTTP, so {} {} not sent to Azure",
                join_and(&set),
                if set.len() == 1 { "is" } else { "are" }
            ),
            format!(
                "Remove {}, or set status = \"Enabled\" (your own certificate) or \"Auto\" (a certificate from Microsoft)",
                join_and(&set)
            ),
        )],
    }
}

/// The rules about your own certificate's content, once it and its key are known.
fn certificate_findings(plan: &SslPlan) -> Vec<Finding> {
    let mut findings = Vec::new();
    let unreadable = |attribute: &'static str, reason: &str| {
        Finding::new(
            &CERTIFICATE_UNREADABLE,
            attribute,
            format!("{attribute} cannot be used: {reason}"),
            if attribute == CERTIFICATE {
                "Set ssl.certificate to the PEM-encoded certificate followed by the certificates of its issuers (certificate = file(\"fullchain.pem\")); OpenSSL converts other formats"
            } else {
                "Set ssl.key to the certificate's private key, PEM-encoded and unencrypted (key = file(\"key.pem\")); OpenSSL converts other formats"
            },
        )
    };
    let certificate = match plan.certificate.known() {
        Some(Ok(certificate)) => Some(certificate),
        Some(Err(reason)) => {
            findings.push(unreadable(CERTIFICATE, reason));
            None
        }
        None => None,
    };
    let key = match plan.key.known() {
        Some(Ok(key)) => Some(key),
        Some(Err(reason)) => {
            findings.push(unreadable(KEY, reason));
            None
        }
        None => None,
    };
    let Some(certificate) = certificate else {
        return findings;
    };
    if key.is_some_and(|key| key.of_the_certificate == Some(false)) {
        findings.push(unreadable(
            KEY,
            "it is not the private key of ssl.certificate (their public keys differ)",
        ));
    }
    if let Some(cname) = plan.cname.known()
        && !certificate.covers(cname)
    {
        let names = if certificate.names.is_empty() {
            "no DNS name".to_owned()
        } else {
            join_and(&certificate.names)
        };
        findings.push(Finding::new(
            &CERTIFICATE_NAME_MISMATCH,
            CNAME,
            format!(
                "ssl.certificate is valid for {names}, not for ssl.cname {cname}: clients calling https://{cname} would reject it"
            ),
            format!(
                "Set ssl.cname to a name the certificate is valid for, or use a certificate issued for {cname}"
            ),
        ));
    }
    if plan.now > certificate.not_after {
        findings.push(Finding::new(
            &CERTIFICATE_NOT_VALID_NOW,
            CERTIFICATE,
            format!(
                "ssl.certificate expired on {}: clients would reject it",
                utc_time(certificate.not_after)
            ),
            "Renew the certificate and set ssl.certificate and ssl.key to the new files (change ssl.certificate_version so Terraform sends them)",
        ));
    } else if plan.now < certificate.not_before {
        findings.push(Finding::new(
            &CERTIFICATE_NOT_VALID_NOW,
            CERTIFICATE,
            format!(
                "ssl.certificate is valid only from {}: clients would reject it until then",
                utc_time(certificate.not_before)
            ),
            "Use a certificate valid now, or apply once it is",
        ));
    }
    if certificate.chain_length == 1 && !certificate.self_issued {
        findings.push(Finding::new(
            &CHAIN_MISSING,
            CERTIFICATE,
            "ssl.certificate holds only the server's certificate, not those of the authorities that issued it; clients that do not already have them cannot check it",
            "Append the issuers' certificates (the CA's \"full chain\" or \"bundle\" file) after the server's certificate in ssl.certificate",
        ));
    }
    findings
}

/// `2024-05-01 12:00 UTC` for a Unix time.
fn utc_time(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600; // 2026-01-01
    const DAY: i64 = 86_400;
    const VALID: (i64, i64) = (NOW - 30 * DAY, NOW + 300 * DAY);

    fn plan(status: SslStatus) -> SslPlan {
        SslPlan {
            status,
            leaf_domain_label: Setting::Unset,
            overwrite_existing_domain: Setting::Unset,
            cname: Setting::Unset,
            certificate: Setting::Unset,
            key: Setting::Unset,
            internal_load_balancer: Some(false),
            now: NOW,
        }
    }

    /// A self-signed certificate for `names`, valid between the two Unix times.
    fn certificate(names: &[&str], valid: (i64, i64)) -> Certificate {
        Certificate {
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            not_before: valid.0,
            not_after: valid.1,
            self_issued: true,
            chain_length: 1,
        }
    }

    const ITS_KEY: Key = Key {
        of_the_certificate: Some(true),
    };

    /// Your own certificate for `www.contoso.com`, with its key and that CNAME.
    fn own() -> SslPlan {
        SslPlan {
            cname: Setting::Set("www.contoso.com".into()),
            certificate: Setting::Set(Ok(certificate(&["www.contoso.com"], VALID))),
            key: Setting::Set(Ok(ITS_KEY)),
            ..plan(SslStatus::Enabled)
        }
    }

    fn microsoft() -> SslPlan {
        SslPlan {
            leaf_domain_label: Setting::Set("contoso".into()),
            ..plan(SslStatus::Auto)
        }
    }

    /// `rule id @ attribute` of each finding.
    fn found(plan: &SslPlan) -> Vec<String> {
        check_ssl(plan)
            .iter()
            .map(|f| format!("{} @ {}", f.rule.id, f.attribute))
            .collect()
    }

    #[test]
    fn combinations_of_settings_table() {
        let cases: Vec<(&str, SslPlan, &[&str])> = vec![
            ("own certificate, complete", own(), &[]),
            ("Microsoft's, with a label", microsoft(), &[]),
            ("disabled, nothing else", plan(SslStatus::Disabled), &[]),
            (
                "own certificate, no key",
                SslPlan {
                    key: Setting::Unset,
                    ..own()
                },
                &["AMLS241 @ ssl.key"],
            ),
            (
                "own certificate, nothing but the status",
                plan(SslStatus::Enabled),
                &["AMLS241 @ ssl.certificate"],
            ),
            (
                "own certificate, parts not known yet",
                SslPlan {
                    certificate: Setting::Unknown,
                    key: Setting::Unknown,
                    cname: Setting::Unknown,
                    ..plan(SslStatus::Enabled)
                },
                &[],
            ),
            (
                "own certificate with a label",
                SslPlan {
                    leaf_domain_label: Setting::Set("contoso".into()),
                    ..own()
                },
                &["AMLS242 @ ssl.leaf_domain_label"],
            ),
            (
                "own certificate, overwrite asked",
                SslPlan {
                    overwrite_existing_domain: Setting::Set(true),
                    ..own()
                },
                &["AMLS242 @ ssl.overwrite_existing_domain"],
            ),
            (
                "own certificate, overwrite false is leaving it out",
                SslPlan {
                    overwrite_existing_domain: Setting::Set(false),
                    ..own()
                },
                &[],
            ),
            (
                "Microsoft's without a label",
                plan(SslStatus::Auto),
                &["AMLS243 @ ssl.leaf_domain_label"],
            ),
            (
                "Microsoft's, label not known yet",
                SslPlan {
                    leaf_domain_label: Setting::Unknown,
                    ..plan(SslStatus::Auto)
                },
                &[],
            ),
            (
                "Microsoft's with a cname",
                SslPlan {
                    cname: Setting::Set("www.contoso.com".into()),
                    ..microsoft()
                },
                &["AMLS242 @ ssl.cname"],
            ),
            (
                "Microsoft's with a certificate not known yet",
                SslPlan {
                    certificate: Setting::Unknown,
                    ..microsoft()
                },
                &["AMLS242 @ ssl.certificate"],
            ),
            (
                "Microsoft's behind an internal load balancer",
                SslPlan {
                    internal_load_balancer: Some(true),
                    ..microsoft()
                },
                &["AMLS244 @ ssl.status"],
            ),
            (
                "Microsoft's, load balancer not known",
                SslPlan {
                    internal_load_balancer: None,
                    ..microsoft()
                },
                &[],
            ),
            (
                "own certificate behind an internal load balancer",
                SslPlan {
                    internal_load_balancer: Some(true),
                    ..own()
                },
                &[],
            ),
            (
                "disabled with a certificate and key",
                SslPlan {
                    status: SslStatus::Disabled,
                    ..own()
                },
                &["AMLS245 @ ssl.cname"],
            ),
            (
                "disabled with a label",
                SslPlan {
                    status: SslStatus::Disabled,
                    ..microsoft()
                },
                &["AMLS245 @ ssl.leaf_domain_label"],
            ),
            (
                "disabled, settings not known yet",
                SslPlan {
                    leaf_domain_label: Setting::Unknown,
                    cname: Setting::Unknown,
                    ..plan(SslStatus::Disabled)
                },
                &[],
            ),
        ];
        for (case, plan, expected) in cases {
            assert_eq!(found(&plan), expected, "{case}");
        }
    }

    #[test]
    fn own_certificate_content_table() {
        let served = certificate(&["www.contoso.com", "*.api.contoso.com"], VALID);
        let with =
            |certificate: Result<Certificate, &str>, key: Result<Key, &str>, cname: &str| SslPlan {
                cname: Setting::Set(cname.into()),
                certificate: Setting::Set(certificate.map_err(str::to_owned)),
                key: Setting::Set(key.map_err(str::to_owned)),
                ..plan(SslStatus::Enabled)
            };
        let other_key = Key {
            of_the_certificate: Some(false),
        };
        let cannot_tell = Key {
            of_the_certificate: None,
        };
        let swapped =
            "it holds a private key, not a certificate (are certificate and key swapped?)";
        let cases: Vec<(&str, SslPlan, &[&str])> = vec![
            (
                "matching",
                with(Ok(served.clone()), Ok(ITS_KEY), "www.contoso.com"),
                &[],
            ),
            (
                "wildcard",
                with(Ok(served.clone()), Ok(ITS_KEY), "eu.api.contoso.com"),
                &[],
            ),
            (
                "another name",
                with(Ok(served.clone()), Ok(ITS_KEY), "contoso.com"),
                &["AMLS247 @ ssl.cname"],
            ),
            (
                "another certificate's key",
                with(Ok(served.clone()), Ok(other_key), "www.contoso.com"),
                &["AMLS246 @ ssl.key"],
            ),
            (
                "a key whose certificate cannot be told",
                with(Ok(served.clone()), Ok(cannot_tell), "www.contoso.com"),
                &[],
            ),
            (
                "swapped",
                with(
                    Err(swapped),
                    Err("it holds a certificate"),
                    "www.contoso.com",
                ),
                &["AMLS246 @ ssl.certificate", "AMLS246 @ ssl.key"],
            ),
            (
                "expired",
                with(
                    Ok(certificate(
                        &["www.contoso.com"],
                        (NOW - 400 * DAY, NOW - DAY),
                    )),
                    Ok(ITS_KEY),
                    "www.contoso.com",
                ),
                &["AMLS248 @ ssl.certificate"],
            ),
            (
                "not valid yet",
                with(
                    Ok(certificate(
                        &["www.contoso.com"],
                        (NOW + DAY, NOW + 400 * DAY),
                    )),
                    Ok(ITS_KEY),
                    "www.contoso.com",
                ),
                &["AMLS248 @ ssl.certificate"],
            ),
            (
                "key not known yet",
                SslPlan {
                    key: Setting::Unknown,
                    ..with(Ok(served.clone()), Ok(ITS_KEY), "www.contoso.com")
                },
                &[],
            ),
        ];
        for (case, plan, expected) in cases {
            assert_eq!(found(&plan), expected, "{case}");
        }
    }

    #[test]
    fn names_cover_hosts_as_clients_match_them() {
        let served = certificate(&["www.contoso.com", "*.api.contoso.com"], VALID);
        for (host, covered) in [
            ("www.contoso.com", true),
            ("WWW.Contoso.com.", true),
            ("contoso.com", false),
            ("eu.api.contoso.com", true),
            ("api.contoso.com", false),
            ("a.eu.api.contoso.com", false),
            ("www.contoso.com.evil.net", false),
        ] {
            assert_eq!(served.covers(host), covered, "{host}");
        }
    }

    #[test]
    fn a_certificate_from_a_ca_needs_its_chain() {
        let mut issued = certificate(&["www.contoso.com"], VALID);
        issued.self_issued = false;
        let alone = SslPlan {
            certificate: Setting::Set(Ok(issued.clone())),
            key: Setting::Unknown,
            ..own()
        };
        assert_eq!(found(&alone), ["AMLS249 @ ssl.certificate"]);
        issued.chain_length = 2;
        let chained = SslPlan {
            certificate: Setting::Set(Ok(issued)),
            ..alone
        };
        assert!(found(&chained).is_empty());
    }

    #[test]
    fn messages_name_the_settings_values_and_dates() {
        let missing = check_ssl(&SslPlan {
            key: Setting::Unset,
            cname: Setting::Unset,
            ..own()
        });
        assert_eq!(
            missing[0].message,
            "ssl.status \"Enabled\" serves your own certificate, but ssl.key and ssl.cname are not set; Azure ML needs the certificate, its key and the name clients call together"
        );
        assert_eq!(missing[0].severity(), Severity::Error);
        let mismatch = check_ssl(&SslPlan {
            cname: Setting::Set("api.contoso.com".into()),
            ..own()
        });
        assert_eq!(
            mismatch[0].message,
            "ssl.certificate is valid for www.contoso.com, not for ssl.cname api.contoso.com: clients calling https://api.contoso.com would reject it"
        );
        let expired = check_ssl(&SslPlan {
            certificate: Setting::Set(Ok(certificate(
                &["www.contoso.com"],
                (NOW - 400 * DAY, 1_764_590_400),
            ))),
            ..own()
        });
        assert_eq!(
            expired[0].message,
            "ssl.certificate expired on 2025-12-01 12:00 UTC: clients would reject it"
        );
        let ignored = check_ssl(&SslPlan {
            status: SslStatus::Disabled,
            ..own()
        });
        assert_eq!(ignored[0].severity(), Severity::Warning);
        assert!(
            ignored[0]
                .message
                .ends_with("so ssl.cname, ssl.certificate and ssl.key are not sent to Azure"),
            "{}",
            ignored[0].message
        );
    }

    #[test]
    fn unix_times_read_as_utc_dates() {
        assert_eq!(utc_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_time(951_825_600), "2000-02-29 12:00 UTC");
        assert_eq!(utc_time(NOW + 90), "2026-01-01 00:01 UTC");
    }
}
