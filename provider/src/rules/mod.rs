//! The rule catalogue: every check the provider makes, each tied to the guidance it enforces.
//!
//! A rule is a [`Rule`] static with a stable id (`AMLS` + three digits; the hundreds digit groups
//! rules by area), and a check is a pure function returning [`Finding`]s that point at it. A new
//! area adds a module (or a folder, like `nsg/`) here and lists its rules in [`CATALOGUE`].
//!
//! The provider checks one of two bodies of guidance, the [`Profile`] its `guidance` argument
//! picks: the seed document of 2019 (`"2019"`, the default), or Azure's documentation as it is
//! today (`"current"`). Each rule says under which it applies ([`Applies`]) and what it cites
//! under each; checks whose rules differ by profile take the profile as an argument.
//!
//! Id ranges, by area (the tens digit groups a module's rules, leaving room for more):
//!
//! - `AMLS1xx` Machine Learning compute clusters and instances: subnet capacity (`10x`),
//!   subnet NSG (`11x`), forced-tunnelling routes (`12x`), placement (`13x`), quota, locks
//!   and policies (`14x`), subnet NSG under today's guidance (`15x`), NSG rule sets written by
//!   `amlsecure_compute_network_security_rules` (`16x`);
//! - `AMLS2xx` AKS: network plan (`20x`), subnet capacity (`21x`), subnet NSG (`22x`),
//!   placement (`23x`), SSL on the scoring endpoint (`24x`);
//! - `AMLS3xx` attached virtual machines and HDInsight clusters: NSG (`30x`), image (`31x`),
//!   placement (`32x`).
//! - `AMLS4xx` the workspace's storage account (`40x`) and key vault (`41x`) firewalls.

use std::fmt;

pub mod addresses;
pub mod aks;
pub mod attached;
pub mod compute;
pub mod firewall;
pub mod nsg;
pub mod policy;
pub mod quota;
pub mod regions;
pub mod routes;
pub mod ssl;
pub mod subnet;

/// How bad a finding is: errors fail the plan, warnings are reported and let it continue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// One check, as documented to users.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// Stable id, `AMLS` followed by three digits, e.g. `AMLS201`. Never reused.
    pub id: &'static str,
    /// One line saying what is wrong when the rule fires.
    pub title: &'static str,
    /// Exact heading text, in the seed document `how-to-enable-virtual-network.md`, of the
    /// section whose guidance the rule enforces (one of [`SEED_SECTIONS`]); for a rule of
    /// today's guidance only, the section it belongs with.
    pub seed_section: &'static str,
    /// Under which guidance profile the rule applies, and what it cites under "current".
    pub applies: Applies,
    pub severity: Severity,
}

/// Which body of Azure's guidance the provider checks: its `guidance` argument.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// `"2019"`: the seed document, "Secure Azure ML experimentation and inference jobs within
    /// an Azure Virtual Network" (ms.date 2019-08-05). The default.
    #[default]
    Seed,
    /// `"current"`: Azure's documentation as it is today ([`sources`]).
    Current,
}

impl Profile {
    /// Both, as the `guidance` argument spells them.
    pub const ALL: [Profile; 2] = [Profile::Seed, Profile::Current];

    /// `2019` or `current`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Seed => "2019",
            Self::Current => "current",
        }
    }

    /// Reads the `guidance` argument: `2019` or `current`, in any case.
    pub fn parse(text: &str) -> Option<Profile> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(text.trim()))
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The sections of the 2019 seed document (`how-to-enable-virtual-network.md`) its rules
/// come from, by their headings.
pub mod seed_section {
    pub const VM_OR_HDINSIGHT: &str = "Use a virtual machine or HDInsight cluster";
    pub const COMPUTE: &str = "Use a Machine Learning Compute instance";
    pub const AKS: &str = "Use Azure Kubernetes Service (AKS)";
    pub const FORCED_TUNNELING: &str = "User-defined routes for forced tunneling";
    pub const STORAGE: &str = "Use a storage account for your workspace";
    pub const KEY_VAULT: &str = "Use a key vault instance with your workspace";
    pub const REQUIRED_PORTS: &str = "Required ports";
    pub const LIMIT_OUTBOUND: &str = "Limit outbound connectivity from the virtual network";
    pub const NEXT_STEPS: &str = "Next steps";
}

