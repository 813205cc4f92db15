//! The `amlsecure` provider: what it offers Terraform.

use std::sync::Arc;

use async_trait::async_trait;
use tfplugin::function::Function;
use tfplugin::schema::Schema;
use tfplugin::{Diagnostics, Provider, Value};

use crate::functions;

#[derive(Debug, Default)]
pub struct AmlSecure;

#[async_trait]
impl Provider for AmlSecure {
    fn schema(&self) -> Schema {
        crate::config::schema()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        functions::all()
    }

    async fn configure(&self, terraform_version: &str, _config: &Value) -> Diagnostics {
        tracing::debug!(terraform_version, "provider configured");
        Diagnostics::new()
    }
}
