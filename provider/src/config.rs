//! The provider block: credentials, cloud and endpoints, and rules switched off. Every
//! argument falls back to the `ARM_*` environment variable azurerm users already set.

use tfplugin::schema::{Attribute, Schema};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use crate::checks::DisabledRules;

/// One string argument and its environment fallback.
struct Setting {
    name: &'static str,
    env: &'static str,
    description: &'static str,
}

const STRINGS: &[Setting] = &[
    Setting {
        name: "subscription_id",
        env: "ARM_SUBSCRIPTION_ID",
        description: "Subscription the provider works in.",
    },
    Setting {
        name: "tenant_id",
        env: "ARM_TENANT_ID",
        description: "Microsoft Entra tenant to authenticate in.",
    },
    Setting {
        name: "client_id",
        env: "ARM_CLIENT_ID",
        description: "Client (application) ID of a service principal or user-assigned managed identity.",
    },
    Setting {
        name: "client_secret",
        env: "ARM_CLIENT_SECRET",
        description: "Client secret of the service principal.",
    },
    Setting {
        name: "oidc_token_file_path",
        env: "ARM_OIDC_TOKEN_FILE_PATH",
        description: "File holding an OIDC token for workload identity federation (with `use_oidc`).",
    },
    Setting {
        name: "environment",
        env: "ARM_ENVIRONMENT",
        description: "Azure cloud: `public` (default), `usgovernment` or `china`.",
    },
    Setting {
        name: "resource_manager_endpoint",
        env: "ARM_RESOURCE_MANAGER_ENDPOINT",
        description: "Azure Resource Manager URL, overriding the cloud's (private clouds, test emulators).",
    },
    Setting {
        name: "authority_host",
        env: "ARM_AUTHORITY_HOST",
        description: "Microsoft Entra login URL, overriding the cloud's.",
    },
];

const BOOLS: &[Setting] = &[
    Setting {
        name: "use_msi",
        env: "ARM_USE_MSI",
        description: "Authenticate with a managed identity (needs `IDENTITY_ENDPOINT`, as on App Service, Functions and Container Apps).",
    },
    Setting {
        name: "use_oidc",
        env: "ARM_USE_OIDC",
        description: "Authenticate with an OIDC token (workload identity federation), read from `oidc_token_file_path`.",
    },
    Setting {
        name: "use_cli",
        env: "ARM_USE_CLI",
        description: "Authenticate with the Azure CLI's signed-in account when nothing else is configured (default `true`).",
    },
];

pub fn schema() -> Schema {
    let mut attributes: Vec<Attribute> = STRINGS
        .iter()
        .map(|s| {
            let attribute = Attribute::optional(s.name, Type::String)
                .description(format!("{} Defaults to `{}`.", s.description, s.env));
            if s.name == "client_secret" {
                attribute.sensitive()
            } else {
                attribute
            }
        })
        .collect();
    attributes.extend(BOOLS.iter().map(|s| {
        Attribute::optional(s.name, Type::Bool)
            .description(format!("{} Defaults to `{}`.", s.description, s.env))
    }));
    attributes.push(
        Attribute::optional("disabled_rules", Type::set(Type::String)).description(
            "Rule IDs (like `AMLS101`) not to enforce. Plans still say when a switched-off rule would have fired.",
        ),
    );
    Schema::new(
        "Checks Azure Machine Learning network isolation rules at plan time, and manages compute in customer virtual networks. Credentials are chosen in this order: `client_secret`; `use_oidc` with `oidc_token_file_path`; `use_msi`; the Azure CLI (`use_cli`).",
        attributes,
    )
}

/// The provider block with environment fallbacks applied, or `Unknown` for values that
/// come from resources not yet created.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub subscription_id: Field<String>,
    pub tenant_id: Field<String>,
    pub client_id: Field<String>,
    pub client_secret: Field<String>,
    pub oidc_token_file_path: Field<String>,
    pub environment: Field<String>,
    pub resource_manager_endpoint: Field<String>,
    pub authority_host: Field<String>,
    pub use_msi: Field<bool>,
    pub use_oidc: Field<bool>,
    pub use_cli: Field<bool>,
    pub disabled_rules: DisabledRules,
}

