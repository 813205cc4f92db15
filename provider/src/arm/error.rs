//! ARM errors: the parsed error body, the HTTP status and the id to quote to Azure support.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// ARM's error object (`ErrorResponse.error` / `CloudError.error`), recursively.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub details: Vec<ErrorDetail>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub additional_info: Vec<serde_json::Value>,
}

/// `{"error": {...}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    #[serde(default)]
    pub error: Option<ErrorDetail>,
}

pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

impl ErrorDetail {
    /// Parses an ARM error body; `None` if the body is not `{"error": {...}}`.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        let parsed: ErrorResponse = serde_json::from_slice(body).ok()?;
        parsed.error
    }

    fn write_summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The caller ends the sentence; ARM messages often end with their own period.
        let message = self.message.trim_end().trim_end_matches('.');
        match (self.code.is_empty(), message.is_empty()) {
            (false, false) => write!(f, "{}: {message}", self.code)?,
            (false, true) => write!(f, "{}", self.code)?,
            (true, false) => write!(f, "{message}")?,
            (true, true) => write!(f, "(no error code)")?,
        }
        if let Some(target) = self.target.as_deref().filter(|t| !t.is_empty()) {
            write!(f, " (target: {target})")?;
        }
        for detail in &self.details {
            write!(f, "; ")?;
            detail.write_summary(f)?;
        }
        Ok(())
    }
}

impl fmt::Display for ErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_summary(f)
    }
}

/// What is known about a long-running operation when it stops without an answer (deadline,
/// cancellation): enough for the resource layer to record a created resource in state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationProgress {
    /// The resource the operation works on, as the caller gave it.
    pub resource_id: Option<String>,
    /// The last status seen (`provisioningState` or the operation's `status`).
    pub last_status: Option<String>,
    /// The status URL being polled, if any.
    pub operation_url: Option<String>,
    /// The correlation id of the request that started the operation.
    pub correlation_id: Option<String>,
}

impl OperationProgress {
    fn write_suffix(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = &self.resource_id {
            write!(f, " Resource: {id}.")?;
        }
        if let Some(status) = &self.last_status {
            write!(f, " Last status: {status}.")?;
        }
        write_correlation(f, self.correlation_id.as_deref())
    }
}

fn write_correlation(f: &mut fmt::Formatter<'_>, id: Option<&str>) -> fmt::Result {
    match id {
        Some(id) => write!(f, " Correlation id (quote it to Azure support): {id}."),
        None => Ok(()),
    }
}

/// Everything that can go wrong talking to ARM. Display text names what failed and what to
/// do; it never contains a token or a secret.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ArmError {
    /// ARM answered with an error status.
    Api {
        method: String,
        /// The path of the request (never the query, never a host's credentials).
        path: String,
        status: u16,
        /// Parsed error body; empty code/message if the body was not ARM's error shape.
        error: Box<ErrorDetail>,
        /// `x-ms-correlation-request-id`, else `x-ms-request-id`.
        correlation_id: Option<String>,
        /// The `Retry-After` the server sent, if any.
        retry_after: Option<Duration>,
    },
    /// A long-running operation ended in `Failed` or `Canceled`.
    OperationFailed {
        /// `Failed` or `Canceled` as the service spelled it.
        status: String,
        error: Option<Box<ErrorDetail>>,
        progress: Box<OperationProgress>,
    },
    /// The caller's deadline passed first.
    Timeout {
        operation: String,
        progress: Box<OperationProgress>,
        /// The last error seen while retrying, if the time ran out because of it.
        last_error: Option<Box<ArmError>>,
    },
    /// The caller's stop signal fired.
    Cancelled {
        operation: String,
        progress: Box<OperationProgress>,
    },
    /// No HTTP answer: connection refused or reset, TLS failure, DNS.
    Transport { operation: String, message: String },
    /// The answer was not the JSON we expected.
    Decode {
        operation: String,
        message: String,
        correlation_id: Option<String>,
    },
    /// Getting a token failed.
    Auth { message: String },
    /// The settings do not describe a usable client.
    Config { message: String },
}

impl ArmError {
    /// ARM said 404: the resource (or its group or parent) does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ArmError::Api { status: 404, .. })
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(self, ArmError::Cancelled { .. })
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self, ArmError::Timeout { .. })
    }

    /// Whether this error from a write (PUT, PATCH, DELETE, POST) proves Azure did not take
    /// it: ARM answered the write itself with a client error. Anything else (no answer, a
    /// server error, an operation that failed, ran past the deadline or was cancelled, a
    /// failed read after the write) may leave a change behind that state must record.
    pub fn write_refused(&self) -> bool {
        matches!(self, ArmError::Api { method, status, .. }
            if method != "GET" && (400..500).contains(status) && *status != 408)
    }

    /// HTTP status of an [`ArmError::Api`].
    pub fn status(&self) -> Option<u16> {
        match self {
            ArmError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The ARM error code (`AuthorizationFailed`, `NetcfgInvalidSubnet`, ...), if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            ArmError::Api { error, .. } => Some(error.code.as_str()).filter(|c| !c.is_empty()),
            ArmError::OperationFailed { error, .. } => error
                .as_deref()
                .map(|e| e.code.as_str())
                .filter(|c| !c.is_empty()),
            _ => None,
        }
    }

    /// The parsed error body, if any.
    pub fn detail(&self) -> Option<&ErrorDetail> {
        match self {
            ArmError::Api { error, .. } => Some(error),
            ArmError::OperationFailed { error, .. } => error.as_deref(),
            _ => None,
        }
    }

    /// The id to quote to Azure support.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            ArmError::Api { correlation_id, .. } | ArmError::Decode { correlation_id, .. } => {
                correlation_id.as_deref()
            }
            ArmError::OperationFailed { progress, .. }
            | ArmError::Timeout { progress, .. }
            | ArmError::Cancelled { progress, .. } => progress.correlation_id.as_deref(),
            _ => None,
        }
    }

    /// What is known of an interrupted or failed long-running operation.
    pub fn progress(&self) -> Option<&OperationProgress> {
        match self {
            ArmError::OperationFailed { progress, .. }
            | ArmError::Timeout { progress, .. }
            | ArmError::Cancelled { progress, .. } => Some(progress),
            _ => None,
        }
    }
}

