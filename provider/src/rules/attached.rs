//! Virtual machines and HDInsight clusters attached over SSH: the VM runs Ubuntu, and the
//! machine sits in a virtual network in the workspace's subscription and region (the seed's
//! "Use a virtual machine or HDInsight cluster", and its requirement that compute networks
//! share the workspace's subscription and region). The NSG rules for them are in
//! [`super::nsg::seed::check_attached_compute_nsg`].

use super::compute::{WorkspaceFacts, same_location};
use super::seed_section;
use super::{Applies, Finding, Rule, Severity, sources};

/// SSH's port, unless the machine reports another.
pub const DEFAULT_SSH_PORT: u16 = 22;

/// The seed: "The Azure Machine Learning service supports only virtual machines that are
/// running Ubuntu."
pub static VM_NOT_UBUNTU: Rule = Rule {
    id: "AMLS311",
    title: "Attached virtual machine does not run Ubuntu",
    seed_section: seed_section::VM_OR_HDINSIGHT,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// [`VM_NOT_UBUNTU`] when the image does not say: a custom or gallery image, or a
/// marketplace image of a publisher not known either way.
pub static VM_IMAGE_UNKNOWN: Rule = Rule {
    id: "AMLS312",
    title: "Whether the attached virtual machine runs Ubuntu cannot be told from its image",
    seed_section: seed_section::VM_OR_HDINSIGHT,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// The seed's first step: "put the cluster in an Azure virtual network".
pub static NOT_IN_VNET: Rule = Rule {
    id: "AMLS321",
    title: "Attached virtual machine or HDInsight cluster is not in a virtual network",
    seed_section: seed_section::VM_OR_HDINSIGHT,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// The seed: "The virtual network must be in the same subscription and region as the Azure
/// Machine Learning service workspace" (stated for compute in a virtual network, which an
/// attached machine is).
pub static VNET_OTHER_SUBSCRIPTION: Rule = Rule {
    id: "AMLS322",
    title: "Attached compute's virtual network is in another subscription than the workspace",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// See [`VNET_OTHER_SUBSCRIPTION`].
pub static VNET_OTHER_REGION: Rule = Rule {
    id: "AMLS323",
    title: "Attached compute's virtual network is in another region than the workspace",
    seed_section: seed_section::COMPUTE,
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Error,
};

/// What a virtual machine was built from (`storageProfile`), as ARM reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VmImage {
    pub publisher: Option<String>,
    pub offer: Option<String>,
    pub sku: Option<String>,
    /// A custom, shared-gallery or community-gallery image id.
    pub image_id: Option<String>,
    /// `osDisk.osType`: `Linux` or `Windows`.
    pub os_type: Option<String>,
}

impl VmImage {
    fn describe(&self) -> String {
        match (&self.publisher, &self.offer, &self.sku, &self.image_id) {
            (Some(p), offer, sku, _) => format!(
                "marketplace image {p}:{}:{}",
                offer.as_deref().unwrap_or("?"),
                sku.as_deref().unwrap_or("?")
            ),
            (None, _, _, Some(id)) => format!("image {id}"),
            _ => "an attached OS disk (no image reference)".to_owned(),
        }
    }
}

/// Marketplace publishers of operating systems other than Ubuntu.
const OTHER_OS_PUBLISHERS: &[&str] = &[
    "MicrosoftWindowsServer",
    "MicrosoftWindowsDesktop",
    "MicrosoftSQLServer",
    "MicrosoftVisualStudio",
    "RedHat",
    "SUSE",
    "OpenLogic",
    "Debian",
    "Oracle",
    "MicrosoftCBLMariner",
    "almalinux",
    "resf",
    "kinvolk",
];

/// Starts of words in an offer or SKU (split at `-`, `_` and `.`) naming an operating system
/// other than Ubuntu: `dsvm-win-2019`, `almalinux-9`, `sles-15-sp5`.
const OTHER_OS_WORDS: &[&str] = &[
    "windows",
    "win",
    "winserver",
    "rhel",
    "sles",
    "suse",
    "centos",
    "debian",
    "oracle",
    "mariner",
    "rocky",
    "alma",
];

/// [`VM_NOT_UBUNTU`] or [`VM_IMAGE_UNKNOWN`] for the virtual machine at `attribute`.
pub fn check_vm_image(image: &VmImage, vm_name: &str, attribute: &'static str) -> Vec<Finding> {
    let lower = |v: &Option<String>| v.as_deref().unwrap_or("").to_ascii_lowercase();
    let (publisher, offer, sku) = (
        lower(&image.publisher),
        lower(&image.offer),
        lower(&image.sku),
    );
    let windows = image
        .os_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("Windows"));
    let ubuntu = publisher == "canonical" || offer.contains("ubuntu") || sku.contains("ubuntu");
    if ubuntu && !windows {
        return Vec::new();
    }
    let other_os = windows
        || OTHER_OS_PUBLISHERS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&publisher))
        || (offer.split(['-', '_', '.']))
            .chain(sku.split(['-', '_', '.']))
            .any(|word| OTHER_OS_WORDS.iter().any(|w| word.starts_with(w)));
    let fix = "Attach a virtual machine built from an Ubuntu image, such as \
               Canonical:ubuntu-24_04-lts:server or the Data Science Virtual Machine for Linux \
               (microsoft-dsvm:ubuntu-2004)";
    if other_os {
        let os = if windows {
            " (Windows)".to_owned()
        } else {
            String::new()
        };
        return vec![Finding::new(
            &VM_NOT_UBUNTU,
            attribute,
            format!(
                "virtual machine '{vm_name}' runs {}{os}, and Azure Machine Learning supports only virtual machines running Ubuntu",
                image.describe()
            ),
            fix,
        )];
    }
    vec![Finding::new(
        &VM_IMAGE_UNKNOWN,
        attribute,
        format!(
            "virtual machine '{vm_name}' runs {}, which does not say whether it is Ubuntu; Azure Machine Learning supports only virtual machines running Ubuntu",
            image.describe()
        ),
        "Make sure the image is Ubuntu, or set rule_severity = { AMLS312 = \"off\" } once you have checked",
    )]
}