/// A page of Azure's documentation as it is today, cited by rules under guidance "current".
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Source {
    pub title: &'static str,
    pub url: &'static str,
}

/// The pages rules cite under guidance "current" (REFERENCE §10's sources, and the pages
/// behind its AKS and service-limit notes).
pub mod sources {
    use super::Source;

    /// REFERENCE [AML-CUR], with its include on required public Internet access.
    pub static TRAINING_VNET: Source = Source {
        title: "Secure an Azure Machine Learning training environment with virtual networks",
        url: "https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet",
    };
    /// REFERENCE [AML-WS].
    pub static WORKSPACE_VNET: Source = Source {
        title: "Secure an Azure Machine Learning workspace with virtual networks",
        url: "https://learn.microsoft.com/azure/machine-learning/how-to-secure-workspace-vnet",
    };
    /// Today's page for the AKS inference compute (`computeType: AKS`) that
    /// `amlsecure_aks_attachment` manages.
    pub static INFERENCE_VNET: Source = Source {
        title: "Secure an Azure Machine Learning inferencing environment with virtual networks (v1)",
        url: "https://learn.microsoft.com/azure/machine-learning/v1/how-to-secure-inferencing-vnet",
    };
    /// REFERENCE [AKS-CUR].
    pub static AKS_CNI: Source = Source {
        title: "Azure CNI networking in Azure Kubernetes Service (AKS)",
        url: "https://learn.microsoft.com/azure/aks/azure-cni-overview",
    };
    /// REFERENCE §8: AKS's announcement that `dockerBridgeCidr` is ignored and removed.
    pub static AKS_DOCKER_BRIDGE: Source = Source {
        title: "AKS: the docker bridge address is deprecated (Azure/AKS issue 3534)",
        url: "https://github.com/Azure/AKS/issues/3534",
    };
    /// Azure's limits, networking: "Routes per route table: 400".
    pub static SERVICE_LIMITS: Source = Source {
        title: "Azure subscription and service limits, quotas, and constraints",
        url: "https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits",
    };
    /// Azure's region pairs: the secondary region of `AzureMachineLearning` routes.
    pub static REGION_PAIRS: Source = Source {
        title: "Azure cross-region replication: region pairs",
        url: "https://learn.microsoft.com/azure/reliability/cross-region-replication-azure",
    };
    /// Today's page for the article the seed links as "Securely deploy models with SSL": TLS
    /// on the scoring endpoint of the AKS inference compute.
    pub static SECURE_WEB_SERVICE: Source = Source {
        title: "Use TLS to secure a web service through Azure Machine Learning (v1)",
        url: "https://learn.microsoft.com/azure/machine-learning/v1/how-to-secure-web-service",
    };

    /// Every source, so tests and documentation can enumerate them.
    pub static ALL: [&Source; 8] = [
        &TRAINING_VNET,
        &WORKSPACE_VNET,
        &INFERENCE_VNET,
        &AKS_CNI,
        &AKS_DOCKER_BRIDGE,
        &SERVICE_LIMITS,
        &REGION_PAIRS,
        &SECURE_WEB_SERVICE,
    ];
}

/// Under which [`Profile`] a rule applies.
#[derive(Debug, PartialEq, Eq, Hash)]
pub enum Applies {
    /// Under both: the seed gives the rule, and today's guidance still does, in this source.
    Both(&'static Source),
    /// Only under "2019": today's guidance replaces the rule (or no longer gives it).
    Seed,
    /// Only under "current": today's guidance, in this source, which the seed does not give.
    Current(&'static Source),
}

/// What a finding cites: the guidance of the profile it was checked under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Citation {
    /// A heading of the 2019 seed document.
    Seed(&'static str),
    /// A page of today's documentation.
    Current(&'static Source),
}

/// `Azure's guidance (2019): "Required ports"`, or
/// `Azure's guidance (current): "<title>", <url>`.
impl fmt::Display for Citation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Seed(section) => write!(f, "Azure's guidance (2019): \"{section}\""),
            Self::Current(source) => write!(
                f,
                "Azure's guidance (current): \"{}\", {}",
                source.title, source.url
            ),
        }
    }
}

