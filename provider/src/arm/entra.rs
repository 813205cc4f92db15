//! Token requests spoken directly on the wire: Microsoft Entra's client-credentials grant
//! (secret, certificate or federated assertion), the managed identity endpoints (the VM
//! metadata service and App Service's), and the OIDC token services of GitHub Actions and
//! Azure DevOps. Every endpoint is configuration, and a refusal reads as Entra wrote it:
//! the AADSTS code, its message and the trace ID.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use reqwest::Url;
use serde::Deserialize;

use super::certificate::ClientCertificate;
use super::{AccessToken, ArmError, Secret, TokenSource};

/// The audience of federated tokens Entra exchanges (GitHub Actions, Azure DevOps).
pub const FEDERATED_AUDIENCE: &str = "api://AzureADTokenExchange";
/// Azure DevOps' OIDC token API version.
const ADO_API_VERSION: &str = "7.1";
/// The VM metadata service's token API version.
const IMDS_API_VERSION: &str = "2018-02-01";
/// App Service / Functions / Container Apps' identity endpoint API version.
const APP_SERVICE_API_VERSION: &str = "2019-08-01";
/// Tries of a managed identity token request, and the wait before the second (doubling).
const IDENTITY_ATTEMPTS: u32 = 4;
const IDENTITY_RETRY_DELAY: Duration = Duration::from_millis(500);

/// How an application proves who it is to Entra.
pub enum Proof {
    Secret(Secret),
    Certificate(ClientCertificate),
    Assertion(AssertionSource),
}

impl fmt::Debug for Proof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proof::Secret(_) => f.write_str("Secret(***)"),
            Proof::Certificate(c) => write!(f, "{c:?}"),
            Proof::Assertion(a) => write!(f, "{a:?}"),
        }
    }
}

/// Where a federated (OIDC) token comes from; read anew at each sign-in, since such tokens
/// are short-lived.
#[derive(Debug)]
pub enum AssertionSource {
    /// The token itself (`oidc_token`).
    Value(Secret),
    /// A file the platform keeps fresh (`oidc_token_file_path`, AKS workload identity).
    File(PathBuf),
    /// GitHub Actions: `GET {url}&audience=api://AzureADTokenExchange` with the request token.
    GitHubActions { url: Url, request_token: Secret },
    /// Azure DevOps: `POST {url}?api-version=7.1&serviceConnectionId=...` with the job token.
    AzureDevOps {
        url: Url,
        request_token: Secret,
        service_connection_id: String,
    },
}

impl AssertionSource {
    async fn assertion(&self, http: &reqwest::Client) -> Result<Secret, ArmError> {
        match self {
            AssertionSource::Value(token) => Ok(token.clone()),
            AssertionSource::File(path) => std::fs::read_to_string(path)
                .map(|t| Secret::new(t.trim()))
                .map_err(|e| ArmError::Auth {
                    message: format!("cannot read the OIDC token file {}: {e}", path.display()),
                }),
            AssertionSource::GitHubActions { url, request_token } => {
                let mut url = url.clone();
                url.query_pairs_mut()
                    .append_pair("audience", FEDERATED_AUDIENCE);
                let request = http
                    .get(url)
                    .bearer_auth(request_token.expose())
                    .header("Accept", "application/json");
                let body: GitHubToken =
                    send_json(request, "the GitHub Actions OIDC token request").await?;
                Ok(Secret::new(body.value))
            }
            AssertionSource::AzureDevOps {
                url,
                request_token,
                service_connection_id,
            } => {
                let mut url = url.clone();
                url.query_pairs_mut()
                    .append_pair("api-version", ADO_API_VERSION)
                    .append_pair("serviceConnectionId", service_connection_id);
                let request = http
                    .post(url)
                    .bearer_auth(request_token.expose())
                    .header("Content-Type", "application/json")
                    .body("{}");
                let body: AdoToken =
                    send_json(request, "the Azure DevOps OIDC token request").await?;
                Ok(Secret::new(body.oidc_token))
            }
        }
    }
}

#[derive(Deserialize)]
struct GitHubToken {
    value: String,
}

#[derive(Deserialize)]
struct AdoToken {
    #[serde(rename = "oidcToken")]
    oidc_token: String,
}

/// Sends a token-service request: its status and body, or a transport failure naming `what`.
async fn send(request: reqwest::RequestBuilder, what: &str) -> Result<(u16, Vec<u8>), ArmError> {
    let response = request.send().await.map_err(|e| ArmError::Auth {
        message: format!("{what} failed: {}", without_url(&e)),
    })?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| ArmError::Auth {
        message: format!("{what} failed reading its answer: {}", without_url(&e)),
    })?;
    Ok((status, body.to_vec()))
}

/// A token service's JSON answer; a refusal becomes an authentication error naming `what`,
/// with the service's own words.
fn read_json<T: serde::de::DeserializeOwned>(
    (status, body): (u16, Vec<u8>),
    what: &str,
) -> Result<T, ArmError> {
    if !(200..300).contains(&status) {
        return Err(ArmError::Auth {
            message: format!("{what} was refused: {}", describe_refusal(status, &body)),
        });
    }
    serde_json::from_slice(&body).map_err(|e| ArmError::Auth {
        message: format!("{what} answered HTTP {status} with an unexpected body ({e})"),
    })
}

