//! Writes: PUT, PATCH, DELETE and POST, each sent once (retried as the client retries) and
//! then followed to the end of its long-running operation.

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
        let response = self
            .write(
                ctx,
                Method::PUT,
                LroKind::Put,
                id,
                api_version,
                &[],
                Some(to_value(id, body)?),
            )
            .await?;
        let response = response.expect("PUT completes with the resource");
        response.json(&format!("PUT {id}"))
    }

    /// PATCH and wait; returns the resource as read after it succeeded.
    pub async fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        let response = self
            .write(
                ctx,
                Method::PATCH,
                LroKind::Patch,
                id,
                api_version,
                &[],
                Some(to_value(id, body)?),
            )
            .await?;
        let response = response.expect("PATCH completes with the resource");
        response.json(&format!("PATCH {id}"))
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
            .write(
                ctx,
                Method::DELETE,
                LroKind::Delete,
                id,
                api_version,
                query,
                None,
            )
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
            .write(
                ctx,
                Method::POST,
                LroKind::Post,
                path,
                api_version,
                &[],
                body.cloned(),
            )
            .await?;
        match response {
            Some(r) if !r.body.iter().all(u8::is_ascii_whitespace) => {
                r.json(&format!("POST {path}")).map(Some)
            }
            _ => Ok(None),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn write(
        &self,
        ctx: &CallContext,
        method: Method,
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
            let first = self.send(ctx, method, url, body.as_ref()).await?;
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