impl Citation {
    /// The profile whose guidance this is.
    pub fn profile(self) -> Profile {
        match self {
            Self::Seed(_) => Profile::Seed,
            Self::Current(_) => Profile::Current,
        }
    }

    /// The cited text alone: the seed's heading, or the page's title and address.
    pub fn source(self) -> String {
        match self {
            Self::Seed(section) => section.to_owned(),
            Self::Current(source) => format!("{}, {}", source.title, source.url),
        }
    }
}

impl Rule {
    /// Whether the rule is checked under `profile`.
    pub fn applies_under(&self, profile: Profile) -> bool {
        self.citation(profile).is_some()
    }

    /// What the rule cites under `profile`; `None` when it does not apply there.
    pub fn citation(&self, profile: Profile) -> Option<Citation> {
        match (&self.applies, profile) {
            (Applies::Both(_) | Applies::Seed, Profile::Seed) => {
                Some(Citation::Seed(self.seed_section))
            }
            (Applies::Both(source) | Applies::Current(source), Profile::Current) => {
                Some(Citation::Current(source))
            }
            _ => None,
        }
    }
}

/// Headings of the seed document `how-to-enable-virtual-network.md` (ms.date 2019-08-05) that
/// rules may cite, spelled exactly as in the document.
pub const SEED_SECTIONS: &[&str] = &[
    "Use a storage account for your workspace",
    "Use a key vault instance with your workspace",
    "Use a Machine Learning Compute instance",
    "Required ports",
    "Limit outbound connectivity from the virtual network",
    "User-defined routes for forced tunneling",
    "Create a Machine Learning Compute cluster in a virtual network",
    "Use a virtual machine or HDInsight cluster",
    "Use Azure Kubernetes Service (AKS)",
    // Its link "Securely deploy models with SSL" is the guidance the SSL rules enforce.
    "Next steps",
];

