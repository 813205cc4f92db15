//! The `ssl` block of `amlsecure_aks_attachment`: HTTPS for the scoring endpoint, as Azure
//! ML's AKS compute takes it (`properties.sslConfiguration`). Its schema, the SSL rules'
//! view of it, what Azure is sent, and what state keeps of what Azure reports. The
//! certificate and key are write-only: read from configuration when sent, never in plan or
//! state.

use tfplugin::schema::{Attribute, Block, NestedBlock, Nesting};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::keep_casing;
use crate::arm::Secret;
use crate::arm::models::ml::SslConfiguration;
use crate::checks::ssl_certificate;
use crate::rules::ssl::{Setting, SslPlan, SslStatus};

pub const BLOCK: &str = "ssl";

/// Azure appends six random characters to the label, in a DNS label of at most 63.
const LEAF_DOMAIN_LABEL_MAX: usize = 57;

pub fn block() -> NestedBlock {
    let attributes = vec![
        Attribute::required("status", Type::String)
            .one_of(&SslStatus::NAMES)
            .description("`Enabled`: HTTPS with your own certificate (`certificate`, `key` and `cname`). `Auto`: HTTPS with a certificate from Microsoft for `<leaf_domain_label>######.<region>.cloudapp.azure.com`, which Microsoft renews and points at the endpoint. `Disabled`: plain HTTP."),
        Attribute::optional("leaf_domain_label", Type::String)
            .not_blank()
            .description("For `Auto`: the start of the name Microsoft's certificate is issued for, like `contoso`: lower-case letters, digits and hyphens, starting with a letter, at most 57 characters (Azure adds six random characters and the region's domain)."),
        Attribute::optional("overwrite_existing_domain", Type::Bool)
            .description("For `Auto`: replace the leaf domain label the cluster has already (default `false`)."),
        Attribute::optional("cname", Type::String)
            .not_blank()
            .description("For `Enabled`: the name clients call the scoring endpoint by, like `www.contoso.com`. The certificate must be valid for it, and your DNS must point it at the endpoint's IP address."),
        Attribute::optional("certificate", Type::String)
            .sensitive()
            .write_only()
            .description("For `Enabled`: the PEM-encoded certificate followed by those of its issuers (the full chain), like `file(\"fullchain.pem\")`. Write-only: sent to Azure, never stored in plan or state (Terraform 1.11 or later)."),
        Attribute::optional("key", Type::String)
            .sensitive()
            .write_only()
            .description("For `Enabled`: the certificate's private key, PEM-encoded and unencrypted, like `file(\"key.pem\")`. Write-only, like `certificate`."),
        Attribute::optional("certificate_version", Type::Number)
            .whole_numbers(0..=i64::MAX)
            .description("Any number; change it to send the current `certificate` and `key` again, as when renewing them (Terraform cannot see changes to write-only values)."),
    ];
    NestedBlock {
        type_name: BLOCK.into(),
        nesting: Nesting::Single,
        block: Block {
            description: "HTTPS for the scoring endpoint (Azure's guidance: \"Securely deploy models with SSL\"). Without it, scoring is plain HTTP on port 80. Changes apply in place. `terraform plan` checks that the settings go together and that your own certificate comes with its key and chain, is valid now and for `cname` (AMLS241 to AMLS249).".into(),
            attributes,
            ..Block::default()
        },
        min_items: 0,
        max_items: 0,
    }
}

/// The block of `value` (configuration, plan or state), unless it is left out.
fn configured(value: &Value) -> Option<&Value> {
    value.attr(BLOCK).filter(|block| !block.is_null())
}

/// Whether the scoring endpoint serves HTTPS as planned; `None` while not known.
pub fn serves_https(planned: &Value) -> Option<bool> {
    match configured(planned) {
        None => Some(false),
        Some(block) => block
            .str_field("status")
            .known()
            .and_then(|status| SslStatus::parse(&status))
            .map(SslStatus::serves_https),
    }
}

/// Said at plan when a setting of the block is known only at apply: the SSL rules then run
/// at apply, before Azure is changed.
pub fn checked_at_apply(config: &Value) -> Diagnostics {
    match configured(config) {
        Some(block) if !block.is_wholly_known() => Diagnostic::warning(
            "SSL checks run at apply",
            "Some settings of the ssl block are not known until apply. The SSL rules (AMLS241 to AMLS249) run then, before Azure is changed, and stop the apply if one finds an error.",
        )
        .at(AttributePath::attribute(BLOCK))
        .into(),
        _ => Diagnostics::new(),
    }
}