/// Sends a token-service request and reads its JSON answer.
async fn send_json<T: serde::de::DeserializeOwned>(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<T, ArmError> {
    read_json(send(request, what).await?, what)
}

/// A transport error without the request URL, which may carry a query-string secret.
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "the endpoint");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// An Entra / identity endpoint error body: OAuth's `error` and `error_description`, with
/// Entra's codes and IDs, or App Service's `message`.
#[derive(Deserialize, Default)]
struct Refusal {
    error: Option<String>,
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<u64>,
    trace_id: Option<String>,
    correlation_id: Option<String>,
    message: Option<String>,
}

/// What a token endpoint said when it refused: `AADSTS7000215: Invalid client secret
/// provided. ... (trace ID ..., correlation ID ...)`. Entra's description repeats the IDs
/// and a timestamp on further `\r\n` lines; only its first line is kept.
pub fn describe_refusal(status: u16, body: &[u8]) -> String {
    let Ok(refusal) = serde_json::from_slice::<Refusal>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return if text.is_empty() {
            format!("HTTP {status}")
        } else {
            format!(
                "HTTP {status}: {}",
                text.chars().take(300).collect::<String>()
            )
        };
    };
    let first_line = |text: &str| text.lines().next().unwrap_or_default().trim().to_owned();
    let mut message = match (&refusal.error_description, &refusal.message) {
        (Some(description), _) => {
            let line = first_line(description);
            match refusal.error_codes.first() {
                Some(code) if !line.starts_with("AADSTS") => format!("AADSTS{code}: {line}"),
                _ => line,
            }
        }
        (None, Some(message)) => first_line(message),
        (None, None) => format!("HTTP {status}"),
    };
    if let Some(error) = &refusal.error
        && !message.starts_with("AADSTS")
    {
        message = format!("{error}: {message}");
    }
    let ids: Vec<String> = [
        ("trace ID", &refusal.trace_id),
        ("correlation ID", &refusal.correlation_id),
    ]
    .into_iter()
    .filter_map(|(name, id)| id.as_ref().map(|id| format!("{name} {id}")))
    .collect();
    if !ids.is_empty() {
        message = format!("{message} ({})", ids.join(", "));
    }
    message
}

/// A successful token answer. Entra gives `expires_in` (seconds from now); the managed
/// identity endpoints give `expires_on` (Unix seconds), as a number or a string.
#[derive(Deserialize)]
struct Issued {
    access_token: String,
    expires_in: Option<serde_json::Value>,
    expires_on: Option<serde_json::Value>,
}

fn seconds(value: &Option<serde_json::Value>) -> Option<u64> {
    match value.as_ref()? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Issued {
    fn into_token(self) -> AccessToken {
        let expires_on = match (seconds(&self.expires_on), seconds(&self.expires_in)) {
            (Some(at), _) => SystemTime::UNIX_EPOCH + Duration::from_secs(at),
            (None, Some(within)) => SystemTime::now() + Duration::from_secs(within),
            // No expiry given: treat the token as short-lived so it is soon refreshed.
            (None, None) => SystemTime::now() + Duration::from_secs(600),
        };
        AccessToken {
            token: Secret::new(self.access_token),
            expires_on,
        }
    }
}

/// Entra's client-credentials grant for one tenant and scope.
pub struct ClientCredentials {
    pub http: reqwest::Client,
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub token_url: Url,
    pub client_id: String,
    pub scope: String,
    pub proof: Proof,
    /// What the user chose, for messages (`client secret`, `OIDC (GitHub Actions)`, ...).
    pub method: String,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("method", &self.method)
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("proof", &self.proof)
            .finish()
    }
}

/// `{authority}/{tenant}/oauth2/v2.0/token`.
pub fn token_url(authority_host: &Url, tenant_id: &str) -> Result<Url, ArmError> {
    let base = authority_host.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}/{}/oauth2/v2.0/token", tenant_id.trim())).map_err(|e| {
        ArmError::Config {
            message: format!("tenant_id {tenant_id:?} does not make a token URL: {e}"),
        }
    })
}

#[async_trait]
impl TokenSource for ClientCredentials {
    async fn token(&self) -> Result<AccessToken, ArmError> {
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", self.client_id.clone()),
            ("scope", self.scope.clone()),
        ];
        let assertion = match &self.proof {
            Proof::Secret(secret) => {
                form.push(("client_secret", secret.expose().to_owned()));
                None
            }
            Proof::Certificate(certificate) => {
                Some(certificate.assertion(&self.client_id, self.token_url.as_str())?)
            }
            Proof::Assertion(source) => Some(source.assertion(&self.http).await?),
        };
        if let Some(assertion) = assertion {
            form.push((
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ));
            form.push(("client_assertion", assertion.expose().to_owned()));
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = self
            .http
            .post(self.token_url.clone())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(body);
        let issued: Issued = send_json(
            request,
            &format!("signing in with {} at {}", self.method, self.token_url),
        )
        .await?;
        Ok(issued.into_token())
    }
}