/// Every rule, ordered by id, so documentation and tests can enumerate them.
pub static CATALOGUE: &[&Rule] = &[
    &subnet::SUBNET_CAPACITY,
    &nsg::seed::BATCH_INBOUND_BLOCKED,
    &nsg::seed::BATCH_INBOUND_UNCERTAIN,
    &nsg::seed::OUTBOUND_SERVICE_BLOCKED,
    &nsg::seed::OUTBOUND_SERVICE_UNCERTAIN,
    &nsg::seed::VNET_OUTBOUND_BLOCKED,
    &nsg::seed::VNET_OUTBOUND_UNCERTAIN,
    &nsg::seed::SSH_PUBLIC_BLOCKED,
    &nsg::seed::SSH_PUBLIC_UNCERTAIN,
    &routes::BATCH_NOT_ROUTED_TO_INTERNET,
    &routes::BATCH_ROUTES_UNKNOWN,
    &routes::TUNNEL_ROUTES_UNNEEDED,
    &routes::TUNNEL_ROUTE_NAME_TAKEN,
    &routes::TUNNEL_ROUTE_PREFIX_TAKEN,
    &routes::ROUTE_LIMIT,
    &routes::AZURE_ML_NOT_ROUTED_TO_INTERNET,
    &routes::AZURE_ML_ROUTES_UNKNOWN,
    &compute::CLUSTER_LOCATION_NOT_NETWORKS,
    &compute::VNET_OTHER_SUBSCRIPTION,
    &compute::VNET_OTHER_REGION,
    &compute::SUBNET_NOT_FOUND,
    &compute::SUBNET_DELEGATED,
    &compute::SUBNET_OUTSIDE_VNET,
    &compute::MANAGED_NETWORK,
    &compute::NO_PUBLIC_IP_WITHOUT_ENDPOINT,
    &compute::CLUSTER_REGION_UNREACHABLE,
    &compute::CLUSTER_REGION_UNKNOWN,
    &quota::NETWORK_QUOTA,
    &quota::RESOURCE_LOCKS,
    &policy::POLICY_DENIES_NETWORK_RESOURCES,
    &nsg::current::NODE_INBOUND_BLOCKED,
    &nsg::current::NODE_INBOUND_UNCERTAIN,
    &nsg::current::REQUIRED_OUTBOUND_BLOCKED,
    &nsg::current::REQUIRED_OUTBOUND_UNCERTAIN,
    &nsg::current::SITUATIONAL_OUTBOUND_BLOCKED,
    &nsg::rule_set::PRIORITY_TAKEN,
    &nsg::rule_set::NAME_TAKEN,
    &nsg::rule_set::NO_FREE_PRIORITY,
    &nsg::rule_set::RULE_SHADOWED,
    &aks::SERVICE_CIDR_OVERLAPS_VNET,
    &aks::SERVICE_CIDR_RESERVED,
    &aks::SERVICE_CIDR_TOO_LARGE,
    &aks::SERVICE_CIDR_AT_LIMIT,
    &aks::DNS_IP_OUTSIDE_SERVICE_CIDR,
    &aks::DNS_IP_RESERVED,
    &aks::DOCKER_BRIDGE_OVERLAPS,
    &aks::DOCKER_BRIDGE_DEPRECATED,
    &aks::VNET_RESERVED,
    &aks::CNI_SUBNET_CAPACITY,
    &nsg::seed::AKS_INBOUND_BLOCKED,
    &nsg::seed::AKS_INBOUND_UNCERTAIN,
    &nsg::seed::AKS_OUTBOUND_CHANGED,
    &nsg::seed::SCORING_INBOUND_BLOCKED,
    &nsg::seed::SCORING_INBOUND_UNCERTAIN,
    &compute::AKS_OTHER_REGION,
    &compute::AKS_SUBNET_DELEGATED,
    &compute::AKS_SUBNET_NOT_FOUND,
    &ssl::OWN_CERTIFICATE_INCOMPLETE,
    &ssl::SETTINGS_MIXED,
    &ssl::LEAF_DOMAIN_LABEL_MISSING,
    &ssl::MICROSOFT_CERTIFICATE_INTERNAL,
    &ssl::DISABLED_WITH_SETTINGS,
    &ssl::CERTIFICATE_UNREADABLE,
    &ssl::CERTIFICATE_NAME_MISMATCH,
    &ssl::CERTIFICATE_NOT_VALID_NOW,
    &ssl::CHAIN_MISSING,
    &nsg::seed::SSH_INBOUND_BLOCKED,
    &nsg::seed::SSH_INBOUND_UNCERTAIN,
    &nsg::seed::ATTACHED_OUTBOUND_CHANGED,
    &attached::VM_NOT_UBUNTU,
    &attached::VM_IMAGE_UNKNOWN,
    &attached::NOT_IN_VNET,
    &attached::VNET_OTHER_SUBSCRIPTION,
    &attached::VNET_OTHER_REGION,
    &firewall::STORAGE_SERVICE_ENDPOINT_MISSING,
    &firewall::STORAGE_SUBNET_NOT_FOUND,
    &firewall::INFERENCE_STORAGE_RESTRICTED,
    &firewall::STORAGE_DENIES_COMPUTE,
    &firewall::DATASTORE_STORAGE_RESTRICTED,
    &firewall::FIREWALL_UNREADABLE,
    &firewall::STORAGE_DENIES_WORKSPACE,
    &firewall::KEY_VAULT_SERVICE_ENDPOINT_MISSING,
    &firewall::KEY_VAULT_SUBNET_NOT_FOUND,
    &firewall::KEY_VAULT_DENIES_COMPUTE,
];

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    CATALOGUE.iter().copied().find(|r| r.id == id)
}

