//! The provider block: credentials, cloud and endpoints, and rules switched off. Every
//! argument falls back to the environment variables azurerm users already set (`ARM_*`, and
//! the variables GitHub Actions, Azure DevOps and AKS set for their own token services).

use std::collections::BTreeMap;

use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use crate::arm::{self, ArmSettings, AuthSettings, CertificateSource, Cloud, HttpSettings, Secret};
use crate::checks::Severities;

/// One argument and its environment fallbacks, first set wins.
struct Setting {
    name: &'static str,
    env: &'static [&'static str],
    description: &'static str,
    sensitive: bool,
}

const fn setting(
    name: &'static str,
    env: &'static [&'static str],
    description: &'static str,
) -> Setting {
    Setting {
        name,
        env,
        description,
        sensitive: false,
    }
}

const fn secret(
    name: &'static str,
    env: &'static [&'static str],
    description: &'static str,
) -> Setting {
    Setting {
        name,
        env,
        description,
        sensitive: true,
    }
}

const STRINGS: &[Setting] = &[
    setting(
        "subscription_id",
        &["ARM_SUBSCRIPTION_ID"],
        "Subscription the provider works in.",
    ),
    setting(
        "tenant_id",
        &["ARM_TENANT_ID"],
        "Microsoft Entra tenant to authenticate in.",
    ),
    setting(
        "client_id",
        &["ARM_CLIENT_ID"],
        "Client (application) ID of a service principal, or of a user-assigned managed identity with `use_msi`.",
    ),
    setting(
        "client_id_file_path",
        &["ARM_CLIENT_ID_FILE_PATH"],
        "File holding the client ID, read when `client_id` is not set.",
    ),
    secret(
        "client_secret",
        &["ARM_CLIENT_SECRET"],
        "Client secret of the service principal.",
    ),
    setting(
        "client_secret_file_path",
        &["ARM_CLIENT_SECRET_FILE_PATH"],
        "File holding the client secret, read when `client_secret` is not set.",
    ),
    setting(
        "client_certificate_path",
        &["ARM_CLIENT_CERTIFICATE_PATH"],
        "PFX (PKCS#12) or PEM file with the service principal's certificate and RSA private key.",
    ),
    secret(
        "client_certificate",
        &["ARM_CLIENT_CERTIFICATE"],
        "The same certificate as `client_certificate_path`, as base64 of the file's bytes.",
    ),
    secret(
        "client_certificate_password",
        &["ARM_CLIENT_CERTIFICATE_PASSWORD"],
        "Password of the PFX certificate, if it has one.",
    ),
    secret(
        "oidc_token",
        &["ARM_OIDC_TOKEN"],
        "An OIDC token (a JWT) to exchange for Azure access, with `use_oidc`.",
    ),
    setting(
        "oidc_token_file_path",
        &["ARM_OIDC_TOKEN_FILE_PATH"],
        "File holding an OIDC token, re-read at each sign-in, with `use_oidc` (`AZURE_FEDERATED_TOKEN_FILE` is used when `use_oidc` or `use_aks_workload_identity` is on and nothing else names a token).",
    ),
    secret(
        "oidc_request_token",
        &[
            "ARM_OIDC_REQUEST_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "SYSTEM_ACCESSTOKEN",
        ],
        "Bearer token for the CI system's OIDC token service (GitHub Actions' request token, or Azure DevOps' System.AccessToken), with `use_oidc`.",
    ),
    setting(
        "oidc_request_url",
        &[
            "ARM_OIDC_REQUEST_URL",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "SYSTEM_OIDCREQUESTURI",
        ],
        "URL of the CI system's OIDC token service, with `use_oidc`. GitHub Actions tokens are requested for the audience `api://AzureADTokenExchange`.",
    ),
    setting(
        "ado_pipeline_service_connection_id",
        &[
            "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
            "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID",
        ],
        "Azure DevOps service connection (workload identity federation) whose OIDC token to use, with `use_oidc`.",
    ),
    setting(
        "msi_endpoint",
        &["ARM_MSI_ENDPOINT"],
        "Token URL of the managed identity metadata service, with `use_msi`. Defaults to the address Azure VMs, scale sets and AKS nodes answer on; App Service's `IDENTITY_ENDPOINT` is used instead when it and `IDENTITY_HEADER` are set and this is not.",
    ),
    setting(
        "environment",
        &["ARM_ENVIRONMENT"],
        "Azure cloud, as azurerm or the Azure CLI spell it, in any case: `public` (default, or `AzureCloud`), `usgovernment` (`AzureUSGovernment`) or `china` (`AzureChinaCloud`). With `metadata_host`, the name of the cloud to pick from its metadata.",
    ),
    setting(
        "metadata_host",
        &["ARM_METADATA_HOST"],
        "Host whose `/metadata/endpoints` lists the cloud's endpoints (Azure Stack Hub and other private clouds).",
    ),
    setting(
        "resource_manager_endpoint",
        &["ARM_RESOURCE_MANAGER_ENDPOINT"],
        "Azure Resource Manager URL, overriding the cloud's (private clouds, test emulators).",
    ),
    setting(
        "authority_host",
        &["ARM_AUTHORITY_HOST"],
        "Microsoft Entra login URL, overriding the cloud's.",
    ),
];