/// The virtual network an attached machine sits in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedNetwork {
    pub vnet_name: String,
    /// From the network's resource id.
    pub subscription: String,
    pub location: String,
}

/// [`NOT_IN_VNET`], [`VNET_OTHER_SUBSCRIPTION`] and [`VNET_OTHER_REGION`] for the machine
/// `what` (like `virtual machine 'dev'`) at `attribute`; `network` is `None` when the
/// machine is in no virtual network.
pub fn check_attached_placement(
    workspace: &WorkspaceFacts,
    network: Option<&AttachedNetwork>,
    what: &str,
    attribute: &'static str,
) -> Vec<Finding> {
    let Some(network) = network else {
        return vec![Finding::new(
            &NOT_IN_VNET,
            attribute,
            format!(
                "{what} is not in a virtual network, so the workspace's secured network cannot reach it privately"
            ),
            format!(
                "Create it in a subnet of a virtual network in {} (subscription {}), as the workspace's other compute",
                workspace.location, workspace.subscription
            ),
        )];
    };
    let mut findings = Vec::new();
    if !workspace
        .subscription
        .eq_ignore_ascii_case(&network.subscription)
    {
        findings.push(Finding::new(
            &VNET_OTHER_SUBSCRIPTION,
            attribute,
            format!(
                "{what} is in virtual network '{}' of subscription {}, the workspace in subscription {}",
                network.vnet_name, network.subscription, workspace.subscription
            ),
            format!(
                "Attach a machine in a virtual network of subscription {}",
                workspace.subscription
            ),
        ));
    }
    if !same_location(&workspace.location, &network.location) {
        findings.push(Finding::new(
            &VNET_OTHER_REGION,
            attribute,
            format!(
                "{what} is in virtual network '{}' in {}, the workspace in {}",
                network.vnet_name, network.location, workspace.location
            ),
            format!(
                "Attach a machine in a virtual network in {}",
                workspace.location
            ),
        ));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compute::IsolationMode;

    fn image(publisher: &str, offer: &str, sku: &str) -> VmImage {
        VmImage {
            publisher: Some(publisher.into()),
            offer: Some(offer.into()),
            sku: Some(sku.into()),
            ..VmImage::default()
        }
    }

    fn ids(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule.id).collect()
    }

    #[test]
    fn image_table() {
        let custom = VmImage {
            image_id: Some(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/golden"
                    .into(),
            ),
            os_type: Some("Linux".into()),
            ..VmImage::default()
        };
        let windows_custom = VmImage {
            os_type: Some("Windows".into()),
            ..custom.clone()
        };
        let cases: &[(VmImage, &[&str])] = &[
            (
                image(
                    "Canonical",
                    "0001-com-ubuntu-server-jammy",
                    "22_04-lts-gen2",
                ),
                &[],
            ),
            (image("canonical", "ubuntu-24_04-lts", "server"), &[]),
            (image("microsoft-dsvm", "ubuntu-2004", "2004-gen2"), &[]),
            (
                image(
                    "microsoft-azure-batch",
                    "ubuntu-server-container",
                    "20-04-lts",
                ),
                &[],
            ),
            (
                image("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter"),
                &["AMLS311"],
            ),
            (image("RedHat", "RHEL", "9-lvm-gen2"), &["AMLS311"]),
            (image("OpenLogic", "CentOS", "7_9"), &["AMLS311"]),
            (image("Debian", "debian-12", "12"), &["AMLS311"]),
            (
                image("microsoft-dsvm", "dsvm-win-2019", "winserver-2019"),
                &["AMLS311"],
            ),
            (image("someone", "appliance", "v1"), &["AMLS312"]),
            // OS names count as words, not inside other words.
            (
                image("someone", "personalmachine", "twin-gpu"),
                &["AMLS312"],
            ),
            (image("someone", "almalinux-hpc", "9"), &["AMLS311"]),
            (custom, &["AMLS312"]),
            (windows_custom, &["AMLS311"]),
            (VmImage::default(), &["AMLS312"]),
        ];
        for (image, expected) in cases {
            let findings = check_vm_image(image, "dev", "virtual_machine_id");
            assert_eq!(ids(&findings), *expected, "{image:?}");
            assert!(findings.iter().all(|f| f.attribute == "virtual_machine_id"));
        }
    }

    #[test]
    fn image_messages_name_the_image_and_the_fix() {
        let findings = check_vm_image(
            &image("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter"),
            "dev",
            "virtual_machine_id",
        );
        assert_eq!(
            findings[0].to_string(),
            "AMLS311: virtual machine 'dev' runs marketplace image \
             MicrosoftWindowsServer:WindowsServer:2022-datacenter, and Azure Machine Learning \
             supports only virtual machines running Ubuntu. Attach a virtual machine built from \
             an Ubuntu image, such as Canonical:ubuntu-24_04-lts:server or the Data Science \
             Virtual Machine for Linux (microsoft-dsvm:ubuntu-2004)."
        );
        let custom = VmImage {
            image_id: Some("/images/golden".into()),
            ..VmImage::default()
        };
        let findings = check_vm_image(&custom, "dev", "virtual_machine_id");
        assert!(findings[0].message.contains("image /images/golden"));
        assert!(findings[0].fix.contains("rule_severity"));
    }

    fn workspace() -> WorkspaceFacts {
        WorkspaceFacts {
            subscription: "sub-a".into(),
            location: "westeurope".into(),
            isolation_mode: IsolationMode::Disabled,
            private_endpoints: Vec::new(),
        }
    }

    fn network(subscription: &str, location: &str) -> AttachedNetwork {
        AttachedNetwork {
            vnet_name: "ml-vnet".into(),
            subscription: subscription.into(),
            location: location.into(),
        }
    }

    #[test]
    fn placement_table() {
        let cases: &[(Option<AttachedNetwork>, &[&str])] = &[
            (Some(network("sub-a", "westeurope")), &[]),
            (Some(network("SUB-A", "West Europe")), &[]),
            (Some(network("sub-b", "westeurope")), &["AMLS322"]),
            (Some(network("sub-a", "eastus")), &["AMLS323"]),
            (Some(network("sub-b", "eastus")), &["AMLS322", "AMLS323"]),
            (None, &["AMLS321"]),
        ];
        for (network, expected) in cases {
            let findings = check_attached_placement(
                &workspace(),
                network.as_ref(),
                "HDInsight cluster 'spark'",
                "hdinsight_cluster_id",
            );
            assert_eq!(ids(&findings), *expected, "{network:?}");
        }
    }

    #[test]
    fn placement_messages_give_both_sides() {
        let findings = check_attached_placement(
            &workspace(),
            Some(&network("sub-a", "eastus")),
            "virtual machine 'dev'",
            "virtual_machine_id",
        );
        assert_eq!(
            findings[0].to_string(),
            "AMLS323: virtual machine 'dev' is in virtual network 'ml-vnet' in eastus, the \
             workspace in westeurope. Attach a machine in a virtual network in westeurope."
        );
        let none = check_attached_placement(&workspace(), None, "virtual machine 'dev'", "x");
        assert!(none[0].fix.contains("westeurope"), "{}", none[0]);
    }

    #[test]
    fn rules_are_catalogued_and_cite_the_vm_section_or_the_compute_network_requirement() {
        for rule in [&VM_NOT_UBUNTU, &VM_IMAGE_UNKNOWN, &NOT_IN_VNET] {
            assert_eq!(rule.seed_section, seed_section::VM_OR_HDINSIGHT);
        }
        for rule in [&VNET_OTHER_SUBSCRIPTION, &VNET_OTHER_REGION] {
            assert_eq!(rule.seed_section, seed_section::COMPUTE);
        }
        assert_eq!(VM_IMAGE_UNKNOWN.severity, Severity::Warning);
        for rule in [
            &VM_NOT_UBUNTU,
            &VM_IMAGE_UNKNOWN,
            &NOT_IN_VNET,
            &VNET_OTHER_SUBSCRIPTION,
            &VNET_OTHER_REGION,
        ] {
            assert!(
                crate::rules::CATALOGUE.contains(&rule),
                "{} missing from CATALOGUE",
                rule.id
            );
        }
    }
}
