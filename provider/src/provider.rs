//! The `amlsecure` provider: what it offers Terraform, and the session its resources share.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use tfplugin::function::Function;
use tfplugin::resource::{DataSource, Resource};
use tfplugin::schema::Schema;
use tfplugin::value::Field;
use tfplugin::{Diagnostic, Diagnostics, Provider, Value};

use crate::arm::{
    self, ArmClient, ArmClientOptions, ArmSettings, AuthSettings, Cloud, HttpSettings, Secret,
};
use crate::checks::DisabledRules;
use crate::config::Settings;
use crate::planned::PlannedChanges;
use crate::{data_sources, functions, resources};

#[derive(Debug, Default)]
pub struct AmlSecure {
    session: SessionSlot,
}

/// What `ConfigureProvider` set up, shared by every resource of this provider process.
#[derive(Debug)]
pub struct Session {
    /// `None` while part of the provider configuration is unknown (it comes from resources
    /// not yet created): checks that read Azure then wait for apply.
    pub arm: Option<ArmClient>,
    pub disabled_rules: DisabledRules,
    /// What this process's resources have planned so far (see [`PlannedChanges`]).
    pub planned: PlannedChanges,
    /// The provider's `subscription_id`, for reads not tied to a resource ID (service tags).
    pub subscription_id: Option<String>,
}

/// Where resources find the session once Terraform has configured the provider.
#[derive(Debug, Clone, Default)]
pub struct SessionSlot(Arc<RwLock<Option<Arc<Session>>>>);

impl SessionSlot {
    pub fn get(&self) -> Result<Arc<Session>, Diagnostic> {
        self.0
            .read()
            .expect("session lock poisoned")
            .clone()
            .ok_or_else(|| {
                Diagnostic::error(
                    "Provider not configured",
                    "Terraform did not configure the amlsecure provider before using it. This is a bug; please report it.",
                )
            })
    }

    fn set(&self, session: Session) {
        *self.0.write().expect("session lock poisoned") = Some(Arc::new(session));
    }
}

#[async_trait]
impl Provider for AmlSecure {
    fn schema(&self) -> Schema {
        crate::config::schema()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        resources::all(&self.session)
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        data_sources::all(&self.session)
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::all()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        Settings::read(config, |key| std::env::var(key).ok()).1
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
            let user_agent = user_agent_suffix(
                terraform_version,
                std::env::var("TF_APPEND_USER_AGENT").ok(),
            );
            match arm_settings(&settings, user_agent).and_then(|s| arm::connect(&s)) {
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
            disabled_rules: settings.disabled_rules,
            planned: PlannedChanges::default(),
            subscription_id: settings.subscription_id.known(),
        });
        diagnostics
    }
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

/// ARM client settings from the provider block: cloud, endpoint overrides, credentials,
/// and extra CA certificates from `SSL_CERT_FILE`.
fn arm_settings(
    settings: &Settings,
    user_agent_suffix: String,
) -> Result<ArmSettings, arm::ArmError> {
    let known = |field: &Field<String>| field.clone().known();
    let mut cloud = match known(&settings.environment) {
        Some(name) => Cloud::from_name(&name)?,
        None => Cloud::public(),
    };
    let url = |text: String, what: &str| {
        text.parse().map_err(|e| arm::ArmError::Config {
            message: format!("{what} {text:?} is not a URL: {e}"),
        })
    };
    if let Some(endpoint) = known(&settings.resource_manager_endpoint) {
        cloud = cloud.with_resource_manager(url(endpoint, "resource_manager_endpoint")?);
    }
    if let Some(authority) = known(&settings.authority_host) {
        cloud = cloud.with_authority_host(url(authority, "authority_host")?);
    }
    Ok(ArmSettings {
        cloud,
        auth: AuthSettings {
            tenant_id: known(&settings.tenant_id),
            client_id: known(&settings.client_id),
            client_secret: known(&settings.client_secret).map(Secret::new),
            use_msi: settings.use_msi.clone().known().unwrap_or(false),
            use_oidc: settings.use_oidc.clone().known().unwrap_or(false),
            oidc_token_file_path: known(&settings.oidc_token_file_path).map(Into::into),
            use_cli: settings.use_cli.clone().known().unwrap_or(true),
        },
        http: HttpSettings::from_env(),
        client: ArmClientOptions {
            user_agent_suffix: Some(user_agent_suffix),
            ..ArmClientOptions::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
