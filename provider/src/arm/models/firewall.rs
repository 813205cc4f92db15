//! What a storage account's and a key vault's firewalls share on the wire.

use serde::{Deserialize, Serialize};

/// Body of a `PATCH` of a storage account or a vault that changes only its firewall, `A`
/// being the service's `NetworkRuleSet`. `networkAcls` is replaced whole: read, modify,
/// write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkAclsPatch<A> {
    pub properties: NetworkAclsPatchProperties<A>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkAclsPatchProperties<A> {
    pub network_acls: A,
}

impl<A> NetworkAclsPatch<A> {
    pub fn new(network_acls: A) -> NetworkAclsPatch<A> {
        NetworkAclsPatch {
            properties: NetworkAclsPatchProperties { network_acls },
        }
    }
}