const BOOLS: &[Setting] = &[
    setting(
        "use_msi",
        &["ARM_USE_MSI"],
        "Authenticate with a managed identity: a VM's, scale set's or AKS node's through the metadata service (`msi_endpoint`), or App Service's, Functions' and Container Apps' through `IDENTITY_ENDPOINT`. `client_id` picks a user-assigned identity.",
    ),
    setting(
        "use_oidc",
        &["ARM_USE_OIDC"],
        "Authenticate with an OIDC token (workload identity federation): `oidc_token`, `oidc_token_file_path`, an Azure DevOps service connection, or GitHub Actions' token service.",
    ),
    setting(
        "use_aks_workload_identity",
        &["ARM_USE_AKS_WORKLOAD_IDENTITY"],
        "Authenticate with AKS workload identity: the token file, tenant and client that AKS sets in `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_TENANT_ID` and `AZURE_CLIENT_ID`.",
    ),
    setting(
        "use_cli",
        &["ARM_USE_CLI"],
        "Authenticate with the Azure CLI's signed-in account when nothing else is configured (default `true`).",
    ),
];

/// How credentials are chosen when several are configured; also the provider's description.
pub const CREDENTIAL_ORDER: &str = "Credentials are chosen in this order, first match wins: a client certificate (`client_certificate_path` or `client_certificate`); a client secret; with `use_oidc`, `oidc_token`, then `oidc_token_file_path`, then an Azure DevOps service connection, then GitHub Actions' token service; with `use_msi`, a managed identity; the Azure CLI (`use_cli`). A setting that the chosen way does not read is an error, never silently ignored.";

pub fn schema() -> Schema {
    let mut attributes: Vec<Attribute> = STRINGS
        .iter()
        .map(|s| (s, Type::String))
        .chain(BOOLS.iter().map(|s| (s, Type::Bool)))
        .map(|(s, ty)| {
            let attribute = Attribute::optional(s.name, ty).description(format!(
                "{} Defaults to {}.",
                s.description,
                s.env
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", then ")
            ));
            if s.sensitive {
                attribute.sensitive()
            } else {
                attribute
            }
        })
        .collect();
    attributes.push(
        Attribute::optional("auxiliary_tenant_ids", Type::list(Type::String)).description(
            "Further tenants to sign in to with the same service principal, for resources that span tenants (at most 3). Defaults to `ARM_AUXILIARY_TENANT_IDS`, separated by `;`.",
        ),
    );
    attributes.push(
        Attribute::optional("rule_severity", Type::map(Type::String)).description(
            "Severity by rule ID, overriding the rule's own: `error` (fails the plan, or the apply before any write when the check waits for apply), `warning`, or `off`. For example `{ AMLS101 = \"warning\", AMLS141 = \"error\" }`. Plans still say when a rule switched off would have fired.",
        ),
    );
    attributes.push(
        Attribute::optional("disabled_rules", Type::set(Type::String)).description(
            "Rule IDs (like `AMLS101`) not to enforce, the same as `off` in `rule_severity`, which wins when both name a rule. Plans still say when a switched-off rule would have fired.",
        ),
    );
    Schema::new(
        format!(
            "Checks Azure Machine Learning network isolation rules at plan time, and manages compute in customer virtual networks. It signs in wherever azurerm does. {CREDENTIAL_ORDER}"
        ),
        attributes,
    )
}

