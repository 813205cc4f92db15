//! Entra ID look-alike: client-credentials token endpoint (secret, certificate or federated
//! assertion, checked as Entra checks them), the OpenID metadata an SDK may fetch, managed
//! identity endpoints (App Service style and the VM metadata service), the CI systems' OIDC
//! token services, the cloud metadata document, and validation of ARM bearer tokens
//! (auxiliary-tenant ones included).

use super::federation::{EXCHANGE_AUDIENCE, Federation, GITHUB_SUBJECT};
use super::http::{ArmError, Incoming, Reply, form_pairs, guid, random_token, unix_seconds};
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// Who may get tokens, and the tokens handed out.
#[derive(Debug)]
pub struct Auth {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    pub identity_header: String,
    /// A user-assigned managed identity the metadata service knows besides the
    /// system-assigned one.
    pub managed_identity_client_id: String,
    /// A second tenant the application may sign in to (auxiliary tenant).
    pub auxiliary_tenant_id: String,
    /// The Azure DevOps service connection whose tokens Entra trusts.
    pub service_connection_id: String,
    pub federation: Federation,
    pub lifetime: Duration,
    /// Tokens handed out: when each expires and which tenant it is for.
    tokens: HashMap<String, (SystemTime, String)>,
}

pub enum TokenCheck {
    Valid,
    Missing,
    Unknown,
    Expired,
}

impl Auth {
    pub fn new(
        tenant_id: String,
        client_id: String,
        client_secret: String,
        federation: Federation,
    ) -> Auth {
        Auth {
            tenant_id,
            client_id,
            client_secret,
            identity_header: random_token::<16>(),
            managed_identity_client_id: guid(),
            auxiliary_tenant_id: guid(),
            service_connection_id: guid(),
            federation,
            lifetime: Duration::from_secs(3599),
            tokens: HashMap::new(),
        }
    }

    fn issue(&mut self, tenant: &str) -> (String, SystemTime) {
        let token = format!("emu-{}", random_token::<24>());
        let expires = SystemTime::now() + self.lifetime;
        self.tokens
            .insert(token.clone(), (expires, tenant.to_ascii_lowercase()));
        (token, expires)
    }

    /// Makes every token handed out so far expired (to test `ExpiredAuthenticationToken`).
    pub fn expire_all(&mut self) {
        let past = SystemTime::now() - Duration::from_secs(1);
        for (expiry, _) in self.tokens.values_mut() {
            *expiry = past;
        }
    }

    fn check_token(&self, token: &str, tenant: &str) -> TokenCheck {
        match self.tokens.get(token.trim()) {
            Some((_, issued_for)) if !issued_for.eq_ignore_ascii_case(tenant) => {
                TokenCheck::Unknown
            }
            None => TokenCheck::Unknown,
            Some((expiry, _)) if *expiry <= SystemTime::now() => TokenCheck::Expired,
            Some(_) => TokenCheck::Valid,
        }
    }

    pub fn check(&self, authorization: Option<&str>) -> TokenCheck {
        let Some(value) = authorization else {
            return TokenCheck::Missing;
        };
        let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        else {
            return TokenCheck::Missing;
        };
        self.check_token(token, &self.tenant_id)
    }

    /// Checks `x-ms-authorization-auxiliary` (`Bearer t1, Bearer t2`): each token must be a
    /// valid one of the auxiliary tenant.
    fn check_auxiliary(&self, header: &str) -> TokenCheck {
        for part in header.split(',') {
            let part = part.trim();
            let Some(token) = part.strip_prefix("Bearer ") else {
                return TokenCheck::Missing;
            };
            match self.check_token(token, &self.auxiliary_tenant_id) {
                TokenCheck::Valid => {}
                other => return other,
            }
        }
        TokenCheck::Valid
    }

    /// The ARM 401 for a request whose token did not pass, or `None`.
    pub fn reject(&self, request: &Incoming, authority: &str) -> Option<Reply> {
        let checked = match (
            self.check(request.header("authorization")),
            request.header("x-ms-authorization-auxiliary"),
        ) {
            (TokenCheck::Valid, Some(auxiliary)) => match self.check_auxiliary(auxiliary) {
                TokenCheck::Valid => TokenCheck::Valid,
                _ => {
                    return Some(
                        ArmError::new(
                            401,
                            "InvalidAuthenticationTokenAuxiliary",
                            "The access token in the 'x-ms-authorization-auxiliary' header is invalid or not from an auxiliary tenant.",
                        )
                        .reply(),
                    );
                }
            },
            (checked, _) => checked,
        };
        let (code, message) = match checked {
            TokenCheck::Valid => return None,
            TokenCheck::Missing => (
                "InvalidAuthenticationToken",
                "The access token is missing or is not a Bearer token in the 'Authorization' header.",
            ),
            TokenCheck::Unknown => ("InvalidAuthenticationToken", "The access token is invalid."),
            TokenCheck::Expired => (
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
            ),
        };
        Some(ArmError::new(401, code, message).reply().header(
            "WWW-Authenticate",
            format!(
                "Bearer authorization_uri=\"{authority}{}\", error=\"invalid_token\", error_description=\"{message}\"",
                self.tenant_id
            ),
        ))
    }

