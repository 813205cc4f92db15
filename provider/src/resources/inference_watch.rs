//! Rule AMLS403 across two resources: a configuration that both attaches AKS inference
//! compute to a workspace and locks the workspace's storage down fails, whichever is planned
//! second. The storage firewall notes its side in `firewall.rs`; this wrapper notes the
//! inference side for the resource that creates inference computes.

use async_trait::async_trait;
use tfplugin::resource::{
    ApplyRequest, Context, Identity, ImportState, ListResource, ModifyPlan, Outcome, Plan,
    PlanRequest, Resource, Stored, UpgradeState,
};
use tfplugin::schema::Schema;
use tfplugin::value::Field;
use tfplugin::{Diagnostics, Value};

use super::firewall::WORKSPACE;
use crate::rules::Profile;
use crate::rules::firewall as rules;
use crate::session::SessionSlot;

/// Wraps the resource that creates inference computes (`amlsecure_aks_attachment`) so that
/// its plans take part in AMLS403: a configuration that both attaches AKS inference compute
/// to a workspace and locks the workspace's storage down fails, whichever is planned second.
pub struct InferenceWatch<R: Resource> {
    inner: R,
    session: SessionSlot,
}

impl<R: Resource> InferenceWatch<R> {
    pub fn new(inner: R, session: SessionSlot) -> InferenceWatch<R> {
        InferenceWatch { inner, session }
    }
}

#[async_trait]
impl<R: Resource> Resource for InferenceWatch<R> {
    fn type_name(&self) -> &'static str {
        self.inner.type_name()
    }

    fn schema(&self) -> Schema {
        self.inner.schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        self.inner.validate(config).await
    }

    async fn create(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        self.inner.create(ctx, request).await
    }

    async fn read(&self, ctx: &Context, current: Stored) -> Outcome<Stored> {
        self.inner.read(ctx, current).await
    }

    async fn update(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        self.inner.update(ctx, request).await
    }

    async fn delete(&self, ctx: &Context, prior: Stored) -> Diagnostics {
        self.inner.delete(ctx, prior).await
    }

    fn modify_plan(&self) -> Option<&dyn ModifyPlan> {
        Some(self)
    }

    fn import(&self) -> Option<&dyn ImportState> {
        self.inner.import()
    }

    fn upgrade_state(&self) -> Option<&dyn UpgradeState> {
        self.inner.upgrade_state()
    }

    fn identity(&self) -> Option<&dyn Identity> {
        self.inner.identity()
    }

    fn list(&self) -> Option<&dyn ListResource> {
        self.inner.list()
    }
}

#[async_trait]
impl<R: Resource> ModifyPlan for InferenceWatch<R> {
    async fn modify_plan(
        &self,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        let mut diagnostics = match self.inner.modify_plan() {
            Some(inner) => inner.modify_plan(ctx, request, plan).await,
            None => Diagnostics::new(),
        };
        if diagnostics.has_errors() {
            return diagnostics;
        }
        let (Field::Known(workspace_id), Field::Known(name)) = (
            plan.planned.str_field(WORKSPACE),
            plan.planned.str_field("name"),
        ) else {
            return diagnostics;
        };
        if let Ok(session) = self.session.get()
            && session.severities.profile() == Profile::Seed
            && let Some(storage) = session.planned.note_inference(&workspace_id, &name)
        {
            diagnostics.extend(session.severities.diagnose(
                rules::check_restricted_storage_for_inference(&storage, &name, WORKSPACE),
            ));
        }
        diagnostics
    }
}
