//! `ArmClient`: authenticated, retried, cancellable requests to Azure Resource Manager.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, USER_AGENT};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;

use super::cache::ReadCache;
use super::limiter::{self, Bucket, Limiter};
use super::retry::{PollPolicy, RetryPolicy};
use super::{AccessToken, ArmError, CallContext, Cloud, ErrorDetail, TokenSource};

/// The product token of every request: `terraform-provider-amlsecure/<version>`.
pub const USER_AGENT_PRODUCT: &str =
    concat!("terraform-provider-amlsecure/", env!("CARGO_PKG_VERSION"));

/// Error codes that mean "the resource is busy with another operation; try again", retried
/// on 409 and 429 whatever the method.
pub const RETRYABLE_CODES: &[&str] = &[
    "RetryableErrorDueToAnotherOperation",
    "AnotherOperationInProgress",
];

/// The server's `Retry-After`, and up to half of it again at random.
fn with_jitter(retry_after: Duration) -> Duration {
    retry_after + (retry_after / 2).mul_f64(fastrand::f64())
}

/// ARM's codes for a token it refuses; a new token may well be accepted.
const REFUSED_TOKEN_CODES: &[&str] = &["ExpiredAuthenticationToken", "InvalidAuthenticationToken"];

/// How often one request fetches a new token after ARM refused one.
const TOKEN_RENEWALS: u32 = 2;

/// Whether a failure is throttling or a busy resource (retried until the deadline).
fn is_throttling(status: u16, code: Option<&str>) -> bool {
    status == 429
        || (status == 409
            && code.is_some_and(|c| RETRYABLE_CODES.iter().any(|r| r.eq_ignore_ascii_case(c))))
}

/// Whether a failed answer is worth another attempt.
pub fn is_retryable(method: &Method, status: u16, code: Option<&str>) -> bool {
    if matches!(status, 409 | 429)
        && code.is_some_and(|c| RETRYABLE_CODES.iter().any(|r| r.eq_ignore_ascii_case(c)))
    {
        return true;
    }
    match status {
        429 => true,
        408 | 500 | 502 | 503 | 504 => is_idempotent(method),
        _ => false,
    }
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::PUT | Method::DELETE | Method::PATCH | Method::HEAD
    )
}

/// `Retry-After` (integer seconds or HTTP date), or `retry-after-ms` / `x-ms-retry-after-ms`.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header_str(headers, name).and_then(|v| v.trim().parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = header_str(headers, "retry-after")?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `x-ms-correlation-request-id`, else `x-ms-request-id`.
pub fn correlation_id(headers: &HeaderMap) -> Option<String> {
    header_str(headers, "x-ms-correlation-request-id")
        .or_else(|| header_str(headers, "x-ms-request-id"))
        .map(str::to_owned)
}

/// One HTTP answer from ARM.
#[derive(Debug, Clone)]
pub struct ArmResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl ArmResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        header_str(&self.headers, name)
    }

    pub fn correlation_id(&self) -> Option<String> {
        correlation_id(&self.headers)
    }

    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }

    /// The body as `T`; an empty body reads as JSON `null`.
    pub fn json<T: DeserializeOwned>(&self, operation: &str) -> Result<T, ArmError> {
        let body: &[u8] = if self.body.iter().all(u8::is_ascii_whitespace) {
            b"null"
        } else {
            &self.body
        };
        serde_json::from_slice(body).map_err(|e| ArmError::Decode {
            operation: operation.to_owned(),
            message: format!("HTTP {} body is not the expected JSON: {e}", self.status),
            correlation_id: self.correlation_id(),
        })
    }
}

/// Client behaviour beyond endpoints and credentials.
#[derive(Debug, Clone, Default)]
pub struct ArmClientOptions {
    /// Appended to the User-Agent after a space (e.g. Terraform's version, a partner id).
    pub user_agent_suffix: Option<String>,
    pub retry: RetryPolicy,
    pub poll: PollPolicy,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    token: Arc<dyn TokenSource>,
    user_agent: String,
    retry: RetryPolicy,
    poll: PollPolicy,
    cache: ReadCache,
    limiter: Limiter,
}

/// Talks to one ARM endpoint with one credential. Cheap to clone (shared state: HTTP
/// connection pool, token cache, read cache).
#[derive(Clone)]
pub struct ArmClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArmClient")
            .field("resource_manager", &self.inner.base.as_str())
            .field("token", &self.inner.token)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(default)]
    next_link: Option<String>,
}

fn request_id() -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0x1000),
        fastrand::u16(..0x4000) | 0x8000,
        fastrand::u64(..1 << 48)
    )
}

