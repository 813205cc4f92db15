//! Managed resources and data sources, as a provider implements them.
//!
//! A resource implements [`Resource`]: its schema, and create, read, update and delete.
//! Optional capabilities are small add-on traits that a resource opts into by returning
//! itself from the matching accessor (e.g. [`Resource::import`]), the way
//! terraform-plugin-framework uses interface assertions.

use async_trait::async_trait;

use crate::diagnostics::{AttributePath, Diagnostics};
use crate::schema::Schema;
use crate::stop::StopSignal;
use crate::value::{Type, Value};

/// What every operation gets besides its values.
#[derive(Debug, Clone)]
pub struct Context {
    /// Fires when Terraform asks the provider to stop (Ctrl-C). Long operations should
    /// finish what cannot be left half done, record it, and return.
    pub stop: StopSignal,
}

/// The result of an operation that produces a new value.
#[derive(Debug)]
pub struct Outcome<T> {
    /// Present whenever anything was created or changed, even if the operation then
    /// failed: Terraform records it, so nothing that exists is forgotten.
    pub value: Option<T>,
    pub diagnostics: Diagnostics,
}

impl<T> Outcome<T> {
    pub fn ok(value: T) -> Outcome<T> {
        Outcome {
            value: Some(value),
            diagnostics: Diagnostics::new(),
        }
    }

    pub fn failed(diagnostics: impl Into<Diagnostics>) -> Outcome<T> {
        Outcome {
            value: None,
            diagnostics: diagnostics.into(),
        }
    }

    /// No value and no error: from [`Resource::read`], the object no longer exists.
    pub fn gone() -> Outcome<T> {
        Outcome::failed(Diagnostics::new())
    }
}

/// A state and the private bytes stored beside it (never shown to users).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub state: Value,
    pub private: Vec<u8>,
}

impl Stored {
    pub fn new(state: Value) -> Stored {
        Stored {
            state,
            private: Vec::new(),
        }
    }
}

/// A planned change, before the provider has looked at it.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// Null when the resource is being created.
    pub prior: Stored,
    /// Terraform's proposal: configuration merged over the prior state, with computed
    /// attributes the provider must settle (see [`Plan::planned`]).
    pub proposed: Value,
    pub config: Value,
}

/// The provider's plan: the state it expects after apply, with unknowns where it cannot say.
#[derive(Debug, Clone)]
pub struct Plan {
    pub planned: Value,
    pub private: Vec<u8>,
    /// Attributes whose change forces the resource to be replaced.
    pub requires_replace: Vec<AttributePath>,
}

#[derive(Debug, Clone)]
pub struct ApplyRequest {
    /// Null when creating.
    pub prior: Stored,
    pub planned: Value,
    pub planned_private: Vec<u8>,
    /// Includes write-only attributes, which never reach `planned`.
    pub config: Value,
}

#[async_trait]
pub trait Resource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Checks configuration without credentials or network (`terraform validate`).
    /// Values may be unknown: a check that needs them must wait for plan or apply.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn create(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored>;

    /// Reads the real object. [`Outcome::gone`] (no value, no errors) means it no longer
    /// exists, and Terraform plans to create it again.
    async fn read(&self, ctx: &Context, current: Stored) -> Outcome<Stored>;

    async fn update(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored>;

    async fn delete(&self, ctx: &Context, prior: Stored) -> Diagnostics;

    /// Adjusts plans beyond the default (see [`ModifyPlan`]).
    fn modify_plan(&self) -> Option<&dyn ModifyPlan> {
        None
    }

    /// Adopts existing objects with `terraform import` (see [`ImportState`]).
    fn import(&self) -> Option<&dyn ImportState> {
        None
    }

    /// Rewrites state stored by older schema versions (see [`UpgradeState`]).
    fn upgrade_state(&self) -> Option<&dyn UpgradeState> {
        None
    }

    /// Identifies instances for import blocks and list resources (see [`Identity`]).
    fn identity(&self) -> Option<&dyn Identity> {
        None
    }

    /// Finds existing instances for `terraform query` (see [`ListResource`]); needs
    /// [`Resource::identity`].
    fn list(&self) -> Option<&dyn ListResource> {
        None
    }
}

/// Plans with more knowledge than "configuration over prior state": replacements, values
/// known before apply, and checks that need the network.
#[async_trait]
pub trait ModifyPlan: Send + Sync {
    /// `plan` arrives with the default plan filled in. Errors stop the plan.
    async fn modify_plan(
        &self,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics;
}

#[async_trait]
pub trait ImportState: Send + Sync {
    /// Turns the ID a user gave `terraform import` into a state that `read` can complete.
    async fn import_state(&self, ctx: &Context, id: &str) -> Outcome<Stored>;
}

pub trait UpgradeState: Send + Sync {
    /// Upgrades JSON state written with schema `version` to the current schema.
    fn upgrade_state(&self, version: i64, json: &serde_json::Value) -> Outcome<Value>;
}

/// Resource identity (Terraform 1.12+): the few attributes that name an instance.
pub trait Identity: Send + Sync {
    fn identity_schema(&self) -> IdentitySchema;
    /// The identity of an instance, from its state.
    fn identity_of(&self, state: &Value) -> Value;
    /// The import ID naming the same instance as `identity` (an `import` block that gives
    /// `identity` instead of `id`), or `None` when the identity is incomplete.
    fn import_id(&self, identity: &Value) -> Option<String>;
}

#[derive(Debug, Clone)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

#[derive(Debug, Clone)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required_for_import: bool,
}

impl IdentitySchema {
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name.as_str(), a.ty.clone())),
        )
    }
}

/// A list resource (Terraform 1.14+): the `list` blocks of `.tfquery.hcl` files find
/// existing instances of the resource type of the same name, which `terraform query
/// -generate-config-out` turns into import blocks and configuration.
#[async_trait]
pub trait ListResource: Send + Sync {
    /// The schema of a `list` block's `config` block.
    fn list_schema(&self) -> Schema;

    /// Checks the `config` block without credentials or network.
    async fn validate_list(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Finds the instances `config` selects, at most `limit` of them. Each carries its whole
    /// state, as [`Resource::read`] would give it after an import: its identity is derived
    /// from it, and Terraform generates configuration from it.
    async fn list(&self, ctx: &Context, request: ListRequest) -> Outcome<Vec<Listed>>;
}

#[derive(Debug, Clone)]
pub struct ListRequest {
    pub config: Value,
    /// Whether Terraform wants each instance's state (for `-generate-config-out`, or
    /// `include_resource = true`), or only identities and names.
    pub include_resource_object: bool,
    pub limit: i64,
}

/// One instance a list resource found.
#[derive(Debug, Clone)]
pub struct Listed {
    /// A short name for people (`terraform query` prints it).
    pub display_name: String,
    pub state: Value,
    /// Warnings about this instance (errors stop the whole query).
    pub diagnostics: Diagnostics,
}

/// A read-only lookup (`data` block).
#[async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn read(&self, ctx: &Context, config: Value) -> Outcome<Value>;
}
