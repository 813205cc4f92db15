//! Long-running operations (ARM RPC async-api-reference; REFERENCE §2).
//!
//! After PUT/PATCH/DELETE/POST: poll `Azure-AsyncOperation` (200 + `status`; terminal only
//! `Succeeded`/`Failed`/`Canceled`) if given, else `Location` (202 while running), else the
//! resource's `provisioningState`. PUT/PATCH then read the resource from its own URL. DELETE
//! is done on terminal `Succeeded`, on 200/204, or when the resource reads 404. Waits
//! between polls follow `Retry-After`, clamped by [`PollPolicy`](super::PollPolicy).

use std::sync::Mutex;

use reqwest::{Method, Url};

use super::client::{ArmClient, ArmResponse};
use super::{ArmError, CallContext, ErrorDetail, OperationProgress};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LroKind {
    Put,
    Patch,
    Delete,
    Post,
}

impl LroKind {
    fn verb(self) -> &'static str {
        match self {
            LroKind::Put => "PUT",
            LroKind::Patch => "PATCH",
            LroKind::Delete => "DELETE",
            LroKind::Post => "POST",
        }
    }
}

/// Terminal state of an operation or resource status string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    Succeeded,
    Failed,
    Canceled,
}

/// `Succeeded`/`Failed`/`Canceled` (any case; `Cancelled` too) are terminal; anything else
/// (`InProgress`, `Creating`, `Updating`, ...) means still running.
pub fn terminal(status: &str) -> Option<Terminal> {
    let s = status.trim();
    if s.eq_ignore_ascii_case("succeeded") {
        Some(Terminal::Succeeded)
    } else if s.eq_ignore_ascii_case("failed") {
        Some(Terminal::Failed)
    } else if s.eq_ignore_ascii_case("canceled") || s.eq_ignore_ascii_case("cancelled") {
        Some(Terminal::Canceled)
    } else {
        None
    }
}

/// `properties.provisioningState` of a resource body (`None` if absent, which ARM reads as
/// `Succeeded`).
pub fn provisioning_state(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .pointer("/properties/provisioningState")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// The error explaining a failure: `error` of an operation status body, else the first of
/// an ML resource's `properties.provisioningErrors`, else `properties.error`.
fn failure_detail(body: &[u8]) -> Option<ErrorDetail> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let candidates = [
        value.get("error"),
        value.pointer("/properties/provisioningErrors/0/error"),
        value.pointer("/properties/error"),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|v| v.is_object())
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

struct Poller<'a> {
    client: &'a ArmClient,
    ctx: &'a CallContext,
    progress: Mutex<OperationProgress>,
    operation: String,
}