    /// `POST /{tenant}/oauth2/v2.0/token`.
    pub fn token_endpoint(&mut self, tenant: &str, request: &Incoming, base_url: &str) -> Reply {
        if !tenant.eq_ignore_ascii_case(&self.tenant_id)
            && !tenant.eq_ignore_ascii_case(&self.auxiliary_tenant_id)
        {
            return aad_error(
                400,
                "invalid_request",
                90002,
                &format!("AADSTS90002: Tenant '{tenant}' not found."),
            );
        }
        let form = form_pairs(&String::from_utf8_lossy(&request.body));
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        if field("grant_type") != Some("client_credentials") {
            return aad_error(
                400,
                "unsupported_grant_type",
                70003,
                "AADSTS70003: The app requested an unsupported grant type. Only client_credentials is emulated.",
            );
        }
        if field("scope").is_none() {
            return aad_error(
                400,
                "invalid_request",
                900144,
                "AADSTS900144: The request body must contain the following parameter: 'scope'.",
            );
        }
        match field("client_id") {
            Some(id) if id.eq_ignore_ascii_case(&self.client_id) => {}
            Some(id) => {
                return aad_error(
                    400,
                    "unauthorized_client",
                    700016,
                    &format!(
                        "AADSTS700016: Application with identifier '{id}' was not found in the directory '{}'.",
                        self.tenant_id
                    ),
                );
            }
            None => {
                return aad_error(
                    400,
                    "invalid_request",
                    900144,
                    "AADSTS900144: The request body must contain the following parameter: 'client_id'.",
                );
            }
        }
        let authenticated = match (field("client_secret"), field("client_assertion")) {
            (Some(secret), _) => secret == self.client_secret,
            (None, Some(assertion)) => {
                if field("client_assertion_type")
                    != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                {
                    return aad_error(
                        400,
                        "invalid_request",
                        900144,
                        "AADSTS900144: The request body must contain the following parameter: 'client_assertion_type'.",
                    );
                }
                let token_url = format!("{base_url}/{tenant}/oauth2/v2.0/token");
                if let Err((code, message)) = self.federation.check_assertion(
                    assertion,
                    &self.client_id,
                    &token_url,
                    std::slice::from_ref(&self.service_connection_id),
                ) {
                    let error = if code == 50027 {
                        "invalid_request"
                    } else {
                        "invalid_client"
                    };
                    return aad_error(400, error, code, &format!("AADSTS{code}: {message}"));
                }
                true
            }
            (None, None) => {
                return aad_error(
                    401,
                    "invalid_client",
                    7000218,
                    "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                );
            }
        };
        if !authenticated {
            return aad_error(
                401,
                "invalid_client",
                7000215,
                &format!(
                    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.",
                    self.client_id
                ),
            );
        }
        let (token, _) = self.issue(tenant);
        let secs = self.lifetime.as_secs();
        Reply::json(
            200,
            json!({"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": token}),
        )
    }

    /// `GET /_emulator/msi/token?resource=...&api-version=2019-08-01` with `X-IDENTITY-HEADER`.
    pub fn managed_identity(&mut self, request: &Incoming) -> Reply {
        if request.header("x-identity-header") != Some(self.identity_header.as_str()) {
            return Reply::json(
                401,
                json!({"statusCode": 401, "message": "Unauthorized: the X-IDENTITY-HEADER header is missing or wrong."}),
            );
        }
        let Some(resource) = request.query_param("resource").filter(|r| !r.is_empty()) else {
            return Reply::json(
                400,
                json!({"statusCode": 400, "message": "The 'resource' query parameter is required."}),
            );
        };
        if request.query_param("api-version").as_deref() != Some("2019-08-01") {
            return Reply::json(
                400,
                json!({"statusCode": 400, "message": "The api-version query parameter must be 2019-08-01."}),
            );
        }
        let tenant = self.tenant_id.clone();
        let (token, expires) = self.issue(&tenant);
        Reply::json(
            200,
            json!({
                "access_token": token,
                "expires_on": unix_seconds(expires).to_string(),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": self.client_id,
            }),
        )
    }

    /// `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...[&client_id=]`
    /// with `Metadata: true`, as the VM metadata service answers it.
    pub fn metadata_service(&mut self, request: &Incoming) -> Reply {
        let refuse = |description: &str| {
            Reply::json(
                400,
                json!({"error": "invalid_request", "error_description": description}),
            )
        };
        if request.header("metadata") != Some("true") {
            return refuse("Required metadata header not specified");
        }
        if request.query_param("api-version").is_none() {
            return refuse("Required query variable 'api-version' is missing");
        }
        let Some(resource) = request.query_param("resource").filter(|r| !r.is_empty()) else {
            return refuse("Required query variable 'resource' is missing");
        };
        let client_id = match request.query_param("client_id") {
            None => self.client_id.clone(),
            Some(id) if id.eq_ignore_ascii_case(&self.managed_identity_client_id) => id,
            Some(_) => return refuse("Identity not found"),
        };
        let tenant = self.tenant_id.clone();
        let (token, expires) = self.issue(&tenant);
        let now = unix_seconds(std::time::SystemTime::now());
        let expires_on = unix_seconds(expires);
        Reply::json(
            200,
            json!({
                "access_token": token,
                "client_id": client_id,
                "expires_in": (expires_on - now).to_string(),
                "expires_on": expires_on.to_string(),
                "ext_expires_in": (expires_on - now).to_string(),
                "not_before": now.to_string(),
                "resource": resource,
                "token_type": "Bearer",
            }),
        )
    }

    /// GitHub Actions' token service: `GET ...?api-version=2.0&audience=...` with the
    /// job's request token.
    pub fn github_oidc(&self, request: &Incoming) -> Reply {
        if request.header("authorization")
            != Some(format!("Bearer {}", self.federation.github_request_token).as_str())
        {
            return Reply::json(401, json!({"message": "Bad credentials"}));
        }
        let audience = request
            .query_param("audience")
            .unwrap_or_else(|| "https://github.com/amlsecure".to_owned());
        Reply::json(
            200,
            json!({"count": 1, "value": self.federation.issue(GITHUB_SUBJECT, &audience)}),
        )
    }

    /// Azure DevOps' token service: `POST ...?api-version=7.1&serviceConnectionId=...`
    /// with System.AccessToken.
    pub fn ado_oidc(&self, request: &Incoming) -> Reply {
        if request.header("authorization")
            != Some(format!("Bearer {}", self.federation.ado_access_token).as_str())
        {
            return Reply::json(
                401,
                json!({"message": "TF400813: The user is not authorized to access this resource."}),
            );
        }
        let Some(connection) = request.query_param("serviceConnectionId") else {
            return Reply::json(
                400,
                json!({"message": "The serviceConnectionId parameter is required."}),
            );
        };
        if request.query_param("api-version").is_none() {
            return Reply::json(
                400,
                json!({"message": "No api-version was supplied for the POST request."}),
            );
        }
        let subject = Federation::ado_subject(&connection);
        Reply::json(
            200,
            json!({"oidcToken": self.federation.issue(&subject, EXCHANGE_AUDIENCE)}),
        )
    }

    /// `GET /metadata/endpoints?api-version=2022-09-01`: the emulator as a cloud of its
    /// own, beside the public cloud's entry.
    pub fn cloud_metadata(&self, base: &str) -> Reply {
        Reply::json(
            200,
            json!([
                {
                    "name": "AzureCloud",
                    "resourceManager": "https://management.azure.com/",
                    "authentication": {
                        "loginEndpoint": "https://login.microsoftonline.com",
                        "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
                        "tenant": "common",
                        "identityProvider": "AAD",
                    },
                },
                {
                    "name": "AmlsecureEmulator",
                    "resourceManager": format!("{base}/"),
                    "authentication": {
                        "loginEndpoint": format!("{base}/"),
                        "audiences": ["https://management.emulator.amlsecure.test/"],
                        "tenant": "common",
                        "identityProvider": "AAD",
                    },
                },
            ]),
        )
    }

    /// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
    pub fn openid_configuration(&self, tenant: &str, base: &str) -> Reply {
        let t = tenant;
        Reply::json(
            200,
            json!({
                "token_endpoint": format!("{base}/{t}/oauth2/v2.0/token"),
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "jwks_uri": format!("{base}/{t}/discovery/v2.0/keys"),
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": format!("{base}/{}/v2.0", self.tenant_id),
                "request_uri_parameter_supported": false,
                "authorization_endpoint": format!("{base}/{t}/oauth2/v2.0/authorize"),
                "device_authorization_endpoint": format!("{base}/{t}/oauth2/v2.0/devicecode"),
                "end_session_endpoint": format!("{base}/{t}/oauth2/v2.0/logout"),
                "tenant_region_scope": null,
                "cloud_instance_name": "127.0.0.1",
                "cloud_graph_host_name": "127.0.0.1",
                "msgraph_host": "127.0.0.1",
            }),
        )
    }

    /// `GET /common/discovery/instance` (MSAL instance discovery).
    pub fn instance_discovery(&self, base: &str) -> Reply {
        let host = base.trim_start_matches("https://");
        Reply::json(
            200,
            json!({
                "tenant_discovery_endpoint": format!("{base}/{}/v2.0/.well-known/openid-configuration", self.tenant_id),
                "api-version": "1.1",
                "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
            }),
        )
    }
}

fn aad_error(status: u16, error: &str, code: u64, description: &str) -> Reply {
    let trace = guid();
    let correlation = guid();
    let now = humantime::format_rfc3339_seconds(SystemTime::now())
        .to_string()
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_owned()
        + "Z";
    Reply::json(
        status,
        json!({
            "error": error,
            "error_description": format!("{description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {now}"),
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": correlation,
        }),
    )
}
