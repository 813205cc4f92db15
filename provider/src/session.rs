//! What `ConfigureProvider` sets up, and the helpers every resource and data source uses to
//! reach Azure through it.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tfplugin::Diagnostic;
use tfplugin::resource::Context;

use crate::arm::{ArmClient, ArmError, CallContext, ResourceId, cancel_on};
use crate::checks::Severities;
use crate::checks::planned::PlannedChanges;

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

    pub(crate) fn set_validated_severities(&self, severities: Severities) {
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

    pub(crate) fn set(&self, session: Session) {
        *self.session.write().expect("session lock poisoned") = Some(Arc::new(session));
    }
}

/// The session and its ARM client; an error while the provider configuration is unknown.
pub fn require_arm(slot: &SessionSlot) -> Result<(Arc<Session>, ArmClient), Diagnostic> {
    let session = slot.get()?;
    let arm = session.arm.clone().ok_or_else(|| {
        Diagnostic::error(
            "Azure access not configured",
            "The amlsecure provider configuration is still unknown, so Azure cannot be reached.",
        )
    })?;
    Ok((session, arm))
}

/// Parses an ARM ID that must name a resource of `full_type` (like
/// `Microsoft.Network/virtualNetworks/subnets`), with a message fit for a diagnostic.
pub fn parse_id(id: &str, full_type: &str) -> Result<ResourceId, String> {
    let parsed = ResourceId::parse(id).map_err(|e| e.to_string())?;
    if parsed.is_type(full_type) {
        Ok(parsed)
    } else {
        Err(format!(
            "{id:?} is the ID of a {}, but a {full_type} is needed here.",
            parsed
                .resource_type()
                .unwrap_or_else(|| "resource group or subscription".into())
        ))
    }
}

/// An ARM call's limits: the operation's timeout, and Terraform's stop request.
pub fn call_context(ctx: &Context, timeout: Duration) -> CallContext {
    let stop = ctx.stop.clone();
    CallContext::new(cancel_on(async move { stop.stopped().await })).with_timeout(timeout)
}

pub fn arm_diagnostic(summary: &str, error: &ArmError) -> Diagnostic {
    Diagnostic::error(summary, error.to_string())
}
