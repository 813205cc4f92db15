//! The one api-version the emulator serves for each provider namespace, and the check every
//! request passes.

use super::http::{ArmError, ArmResult, Incoming};

/// The pinned api-version of each provider namespace (lower-case namespace).
pub const API_VERSIONS: &[(&str, &str)] = &[
    ("microsoft.machinelearningservices", "2024-04-01"),
    ("microsoft.network", "2024-01-01"),
    ("microsoft.containerservice", "2024-02-01"),
    ("microsoft.storage", "2023-05-01"),
    ("microsoft.keyvault", "2023-07-01"),
    ("microsoft.compute", "2024-03-01"),
    ("microsoft.hdinsight", "2021-06-01"),
    ("microsoft.authorization", "2020-05-01"),
    ("microsoft.resources", "2024-03-01"),
];

/// Azure Policy's types (assignments, definitions, set definitions) are served at their own
/// api-version, not their namespace's (Microsoft.Authorization's locks').
pub const POLICY_API_VERSION: &str = "2023-04-01";

pub fn pinned_api_version(namespace: &str) -> Option<&'static str> {
    API_VERSIONS
        .iter()
        .find(|(ns, _)| ns.eq_ignore_ascii_case(namespace))
        .map(|(_, v)| *v)
}

/// `api-version` must be present and the pinned one of the namespace.
pub fn check_api_version(req: &Incoming, namespace: &str) -> ArmResult<&'static str> {
    let Some(pinned) = pinned_api_version(namespace) else {
        return Err(ArmError::bad_request(
            "InvalidResourceNamespace",
            format!("The resource namespace '{namespace}' is invalid."),
        ));
    };
    check_pinned(req, pinned, namespace)
}

/// `api-version` must be present and `pinned`, the one served for `what`.
pub fn check_pinned(req: &Incoming, pinned: &'static str, what: &str) -> ArmResult<&'static str> {
    match req.query_param("api-version") {
        None => Err(ArmError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
        Some(v) if v == pinned => Ok(pinned),
        Some(v) => Err(ArmError::bad_request(
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{v}' is invalid. The supported versions are '{pinned}'. (This emulator pins one api-version per namespace: {what} {pinned}.)"
            ),
        )),
    }
}
