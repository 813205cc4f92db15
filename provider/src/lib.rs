//! The `amlsecure` Terraform provider: Azure Machine Learning network rules, checked at plan.
//!
//! Layers, each knowing nothing of the ones above it (see ARCHITECTURE.md):
//! - [`tfplugin`] (the `proto/` crate): the Terraform plugin protocol. Knows nothing of Azure.
//! - [`arm`]: the Azure Resource Manager client (auth, retries, LRO, read cache, models).
//!   Knows nothing of Terraform.
//! - [`rules`]: address arithmetic and the rules of Azure's guidance, 2019's and today's (the
//!   `guidance` profiles), pure. No IO.
//! - [`checks`]: the rules run against Azure (facts read through [`arm`], what this plan
//!   creates, the configured certificate), findings as diagnostics at the user's levels.
//! - [`config`], [`session`], [`provider`]: the provider block and what it sets up.
//! - [`resources`], [`data_sources`], [`functions`]: thin glue, one Terraform type per file.

pub mod arm;
pub mod checks;
pub mod config;
pub mod data_sources;
pub mod functions;
pub mod provider;
pub mod resources;
pub mod rules;
pub mod session;
