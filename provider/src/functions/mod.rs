//! Provider-defined functions: Azure network arithmetic for any configuration, called as
//! `provider::amlsecure::NAME(...)` (Terraform 1.8+). Each is thin glue over
//! [`crate::rules::addresses`] and [`crate::rules`].

mod aks_network_findings;
mod cidrs_overlap;
mod usable_ips;

use std::sync::Arc;

use ipnet::Ipv4Net;
use tfplugin::Value;
use tfplugin::function::{Function, FunctionError};

use crate::rules::addresses::{self, NetError};

pub fn all() -> Vec<Arc<dyn Function>> {
    vec![
        Arc::new(usable_ips::UsableIps),
        Arc::new(cidrs_overlap::CidrsOverlap),
        Arc::new(aks_network_findings::AksNetworkFindings),
    ]
}

/// The string in argument `position`, which Terraform has already type-checked.
fn string_argument(arguments: &[Value], position: usize) -> Result<&str, FunctionError> {
    arguments
        .get(position)
        .and_then(Value::as_str)
        .ok_or_else(|| FunctionError::in_argument(position, "expected a string"))
}

/// Parses each element of a list-of-CIDRs argument, naming the element at fault.
fn cidr_list_argument(arguments: &[Value], position: usize) -> Result<Vec<Ipv4Net>, FunctionError> {
    let elements = arguments
        .get(position)
        .and_then(Value::as_elements)
        .ok_or_else(|| FunctionError::in_argument(position, "expected a list of CIDR ranges"))?;
    elements
        .iter()
        .enumerate()
        .map(|(index, element)| {
            let text = element.as_str().ok_or_else(|| {
                FunctionError::in_argument(position, format!("element {index} is null"))
            })?;
            addresses::parse_cidr(text)
                .map_err(|e| FunctionError::in_argument(position, format!("element {index}: {e}")))
        })
        .collect()
}

/// Terraform prefixes the message with the parameter's name, so it need not repeat it.
fn argument_error(position: usize, error: NetError) -> FunctionError {
    FunctionError::in_argument(position, error.to_string())
}