impl ArmClient {
    pub fn new(
        http: reqwest::Client,
        cloud: &Cloud,
        token: Arc<dyn TokenSource>,
        options: ArmClientOptions,
    ) -> Self {
        let user_agent = match options.user_agent_suffix.as_deref().map(str::trim) {
            Some(suffix) if !suffix.is_empty() => format!("{USER_AGENT_PRODUCT} {suffix}"),
            _ => USER_AGENT_PRODUCT.to_owned(),
        };
        Self {
            inner: Arc::new(Inner {
                http,
                base: cloud.resource_manager.clone(),
                token,
                user_agent,
                retry: options.retry,
                poll: options.poll,
                cache: ReadCache::default(),
                limiter: Limiter::default(),
            }),
        }
    }

    /// The resource manager endpoint.
    pub fn resource_manager(&self) -> &Url {
        &self.inner.base
    }

    pub fn user_agent(&self) -> &str {
        &self.inner.user_agent
    }

    pub(crate) fn poll_policy(&self) -> PollPolicy {
        self.inner.poll
    }

    pub(crate) fn not_found_recheck(&self) -> Duration {
        self.inner.retry.not_found_recheck
    }

    /// The URL of an ARM path (`/subscriptions/...`) with `api-version` and `query`; an
    /// absolute URL (LRO status, `nextLink`) is taken as is, but only on the resource
    /// manager's own origin, so the bearer token never goes anywhere else.
    pub fn url(
        &self,
        path_or_url: &str,
        api_version: Option<&str>,
        query: &[(&str, &str)],
    ) -> Result<Url, ArmError> {
        let base = &self.inner.base;
        let mut url = if path_or_url.starts_with("https://") || path_or_url.starts_with("http://") {
            let url = Url::parse(path_or_url).map_err(|e| ArmError::Decode {
                operation: "follow a URL from ARM".to_owned(),
                message: format!("{path_or_url:?} is not a URL: {e}"),
                correlation_id: None,
            })?;
            if url.origin() != base.origin() {
                return Err(ArmError::Decode {
                    operation: "follow a URL from ARM".to_owned(),
                    message: format!(
                        "refusing to send credentials to {}, which is not the resource manager endpoint {}",
                        url.origin().ascii_serialization(),
                        base.origin().ascii_serialization()
                    ),
                    correlation_id: None,
                });
            }
            url
        } else {
            let path = format!(
                "{}/{}",
                base.as_str().trim_end_matches('/'),
                path_or_url.trim().trim_start_matches('/')
            );
            Url::parse(&path).map_err(|e| ArmError::Config {
                message: format!("{path_or_url:?} does not make a URL: {e}"),
            })?
        };
        if api_version.is_some() || !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            if let Some(version) = api_version {
                pairs.append_pair("api-version", version);
            }
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// One logical request: token, headers, retries (see [`RetryPolicy`]), bounded by the
    /// context. Non-2xx answers become [`ArmError::Api`]. No LRO handling.
    pub async fn send(
        &self,
        ctx: &CallContext,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<ArmResponse, ArmError> {
        let operation = format!("{method} {}", url.path());
        let body = match body {
            Some(value) => Some(serde_json::to_vec(value).map_err(|e| ArmError::Decode {
                operation: operation.clone(),
                message: format!("cannot serialise the request body: {e}"),
                correlation_id: None,
            })?),
            None => None,
        };
        let client_request_id = request_id();
        let policy = self.inner.retry;
        let mut failures = 0u32;
        let mut renewals = 0u32;
        loop {
            if ctx.is_cancelled() {
                return Err(ctx.cancelled_error(&operation));
            }
            let attempt_future = self.attempt(
                &method,
                &url,
                body.as_deref(),
                &client_request_id,
                &operation,
            );
            let outcome = ctx
                .run(&operation, async { Ok(attempt_future.await) })
                .await?;
            let (error, server_wait) = match outcome {
                Ok(response) => return Ok(response),
                Err(AttemptError::Fatal(e)) => return Err(e),
                Err(AttemptError::TokenRefused(e, token)) => {
                    renewals += 1;
                    if renewals > TOKEN_RENEWALS {
                        return Err(e);
                    }
                    tracing::debug!(%operation, error = %e, "ARM refused the token; fetching a new one");
                    self.inner.token.rejected(&token).await;
                    continue;
                }
                Err(AttemptError::Retryable(e, wait)) => (e, wait),
            };
            let throttled = error
                .status()
                .is_some_and(|status| is_throttling(status, error.code()));
            if !throttled || ctx.deadline().is_none() {
                failures += 1;
                if failures >= policy.max_attempts.max(1) {
                    return Err(error);
                }
            }
            let wait = match server_wait {
                Some(wait) => with_jitter(wait),
                None => policy.backoff(failures.max(1)),
            };
            if let Some(remaining) = ctx.remaining()
                && wait >= remaining
            {
                return Err(ctx.timeout_error(&operation, Some(error)));
            }
            tracing::debug!(%operation, failures, wait_ms = wait.as_millis() as u64, error = %error, "retrying ARM request");
            ctx.sleep(&operation, wait).await.map_err(|e| match e {
                ArmError::Timeout {
                    operation,
                    progress,
                    ..
                } => ArmError::Timeout {
                    operation,
                    progress,
                    last_error: Some(Box::new(error.clone())),
                },
                other => other,
            })?;
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        client_request_id: &str,
        operation: &str,
    ) -> Result<ArmResponse, AttemptError> {
        let subscription = limiter::subscription_of(url.path());
        let bucket = Bucket::of(method);
        self.inner.limiter.admit(subscription, bucket).await;
        let token = self
            .inner
            .token
            .token()
            .await
            .map_err(AttemptError::Fatal)?;
        let mut request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, format!("Bearer {}", token.token.expose()))
            .header(USER_AGENT, &self.inner.user_agent)
            .header(ACCEPT, "application/json")
            .header("x-ms-client-request-id", client_request_id)
            .header("x-ms-return-client-request-id", "true");
        let auxiliary = self
            .inner
            .token
            .auxiliary_tokens()
            .await
            .map_err(AttemptError::Fatal)?;
        if !auxiliary.is_empty() {
            let tokens: Vec<String> = auxiliary
                .iter()
                .map(|t| format!("Bearer {}", t.token.expose()))
                .collect();
            request = request.header("x-ms-authorization-auxiliary", tokens.join(", "));
        }
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let result = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>(ArmResponse {
                status,
                headers,
                body,
            })
        }
        .await;
        let response = match result {
            Ok(response) => response,
            Err(e) => {
                let error = ArmError::Transport {
                    operation: operation.to_owned(),
                    message: transport_message(&e),
                };
                tracing::debug!(%operation, error = %error, "ARM request failed");
                return Err(if is_idempotent(method) {
                    AttemptError::Retryable(error, None)
                } else {
                    AttemptError::Fatal(error)
                });
            }
        };
        tracing::debug!(
            %operation,
            status = response.status,
            correlation_id = response.correlation_id().unwrap_or_default(),
            "ARM response"
        );
        let remaining = response
            .header(bucket.remaining_header())
            .and_then(|v| v.trim().parse().ok());
        let throttled_for = (response.status == 429).then(|| {
            response
                .retry_after()
                .unwrap_or(self.inner.retry.initial_backoff)
        });
        self.inner
            .limiter
            .observe(subscription, bucket, remaining, throttled_for);
        if (200..300).contains(&response.status) {
            return Ok(response);
        }
        let error = api_error(method, url, &response);
        let code = error.code().map(str::to_owned);
        if response.status == 401
            && code.as_deref().is_some_and(|c| {
                REFUSED_TOKEN_CODES
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(c))
            })
        {
            return Err(AttemptError::TokenRefused(error, token));
        }
        if is_retryable(method, response.status, code.as_deref()) {
            Err(AttemptError::Retryable(error, response.retry_after()))
        } else {
            Err(AttemptError::Fatal(error))
        }
    }

