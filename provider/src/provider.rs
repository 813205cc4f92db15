//! The `amlsecure` provider: what it offers Terraform, and the session its resources share.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use tfplugin::function::Function;
use tfplugin::resource::{DataSource, Resource};
use tfplugin::schema::Schema;
use tfplugin::{Diagnostic, Diagnostics, Provider, Value};

use crate::arm::{self, ArmClient};
use crate::checks::Severities;
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
    /// Each rule's level, as `rule_severity` and `disabled_rules` set them.
    pub severities: Severities,
    /// What this process's resources have planned so far (see [`PlannedChanges`]).
    pub planned: PlannedChanges,
    /// The provider's `subscription_id`, for reads not tied to a resource ID (service tags).
    pub subscription_id: Option<String>,
}

/// Where resources find the session once Terraform has configured the provider, and the
/// rules' levels once it has validated the provider block (`terraform validate` configures
/// nothing, yet resources check rules then).
#[derive(Debug, Clone, Default)]
pub struct SessionSlot {
    session: Arc<RwLock<Option<Arc<Session>>>>,
    validated_severities: Arc<RwLock<Severities>>,
}

impl SessionSlot {
    /// The rules' levels: the configured session's, else the validated provider block's,
    /// else the rules' own.
    pub fn severities(&self) -> Severities {
        match self.get() {
            Ok(session) => session.severities.clone(),
            Err(_) => self
                .validated_severities
                .read()
                .expect("severities lock poisoned")
                .clone(),
        }
    }

    fn set_validated_severities(&self, severities: Severities) {
        *self
            .validated_severities
            .write()
            .expect("severities lock poisoned") = severities;
    }

    pub fn get(&self) -> Result<Arc<Session>, Diagnostic> {
        self.session
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
        *self.session.write().expect("session lock poisoned") = Some(Arc::new(session));
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
