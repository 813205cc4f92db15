//! The acceptance tests: real Terraform driving the freshly built provider against the ARM
//! emulator. One test binary, so `cargo test` links once and runs every file's tests side by
//! side (most of their time is spent waiting on Terraform and long-running operations).

mod aks_attachment;
mod arm_behaviour;
mod attachments;
mod bad_values;
mod compute_cluster;
mod data_sources;
mod emulator_arm;
mod examples;
mod firewall_rules;
mod forced_tunneling;
mod functions;
mod guidance;
mod nsg_rules;
mod plan_across_resources;
mod query;
mod release;
mod secure_workspace;
mod seed_rules;
mod sign_in;
