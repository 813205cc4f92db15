//! Which Azure cloud to talk to: endpoints are configuration, never code paths.

use reqwest::Url;
use serde::Deserialize;

use super::ArmError;

/// The api-version of ARM's `/metadata/endpoints` document that lists clouds as an array.
const METADATA_API_VERSION: &str = "2022-09-01";

/// The name a cloud has in ARM's metadata document, from any spelling Terraform and Azure
/// CLI users write.
fn metadata_name(name: &str) -> Option<&'static str> {
    match name.trim().to_ascii_lowercase().as_str() {
        "" | "public" | "azurecloud" | "azurepubliccloud" => Some("AzureCloud"),
        "usgovernment" | "usgov" | "azureusgovernment" | "azureusgovernmentcloud" => {
            Some("AzureUSGovernment")
        }
        "china" | "azurechina" | "azurechinacloud" => Some("AzureChinaCloud"),
        _ => None,
    }
}

/// One cloud of `/metadata/endpoints`, the fields this provider uses.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataCloud {
    name: String,
    resource_manager: String,
    authentication: MetadataAuthentication,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataAuthentication {
    login_endpoint: String,
    #[serde(default)]
    audiences: Vec<String>,
}

/// The endpoints of one Azure cloud. The same client code talks to real Azure and to a test
/// emulator; only these URLs differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cloud {
    /// Azure Resource Manager, e.g. `https://management.azure.com/`.
    pub resource_manager: Url,
    /// Microsoft Entra ID authority host, e.g. `https://login.microsoftonline.com/`. Tokens
    /// are requested from `{authority_host}/{tenant}/oauth2/v2.0/token`, so it must be a
    /// host root (any path is ignored).
    pub authority_host: Url,
    /// The token audience for ARM, e.g. `https://management.azure.com/`. Kept when the
    /// resource manager URL is overridden (an emulator accepts any audience).
    pub audience: String,
}

fn url(text: &str) -> Url {
    Url::parse(text).expect("built-in cloud URL parses")
}

impl Cloud {
    /// Azure public cloud.
    pub fn public() -> Self {
        Self {
            resource_manager: url("https://management.azure.com/"),
            authority_host: url("https://login.microsoftonline.com/"),
            audience: "https://management.azure.com/".to_owned(),
        }
    }

    /// Azure US Government.
    pub fn us_government() -> Self {
        Self {
            resource_manager: url("https://management.usgovcloudapi.net/"),
            authority_host: url("https://login.microsoftonline.us/"),
            audience: "https://management.usgovcloudapi.net/".to_owned(),
        }
    }

    /// Azure operated by 21Vianet (China).
    pub fn china() -> Self {
        Self {
            resource_manager: url("https://management.chinacloudapi.cn/"),
            authority_host: url("https://login.chinacloudapi.cn/"),
            audience: "https://management.chinacloudapi.cn/".to_owned(),
        }
    }

    /// A cloud by the names Terraform users know, as azurerm and the Azure CLI spell them
    /// (`public`, `usgovernment`, `china`, `AzureCloud`, `AzureUSGovernment`,
    /// `AzureChinaCloud`, ...), case-insensitively.
    pub fn from_name(name: &str) -> Result<Self, ArmError> {
        match metadata_name(name) {
            Some("AzureCloud") => Ok(Self::public()),
            Some("AzureUSGovernment") => Ok(Self::us_government()),
            Some("AzureChinaCloud") => Ok(Self::china()),
            _ => Err(ArmError::Config {
                message: format!(
                    "unknown Azure environment {name:?}: use public, usgovernment or china \
                     (AzureCloud, AzureUSGovernment and AzureChinaCloud are accepted too), or \
                     metadata_host for another cloud"
                ),
            }),
        }
    }

