//! The `amlsecure` Terraform provider: Azure Machine Learning network rules, checked at plan.
//!
//! Layers, each knowing nothing of the ones above it:
//! - [`tfplugin`] (the `proto/` crate): the Terraform plugin protocol. Knows nothing of Azure.
//! - [`rules`]: pure address arithmetic and the rules of Azure's guidance, 2019's and today's
//!   (the `guidance` profiles). No IO.
//! - [`functions`]: provider-defined functions, thin glue from the protocol to the rules.
//! - [`arm`]: the Azure Resource Manager client (auth, retries, LRO, read cache, models).
//!   Knows nothing of Terraform.
//! - [`checks`]: the rules run against Azure and what this plan will create, findings as
//!   diagnostics at the levels the user set.
//! - [`config`], [`session`], [`provider`]: the provider block, what configuring it sets up,
//!   and what the provider offers; [`resources`] and [`data_sources`] are the glue above them.

pub mod arm;
pub mod checks;
pub mod config;
pub mod data_sources;
pub mod functions;
pub mod provider;
pub mod resources;
pub mod rules;
pub mod session;