fn status_hint(status: u16) -> Option<&'static str> {
    match status {
        401 => Some(
            "Check the provider's credentials (tenant, client id, secret or identity) and that the token is for this cloud.",
        ),
        403 => Some(
            "The identity lacks a role assignment for this action on this scope; ask an owner to grant it.",
        ),
        404 => Some(
            "Check the resource id: the resource, its resource group or its parent does not exist.",
        ),
        409 => Some(
            "Another operation is in progress on this resource, or it conflicts with the current state; retry later.",
        ),
        429 => Some(
            "ARM is throttling this subscription; retry later or reduce parallelism (terraform -parallelism).",
        ),
        _ => None,
    }
}

impl fmt::Display for ArmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArmError::Api {
                method,
                path,
                status,
                error,
                correlation_id,
                ..
            } => {
                write!(
                    f,
                    "Azure Resource Manager {method} {path} failed with HTTP {status}: {error}."
                )?;
                if let Some(hint) = status_hint(*status) {
                    write!(f, " {hint}")?;
                }
                write_correlation(f, correlation_id.as_deref())
            }
            ArmError::OperationFailed {
                status,
                error,
                progress,
            } => {
                write!(f, "The Azure operation ended with status {status}")?;
                match error {
                    Some(error) => write!(f, ": {error}.")?,
                    None => write!(f, ".")?,
                }
                progress.write_suffix(f)
            }
            ArmError::Timeout {
                operation,
                progress,
                last_error,
            } => {
                write!(
                    f,
                    "{operation} did not finish before the operation timeout."
                )?;
                if let Some(last) = last_error {
                    write!(f, " Last error: {last}")?;
                }
                progress.write_suffix(f)?;
                write!(
                    f,
                    " Raise the resource's timeouts or check the resource in the Azure portal."
                )
            }
            ArmError::Cancelled {
                operation,
                progress,
            } => {
                write!(
                    f,
                    "{operation} was cancelled (Terraform asked the provider to stop)."
                )?;
                progress.write_suffix(f)
            }
            ArmError::Transport { operation, message } => write!(
                f,
                "{operation}: could not reach Azure Resource Manager: {message}. Check the network, proxy and endpoint settings."
            ),
            ArmError::Decode {
                operation,
                message,
                correlation_id,
            } => {
                write!(
                    f,
                    "{operation}: unexpected response from Azure Resource Manager: {message}."
                )?;
                write_correlation(f, correlation_id.as_deref())
            }
            ArmError::Auth { message } => write!(f, "Azure authentication failed: {message}"),
            ArmError::Config { message } => write!(f, "Azure provider configuration: {message}"),
        }
    }
}

impl std::error::Error for ArmError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_error_body() {
        let body = br#"{"error":{"code":"NetworkAclsValidationFailure","message":"Validation failed.","target":"networkAcls","details":[{"code":"SubnetsHaveNoServiceEndpointsConfigured","message":"Subnet s1 lacks Microsoft.Storage."}],"additionalInfo":null}}"#;
        let detail = ErrorDetail::from_body(body).unwrap();
        assert_eq!(detail.code, "NetworkAclsValidationFailure");
        assert_eq!(
            detail.details[0].code,
            "SubnetsHaveNoServiceEndpointsConfigured"
        );
        let err = ArmError::Api {
            method: "PATCH".into(),
            path:
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa"
                    .into(),
            status: 400,
            error: Box::new(detail),
            correlation_id: Some("corr-1".into()),
            retry_after: None,
        };
        let text = err.to_string();
        assert!(text.contains("HTTP 400"), "{text}");
        assert!(
            text.contains("NetworkAclsValidationFailure: Validation failed (target: networkAcls)"),
            "{text}"
        );
        assert!(!text.contains(".."), "{text}");
        assert!(
            text.contains("SubnetsHaveNoServiceEndpointsConfigured"),
            "{text}"
        );
        assert!(text.contains("corr-1"), "{text}");
        assert_eq!(err.code(), Some("NetworkAclsValidationFailure"));
        assert!(!err.is_not_found());
    }

    #[test]
    fn non_arm_body_is_not_an_error_detail() {
        assert_eq!(ErrorDetail::from_body(b"<html>bad gateway</html>"), None);
        assert_eq!(ErrorDetail::from_body(b"{}"), None);
    }
}