/// The provider block with environment fallbacks applied, or `Unknown` for values that
/// come from resources not yet created.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    strings: BTreeMap<&'static str, Field<String>>,
    bools: BTreeMap<&'static str, Field<bool>>,
    pub auxiliary_tenant_ids: Field<Vec<String>>,
    pub severities: Severities,
}

impl Settings {
    /// Reads the provider block; `env` looks environment variables up (tests pass a map).
    pub fn read(config: &Value, env: impl Fn(&str) -> Option<String>) -> (Settings, Diagnostics) {
        let from_env = |setting: &Setting| {
            setting
                .env
                .iter()
                .find_map(|name| env(name).filter(|v| !v.trim().is_empty()))
        };
        let strings = STRINGS
            .iter()
            .map(|s| {
                let value = match config.str_field(s.name) {
                    Field::Null => from_env(s).map_or(Field::Null, Field::Known),
                    other => other,
                };
                (s.name, value)
            })
            .collect();
        let bools = BOOLS
            .iter()
            .map(|s| {
                let value = match config.bool_field(s.name) {
                    Field::Null => from_env(s)
                        .and_then(|v| match v.trim().to_ascii_lowercase().as_str() {
                            "true" | "1" => Some(true),
                            "false" | "0" => Some(false),
                            _ => None,
                        })
                        .map_or(Field::Null, Field::Known),
                    other => other,
                };
                (s.name, value)
            })
            .collect();
        let auxiliary_tenant_ids = match config.strings_field("auxiliary_tenant_ids") {
            Field::Null => env("ARM_AUXILIARY_TENANT_IDS").map_or(Field::Null, |v| {
                Field::Known(
                    v.split(';')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .collect(),
                )
            }),
            other => other,
        };
        let mut diagnostics = Diagnostics::new();
        let disabled = config
            .strings_field("disabled_rules")
            .known()
            .unwrap_or_default();
        let levels = config
            .string_map_field("rule_severity")
            .known()
            .unwrap_or_default();
        let (severities, problems) = Severities::parse(
            levels
                .iter()
                .map(|(id, level)| (id.as_str(), level.as_str())),
            disabled.iter().map(String::as_str),
        );
        diagnostics.extend(problems);
        let settings = Settings {
            strings,
            bools,
            auxiliary_tenant_ids,
            severities,
        };
        // Where a value came from, for messages: the argument, or the variable behind it.
        let source = |name: &str| {
            let setting = STRINGS.iter().find(|s| s.name == name).expect("declared");
            match setting
                .env
                .iter()
                .find(|e| env(e).is_some_and(|v| !v.trim().is_empty()))
            {
                Some(variable) if config.attr(name).is_none_or(Value::is_null) => {
                    format!("{name} (from {variable})")
                }
                _ => name.to_owned(),
            }
        };
        if let Field::Known(id) = &settings.string("subscription_id")
            && !is_guid(id)
        {
            diagnostics.push(
                Diagnostic::error(
                    "Invalid subscription ID",
                    format!(
                        "{} is {id:?}; a subscription ID is a GUID like 00000000-0000-0000-0000-000000000000.",
                        source("subscription_id")
                    ),
                )
                .at(AttributePath::attribute("subscription_id")),
            );
        }
        for name in ["resource_manager_endpoint", "authority_host"] {
            if let Field::Known(url) = &settings.string(name)
                && !is_https_url(url)
            {
                diagnostics.push(
                    Diagnostic::error(
                        "Invalid endpoint",
                        format!(
                            "{} is {url:?}; it must be an https:// URL, like https://management.azure.com/.",
                            source(name)
                        ),
                    )
                    .at(AttributePath::attribute(name)),
                );
            }
        }
        if let (Field::Known(environment), Field::Null) = (
            settings.string("environment"),
            settings.string("metadata_host"),
        ) && let Err(error) = Cloud::from_name(&environment)
        {
            diagnostics.push(
                Diagnostic::error("Unknown Azure environment", error.to_string())
                    .at(AttributePath::attribute("environment")),
            );
        }
        if let Field::Known(tenants) = &settings.auxiliary_tenant_ids
            && tenants.len() > 3
        {
            diagnostics.push(
                Diagnostic::error(
                    "Too many auxiliary tenants",
                    format!(
                        "{} auxiliary tenants are given; Azure Resource Manager accepts at most 3.",
                        tenants.len()
                    ),
                )
                .at(AttributePath::attribute("auxiliary_tenant_ids")),
            );
        }
        (settings, diagnostics)
    }

