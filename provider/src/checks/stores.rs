//! The storage accounts and key vault that compute of a workspace reaches, with their
//! firewalls, read from Azure for the firewall rules: ARM models in, rule inputs out.
//!
//! The workspace names its storage account and key vault; its datastores name the other
//! storage accounts its jobs read. The workspace and the datastore list are read at once,
//! then every store at once, so the reads cost two round trips beside the network's.

use futures_util::future::join_all;

use crate::arm::models::keyvault::Vault;
use crate::arm::models::ml::{Datastore, Workspace};
use crate::arm::models::storage::StorageAccount;
use crate::arm::models::{ListResult, PrivateEndpointConnection};
use crate::arm::{ArmClient, ArmError, CallContext, ResourceId, api_version};
use crate::rules::firewall::{Service, Store, StoreAccess, StoreUse};
use crate::rules::name_of_id;

/// The stores of a workspace that compute reaches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceStores {
    /// The workspace's storage account and key vault (those it names), then the storage
    /// accounts of its other datastores.
    pub stores: Vec<Store>,
    /// Why the datastores could not be listed, when they could not.
    pub datastores_unreadable: Option<String>,
}

/// Reads the stores of the workspace. Never fails: a store that cannot be read is
/// [`StoreAccess::Unreadable`], datastores that cannot be listed are said so, and a workspace
/// that cannot be read has no stores here (its caller reads and reports it: one cached GET).
pub async fn workspace_stores(
    arm: &ArmClient,
    ctx: &CallContext,
    workspace_id: &ResourceId,
) -> WorkspaceStores {
    let (workspace, datastores) = tokio::join!(
        arm.get_cached::<Workspace>(ctx, workspace_id.as_str(), api_version::MACHINE_LEARNING),
        datastores(arm, ctx, workspace_id),
    );
    let Ok(workspace) = workspace else {
        return WorkspaceStores::default();
    };
    let named = |id: &Option<String>| id.clone().filter(|id| !id.trim().is_empty());
    let storage_id = named(&workspace.properties.storage_account);
    let vault_id = named(&workspace.properties.key_vault);
    let default_account = storage_id.as_deref().map(name_of_id);
    let (accounts, datastores_unreadable) = match datastores {
        Ok(datastores) => (
            datastore_accounts(&datastores, workspace_id, default_account),
            None,
        ),
        Err(error) => (Vec::new(), Some(reason(&error))),
    };
    let (storage, vault, others) = tokio::join!(
        async {
            match storage_id {
                Some(id) => {
                    Some(storage_account(arm, ctx, &id, StoreUse::Workspace, workspace_id).await)
                }
                None => None,
            }
        },
        async {
            match vault_id {
                Some(id) => Some(key_vault(arm, ctx, &id).await),
                None => None,
            }
        },
        join_all(accounts.iter().map(|(id, names)| storage_account(
            arm,
            ctx,
            id,
            StoreUse::Datastores(names.clone()),
            workspace_id,
        )),),
    );
    WorkspaceStores {
        stores: storage.into_iter().chain(vault).chain(others).collect(),
        datastores_unreadable,
    }
}

/// `Datastores_List`: every datastore of the workspace (one cached page, or all pages).
async fn datastores(
    arm: &ArmClient,
    ctx: &CallContext,
    workspace_id: &ResourceId,
) -> Result<Vec<Datastore>, ArmError> {
    let path = format!("{}/datastores", workspace_id.as_str());
    let first: ListResult<Datastore> = arm
        .get_cached(ctx, &path, api_version::MACHINE_LEARNING)
        .await?;
    match first.next_link {
        None => Ok(first.value),
        // More than a page of datastores: rare enough to read all pages uncached.
        Some(_) => arm.list(ctx, &path, api_version::MACHINE_LEARNING).await,
    }
}

/// The storage accounts of the datastores that are not the workspace's default storage, by
/// ARM ID, each with the names of the datastores that read it, ordered by ID. A datastore
/// that names no resource group for its account cannot be looked up, and is left out.
fn datastore_accounts(
    datastores: &[Datastore],
    workspace_id: &ResourceId,
    default_account: Option<&str>,
) -> Vec<(String, Vec<String>)> {
    let mut accounts: Vec<(String, Vec<String>)> = Vec::new();
    for datastore in datastores {
        let properties = &datastore.properties;
        let Some(account) = datastore.storage_account() else {
            continue;
        };
        if properties.is_default == Some(true)
            || default_account.is_some_and(|d| d.eq_ignore_ascii_case(account))
        {
            continue;
        }
        let Some(group) = properties
            .resource_group
            .as_deref()
            .filter(|g| !g.is_empty())
        else {
            tracing::debug!(
                account,
                "datastore names no resource group; its firewall is not read"
            );
            continue;
        };
        let subscription = properties
            .subscription_id
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(workspace_id.subscription_id());
        let id = format!(
            "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/{account}"
        );
        let name = datastore.name.clone().unwrap_or_default();
        match accounts
            .iter_mut()
            .find(|(known, _)| known.eq_ignore_ascii_case(&id))
        {
            Some((_, names)) => names.push(name),
            None => accounts.push((id, vec![name])),
        }
    }
    accounts.sort_by_key(|(id, _)| id.to_ascii_lowercase());
    accounts
}

