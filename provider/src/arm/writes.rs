//! Writes: PUT, PATCH, DELETE and POST, each sent once (retried as the client retries) and
//! then followed to the end of its long-running operation; and the read that waits for the
//! end of a write's operation still under way.

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::client::{ArmClient, ArmResponse};
use super::lro::{self, LroKind};
use super::{ArmError, CallContext};

impl ArmClient {
    /// PUT (create or replace) and wait for the long-running operation; returns the
    /// resource as read after it succeeded.
    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        self.write_resource(ctx, LroKind::Put, id, api_version, to_value(id, body)?)
            .await
    }

    /// PATCH and wait; returns the resource as read after it succeeded.
    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        self.write_resource(ctx, LroKind::Patch, id, api_version, to_value(id, body)?)
            .await
    }

    /// GET, waiting while the resource's `provisioningState` says an operation is under way
    /// (`Creating`, `Updating`, ...), as when an earlier write's operation outlived the
    /// caller that started it. A terminal state, `Failed` included, is returned as read.
    pub async fn get_settled<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
    ) -> Result<T, ArmError> {
        let url = self.url(id, Some(api_version), &[])?;
        let first = self.send(ctx, Method::GET, url.clone(), None).await?;
        let settled = lro::settled(self, ctx, id, &url, first).await?;
        settled.json(&format!("GET {id}"))
    }

    /// DELETE and wait until it is gone. Succeeds on 200/204, on terminal `Succeeded`, and
    /// when the resource is (already) not found. `query` e.g.
    /// `[("underlyingResourceAction", "Delete")]` for ML computes.
    pub async fn delete(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
        query: &[(&str, &str)],
    ) -> Result<(), ArmError> {
        match self
            .write(ctx, LroKind::Delete, id, api_version, query, None)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// POST an action (`.../listKeys`, `.../start`) and wait; returns the final body, if any.
    /// Not retried on 5xx or connection errors.
    pub async fn post<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        path: &str,
        api_version: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Option<T>, ArmError> {
        let response = self
            .write(ctx, LroKind::Post, path, api_version, &[], body.cloned())
            .await?;
        match response {
            Some(r) if !r.body.iter().all(u8::is_ascii_whitespace) => {
                r.json(&format!("POST {path}")).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// A PUT or PATCH: the operation ends with the resource, read back once it succeeded.
    async fn write_resource<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        kind: LroKind,
        id: &str,
        api_version: &str,
        body: serde_json::Value,
    ) -> Result<T, ArmError> {
        let response = self
            .write(ctx, kind, id, api_version, &[], Some(body))
            .await?
            .expect("PUT and PATCH complete with the resource");
        response.json(&format!("{} {id}", kind.method()))
    }

    async fn write(
        &self,
        ctx: &CallContext,
        kind: LroKind,
        id: &str,
        api_version: &str,
        query: &[(&str, &str)],
        body: Option<serde_json::Value>,
    ) -> Result<Option<ArmResponse>, ArmError> {
        let url = self.url(id, Some(api_version), query)?;
        let resource_url = self.url(id, Some(api_version), &[])?;
        self.invalidate(id);
        let result = async {
            let first = self.send(ctx, kind.method(), url, body.as_ref()).await?;
            lro::complete(self, ctx, kind, id, &resource_url, first).await
        }
        .await;
        self.invalidate(id);
        result
    }
}

fn to_value<B: Serialize + ?Sized>(id: &str, body: &B) -> Result<serde_json::Value, ArmError> {
    serde_json::to_value(body).map_err(|e| ArmError::Decode {
        operation: format!("write {id}"),
        message: format!("cannot serialise the request body: {e}"),
        correlation_id: None,
    })
}