impl Poller<'_> {
    fn set_status(&self, status: Option<String>) {
        if status.is_some() {
            self.progress.lock().expect("progress lock").last_status = status;
        }
    }

    fn set_url(&self, url: &str) {
        self.progress.lock().expect("progress lock").operation_url = Some(url.to_owned());
    }

    fn progress(&self) -> OperationProgress {
        self.progress.lock().expect("progress lock").clone()
    }

    fn failed(&self, status: &str, body: &[u8]) -> ArmError {
        ArmError::OperationFailed {
            status: status.to_owned(),
            error: failure_detail(body).map(Box::new),
            progress: Box::new(self.progress()),
        }
    }

    async fn wait(&self, previous: &ArmResponse) -> Result<(), ArmError> {
        let interval = self.client.poll_policy().interval(previous.retry_after());
        self.ctx.sleep(&self.operation, interval).await
    }

    async fn get(&self, url: &str) -> Result<ArmResponse, ArmError> {
        let url = self.client.url(url, None, &[])?;
        self.client.send(self.ctx, Method::GET, url, None).await
    }

    /// Polls an `Azure-AsyncOperation` URL until terminal; returns the last status answer.
    async fn async_operation(
        &self,
        url: &str,
        first: &ArmResponse,
    ) -> Result<ArmResponse, ArmError> {
        self.set_url(url);
        let mut previous = first.clone();
        loop {
            self.wait(&previous).await?;
            let response = self.get(url).await?;
            let status: Option<String> =
                serde_json::from_slice::<serde_json::Value>(&response.body)
                    .ok()
                    .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned));
            let Some(status) = status else {
                return Err(ArmError::Decode {
                    operation: self.operation.clone(),
                    message: "the operation status answer has no \"status\"".to_owned(),
                    correlation_id: response.correlation_id(),
                });
            };
            self.set_status(Some(status.clone()));
            match terminal(&status) {
                Some(Terminal::Succeeded) => return Ok(response),
                Some(_) => return Err(self.failed(&status, &response.body)),
                None => previous = response,
            }
        }
    }

    /// Polls a `Location` URL while it answers 202; returns the first other answer.
    async fn location(&self, url: &str, first: &ArmResponse) -> Result<ArmResponse, ArmError> {
        self.set_url(url);
        let mut previous = first.clone();
        loop {
            self.wait(&previous).await?;
            let response = self.get(url).await?;
            if response.status != 202 {
                return Ok(response);
            }
            previous = response;
        }
    }

    /// Polls the resource until its `provisioningState` is terminal.
    async fn provisioning(
        &self,
        resource_url: &Url,
        first: &ArmResponse,
    ) -> Result<ArmResponse, ArmError> {
        let mut previous = first.clone();
        loop {
            self.wait(&previous).await?;
            let response = self
                .client
                .send(self.ctx, Method::GET, resource_url.clone(), None)
                .await?;
            let state = provisioning_state(&response.body);
            self.set_status(state.clone());
            match state.as_deref().map(terminal) {
                None | Some(Some(Terminal::Succeeded)) => return Ok(response),
                Some(Some(_)) => {
                    let state = state.unwrap_or_default();
                    return Err(self.failed(&state, &response.body));
                }
                Some(None) => previous = response,
            }
        }
    }

    /// Polls the resource until it reads 404.
    async fn gone(&self, resource_url: &Url, first: &ArmResponse) -> Result<(), ArmError> {
        let mut previous = first.clone();
        loop {
            self.wait(&previous).await?;
            match self
                .client
                .send(self.ctx, Method::GET, resource_url.clone(), None)
                .await
            {
                Err(e) if e.is_not_found() => return Ok(()),
                Err(e) => return Err(e),
                Ok(response) => {
                    let state = provisioning_state(&response.body);
                    self.set_status(state.clone());
                    if let Some(state) = state
                        && matches!(
                            terminal(&state),
                            Some(Terminal::Failed | Terminal::Canceled)
                        )
                    {
                        return Err(self.failed(&state, &response.body));
                    }
                    previous = response;
                }
            }
        }
    }

    /// The resource once its operation succeeded. A replica may not have it yet right after
    /// the write: a 404 is read again a moment later before it counts.
    async fn read_resource(&self, resource_url: &Url) -> Result<ArmResponse, ArmError> {
        match self
            .client
            .send(self.ctx, Method::GET, resource_url.clone(), None)
            .await
        {
            Err(e) if e.is_not_found() => {
                self.ctx
                    .sleep(&self.operation, self.client.not_found_recheck())
                    .await?;
                self.client
                    .send(self.ctx, Method::GET, resource_url.clone(), None)
                    .await
            }
            other => other,
        }
    }
}

/// The resource at `resource_url` once its `provisioningState` is terminal (or absent),
/// polling on from `first`, its answer to a GET. `Failed` and `Canceled` are returned as read:
/// the caller reports the resource as it is.
pub(crate) async fn settled(
    client: &ArmClient,
    ctx: &CallContext,
    id: &str,
    resource_url: &Url,
    first: ArmResponse,
) -> Result<ArmResponse, ArmError> {
    let running = |response: &ArmResponse| {
        provisioning_state(&response.body)
            .as_deref()
            .is_some_and(|state| terminal(state).is_none())
    };
    if !running(&first) {
        return Ok(first);
    }
    let poller = Poller {
        client,
        ctx,
        progress: Mutex::new(OperationProgress {
            resource_id: Some(id.to_owned()),
            last_status: provisioning_state(&first.body),
            operation_url: None,
            correlation_id: first.correlation_id(),
        }),
        operation: format!("GET {id}"),
    };
    let mut previous = first;
    while running(&previous) {
        poller.wait(&previous).await?;
        previous = client
            .send(ctx, Method::GET, resource_url.clone(), None)
            .await?;
    }
    Ok(previous)
}