async fn storage_account(
    arm: &ArmClient,
    ctx: &CallContext,
    id: &str,
    usage: StoreUse,
    workspace_id: &ResourceId,
) -> Store {
    let read = arm
        .get_cached::<StorageAccount>(ctx, id, api_version::STORAGE)
        .await;
    let (access, private_endpoints, workspace_instance_rule, trusted_services) = match read {
        Ok(account) => {
            let p = &account.properties;
            let access = match &p.network_acls {
                _ if disabled(p.public_network_access.as_deref()) => {
                    StoreAccess::PublicAccessDisabled
                }
                Some(acls) if acls.default_action.eq_ignore_ascii_case("Deny") => {
                    StoreAccess::SelectedNetworks {
                        subnets: (acls.virtual_network_rules.iter().flatten())
                            .map(|r| r.id.clone())
                            .collect(),
                    }
                }
                _ => StoreAccess::Open,
            };
            let instance_rule = (p.network_acls.iter())
                .flat_map(|acls| acls.resource_access_rules.iter().flatten())
                .filter_map(|rule| rule.resource_id.as_deref())
                .any(|pattern| names_resource(pattern, workspace_id.as_str()));
            // ARM's default bypass is AzureServices.
            let trusted = (p.network_acls.as_ref())
                .and_then(|acls| acls.bypass.as_deref())
                .is_none_or(trusts_azure_services);
            (
                access,
                approved_endpoints(&p.private_endpoint_connections),
                instance_rule,
                trusted,
            )
        }
        Err(error) => (unreadable(&error), Vec::new(), false, true),
    };
    Store {
        service: Service::Storage,
        name: name_of_id(id).to_owned(),
        usage,
        access,
        private_endpoints,
        workspace_instance_rule,
        trusted_services,
        planned: None,
    }
}

async fn key_vault(arm: &ArmClient, ctx: &CallContext, id: &str) -> Store {
    let read = arm
        .get_cached::<Vault>(ctx, id, api_version::KEY_VAULT)
        .await;
    let (access, private_endpoints) = match read {
        Ok(vault) => {
            let p = &vault.properties;
            let access = match &p.network_acls {
                _ if disabled(p.public_network_access.as_deref()) => {
                    StoreAccess::PublicAccessDisabled
                }
                Some(acls)
                    if acls
                        .default_action
                        .as_deref()
                        .is_some_and(|a| a.eq_ignore_ascii_case("Deny")) =>
                {
                    StoreAccess::SelectedNetworks {
                        subnets: (acls.virtual_network_rules.iter().flatten())
                            .map(|r| r.id.clone())
                            .collect(),
                    }
                }
                _ => StoreAccess::Open,
            };
            (access, approved_endpoints(&p.private_endpoint_connections))
        }
        Err(error) => (unreadable(&error), Vec::new()),
    };
    Store {
        service: Service::KeyVault,
        name: name_of_id(id).to_owned(),
        usage: StoreUse::Workspace,
        access,
        private_endpoints,
        workspace_instance_rule: false,
        // Key Vault has no resource instance rules; its bypass is the firewall resource's.
        trusted_services: true,
        planned: None,
    }
}

/// Whether a `bypass` list (`Logging, Metrics, AzureServices`) names trusted services.
fn trusts_azure_services(bypass: &str) -> bool {
    bypass
        .split(',')
        .any(|b| b.trim().eq_ignore_ascii_case("AzureServices"))
}

/// The ARM IDs of the private endpoints whose connections the store approved.
fn approved_endpoints(connections: &[PrivateEndpointConnection]) -> Vec<String> {
    (connections.iter())
        .filter(|c| c.is_approved())
        .filter_map(|c| c.properties.as_ref()?.private_endpoint.as_ref())
        .map(|endpoint| endpoint.id.clone())
        .collect()
}

/// Whether a resource instance rule's `resourceId` names `id`: segment by segment, without
/// regard to case, where `*` stands for any one segment (Azure's wildcards for every
/// workspace of a group or subscription).
fn names_resource(pattern: &str, id: &str) -> bool {
    let segments = |text: &str| -> Vec<String> {
        text.trim_matches('/')
            .split('/')
            .map(str::to_ascii_lowercase)
            .collect()
    };
    let (pattern, id) = (segments(pattern), segments(id));
    pattern.len() == id.len() && pattern.iter().zip(&id).all(|(p, s)| p == "*" || p == s)
}

fn disabled(public_network_access: Option<&str>) -> bool {
    public_network_access.is_some_and(|a| a.eq_ignore_ascii_case("Disabled"))
}

