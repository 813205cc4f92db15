//! Data sources: read-only looks at the network, one per file, sharing the session's
//! helpers ([`crate::session`]) and the rule runner ([`crate::checks::run`]).

pub mod network_check;
pub mod service_tag;
pub mod subnet_capacity;

use std::time::Duration;

use tfplugin::value::Field;
use tfplugin::{AttributePath, Diagnostic, Value};

use crate::session::parse_id;

pub const WORKSPACE_TYPE: &str = "Microsoft.MachineLearningServices/workspaces";
pub const SUBNET_TYPE: &str = "Microsoft.Network/virtualNetworks/subnets";

/// How long a data source may spend reading Azure.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// An error at `attribute` when it holds a known ID that is not of `full_type`.
fn id_problem(config: &Value, attribute: &str, full_type: &str) -> Option<Diagnostic> {
    let Field::Known(id) = config.str_field(attribute) else {
        return None;
    };
    let message = parse_id(&id, full_type).err()?;
    let summary = if full_type == SUBNET_TYPE {
        "Invalid subnet ID"
    } else {
        "Invalid workspace ID"
    };
    Some(Diagnostic::error(summary, message).at(AttributePath::attribute(attribute)))
}

/// An error at `max_nodes` when it is known and below 1.
fn max_nodes_problem(config: &Value) -> Option<Diagnostic> {
    match config.i64_field("max_nodes") {
        Field::Known(max) if max < 1 => Some(
            Diagnostic::error(
                "Invalid node count",
                format!("max_nodes is {max}; a cluster needs at least 1."),
            )
            .at(AttributePath::attribute("max_nodes")),
        ),
        _ => None,
    }
}