/// A rule firing on one configuration attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    /// The configuration attribute the finding is about, e.g. `service_cidr`; one of a
    /// block as `ssl.cname`.
    pub attribute: &'static str,
    /// What is wrong, with the numbers; no trailing full stop.
    pub message: String,
    /// What to change, as concretely as possible; no trailing full stop.
    pub fix: String,
    /// The values the fix proposes for arguments of the checked resource, if any. Together
    /// they pass every rule of the resource against the same network (the rules' property
    /// tests apply them and check again).
    pub suggestions: Vec<Suggestion>,
}

/// A value a finding's fix proposes: `attribute = value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// Like `service_cidr`, or `priorities.batch_inbound`.
    pub attribute: String,
    /// As the configuration would write it, like `10.1.0.0/16` or `150`.
    pub value: String,
}

impl Finding {
    pub fn new(
        rule: &'static Rule,
        attribute: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            rule,
            attribute,
            message: message.into(),
            fix: fix.into(),
            suggestions: Vec::new(),
        }
    }

    /// The finding with a value its fix proposes.
    pub fn suggesting(mut self, attribute: impl Into<String>, value: impl ToString) -> Self {
        self.suggestions.push(Suggestion {
            attribute: attribute.into(),
            value: value.to_string(),
        });
        self
    }

    pub fn severity(&self) -> Severity {
        self.rule.severity
    }
}

/// `AMLS201: <message>. <fix>.`
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}. {}.", self.rule.id, self.message, self.fix)
    }
}

/// The name at the end of an ARM ID.
pub fn name_of_id(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// ARM IDs compare as ARM compares them: without regard to case, surrounding spaces or slashes
/// at either end.
pub(crate) fn same_id(a: &str, b: &str) -> bool {
    let bare = |id: &str| id.trim().trim_matches('/').to_owned();
    bare(a).eq_ignore_ascii_case(&bare(b))
}

/// Joins values as `a`, `a and b`, or `a, b and c`, for messages.
pub(crate) fn join_and<T: fmt::Display>(items: &[T]) -> String {
    match items {
        [] => String::new(),
        [only] => only.to_string(),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(ToString::to_string).collect();
            format!("{} and {last}", init.join(", "))
        }
    }
}