    /// GET a resource as `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
    ) -> Result<T, ArmError> {
        self.get_with_query(ctx, id, api_version, &[]).await
    }

    /// GET with extra query parameters (e.g. `$expand`).
    pub async fn get_with_query<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ArmError> {
        let url = self.url(id, Some(api_version), query)?;
        let response = self.send(ctx, Method::GET, url, None).await?;
        response.json(&format!("GET {id}"))
    }

    /// GET, with 404 as `None`.
    pub async fn get_optional<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
    ) -> Result<Option<T>, ArmError> {
        match self.get(ctx, id, api_version).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET for a refresh: `None` only when a second read, a moment later, agrees the
    /// resource is gone. Right after a write an ARM replica may not have the resource yet,
    /// and dropping it from state on one such answer would orphan it.
    pub async fn get_existing<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
    ) -> Result<Option<T>, ArmError> {
        match self.get(ctx, id, api_version).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_not_found() => {
                tracing::debug!(%id, "not found; reading again before believing it");
                ctx.sleep(&format!("GET {id}"), self.not_found_recheck())
                    .await?;
                self.get_optional(ctx, id, api_version).await
            }
            Err(e) => Err(e),
        }
    }

    /// GET through the per-process read cache: concurrent and later reads of the same id
    /// (compared case-insensitively) and api-version cost one HTTP GET. Successes and 404s
    /// are kept until a write through this client to the id, its parents or children
    /// ([`ArmClient::invalidate`]); other errors are not kept.
    pub async fn get_cached<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
    ) -> Result<T, ArmError> {
        let value = self
            .inner
            .cache
            .get_or_fetch(id, api_version, || async {
                self.get::<serde_json::Value>(ctx, id, api_version)
                    .await
                    .map(Arc::new)
            })
            .await?;
        T::deserialize(&*value).map_err(|e| ArmError::Decode {
            operation: format!("GET {id}"),
            message: format!("body is not the expected JSON: {e}"),
            correlation_id: None,
        })
    }

    /// [`ArmClient::get_cached`] for a refresh: a 404 is confirmed by fresh reads, as
    /// [`ArmClient::get_existing`] does, before it means the resource is gone.
    pub async fn get_cached_existing<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        id: &str,
        api_version: &str,
    ) -> Result<Option<T>, ArmError> {
        match self.get_cached(ctx, id, api_version).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_not_found() => {
                self.invalidate(id);
                self.get_existing(ctx, id, api_version).await
            }
            Err(e) => Err(e),
        }
    }

    /// Drops cached reads of `id`, its parents and its children.
    pub fn invalidate(&self, id: &str) {
        self.inner.cache.invalidate(id);
    }

    /// GET a collection, following `nextLink`.
    pub async fn list<T: DeserializeOwned>(
        &self,
        ctx: &CallContext,
        collection: &str,
        api_version: &str,
    ) -> Result<Vec<T>, ArmError> {
        let mut items = Vec::new();
        let mut url = self.url(collection, Some(api_version), &[])?;
        for _page in 0..1000 {
            let response = self.send(ctx, Method::GET, url, None).await?;
            let page: Page<T> = response.json(&format!("GET {collection}"))?;
            items.extend(page.value);
            match page.next_link.filter(|l| !l.is_empty()) {
                Some(next) => url = self.url(&next, None, &[])?,
                None => return Ok(items),
            }
        }
        Err(ArmError::Decode {
            operation: format!("GET {collection}"),
            message: "more than 1000 pages".to_owned(),
            correlation_id: None,
        })
    }
}

