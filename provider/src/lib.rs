//! The `amlsecure` Terraform provider: Azure Machine Learning network rules, checked at plan.
//!
//! Layers, each knowing nothing of the ones above it:
//! - [`tfplugin`] (the `proto/` crate): the Terraform plugin protocol. Knows nothing of Azure.
//! - [`network`] and [`rules`]: pure address arithmetic and the seed guidance's rules. No IO.
//!   [`server_certificate`] reads the PEM certificates the SSL rules look at, also without IO.
//! - [`functions`]: provider-defined functions, thin glue from the protocol to the rules.
//! - [`arm`]: the Azure Resource Manager client (auth, retries, LRO, read cache, models).
//!   Knows nothing of Terraform.
//! - [`checks`]: rule findings as diagnostics, minus the rules a user switched off.
//! - [`planned`]: what this process's resources have planned, for checks across resources.
//! - [`facts`], [`stores`] and [`policies`]: what the rules need, read from Azure through
//!   [`arm`].

pub mod arm;
pub mod checks;
pub mod config;
pub mod data_sources;
pub mod facts;
pub mod functions;
pub mod network;
pub mod network_rules;
pub mod planned;
pub mod policies;
pub mod provider;
pub mod resources;
pub mod rules;
pub mod server_certificate;
pub mod service_tags;
pub mod session;
pub mod stores;
