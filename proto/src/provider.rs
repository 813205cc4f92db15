//! What a provider implements to be served: its configuration, and its resources, data
//! sources and functions.

use std::sync::Arc;

use async_trait::async_trait;

use crate::diagnostics::Diagnostics;
use crate::function::Function;
use crate::resource::{DataSource, Resource};
use crate::schema::Schema;
use crate::value::Value;

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider block's schema.
    fn schema(&self) -> Schema;

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        Vec::new()
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        Vec::new()
    }

    /// Checks the provider block without contacting anything (`terraform validate`).
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Prepares for resource operations; called once per Terraform run, before them.
    /// Parts of `config` may be unknown when they come from resources not yet created.
    async fn configure(&self, terraform_version: &str, config: &Value) -> Diagnostics;
}