impl Settings {
    /// Reads the provider block; `env` looks environment variables up (tests pass a map).
    pub fn read(config: &Value, env: impl Fn(&str) -> Option<String>) -> (Settings, Diagnostics) {
        let string = |name: &str| {
            let setting = STRINGS.iter().find(|s| s.name == name).expect("declared");
            match config.str_field(name) {
                Field::Null => env(setting.env)
                    .filter(|v| !v.is_empty())
                    .map_or(Field::Null, Field::Known),
                other => other,
            }
        };
        let boolean = |name: &str| {
            let setting = BOOLS.iter().find(|s| s.name == name).expect("declared");
            match config.bool_field(name) {
                Field::Null => env(setting.env)
                    .and_then(|v| match v.trim().to_ascii_lowercase().as_str() {
                        "true" | "1" => Some(true),
                        "false" | "0" => Some(false),
                        _ => None,
                    })
                    .map_or(Field::Null, Field::Known),
                other => other,
            }
        };
        let mut diagnostics = Diagnostics::new();
        let at = AttributePath::attribute("disabled_rules");
        let (disabled_rules, problems) = match config.strings_field("disabled_rules") {
            Field::Known(ids) => DisabledRules::parse(ids.iter().map(String::as_str), &at),
            _ => (DisabledRules::default(), Diagnostics::new()),
        };
        diagnostics.extend(problems);
        let settings = Settings {
            subscription_id: string("subscription_id"),
            tenant_id: string("tenant_id"),
            client_id: string("client_id"),
            client_secret: string("client_secret"),
            oidc_token_file_path: string("oidc_token_file_path"),
            environment: string("environment"),
            resource_manager_endpoint: string("resource_manager_endpoint"),
            authority_host: string("authority_host"),
            use_msi: boolean("use_msi"),
            use_oidc: boolean("use_oidc"),
            use_cli: boolean("use_cli"),
            disabled_rules,
        };
        // Where a value came from, for messages: the argument, or the variable behind it.
        let source = |name: &str| {
            let setting = STRINGS.iter().find(|s| s.name == name).expect("declared");
            if config.attr(name).is_some_and(|v| !v.is_null()) {
                name.to_owned()
            } else {
                format!("{name} (from {})", setting.env)
            }
        };
        if let Field::Known(id) = &settings.subscription_id
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
        for (name, field) in [
            (
                "resource_manager_endpoint",
                &settings.resource_manager_endpoint,
            ),
            ("authority_host", &settings.authority_host),
        ] {
            if let Field::Known(url) = field
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
        if let Field::Known(environment) = &settings.environment
            && !["public", "usgovernment", "china"].contains(&environment.as_str())
        {
            diagnostics.push(
                Diagnostic::error(
                    "Unknown Azure environment",
                    format!(
                        "{environment:?} is not an Azure cloud; use public, usgovernment or china."
                    ),
                )
                .at(AttributePath::attribute("environment")),
            );
        }
        (settings, diagnostics)
    }

    /// True when some setting is only known at apply: checks that read Azure must wait.
    pub fn has_unknowns(&self) -> bool {
        [
            &self.subscription_id,
            &self.tenant_id,
            &self.client_id,
            &self.client_secret,
            &self.oidc_token_file_path,
            &self.environment,
            &self.resource_manager_endpoint,
            &self.authority_host,
        ]
        .iter()
        .any(|f| f.is_unknown())
            || [&self.use_msi, &self.use_oidc, &self.use_cli]
                .iter()
                .any(|f| f.is_unknown())
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
            settings.subscription_id,
            Field::Known("11111111-2222-3333-4444-555555555555".into())
        );
        assert_eq!(settings.tenant_id, Field::Known("tenant-env".into()));
        assert_eq!(settings.use_msi, Field::Known(true));
        assert_eq!(settings.use_cli, Field::Null);
        assert!(!settings.has_unknowns());
    }

    #[test]
    fn unknown_values_are_kept_unknown_not_replaced_by_environment() {
        let (settings, _) = Settings::read(
            &config(&[("client_secret", Value::unknown())]),
            env(&[("ARM_CLIENT_SECRET", "env-secret")]),
        );
        assert_eq!(settings.client_secret, Field::Unknown);
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
    fn the_secret_is_sensitive() {
        let schema = schema();
        assert!(schema.block.attribute("client_secret").unwrap().sensitive);
        assert!(!schema.block.attribute("client_id").unwrap().sensitive);
    }
}