fn setting<T>(field: Field<T>) -> Setting<T> {
    match field {
        Field::Null => Setting::Unset,
        Field::Unknown => Setting::Unknown,
        Field::Known(value) => Setting::Set(value),
    }
}

/// The SSL rules' view of the block in `config` (which holds the certificate and key):
/// `None` when there is no block or its status is not known. `internal_load_balancer` as
/// [`SslPlan::internal_load_balancer`]; `now` in seconds since the Unix epoch.
pub fn plan(config: &Value, internal_load_balancer: Option<bool>, now: i64) -> Option<SslPlan> {
    let block = configured(config).filter(|block| !block.is_unknown())?;
    let status = SslStatus::parse(&block.str_field("status").known()?)?;
    let (certificate, key) = ssl_certificate::read(
        setting(block.str_field("certificate")),
        setting(block.str_field("key")),
    );
    Some(SslPlan {
        status,
        leaf_domain_label: setting(block.str_field("leaf_domain_label")),
        overwrite_existing_domain: setting(block.bool_field("overwrite_existing_domain")),
        cname: setting(block.str_field("cname")),
        certificate,
        key,
        internal_load_balancer,
        now,
    })
}

/// What the names in the block must look like (Azure's naming, not a rule of the guidance).
pub fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let Some(block) = configured(config) else {
        return diagnostics;
    };
    let at = |name: &str| AttributePath::attribute(BLOCK).attr(name);
    if let Field::Known(label) = block.str_field("leaf_domain_label")
        && !valid_leaf_domain_label(&label)
    {
        diagnostics.push(
            Diagnostic::error(
                "Invalid leaf domain label",
                format!(
                    "{label:?} cannot start a DNS name: use lower-case letters, digits and hyphens, starting with a letter, at most {LEAF_DOMAIN_LABEL_MAX} characters (Azure adds six random characters and .<region>.cloudapp.azure.com)."
                ),
            )
            .at(at("leaf_domain_label")),
        );
    }
    if let Field::Known(cname) = block.str_field("cname")
        && !valid_host_name(&cname)
    {
        diagnostics.push(
            Diagnostic::error(
                "Invalid CNAME",
                format!(
                    "{cname:?} is not a host name clients can call: use DNS labels of letters, digits and hyphens separated by dots, like www.contoso.com."
                ),
            )
            .at(at("cname")),
        );
    }
    diagnostics
}

