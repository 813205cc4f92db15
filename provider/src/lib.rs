//! The `amlsecure` Terraform provider: Azure Machine Learning network rules, checked at plan.
//!
//! Layers, each knowing nothing of the ones above it:
//! - [`tfplugin`] (the `proto/` crate): the Terraform plugin protocol. Knows nothing of Azure.
//! - [`network`] and [`rules`]: pure address arithmetic and the seed guidance's rules. No IO.
//! - [`functions`]: provider-defined functions, thin glue from the protocol to the rules.
//! - [`arm`]: the Azure Resource Manager client (auth, retries, LRO, read cache, models).
//!   Knows nothing of Terraform.
//! - [`checks`]: rule findings as diagnostics, minus the rules a user switched off.
//! - [`planned`]: what this process's resources have planned, for checks across resources.
//! - [`stores`] and [`policies`]: the workspace's storage and key vault, and the Azure Policy
//!   assignments in force, read for the checks; [`server_certificate`] reads the PEM
//!   certificate and key the SSL rules look at.

pub mod arm;
pub mod checks;
pub mod config;
pub mod data_sources;
pub mod functions;
pub mod policies;
pub mod provider;
pub mod resources;
pub mod rules;
pub mod server_certificate;
pub mod session;
pub mod stores;