/// `application/x-www-form-urlencoded` for one value.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Which managed identity endpoint to ask.
#[derive(Debug)]
pub enum IdentityEndpoint {
    /// The VM / scale set / AKS node metadata service (`Metadata: true`).
    Imds(Url),
    /// App Service, Functions, Container Apps (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`).
    AppService { url: Url, header: Secret },
}

/// A managed identity's token for one resource (the ARM audience).
#[derive(Debug)]
pub struct ManagedIdentity {
    pub http: reqwest::Client,
    pub endpoint: IdentityEndpoint,
    /// A user-assigned identity's client ID; `None` for the system-assigned one.
    pub client_id: Option<String>,
    /// The audience, e.g. `https://management.azure.com/`.
    pub resource: String,
}

#[async_trait]
impl TokenSource for ManagedIdentity {
    async fn token(&self) -> Result<AccessToken, ArmError> {
        let (mut url, version) = match &self.endpoint {
            IdentityEndpoint::Imds(url) => (url.clone(), IMDS_API_VERSION),
            IdentityEndpoint::AppService { url, .. } => (url.clone(), APP_SERVICE_API_VERSION),
        };
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("api-version", version)
                .append_pair("resource", &self.resource);
            if let Some(client_id) = &self.client_id {
                query.append_pair("client_id", client_id);
            }
        }
        let shown = format!("{}://{}{}", url.scheme(), url.authority(), url.path());
        let what = match &self.client_id {
            Some(id) => format!("the managed identity token request (client ID {id}) to {shown}"),
            None => format!("the managed identity token request to {shown}"),
        };
        // The metadata service answers 404 and 410 while it starts, and 429 or 5xx when
        // busy; it asks clients to try again shortly.
        let mut delay = IDENTITY_RETRY_DELAY;
        let mut attempt = 1;
        loop {
            let request = match &self.endpoint {
                IdentityEndpoint::Imds(_) => self.http.get(url.clone()).header("Metadata", "true"),
                IdentityEndpoint::AppService { header, .. } => self
                    .http
                    .get(url.clone())
                    .header("X-IDENTITY-HEADER", header.expose()),
            };
            let answer = send(request, &what).await?;
            if attempt < IDENTITY_ATTEMPTS && matches!(answer.0, 404 | 410 | 429 | 500..=599) {
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
                continue;
            }
            let issued: Issued = read_json(answer, &what)?;
            return Ok(issued.into_token());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entra_refusals_keep_code_message_and_ids_not_the_repeated_lines() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: 0f3c\r\nCorrelation ID: 7a1b\r\nTimestamp: 2026-11-26 10:00:00Z","error_codes":[7000215],"timestamp":"2026-11-26 10:00:00Z","trace_id":"0f3c","correlation_id":"7a1b"}"#;
        assert_eq!(
            describe_refusal(401, body),
            "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value. (trace ID 0f3c, correlation ID 7a1b)"
        );
    }

    #[test]
    fn other_refusals_read_well_too() {
        assert_eq!(
            describe_refusal(
                400,
                br#"{"error":"invalid_request","error_description":"Identity not found"}"#
            ),
            "invalid_request: Identity not found"
        );
        assert_eq!(
            describe_refusal(401, br#"{"statusCode":401,"message":"Unauthorized"}"#),
            "Unauthorized"
        );
        assert_eq!(describe_refusal(502, b""), "HTTP 502");
        assert_eq!(
            describe_refusal(503, b"<html>busy</html>"),
            "HTTP 503: <html>busy</html>"
        );
        assert_eq!(
            describe_refusal(
                400,
                br#"{"error":"invalid_client","error_description":"Something","error_codes":[700016]}"#
            ),
            "AADSTS700016: Something"
        );
    }

    #[test]
    fn expiry_comes_from_either_field_in_either_form() {
        let at = |json: &str| {
            serde_json::from_str::<Issued>(json)
                .unwrap()
                .into_token()
                .expires_on
        };
        assert_eq!(
            at(r#"{"access_token":"t","expires_on":"4102444800"}"#),
            SystemTime::UNIX_EPOCH + Duration::from_secs(4_102_444_800)
        );
        assert_eq!(
            at(r#"{"access_token":"t","expires_on":4102444800}"#),
            SystemTime::UNIX_EPOCH + Duration::from_secs(4_102_444_800)
        );
        let within = at(r#"{"access_token":"t","expires_in":3599}"#)
            .duration_since(SystemTime::now())
            .unwrap();
        assert!(within > Duration::from_secs(3590), "{within:?}");
    }

    #[test]
    fn form_values_are_encoded() {
        assert_eq!(
            form_encode("https://management.azure.com/.default"),
            "https%3A%2F%2Fmanagement.azure.com%2F.default"
        );
        assert_eq!(form_encode("a b+c&d"), "a+b%2Bc%26d");
    }
}