fn valid_leaf_domain_label(label: &str) -> bool {
    label.len() <= LEAF_DOMAIN_LABEL_MAX
        && label.starts_with(|c: char| c.is_ascii_lowercase())
        && label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn valid_host_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// `sslConfiguration` for the block in `config`, as Azure ML's own clients send it: only
/// the settings of its status. `None` without a block; `replacing` a block that was there
/// sends `Disabled`, since leaving SSL out of an update would keep it on.
pub fn configuration(config: &Value, replacing: bool) -> Option<SslConfiguration> {
    let disabled = SslConfiguration {
        status: Some(SslStatus::Disabled.name().to_owned()),
        ..SslConfiguration::default()
    };
    let Some(block) = configured(config) else {
        return replacing.then_some(disabled);
    };
    let text = |name: &str| block.str_field(name).known();
    match text("status").as_deref().and_then(SslStatus::parse) {
        Some(SslStatus::Enabled) => Some(SslConfiguration {
            status: Some(SslStatus::Enabled.name().to_owned()),
            cert: text("certificate").map(Secret::new),
            key: text("key").map(Secret::new),
            cname: text("cname"),
            ..SslConfiguration::default()
        }),
        Some(SslStatus::Auto) => Some(SslConfiguration {
            status: Some(SslStatus::Auto.name().to_owned()),
            leaf_domain_label: text("leaf_domain_label"),
            overwrite_existing_domain: Some(
                block
                    .bool_field("overwrite_existing_domain")
                    .known()
                    .unwrap_or(false),
            ),
            ..SslConfiguration::default()
        }),
        _ => Some(disabled),
    }
}

/// The block as state keeps it for a cluster Azure ML created, from what Azure reports
/// (`azure`) and the block before (`prior`): the settings of the reported status, named as
/// written before; `overwrite_existing_domain` and `certificate_version`, which Azure does
/// not report, as before; never the certificate or key. SSL reported off, or not at all,
/// where no block was is no block.
pub fn state(azure: Option<&SslConfiguration>, prior: &Value) -> Value {
    let prior = configured(prior);
    let status = azure.and_then(|ssl| ssl.status.clone());
    let off = status
        .as_deref()
        .is_none_or(|s| s.eq_ignore_ascii_case(SslStatus::Disabled.name()));
    if off && prior.is_none() {
        return Value::Null;
    }
    let before = |name: &str| {
        prior
            .and_then(|block| block.attr(name).cloned())
            .unwrap_or(Value::Null)
    };
    let written = |name: &str| prior.and_then(|block| block.str_field(name).known());
    let status = status.unwrap_or_else(|| SslStatus::Disabled.name().to_owned());
    let reported = |name: &str, value: Option<&String>, wanted: SslStatus| -> Value {
        match status.eq_ignore_ascii_case(wanted.name()) {
            true => keep_casing(written(name), value.cloned()).into(),
            false => Value::Null,
        }
    };
    let azure = azure.cloned().unwrap_or_default();
    Value::object([
        (
            "status",
            keep_casing(written("status"), Some(status.clone())).into(),
        ),
        (
            "leaf_domain_label",
            reported(
                "leaf_domain_label",
                azure.leaf_domain_label.as_ref(),
                SslStatus::Auto,
            ),
        ),
        (
            "overwrite_existing_domain",
            before("overwrite_existing_domain"),
        ),
        (
            "cname",
            reported("cname", azure.cname.as_ref(), SslStatus::Enabled),
        ),
        ("certificate", Value::Null),
        ("key", Value::Null),
        ("certificate_version", before("certificate_version")),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssl(pairs: &[(&str, Value)]) -> Value {
        let mut block = Value::object(
            block()
                .block
                .attributes
                .iter()
                .map(|a| (a.name.as_str(), Value::Null)),
        );
        for (name, value) in pairs {
            block.set_attr(name, value.clone());
        }
        block
    }

    fn with_ssl(block: Value) -> Value {
        Value::object([(BLOCK, block)])
    }

    fn azure(status: &str, cname: Option<&str>, label: Option<&str>) -> SslConfiguration {
        SslConfiguration {
            status: Some(status.into()),
            cname: cname.map(Into::into),
            leaf_domain_label: label.map(Into::into),
            overwrite_existing_domain: Some(false),
            ..SslConfiguration::default()
        }
    }

    #[test]
    fn azure_is_sent_the_settings_of_the_status() {
        let own = with_ssl(ssl(&[
            ("status", "Enabled".into()),
            ("cname", "www.contoso.com".into()),
            ("certificate", "CERT".into()),
            ("key", "KEY".into()),
            ("leaf_domain_label", "ignored".into()),
        ]));
        let sent = serde_json::to_value(configuration(&own, false)).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"status": "Enabled", "cert": "CERT", "key": "KEY", "cname": "www.contoso.com"})
        );
        let microsoft = with_ssl(ssl(&[
            ("status", "Auto".into()),
            ("leaf_domain_label", "contoso".into()),
        ]));
        let sent = serde_json::to_value(configuration(&microsoft, false)).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"status": "Auto", "leafDomainLabel": "contoso", "overwriteExistingDomain": false})
        );
        let none = with_ssl(Value::Null);
        assert_eq!(configuration(&none, false), None);
        assert_eq!(
            serde_json::to_value(configuration(&none, true)).unwrap(),
            serde_json::json!({"status": "Disabled"})
        );
        let cert = configuration(&own, false).unwrap().cert.unwrap();
        assert_eq!(format!("{cert:?}"), "Secret(***)");
    }

    #[test]
    fn state_keeps_what_azure_reports_of_the_status_and_no_secret() {
        let prior = with_ssl(ssl(&[
            ("status", "Enabled".into()),
            ("cname", "WWW.contoso.com".into()),
            ("certificate_version", 2.into()),
        ]));
        let enabled = state(
            Some(&azure("Enabled", Some("www.contoso.com"), None)),
            &prior,
        );
        assert_eq!(
            enabled,
            ssl(&[
                ("status", "Enabled".into()),
                ("cname", "WWW.contoso.com".into()),
                ("certificate_version", 2.into()),
            ])
        );
        // Someone switched to Microsoft's certificate: the plan will show it.
        let auto = state(Some(&azure("Auto", Some("x"), Some("contoso"))), &prior);
        assert_eq!(auto.attr("leaf_domain_label"), Some(&"contoso".into()));
        assert_eq!(auto.attr("cname"), Some(&Value::Null));
        // Switched off: kept as a block saying so, for the plan to switch it on again.
        let off = state(Some(&azure("Disabled", None, None)), &prior);
        assert_eq!(off.attr("status"), Some(&"Disabled".into()));
        // Off where no block was, or not reported at all: no block.
        let none = with_ssl(Value::Null);
        assert_eq!(
            state(Some(&azure("Disabled", None, None)), &none),
            Value::Null
        );
        assert_eq!(state(None, &none), Value::Null);
        // Switched on outside Terraform: the block appears.
        let adopted = state(Some(&azure("Auto", None, Some("contoso"))), &none);
        assert_eq!(adopted.attr("status"), Some(&"Auto".into()));
        assert_eq!(
            adopted.attr("overwrite_existing_domain"),
            Some(&Value::Null)
        );
    }

    #[test]
    fn the_rules_see_the_block_with_certificate_and_key_read() {
        let config = with_ssl(ssl(&[
            ("status", "Enabled".into()),
            ("certificate", "not a certificate".into()),
            ("key", Value::unknown()),
        ]));
        let plan = plan(&config, Some(false), 0).unwrap();
        assert_eq!(plan.status, SslStatus::Enabled);
        assert!(matches!(plan.certificate, Setting::Set(Err(_))));
        assert_eq!(plan.key, Setting::Unknown);
        assert_eq!(plan.cname, Setting::Unset);
        let unknown_status = with_ssl(ssl(&[("status", Value::unknown())]));
        assert!(super::plan(&unknown_status, None, 0).is_none());
        assert!(super::plan(&with_ssl(Value::Null), None, 0).is_none());
    }

    #[test]
    fn a_block_known_only_at_apply_says_so_at_plan() {
        let known = with_ssl(ssl(&[("status", "Auto".into())]));
        assert!(checked_at_apply(&known).is_empty());
        assert!(checked_at_apply(&with_ssl(Value::Null)).is_empty());
        let later = with_ssl(ssl(&[
            ("status", "Enabled".into()),
            ("key", Value::unknown()),
        ]));
        let notes = checked_at_apply(&later);
        let note = notes.iter().next().unwrap();
        assert_eq!(note.attribute, Some(AttributePath::attribute("ssl")));
        assert!(note.detail.contains("AMLS241 to AMLS249"));
    }

    #[test]
    fn https_follows_the_status() {
        let status = |s: Value| serves_https(&with_ssl(ssl(&[("status", s)])));
        assert_eq!(status("Enabled".into()), Some(true));
        assert_eq!(status("Auto".into()), Some(true));
        assert_eq!(status("Disabled".into()), Some(false));
        assert_eq!(status(Value::unknown()), None);
        assert_eq!(serves_https(&with_ssl(Value::Null)), Some(false));
    }

    #[test]
    fn labels_and_cnames_are_dns_names() {
        let problems = |pairs: &[(&str, Value)]| -> Vec<String> {
            validate(&with_ssl(ssl(pairs)))
                .iter()
                .map(|d| d.attribute.as_ref().unwrap().to_string())
                .collect()
        };
        assert!(problems(&[("leaf_domain_label", "contoso-ml1".into())]).is_empty());
        for bad in ["Contoso", "1contoso", "con_toso", &"a".repeat(58)] {
            assert_eq!(
                problems(&[("leaf_domain_label", bad.into())]),
                ["ssl.leaf_domain_label"],
                "{bad}"
            );
        }
        for good in ["www.contoso.com", "myaks", "scoring.eu-1.contoso.com."] {
            assert!(problems(&[("cname", good.into())]).is_empty(), "{good}");
        }
        for bad in [
            "*.contoso.com",
            "https://www.contoso.com",
            "-a.contoso.com",
            "a..b",
        ] {
            assert_eq!(problems(&[("cname", bad.into())]), ["ssl.cname"], "{bad}");
        }
    }
}
