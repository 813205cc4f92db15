//! Which Azure cloud to talk to: endpoints are configuration, never code paths.

use reqwest::Url;

use super::ArmError;

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

    /// A cloud by the names Terraform users know (`public`, `usgovernment`, `china`, and the
    /// azurerm spellings such as `AzureUSGovernmentCloud`), case-insensitively.
    pub fn from_name(name: &str) -> Result<Self, ArmError> {
        match name.to_ascii_lowercase().as_str() {
            "" | "public" | "azurecloud" | "azurepubliccloud" => Ok(Self::public()),
            "usgovernment" | "usgov" | "azureusgovernment" | "azureusgovernmentcloud" => {
                Ok(Self::us_government())
            }
            "china" | "azurechina" | "azurechinacloud" => Ok(Self::china()),
            _ => Err(ArmError::Config {
                message: format!(
                    "unknown Azure environment {name:?}: use \"public\", \"usgovernment\" or \"china\""
                ),
            }),
        }
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