/// `text` with its first letter in upper case, to start a message with a noun.
pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn well_formed(id: &str) -> bool {
        id.strip_prefix("AMLS").is_some_and(|digits| {
            digits.len() == 3
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0')
        })
    }

    #[test]
    fn ids_are_unique_well_formed_and_sorted() {
        let mut seen = HashSet::new();
        for rule in CATALOGUE {
            assert!(well_formed(rule.id), "malformed id {}", rule.id);
            assert!(seen.insert(rule.id), "duplicate id {}", rule.id);
        }
        let ids: Vec<_> = CATALOGUE.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
        assert!(!well_formed("AMLS01") && !well_formed("AMLS0123") && !well_formed("AML201"));
        assert!(!well_formed("AMLS20a") && !well_formed("AMLS012"));
    }

    #[test]
    fn rules_cite_a_seed_heading_and_have_a_title() {
        for rule in CATALOGUE {
            assert!(
                SEED_SECTIONS.contains(&rule.seed_section),
                "{} cites unknown seed section {:?}",
                rule.id,
                rule.seed_section
            );
            assert!(
                !rule.title.is_empty() && !rule.title.ends_with('.'),
                "{}",
                rule.id
            );
        }
    }

    #[test]
    fn every_rule_applies_somewhere_and_cites_a_known_source() {
        for rule in CATALOGUE {
            assert!(
                Profile::ALL.iter().any(|&p| rule.applies_under(p)),
                "{} applies under no profile",
                rule.id
            );
            if let Applies::Both(source) | Applies::Current(source) = rule.applies {
                assert!(
                    sources::ALL.contains(&source),
                    "{} cites a source not in sources::ALL",
                    rule.id
                );
                assert!(source.url.starts_with("https://"), "{}", source.url);
            }
        }
        for source in sources::ALL {
            let cited = CATALOGUE.iter().any(
                |r| matches!(r.applies, Applies::Both(s) | Applies::Current(s) if s == source),
            );
            // The region pairs back a table of regions, not a rule of their own.
            assert!(
                cited || std::ptr::eq(source, &sources::REGION_PAIRS),
                "{} is cited by no rule",
                source.url
            );
        }
    }

    #[test]
    fn citations_follow_the_profile() {
        use Citation::{Current, Seed};
        let both = &subnet::SUBNET_CAPACITY;
        assert_eq!(
            both.citation(Profile::Seed),
            Some(Seed("Use a Machine Learning Compute instance"))
        );
        assert_eq!(
            both.citation(Profile::Current),
            Some(Current(&sources::TRAINING_VNET))
        );
        let seed_only = &nsg::seed::BATCH_INBOUND_BLOCKED;
        assert_eq!(seed_only.citation(Profile::Current), None);
        assert!(seed_only.applies_under(Profile::Seed));
        let current_only = &aks::DOCKER_BRIDGE_DEPRECATED;
        assert_eq!(current_only.citation(Profile::Seed), None);
        assert_eq!(
            current_only.citation(Profile::Current).unwrap().to_string(),
            "Azure's guidance (current): \"AKS: the docker bridge address is deprecated (Azure/AKS issue 3534)\", https://github.com/Azure/AKS/issues/3534"
        );
        assert_eq!(
            both.citation(Profile::Seed).unwrap().to_string(),
            "Azure's guidance (2019): \"Use a Machine Learning Compute instance\""
        );
        assert_eq!(
            both.citation(Profile::Current).unwrap().source(),
            "Secure an Azure Machine Learning training environment with virtual networks, https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet"
        );
        assert_eq!(Citation::Seed("x").profile(), Profile::Seed);
    }

    #[test]
    fn profiles_read_as_the_guidance_argument_spells_them() {
        for (text, profile) in [
            ("2019", Some(Profile::Seed)),
            ("current", Some(Profile::Current)),
            (" Current ", Some(Profile::Current)),
            ("CURRENT", Some(Profile::Current)),
            ("2024", None),
            ("", None),
            ("seed", None),
        ] {
            assert_eq!(Profile::parse(text), profile, "{text:?}");
        }
        assert_eq!(Profile::default(), Profile::Seed);
        assert_eq!(Profile::Current.to_string(), "current");
        assert_eq!(Profile::Seed.name(), "2019");
    }

    #[test]
    fn lookup_by_id() {
        assert_eq!(rule("AMLS101"), Some(&subnet::SUBNET_CAPACITY));
        assert_eq!(rule("AMLS201"), Some(&aks::SERVICE_CIDR_OVERLAPS_VNET));
        assert_eq!(rule("AMLS999"), None);
    }

    #[test]
    fn finding_display_is_id_message_fix() {
        let finding = Finding::new(
            &aks::SERVICE_CIDR_OVERLAPS_VNET,
            "service_cidr",
            "service_cidr 10.0.0.0/16 overlaps 10.0.0.0/8",
            "Use 10.1.0.0/16",
        );
        assert_eq!(
            finding.to_string(),
            "AMLS201: service_cidr 10.0.0.0/16 overlaps 10.0.0.0/8. Use 10.1.0.0/16."
        );
        assert_eq!(finding.severity(), Severity::Error);
    }

    #[test]
    fn ids_compare_without_case_spaces_or_outer_slashes() {
        let id =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet";
        for (other, same) in [
            (id, true),
            (
                "/SUBSCRIPTIONS/s/resourcegroups/RG/providers/microsoft.network/virtualnetworks/VNET",
                true,
            ),
            (
                " subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/ ",
                true,
            ),
            (
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet2",
                false,
            ),
            ("/subscriptions/s/resourceGroups/rg", false),
        ] {
            assert_eq!(same_id(id, other), same, "{other}");
        }
    }

    #[test]
    fn join_and_table() {
        assert_eq!(join_and::<u8>(&[]), "");
        assert_eq!(join_and(&[1]), "1");
        assert_eq!(join_and(&[1, 2]), "1 and 2");
        assert_eq!(join_and(&[1, 2, 3]), "1, 2 and 3");
    }
}