    /// Reads a cloud's endpoints from `https://{host}/metadata/endpoints` (azurerm's
    /// `metadata_host`, e.g. Azure Stack Hub), picking the entry named `environment`.
    pub async fn from_metadata_host(
        http: &reqwest::Client,
        host: &str,
        environment: Option<&str>,
    ) -> Result<Self, ArmError> {
        let host = host
            .trim()
            .trim_start_matches("https://")
            .trim_end_matches('/');
        let url = format!("https://{host}/metadata/endpoints?api-version={METADATA_API_VERSION}");
        let fail = |why: String| ArmError::Config {
            message: format!("cannot read the cloud's endpoints from metadata_host {host}: {why}"),
        };
        let response = http
            .get(&url)
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| fail(e.to_string()))?;
        if !status.is_success() {
            return Err(fail(format!("HTTP {}", status.as_u16())));
        }
        Self::from_metadata(&body, host, environment).map_err(fail)
    }

    /// [`Cloud::from_metadata_host`]'s choice among the clouds a metadata document lists:
    /// the one named `environment` (any spelling [`Cloud::from_name`] knows), else the only
    /// one, else the one whose resource manager is the metadata host.
    pub fn from_metadata(
        body: &[u8],
        host: &str,
        environment: Option<&str>,
    ) -> Result<Self, String> {
        let clouds: Vec<MetadataCloud> = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Array(items)) => items
                .into_iter()
                .filter_map(|item| serde_json::from_value(item).ok())
                .collect(),
            Ok(item @ serde_json::Value::Object(_)) => serde_json::from_value(item)
                .map(|c| vec![c])
                .unwrap_or_default(),
            _ => return Err("the answer is not a list of clouds".to_owned()),
        };
        let wanted = environment.map(|name| metadata_name(name).unwrap_or(name).to_owned());
        let chosen = match &wanted {
            Some(name) => clouds.iter().find(|c| c.name.eq_ignore_ascii_case(name)),
            None if clouds.len() == 1 => clouds.first(),
            None => clouds.iter().find(|c| {
                Url::parse(&c.resource_manager)
                    .ok()
                    .and_then(|u| u.host_str().map(|h| host.starts_with(h)))
                    .unwrap_or(false)
            }),
        };
        let Some(cloud) = chosen else {
            let names: Vec<&str> = clouds.iter().map(|c| c.name.as_str()).collect();
            return Err(format!(
                "no cloud named {} among {names:?}; set environment to one of them",
                wanted.as_deref().unwrap_or("after the host")
            ));
        };
        let parse = |text: &str, what: &str| {
            Url::parse(text).map_err(|e| format!("its {what} {text:?} is not a URL: {e}"))
        };
        let resource_manager = parse(&cloud.resource_manager, "resourceManager")?;
        let audiences = &cloud.authentication.audiences;
        let audience = audiences
            .iter()
            .find(|a| a.trim_end_matches('/') == resource_manager.as_str().trim_end_matches('/'))
            .or_else(|| audiences.first())
            .cloned()
            .ok_or("its authentication lists no audience")?;
        Ok(Self {
            authority_host: parse(&cloud.authentication.login_endpoint, "loginEndpoint")?,
            resource_manager,
            audience,
        })
    }

    /// Replaces the resource manager endpoint (e.g. an emulator).
    pub fn with_resource_manager(mut self, url: Url) -> Self {
        self.resource_manager = url;
        self
    }

    /// Replaces the authority host (e.g. an emulator's token endpoint).
    pub fn with_authority_host(mut self, url: Url) -> Self {
        self.authority_host = url;
        self
    }

    /// The OAuth scope for ARM tokens: `{audience}/.default`.
    pub fn scope(&self) -> String {
        format!("{}/.default", self.audience.trim_end_matches('/'))
    }
}

impl Default for Cloud {
    fn default() -> Self {
        Self::public()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_clouds() {
        assert_eq!(
            Cloud::from_name("public")
                .unwrap()
                .resource_manager
                .as_str(),
            "https://management.azure.com/"
        );
        let gov = Cloud::from_name("AzureUSGovernmentCloud").unwrap();
        assert_eq!(
            gov.authority_host.as_str(),
            "https://login.microsoftonline.us/"
        );
        let china = Cloud::from_name("China").unwrap();
        assert_eq!(
            china.resource_manager.as_str(),
            "https://management.chinacloudapi.cn/"
        );
        assert_eq!(
            china.scope(),
            "https://management.chinacloudapi.cn/.default"
        );
        assert!(Cloud::from_name("mars").is_err());
        for (name, manager) in [
            ("AzureChinaCloud", "https://management.chinacloudapi.cn/"),
            ("azurechinacloud", "https://management.chinacloudapi.cn/"),
            ("AzureUSGovernment", "https://management.usgovcloudapi.net/"),
            ("usgovernment", "https://management.usgovcloudapi.net/"),
            ("AzureCloud", "https://management.azure.com/"),
            ("PUBLIC", "https://management.azure.com/"),
        ] {
            assert_eq!(
                Cloud::from_name(name).unwrap().resource_manager.as_str(),
                manager,
                "{name}"
            );
        }
    }

    const METADATA: &str = r#"[
        {"name": "AzureCloud", "resourceManager": "https://management.azure.com/",
         "authentication": {"loginEndpoint": "https://login.microsoftonline.com",
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"]}},
        {"name": "AzureStackLab", "resourceManager": "https://management.stack.example/",
         "authentication": {"loginEndpoint": "https://login.stack.example/adfs",
            "audiences": ["https://management.adfs.stack.example/"]}}
    ]"#;

    #[test]
    fn metadata_picks_the_named_cloud_and_its_audience() {
        let public =
            Cloud::from_metadata(METADATA.as_bytes(), "management.azure.com", Some("public"))
                .unwrap();
        assert_eq!(public, Cloud::public());
        let stack =
            Cloud::from_metadata(METADATA.as_bytes(), "management.stack.example", None).unwrap();
        assert_eq!(
            stack.resource_manager.as_str(),
            "https://management.stack.example/"
        );
        assert_eq!(
            stack.authority_host.as_str(),
            "https://login.stack.example/adfs"
        );
        assert_eq!(
            stack.scope(),
            "https://management.adfs.stack.example/.default"
        );
        let err = Cloud::from_metadata(METADATA.as_bytes(), "x", Some("mars")).unwrap_err();
        assert!(err.contains("AzureStackLab"), "{err}");
    }

    #[test]
    fn overrides_keep_the_audience() {
        let cloud = Cloud::public()
            .with_resource_manager(Url::parse("https://127.0.0.1:8443").unwrap())
            .with_authority_host(Url::parse("https://127.0.0.1:8444").unwrap());
        assert_eq!(cloud.resource_manager.as_str(), "https://127.0.0.1:8443/");
        assert_eq!(cloud.authority_host.as_str(), "https://127.0.0.1:8444/");
        assert_eq!(cloud.scope(), "https://management.azure.com/.default");
    }
}
