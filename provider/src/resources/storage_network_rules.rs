//! `amlsecure_workspace_storage_network_rules`: the workspace's storage account behind
//! "selected networks", the compute subnets let through, trusted Microsoft services allowed
//! (seed section "Use a storage account for your workspace"; REFERENCE §9.1, §10 rule 13).
//! The logic is shared with the key vault's in [`super::firewall`].

use crate::arm::api_version;
use crate::arm::models::storage::{
    StorageAccount, StorageIpRule, StorageNetworkRuleSet, StorageVirtualNetworkRule,
};
use crate::rules::firewall as rules;

use super::firewall::{Firewall, IpRule, RuleSet, Service, SubnetRule, ip_key};

pub const TYPE_NAME: &str = "amlsecure_workspace_storage_network_rules";

pub type StorageNetworkRules = Firewall<Storage>;

pub struct Storage;

impl Service for Storage {
    type Target = StorageAccount;
    type Acls = StorageNetworkRuleSet;

    const TYPE_NAME: &'static str = TYPE_NAME;
    const KIND: rules::Service = rules::Service::Storage;
    const TARGET_TYPE: &'static str = "Microsoft.Storage/storageAccounts";
    const TARGET_ATTRIBUTE: &'static str = "storage_account_id";
    const API_VERSION: &'static str = api_version::STORAGE;
    const CHECKS_INFERENCE: bool = true;
    const ALLOWS_HOST_PREFIXES: bool = false;
    const DESCRIPTION: &'static str = "Puts the storage account of an Azure Machine Learning workspace behind its firewall's \"selected networks\": default action `Deny`, the compute subnets as virtual-network rules, trusted Microsoft services let through, optional IP rules. It owns only the rules it declares, reports drift on refresh, and destroy puts the firewall back as it found it. `terraform plan` checks each subnet has the `Microsoft.Storage` service endpoint and that the workspace serves no inference from AKS, whose storage must stay open.";
    const IP_RULES_DESCRIPTION: &'static str = "Public IPv4 addresses or CIDR ranges let through, like `203.0.113.7` or `203.0.113.0/24` (storage refuses `/31` and `/32`: write the address alone).";

    fn acls(account: &StorageAccount) -> Option<StorageNetworkRuleSet> {
        account.properties.network_acls.clone()
    }
}

impl RuleSet for StorageNetworkRuleSet {
    type SubnetRule = StorageVirtualNetworkRule;
    type IpRule = StorageIpRule;

    fn allow_all() -> Self {
        StorageNetworkRuleSet {
            bypass: Some("AzureServices".into()),
            resource_access_rules: None,
            virtual_network_rules: Some(Vec::new()),
            ip_rules: Some(Vec::new()),
            default_action: "Allow".into(),
        }
    }

    fn default_action(&self) -> &str {
        if self.default_action.is_empty() {
            "Allow"
        } else {
            &self.default_action
        }
    }

    fn set_default_action(&mut self, action: &str) {
        self.default_action = action.to_owned();
    }

    fn bypass(&self) -> Option<&str> {
        self.bypass.as_deref()
    }

    fn set_bypass(&mut self, bypass: Option<String>) {
        self.bypass = bypass;
    }

    fn subnet_rules(&self) -> Option<&Vec<StorageVirtualNetworkRule>> {
        self.virtual_network_rules.as_ref()
    }

    fn subnet_rules_mut(&mut self) -> &mut Option<Vec<StorageVirtualNetworkRule>> {
        &mut self.virtual_network_rules
    }

    fn ip_rules(&self) -> Option<&Vec<StorageIpRule>> {
        self.ip_rules.as_ref()
    }

    fn ip_rules_mut(&mut self) -> &mut Option<Vec<StorageIpRule>> {
        &mut self.ip_rules
    }
}

impl SubnetRule for StorageVirtualNetworkRule {
    fn allowing(id: &str) -> Self {
        StorageVirtualNetworkRule {
            id: id.to_owned(),
            action: Some("Allow".into()),
            state: None,
        }
    }

    fn subnet_id(&self) -> &str {
        &self.id
    }
}

impl IpRule for StorageIpRule {
    fn allowing(ip: &str) -> Self {
        StorageIpRule {
            value: ip_key(ip),
            action: Some("Allow".into()),
        }
    }

    fn value(&self) -> &str {
        &self.value
    }
}