enum AttemptError {
    Retryable(ArmError, Option<Duration>),
    /// ARM refused the bearer token: fetch another and try again.
    TokenRefused(ArmError, AccessToken),
    Fatal(ArmError),
}

fn transport_message(error: &reqwest::Error) -> String {
    // reqwest's Display includes the URL (ours: no secrets in it); add the cause chain, which
    // holds the useful part (connection refused, certificate unknown, ...).
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

pub(crate) fn api_error(method: &Method, url: &Url, response: &ArmResponse) -> ArmError {
    let error = ErrorDetail::from_body(&response.body).unwrap_or_else(|| {
        let text = String::from_utf8_lossy(&response.body);
        let text = text.trim();
        ErrorDetail {
            message: if text.is_empty() {
                reqwest::StatusCode::from_u16(response.status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("no error body")
                    .to_owned()
            } else {
                text.chars().take(500).collect()
            },
            ..Default::default()
        }
    });
    ArmError::Api {
        method: method.to_string(),
        path: url.path().to_owned(),
        status: response.status,
        error: Box::new(error),
        correlation_id: response.correlation_id(),
        retry_after: response.retry_after(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_decisions() {
        assert!(is_retryable(&Method::GET, 429, None));
        assert!(is_retryable(&Method::POST, 429, Some("TooManyRequests")));
        assert!(is_retryable(&Method::PUT, 503, None));
        assert!(!is_retryable(&Method::POST, 503, None));
        assert!(is_retryable(
            &Method::PUT,
            409,
            Some("AnotherOperationInProgress")
        ));
        assert!(is_retryable(
            &Method::POST,
            409,
            Some("retryableerrorduetoanotheroperation")
        ));
        assert!(!is_retryable(&Method::PUT, 409, Some("Conflict")));
        assert!(!is_retryable(&Method::GET, 400, None));
        assert!(!is_retryable(&Method::GET, 404, None));
    }

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = SystemTime::now() + Duration::from_secs(30);
        headers.insert(
            "retry-after",
            HeaderValue::from_str(&httpdate::fmt_http_date(later)).unwrap(),
        );
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn request_ids_look_like_guids() {
        let id = request_id();
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(id.chars().filter(|c| *c == '-').count(), 4);
        assert_ne!(request_id(), id);
    }
}
