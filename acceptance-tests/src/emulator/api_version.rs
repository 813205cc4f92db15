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
    match req.query_param("api-version") {
        None => Err(ArmError::bad_request(
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
        Some(v) if v == pinned => Ok(pinned),
        Some(v) => Err(ArmError::bad_request(
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{v}' is invalid. The supported versions are '{pinned}'. (This emulator pins one api-version per namespace: {namespace} {pinned}.)"
            ),
        )),
    }
}
