//! Network security groups: how Azure evaluates one, and what Azure's guidance asks of the NSGs
//! in front of the compute, in the order a reader needs them:
//!
//! - [`evaluation`]: the model: an NSG's rules, the traffic asked about, and how Azure decides
//!   it (priorities, its default rules, service tags, and *perhaps* matches that make an
//!   outcome uncertain). Re-exported here: `nsg::evaluate`, `nsg::Traffic`, ...
//! - [`seed`]: the rules of the 2019 seed guidance (`guidance = "2019"`; those of AKS and
//!   attached machines apply under both profiles).
//! - [`current`]: a compute cluster's subnet NSG under today's guidance (`guidance = "current"`).
//! - [`rule_set`]: the rule set `amlsecure_compute_network_security_rules` writes under either.

pub mod current;
pub mod evaluation;
pub mod rule_set;
pub mod seed;
#[cfg(test)]
mod testing;

pub use evaluation::*;