/// Drives the operation `first` started to its end. Returns the final resource for PUT and
/// PATCH, the final answer (if any) for POST, `None` for DELETE.
pub(crate) async fn complete(
    client: &ArmClient,
    ctx: &CallContext,
    kind: LroKind,
    id: &str,
    resource_url: &Url,
    first: ArmResponse,
) -> Result<Option<ArmResponse>, ArmError> {
    let poller = Poller {
        client,
        ctx,
        progress: Mutex::new(OperationProgress {
            resource_id: Some(id.to_owned()),
            last_status: provisioning_state(&first.body),
            operation_url: None,
            correlation_id: first.correlation_id(),
        }),
        operation: format!("{} {id}", kind.verb()),
    };
    let async_op = first
        .header("azure-asyncoperation")
        .map(str::to_owned)
        .filter(|u| !u.is_empty());
    let location = first
        .header("location")
        .map(str::to_owned)
        .filter(|u| !u.is_empty());

    let result = async {
        match kind {
            LroKind::Put | LroKind::Patch => {
                if let Some(url) = &async_op {
                    poller.async_operation(url, &first).await?;
                    return poller.read_resource(resource_url).await.map(Some);
                }
                if first.status == 202 {
                    if let Some(url) = &location {
                        poller.location(url, &first).await?;
                    }
                    return poller.read_resource(resource_url).await.map(Some);
                }
                match provisioning_state(&first.body).as_deref().map(terminal) {
                    None | Some(Some(Terminal::Succeeded)) => Ok(Some(first.clone())),
                    Some(Some(_)) => {
                        let state = provisioning_state(&first.body).unwrap_or_default();
                        Err(poller.failed(&state, &first.body))
                    }
                    Some(None) => poller.provisioning(resource_url, &first).await.map(Some),
                }
            }
            LroKind::Delete => {
                if let Some(url) = &async_op {
                    poller.async_operation(url, &first).await?;
                    return Ok(None);
                }
                if let Some(url) = location.as_ref().filter(|_| first.status == 202) {
                    return match poller.location(url, &first).await {
                        Ok(_) => Ok(None),
                        Err(e) if e.is_not_found() => Ok(None),
                        Err(e) => Err(e),
                    };
                }
                if matches!(first.status, 201 | 202) {
                    poller.gone(resource_url, &first).await?;
                }
                Ok(None)
            }
            LroKind::Post => {
                if let Some(url) = &async_op {
                    poller.async_operation(url, &first).await?;
                    // The action's result, if it has one, is at the Location URL.
                    return match &location {
                        Some(location) => poller.get(location).await.map(Some),
                        None => Ok(None),
                    };
                }
                if let Some(url) = location.as_ref().filter(|_| first.status == 202) {
                    return poller.location(url, &first).await.map(Some);
                }
                Ok(Some(first.clone()))
            }
        }
    }
    .await;

    result.map_err(|e| match e {
        ArmError::Timeout { last_error, .. } => ArmError::Timeout {
            operation: poller.operation.clone(),
            progress: Box::new(poller.progress()),
            last_error,
        },
        ArmError::Cancelled { .. } => ArmError::Cancelled {
            operation: poller.operation.clone(),
            progress: Box::new(poller.progress()),
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states() {
        assert_eq!(terminal("Succeeded"), Some(Terminal::Succeeded));
        assert_eq!(terminal("failed"), Some(Terminal::Failed));
        assert_eq!(terminal("Canceled"), Some(Terminal::Canceled));
        assert_eq!(terminal("Cancelled"), Some(Terminal::Canceled));
        for running in [
            "InProgress",
            "Running",
            "Accepted",
            "Creating",
            "Updating",
            "Deleting",
        ] {
            assert_eq!(terminal(running), None);
        }
    }

    #[test]
    fn failure_detail_sources() {
        let op = br#"{"status":"Failed","error":{"code":"InternalError","message":"boom"}}"#;
        assert_eq!(failure_detail(op).unwrap().code, "InternalError");
        let ml = br#"{"properties":{"provisioningState":"Failed","provisioningErrors":[{"error":{"code":"BadArgument","message":"subnet"}}]}}"#;
        assert_eq!(failure_detail(ml).unwrap().code, "BadArgument");
        assert_eq!(failure_detail(br#"{"properties":{}}"#), None);
    }
}