    /// A string argument, after its environment fallbacks.
    pub fn string(&self, name: &str) -> Field<String> {
        self.strings.get(name).cloned().expect("declared setting")
    }

    fn flag(&self, name: &str) -> Field<bool> {
        self.bools.get(name).cloned().expect("declared setting")
    }

    /// True when some setting is only known at apply: checks that read Azure must wait.
    pub fn has_unknowns(&self) -> bool {
        self.strings.values().any(Field::is_unknown)
            || self.bools.values().any(Field::is_unknown)
            || self.auxiliary_tenant_ids.is_unknown()
    }

    /// ARM client settings: cloud, endpoint overrides, credentials, and extra CA
    /// certificates from `SSL_CERT_FILE`. `env` reads the platform's own variables
    /// (App Service's identity endpoint, AKS workload identity).
    pub fn arm_settings(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ArmSettings, arm::ArmError> {
        let known = |name: &str| self.string(name).known().filter(|v| !v.trim().is_empty());
        let flag = |name: &str| self.flag(name).known();
        let platform = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let read_file = |name: &str| -> Result<Option<String>, arm::ArmError> {
            known(name)
                .map(|path| {
                    std::fs::read_to_string(&path)
                        .map(|text| text.trim().to_owned())
                        .map_err(|e| arm::ArmError::Config {
                            message: format!("cannot read {name} {path}: {e}"),
                        })
                })
                .transpose()
        };
        let mut cloud = match known("environment").filter(|_| known("metadata_host").is_none()) {
            Some(name) => Cloud::from_name(&name)?,
            None => Cloud::public(),
        };
        let url = |text: String, what: &str| {
            text.parse().map_err(|e| arm::ArmError::Config {
                message: format!("{what} {text:?} is not a URL: {e}"),
            })
        };
        if let Some(endpoint) = known("resource_manager_endpoint") {
            cloud = cloud.with_resource_manager(url(endpoint, "resource_manager_endpoint")?);
        }
        if let Some(authority) = known("authority_host") {
            cloud = cloud.with_authority_host(url(authority, "authority_host")?);
        }
        let aks_workload_identity = flag("use_aks_workload_identity").unwrap_or(false);
        let use_oidc = flag("use_oidc").unwrap_or(false) || aks_workload_identity;
        let names_a_token = known("oidc_token").is_some()
            || known("oidc_token_file_path").is_some()
            || known("ado_pipeline_service_connection_id").is_some();
        let oidc_token_file_path = known("oidc_token_file_path").or_else(|| {
            (use_oidc && (aks_workload_identity || !names_a_token))
                .then(|| platform("AZURE_FEDERATED_TOKEN_FILE"))
                .flatten()
        });
        let with_platform = |name: &str, variable: &str| {
            known(name).or_else(|| aks_workload_identity.then(|| platform(variable)).flatten())
        };
        let auth = AuthSettings {
            tenant_id: with_platform("tenant_id", "AZURE_TENANT_ID"),
            client_id: with_platform("client_id", "AZURE_CLIENT_ID")
                .map_or_else(|| read_file("client_id_file_path"), |id| Ok(Some(id)))?,
            client_secret: known("client_secret")
                .map_or_else(|| read_file("client_secret_file_path"), |s| Ok(Some(s)))?
                .map(Secret::new),
            client_certificate: match (
                known("client_certificate_path"),
                known("client_certificate"),
            ) {
                (Some(path), _) => Some(CertificateSource::Path(path.into())),
                (None, Some(base64)) => Some(CertificateSource::Base64(Secret::new(base64))),
                (None, None) => None,
            },
            client_certificate_password: known("client_certificate_password").map(Secret::new),
            use_oidc,
            oidc_token: known("oidc_token").map(Secret::new),
            oidc_token_file_path: oidc_token_file_path.map(Into::into),
            oidc_request_token: known("oidc_request_token").map(Secret::new),
            oidc_request_url: known("oidc_request_url"),
            ado_service_connection_id: known("ado_pipeline_service_connection_id"),
            use_msi: flag("use_msi").unwrap_or(false),
            msi_endpoint: known("msi_endpoint"),
            app_service_identity: platform("IDENTITY_ENDPOINT")
                .zip(platform("IDENTITY_HEADER").map(Secret::new)),
            use_cli: flag("use_cli").unwrap_or(true),
            auxiliary_tenant_ids: self
                .auxiliary_tenant_ids
                .clone()
                .known()
                .unwrap_or_default(),
        };
        Ok(ArmSettings {
            cloud,
            metadata_host: known("metadata_host").map(|host| (host, known("environment"))),
            auth,
            http: HttpSettings::from_env(),
            ..ArmSettings::default()
        })
    }
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// An absolute `https://` URL with a host: the only way tokens and requests may travel.
fn is_https_url(text: &str) -> bool {
    reqwest::Url::parse(text.trim())
        .is_ok_and(|url| url.scheme() == "https" && url.host_str().is_some_and(|h| !h.is_empty()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let schema = schema();
        Value::object(schema.block.attributes.iter().map(|a| {
            let value = pairs
                .iter()
                .find(|(n, _)| *n == a.name)
                .map_or(Value::Null, |(_, v)| v.clone());
            (a.name.as_str(), value)
        }))
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn arguments_win_over_environment_which_fills_the_rest() {
        let (settings, diagnostics) = Settings::read(
            &config(&[(
                "subscription_id",
                "11111111-2222-3333-4444-555555555555".into(),
            )]),
            env(&[
                (
                    "ARM_SUBSCRIPTION_ID",
                    "99999999-2222-3333-4444-555555555555",
                ),
                ("ARM_TENANT_ID", "tenant-env"),
                ("ARM_USE_MSI", "true"),
                ("ARM_USE_CLI", "nonsense"),
            ]),
        );
        assert!(diagnostics.is_empty());
        assert_eq!(
            settings.string("subscription_id"),
            Field::Known("11111111-2222-3333-4444-555555555555".into())
        );
        assert_eq!(
            settings.string("tenant_id"),
            Field::Known("tenant-env".into())
        );
        assert_eq!(settings.flag("use_msi"), Field::Known(true));
        assert_eq!(settings.flag("use_cli"), Field::Null);
        assert!(!settings.has_unknowns());
    }

    #[test]
    fn unknown_values_are_kept_unknown_not_replaced_by_environment() {
        let (settings, _) = Settings::read(
            &config(&[("client_secret", Value::unknown())]),
            env(&[("ARM_CLIENT_SECRET", "env-secret")]),
        );
        assert_eq!(settings.string("client_secret"), Field::Unknown);
        assert!(settings.has_unknowns());
    }

    #[test]
    fn bad_environment_and_rule_ids_point_at_their_attributes() {
        let (_, diagnostics) = Settings::read(
            &config(&[
                ("environment", "mars".into()),
                (
                    "disabled_rules",
                    Value::Set(vec!["AMLS101".into(), "AMLS000".into()]),
                ),
            ]),
            env(&[]),
        );
        let at: Vec<_> = diagnostics
            .iter()
            .map(|d| d.attribute.clone().unwrap().to_string())
            .collect();
        assert_eq!(at, ["disabled_rules", "environment"]);
    }

    #[test]
    fn subscriptions_are_guids_and_endpoints_https() {
        let (_, diagnostics) = Settings::read(
            &config(&[("resource_manager_endpoint", "ftp://example.com".into())]),
            env(&[
                ("ARM_SUBSCRIPTION_ID", "my-subscription"),
                ("ARM_AUTHORITY_HOST", "https://login.microsoftonline.com/"),
            ]),
        );
        let found: Vec<_> = diagnostics
            .iter()
            .map(|d| (d.attribute.clone().unwrap().to_string(), d.detail.clone()))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "subscription_id");
        assert!(found[0].1.contains("from ARM_SUBSCRIPTION_ID"), "{found:?}");
        assert_eq!(found[1].0, "resource_manager_endpoint");
        assert!(found[1].1.contains("https://"), "{found:?}");
    }

    #[test]
    fn secrets_are_sensitive() {
        let schema = schema();
        for name in [
            "client_secret",
            "client_certificate",
            "client_certificate_password",
            "oidc_token",
            "oidc_request_token",
        ] {
            assert!(schema.block.attribute(name).unwrap().sensitive, "{name}");
        }
        assert!(!schema.block.attribute("client_id").unwrap().sensitive);
    }

    #[test]
    fn environment_spellings_of_azurerm_and_the_cli_are_accepted() {
        for name in [
            "AzureChinaCloud",
            "azurechinacloud",
            "AzureUSGovernment",
            "PUBLIC",
            "AzureCloud",
        ] {
            let (_, diagnostics) =
                Settings::read(&config(&[("environment", name.into())]), env(&[]));
            assert!(diagnostics.is_empty(), "{name}: {diagnostics:?}");
        }
        // With a metadata host, the environment names an entry of its document.
        let (_, diagnostics) = Settings::read(
            &config(&[("environment", "AzureStackLab".into())]),
            env(&[("ARM_METADATA_HOST", "management.stack.example")]),
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
    }

    #[test]
    fn ci_variables_fill_the_oidc_request_settings() {
        let (settings, _) = Settings::read(
            &config(&[]),
            env(&[
                ("ARM_USE_OIDC", "true"),
                ("ARM_TENANT_ID", "t"),
                ("ARM_CLIENT_ID", "c"),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request"),
                (
                    "ACTIONS_ID_TOKEN_REQUEST_URL",
                    "https://127.0.0.1:1/token?api-version=2.0",
                ),
                ("SYSTEM_ACCESSTOKEN", "ado-token"),
            ]),
        );
        let arm = settings.arm_settings(env(&[])).unwrap();
        assert_eq!(
            arm.auth.method().unwrap(),
            arm::AuthMethod::GitHubActionsOidc
        );
        assert_eq!(arm.auth.oidc_request_token.unwrap().expose(), "gh-request");

        let (settings, _) = Settings::read(
            &config(&[]),
            env(&[
                ("ARM_USE_OIDC", "true"),
                ("ARM_TENANT_ID", "t"),
                ("ARM_CLIENT_ID", "c"),
                ("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "sc-1"),
                ("SYSTEM_ACCESSTOKEN", "ado-token"),
                ("SYSTEM_OIDCREQUESTURI", "https://127.0.0.1:1/oidc"),
            ]),
        );
        let arm = settings.arm_settings(env(&[])).unwrap();
        assert_eq!(arm.auth.method().unwrap(), arm::AuthMethod::AzureDevOpsOidc);
    }

    #[test]
    fn aks_workload_identity_reads_what_aks_sets() {
        let (settings, _) = Settings::read(
            &config(&[("use_aks_workload_identity", true.into())]),
            env(&[]),
        );
        let arm = settings
            .arm_settings(env(&[
                ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/token"),
                ("AZURE_TENANT_ID", "t"),
                ("AZURE_CLIENT_ID", "c"),
            ]))
            .unwrap();
        assert_eq!(arm.auth.method().unwrap(), arm::AuthMethod::OidcTokenFile);
        assert_eq!(arm.auth.tenant_id.as_deref(), Some("t"));
    }

    #[test]
    fn client_id_and_secret_can_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let id_file = dir.path().join("client-id");
        let secret_file = dir.path().join("client-secret");
        std::fs::write(&id_file, "c-from-file\n").unwrap();
        std::fs::write(&secret_file, "s-from-file\n").unwrap();
        let (settings, _) = Settings::read(
            &config(&[]),
            env(&[
                ("ARM_TENANT_ID", "t"),
                ("ARM_CLIENT_ID_FILE_PATH", id_file.to_str().unwrap()),
                ("ARM_CLIENT_SECRET_FILE_PATH", secret_file.to_str().unwrap()),
            ]),
        );
        let auth = settings.arm_settings(env(&[])).unwrap().auth;
        assert_eq!(auth.client_id.as_deref(), Some("c-from-file"));
        assert_eq!(auth.client_secret.unwrap().expose(), "s-from-file");

        let (missing, _) = Settings::read(
            &config(&[]),
            env(&[("ARM_CLIENT_SECRET_FILE_PATH", "/nonexistent/secret")]),
        );
        let err = missing.arm_settings(env(&[])).unwrap_err().to_string();
        assert!(err.contains("client_secret_file_path"), "{err}");
    }

    #[test]
    fn a_certificate_path_alone_names_what_is_missing() {
        let (settings, _) = Settings::read(
            &config(&[]),
            env(&[("ARM_CLIENT_CERTIFICATE_PATH", "/tmp/c.pfx")]),
        );
        let err = settings
            .arm_settings(env(&[]))
            .unwrap()
            .auth
            .method()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("client certificate authentication needs tenant_id"),
            "{err}"
        );
    }
}
