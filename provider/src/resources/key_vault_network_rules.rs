//! `amlsecure_workspace_key_vault_network_rules`: the workspace's key vault behind "selected
//! networks", the compute subnets let through, trusted Microsoft services allowed (seed
//! section "Use a key vault instance with your workspace"; REFERENCE §9.2, §10 rule 13).
//! The logic is shared with the storage account's in [`super::firewall`].

use crate::arm::api_version;
use crate::arm::models::keyvault::{
    Vault, VaultIpRule, VaultNetworkRuleSet, VaultVirtualNetworkRule,
};
use crate::rules::firewall as rules;

use super::firewall::{Firewall, IpRule, RuleSet, Service, SubnetRule};

pub const TYPE_NAME: &str = "amlsecure_workspace_key_vault_network_rules";

pub type KeyVaultNetworkRules = Firewall<KeyVault>;

pub struct KeyVault;

impl Service for KeyVault {
    type Target = Vault;
    type Acls = VaultNetworkRuleSet;

    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: rules::Service = rules::Service::KeyVault;
    const TARGET_TYPE: &'static str = "Microsoft.KeyVault/vaults";
    const TARGET_ATTRIBUTE: &'static str = "key_vault_id";
    const API_VERSION: &'static str = api_version::KEY_VAULT;
    const CHECKS_INFERENCE: bool = false;
    const ALLOWS_HOST_PREFIXES: bool = true;
    const DESCRIPTION: &'static str = "Puts the key vault of an Azure Machine Learning workspace behind its firewall's \"selected networks\": default action `Deny`, the compute subnets as virtual-network rules, trusted Microsoft services let through, optional IP rules. It owns only the rules it declares, reports drift on refresh, and destroy puts the firewall back as it found it. `terraform plan` checks each subnet has the `Microsoft.KeyVault` service endpoint.";
    const IP_RULES_DESCRIPTION: &'static str = "Public IPv4 addresses or CIDR ranges let through, like `203.0.113.7` or `203.0.113.0/24` (Key Vault reports a single address as `/32`; either spelling matches).";

    fn acls(vault: &Vault) -> Option<VaultNetworkRuleSet> {
        vault.properties.network_acls.clone()
    }
}

impl RuleSet for VaultNetworkRuleSet {
    type SubnetRule = VaultVirtualNetworkRule;
    type IpRule = VaultIpRule;

    fn allow_all() -> Self {
        VaultNetworkRuleSet {
            bypass: Some("AzureServices".into()),
            default_action: Some("Allow".into()),
            ip_rules: Some(Vec::new()),
            virtual_network_rules: Some(Vec::new()),
        }
    }

    fn default_action(&self) -> &str {
        self.default_action.as_deref().unwrap_or("Allow")
    }

    fn set_default_action(&mut self, action: &str) {
        self.default_action = Some(action.to_owned());
    }

    fn bypass(&self) -> Option<&str> {
        self.bypass.as_deref()
    }

    fn set_bypass(&mut self, bypass: Option<String>) {
        self.bypass = bypass;
    }

    fn subnet_rules(&self) -> Option<&Vec<VaultVirtualNetworkRule>> {
        self.virtual_network_rules.as_ref()
    }

    fn subnet_rules_mut(&mut self) -> &mut Option<Vec<VaultVirtualNetworkRule>> {
        &mut self.virtual_network_rules
    }

    fn ip_rules(&self) -> Option<&Vec<VaultIpRule>> {
        self.ip_rules.as_ref()
    }

    fn ip_rules_mut(&mut self) -> &mut Option<Vec<VaultIpRule>> {
        &mut self.ip_rules
    }
}

impl SubnetRule for VaultVirtualNetworkRule {
    fn allowing(id: &str) -> Self {
        VaultVirtualNetworkRule {
            id: id.to_owned(),
            ignore_missing_vnet_service_endpoint: None,
        }
    }

    fn subnet_id(&self) -> &str {
        &self.id
    }
}

impl IpRule for VaultIpRule {
    fn allowing(ip: &str) -> Self {
        VaultIpRule {
            value: ip.trim().to_owned(),
        }
    }

    fn value(&self) -> &str {
        &self.value
    }
}
