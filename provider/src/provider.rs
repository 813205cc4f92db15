//! The `amlsecure` provider: what it offers Terraform, and how it sets up the session its
//! resources and data sources share.

use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::function::Function;
use tfplugin::resource::{DataSource, Resource};
use tfplugin::schema::Schema;
use tfplugin::{Diagnostic, Diagnostics, Provider, Value};

use crate::arm;
use crate::checks::planned::PlannedChanges;
use crate::config::Settings;
use crate::session::{Session, SessionSlot};
use crate::{data_sources, functions, resources};

#[derive(Debug, Default)]
pub struct AmlSecure {
    session: SessionSlot,
}

#[async_trait]
impl Provider for AmlSecure {
    fn schema(&self) -> Schema {
        crate::config::schema()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        resources(&self.session)
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        data_sources(&self.session)
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::all()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let (settings, diagnostics) = Settings::read(config, |key| std::env::var(key).ok());
        self.session.set_validated_severities(settings.severities);
        diagnostics
    }

    async fn configure(&self, terraform_version: &str, config: &Value) -> Diagnostics {
        tracing::debug!(terraform_version, "configuring the provider");
        let (settings, mut diagnostics) = Settings::read(config, |key| std::env::var(key).ok());
        if diagnostics.has_errors() {
            return diagnostics;
        }
        let arm = if settings.has_unknowns() {
            diagnostics.warning(
                "Azure checks wait for apply",
                "Part of the amlsecure provider configuration comes from resources not created yet, so checks that read Azure (subnet capacity, NSG rules, routes, placement) cannot run during this plan. They run at apply, before anything is changed.",
            );
            None
        } else {
            let connected = match settings.arm_settings(|key| std::env::var(key).ok()) {
                Ok(mut arm_settings) => {
                    arm_settings.client.user_agent_suffix = Some(user_agent_suffix(
                        terraform_version,
                        std::env::var("TF_APPEND_USER_AGENT").ok(),
                    ));
                    arm::connect(&arm_settings).await
                }
                Err(error) => Err(error),
            };
            match connected {
                Ok(client) => Some(client),
                Err(error) => {
                    diagnostics.push(Diagnostic::error(
                        "Cannot set up Azure access",
                        error.to_string(),
                    ));
                    return diagnostics;
                }
            }
        };
        self.session.set(Session {
            arm,
            subscription_id: settings.string("subscription_id").known(),
            severities: settings.severities,
            planned: PlannedChanges::default(),
        });
        diagnostics
    }
}

/// Every managed resource, each sharing the session.
fn resources(session: &SessionSlot) -> Vec<Arc<dyn Resource>> {
    vec![
        // Wrapped so its plans take part in rule AMLS403 (see `resources::inference_watch`).
        Arc::new(resources::inference_watch::InferenceWatch::new(
            resources::aks_attachment::AksAttachment::new(session.clone()),
            session.clone(),
        )),
        Arc::new(resources::compute_cluster::ComputeCluster::new(
            session.clone(),
        )),
        Arc::new(resources::storage_network_rules::StorageNetworkRules::new(
            session.clone(),
        )),
        Arc::new(resources::key_vault_network_rules::KeyVaultNetworkRules::new(session.clone())),
        Arc::new(resources::nsg_rules::ComputeNetworkSecurityRules::new(
            session.clone(),
        )),
        Arc::new(resources::forced_tunneling_routes::ForcedTunnelingRoutes::new(session.clone())),
        Arc::new(resources::vm_attachment::VmAttachment::new(session.clone())),
        Arc::new(resources::hdinsight_attachment::HdInsightAttachment::new(
            session.clone(),
        )),
    ]
}

/// Every data source, each sharing the session.
fn data_sources(session: &SessionSlot) -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(data_sources::network_check::NetworkCheck::new(
            session.clone(),
        )),
        Arc::new(data_sources::subnet_capacity::SubnetCapacity::new(
            session.clone(),
        )),
        Arc::new(data_sources::service_tag::ServiceTagSource::new(
            session.clone(),
        )),
    ]
}

/// What follows the provider's name and version in the User-Agent of its requests to Azure:
/// Terraform's version, then `TF_APPEND_USER_AGENT` (as other Azure providers honour it).
fn user_agent_suffix(terraform_version: &str, append: Option<String>) -> String {
    let terraform_version = terraform_version.trim();
    let mut suffix = format!(
        "Terraform/{}",
        if terraform_version.is_empty() {
            "unknown"
        } else {
            terraform_version
        }
    );
    if let Some(extra) = append.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        suffix.push(' ');
        suffix.push_str(extra);
    }
    suffix
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name an attribute or block of `block` (and of its nested blocks) uses more than
    /// once, as `path.name`.
    fn repeated_names(block: &tfplugin::schema::Block, path: &str) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        let names = (block.attributes.iter().map(|a| a.name.as_str()))
            .chain(block.blocks.iter().map(|b| b.type_name.as_str()));
        let mut repeated: Vec<String> = names
            .filter(|name| !seen.insert(*name))
            .map(|name| format!("{path}.{name}"))
            .collect();
        for nested in &block.blocks {
            repeated.extend(repeated_names(
                &nested.block,
                &format!("{path}.{}", nested.type_name),
            ));
        }
        repeated
    }

    #[test]
    fn no_schema_declares_a_name_twice() {
        let session = SessionSlot::default();
        let mut repeated = Vec::new();
        for resource in resources(&session) {
            repeated.extend(repeated_names(
                &resource.schema().block,
                resource.type_name(),
            ));
        }
        for data_source in data_sources(&session) {
            repeated.extend(repeated_names(
                &data_source.schema().block,
                data_source.type_name(),
            ));
        }
        assert_eq!(repeated, Vec::<String>::new());
    }

    #[test]
    fn user_agent_names_terraform_and_what_the_user_appends() {
        assert_eq!(user_agent_suffix("1.15.5", None), "Terraform/1.15.5");
        assert_eq!(
            user_agent_suffix("1.15.5", Some(" pipeline/7 ".into())),
            "Terraform/1.15.5 pipeline/7"
        );
        assert_eq!(user_agent_suffix("", Some(" ".into())), "Terraform/unknown");
    }
}