fn unreadable(error: &ArmError) -> StoreAccess {
    StoreAccess::Unreadable {
        reason: if error.is_not_found() {
            "it does not exist".to_owned()
        } else {
            reason(error)
        },
    }
}

/// An ARM error code for messages, like `AuthorizationFailed`.
fn reason(error: &ArmError) -> String {
    error.code().unwrap_or("no answer").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::models::ml::DatastoreProperties;

    const WORKSPACE: &str = "/subscriptions/s1/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

    fn datastore(
        name: &str,
        kind: &str,
        account: Option<&str>,
        group: Option<&str>,
        default: bool,
    ) -> Datastore {
        Datastore {
            name: Some(name.into()),
            properties: DatastoreProperties {
                datastore_type: kind.into(),
                is_default: Some(default),
                account_name: account.map(str::to_owned),
                subscription_id: None,
                resource_group: group.map(str::to_owned),
            },
            ..Datastore::default()
        }
    }

    #[test]
    fn bypass_lists_name_trusted_services_in_any_place_or_case() {
        for (bypass, trusted) in [
            ("AzureServices", true),
            ("Logging, Metrics, AzureServices", true),
            ("logging,azureservices", true),
            ("Logging, Metrics", false),
            ("None", false),
        ] {
            assert_eq!(trusts_azure_services(bypass), trusted, "{bypass}");
        }
    }

    #[test]
    fn datastore_accounts_leave_out_the_default_storage_and_what_cannot_be_addressed() {
        let workspace = ResourceId::parse(WORKSPACE).unwrap();
        let mut elsewhere = datastore(
            "archive",
            "AzureBlob",
            Some("archive"),
            Some("other-rg"),
            false,
        );
        elsewhere.properties.subscription_id = Some("s2".into());
        let datastores = [
            datastore(
                "workspaceblobstore",
                "AzureBlob",
                Some("mlstore"),
                Some("ml-rg"),
                true,
            ),
            datastore(
                "workspacefilestore",
                "AzureFile",
                Some("MLSTORE"),
                Some("ml-rg"),
                false,
            ),
            datastore("sales", "AzureBlob", Some("data"), Some("data-rg"), false),
            datastore(
                "sales-files",
                "AzureFile",
                Some("Data"),
                Some("data-rg"),
                false,
            ),
            datastore(
                "lake",
                "AzureDataLakeGen2",
                Some("lake"),
                Some("data-rg"),
                false,
            ),
            datastore("gen1", "AzureDataLakeGen1", None, Some("data-rg"), false),
            datastore("fabric", "OneLake", None, None, false),
            datastore("no-group", "AzureBlob", Some("loose"), None, false),
            elsewhere,
        ];
        assert_eq!(
            datastore_accounts(&datastores, &workspace, Some("mlstore")),
            [
                (
                    "/subscriptions/s1/resourceGroups/data-rg/providers/Microsoft.Storage/storageAccounts/data".to_owned(),
                    vec!["sales".to_owned(), "sales-files".to_owned()]
                ),
                (
                    "/subscriptions/s1/resourceGroups/data-rg/providers/Microsoft.Storage/storageAccounts/lake".to_owned(),
                    vec!["lake".to_owned()]
                ),
                (
                    "/subscriptions/s2/resourceGroups/other-rg/providers/Microsoft.Storage/storageAccounts/archive".to_owned(),
                    vec!["archive".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn resource_instance_rules_name_the_workspace_or_every_workspace_of_a_scope() {
        for (pattern, expected) in [
            (WORKSPACE, true),
            (&WORKSPACE.to_uppercase(), true),
            (
                "/subscriptions/s1/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/*",
                true,
            ),
            (
                "/subscriptions/s1/resourcegroups/*/providers/Microsoft.MachineLearningServices/workspaces/*",
                true,
            ),
            (
                "/subscriptions/s1/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/other",
                false,
            ),
            (
                "/subscriptions/s2/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
                false,
            ),
            (
                "/subscriptions/s1/resourceGroups/ml-rg/providers/Microsoft.Synapse/workspaces/ws",
                false,
            ),
            ("/subscriptions/s1/resourceGroups/ml-rg", false),
        ] {
            assert_eq!(names_resource(pattern, WORKSPACE), expected, "{pattern}");
        }
    }

    #[test]
    fn only_approved_connections_are_ways_in() {
        let connection = |endpoint: &str, status: &str| -> PrivateEndpointConnection {
            serde_json::from_value(serde_json::json!({"properties": {
                "privateEndpoint": {"id": endpoint},
                "privateLinkServiceConnectionState": {"status": status}
            }}))
            .unwrap()
        };
        let connections = [
            connection("/pe/approved", "Approved"),
            connection("/pe/pending", "Pending"),
            connection("/pe/rejected", "Rejected"),
        ];
        assert_eq!(approved_endpoints(&connections), ["/pe/approved"]);
    }
}
