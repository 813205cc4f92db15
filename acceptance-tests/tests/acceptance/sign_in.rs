//! Every sign-in flow azurerm accepts, through real Terraform against the emulator acting as
//! Entra, the VM metadata service and the CI systems' token services: each test gives
//! Terraform only that flow's settings and reads a subnet through ARM, which answers only
//! with a token the flow obtained.

use amlsecure_acceptance_tests::TestDir;
use amlsecure_acceptance_tests::azure::Azure;
use amlsecure_acceptance_tests::emulator::federation::base64_file;

const CONFIG: &str = r#"
terraform {
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

provider "amlsecure" {}

variable "subnet_id" {
  type = string
}

data "amlsecure_subnet_capacity" "training" {
  subnet_id = var.subnet_id
  max_nodes = 4
}

output "address_prefix" {
  value = data.amlsecure_subnet_capacity.training.address_prefix
}
"#;

/// Plans (reading the subnet) with the endpoints plus `credentials`; the run's output.
fn plan(azure: &Azure, credentials: &[(&str, &str)]) -> amlsecure_acceptance_tests::Run {
    let topology = azure.seed_topology();
    let dir = TestDir::new();
    dir.write("main.tf", CONFIG);
    let mut env: Vec<(String, String)> = azure
        .env_without_credentials()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    env.push(("TF_VAR_subnet_id".into(), topology.training_subnet_id));
    for (name, value) in credentials {
        env.retain(|(k, _)| k != name);
        env.push(((*name).to_owned(), (*value).to_owned()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    dir.run_with_env(&["plan", "-input=false", "-no-color"], &env)
}

#[track_caller]
fn signs_in(azure: &Azure, credentials: &[(&str, &str)]) {
    let run = plan(azure, credentials);
    assert_eq!(run.code, 0, "sign-in failed:\n{}", run.all_output());
    assert!(
        run.stdout.contains("address_prefix = \"10.0.1.0/24\""),
        "{}",
        run.stdout
    );
}

#[track_caller]
fn refused(azure: &Azure, credentials: &[(&str, &str)], expected: &[&str]) -> String {
    let run = plan(azure, credentials);
    let output = run.all_output();
    assert_ne!(run.code, 0, "signed in unexpectedly:\n{output}");
    // Terraform wraps long lines; compare with the line breaks folded.
    let folded = output.split_whitespace().collect::<Vec<_>>().join(" ");
    for text in expected {
        assert!(folded.contains(text), "{text:?} not in:\n{output}");
    }
    folded
}

fn field<'a>(azure: &'a Azure, name: &str) -> &'a str {
    azure.emulator().field(name)
}

#[test]
fn client_certificate_from_a_pfx_file_with_its_password() {
    let azure = Azure::start();
    signs_in(
        &azure,
        &[
            ("ARM_TENANT_ID", field(&azure, "tenant_id")),
            ("ARM_CLIENT_ID", field(&azure, "client_id")),
            (
                "ARM_CLIENT_CERTIFICATE_PATH",
                field(&azure, "client_certificate_pfx"),
            ),
            (
                "ARM_CLIENT_CERTIFICATE_PASSWORD",
                field(&azure, "client_certificate_password"),
            ),
        ],
    );
    // Without the password the file cannot be opened, and the error says so.
    refused(
        &azure,
        &[
            ("ARM_TENANT_ID", field(&azure, "tenant_id")),
            ("ARM_CLIENT_ID", field(&azure, "client_id")),
            (
                "ARM_CLIENT_CERTIFICATE_PATH",
                field(&azure, "client_certificate_pfx"),
            ),
        ],
        &["no client_certificate_password was given"],
    );
}

#[test]
fn client_certificate_as_base64_pem() {
    let azure = Azure::start();
    let pem = base64_file(std::path::Path::new(field(
        &azure,
        "client_certificate_pem",
    )))
    .unwrap();
    signs_in(
        &azure,
        &[
            ("ARM_TENANT_ID", field(&azure, "tenant_id")),
            ("ARM_CLIENT_ID", field(&azure, "client_id")),
            ("ARM_CLIENT_CERTIFICATE", &pem),
        ],
    );
}

/// A token from the emulated GitHub Actions token service, as a pipeline step would pass it on.
fn github_token(azure: &Azure) -> String {
    let ca = std::fs::read(azure.emulator().ca_file()).unwrap();
    let http = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .build()
        .unwrap();
    let answer: serde_json::Value = http
        .get(format!(
            "{}&audience=api://AzureADTokenExchange",
            field(azure, "github_oidc_request_url")
        ))
        .bearer_auth(field(azure, "github_oidc_request_token"))
        .send()
        .and_then(|r| r.json())
        .unwrap();
    answer["value"].as_str().unwrap().to_owned()
}

#[test]
fn oidc_token_value_and_token_file() {
    let azure = Azure::start();
    let token = github_token(&azure);
    let application = [
        ("ARM_USE_OIDC", "true"),
        ("ARM_TENANT_ID", field(&azure, "tenant_id")),
        ("ARM_CLIENT_ID", field(&azure, "client_id")),
    ];
    signs_in(
        &azure,
        &[&application[..], &[("ARM_OIDC_TOKEN", &token)]].concat(),
    );

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &token).unwrap();
    let path = file.path().display().to_string();
    signs_in(
        &azure,
        &[&application[..], &[("ARM_OIDC_TOKEN_FILE_PATH", &path)]].concat(),
    );

    // A token for another audience is refused as Entra refuses it, code and trace ID shown.
    refused(
        &azure,
        &[&application[..], &[("ARM_OIDC_TOKEN", "not.a.jwt")]].concat(),
        &[
            "AADSTS50027: JWT token is invalid or malformed.",
            "trace ID",
        ],
    );
    // Without use_oidc the token is not silently ignored.
    refused(
        &azure,
        &[
            ("ARM_TENANT_ID", field(&azure, "tenant_id")),
            ("ARM_CLIENT_ID", field(&azure, "client_id")),
            ("ARM_OIDC_TOKEN", &token),
            ("ARM_USE_CLI", "true"),
        ],
        &["oidc_token is set but not used: set use_oidc = true"],
    );
}

#[test]
fn github_actions_through_its_own_variables() {
    let azure = Azure::start();
    signs_in(
        &azure,
        &[
            ("ARM_USE_OIDC", "true"),
            ("ARM_TENANT_ID", field(&azure, "tenant_id")),
            ("ARM_CLIENT_ID", field(&azure, "client_id")),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                field(&azure, "github_oidc_request_url"),
            ),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                field(&azure, "github_oidc_request_token"),
            ),
        ],
    );
    // The ARM_ names win over GitHub's; a wrong request token reads as the service said.
    refused(
        &azure,
        &[
            ("ARM_USE_OIDC", "true"),
            ("ARM_TENANT_ID", field(&azure, "tenant_id")),
            ("ARM_CLIENT_ID", field(&azure, "client_id")),
            (
                "ARM_OIDC_REQUEST_URL",
                field(&azure, "github_oidc_request_url"),
            ),
            ("ARM_OIDC_REQUEST_TOKEN", "stale"),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                field(&azure, "github_oidc_request_token"),
            ),
        ],
        &["GitHub Actions OIDC token request was refused: Bad credentials"],
    );
}

#[test]
fn azure_devops_service_connection() {
    let azure = Azure::start();
    signs_in(
        &azure,
        &[
            ("ARM_USE_OIDC", "true"),
            ("ARM_TENANT_ID", field(&azure, "tenant_id")),
            ("ARM_CLIENT_ID", field(&azure, "client_id")),
            (
                "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID",
                field(&azure, "ado_service_connection_id"),
            ),
            ("SYSTEM_ACCESSTOKEN", field(&azure, "ado_access_token")),
            (
                "SYSTEM_OIDCREQUESTURI",
                field(&azure, "ado_oidc_request_url"),
            ),
        ],
    );
    // Another service connection's token has a subject Entra has no federated credential for.
    refused(
        &azure,
        &[
            ("ARM_USE_OIDC", "true"),
            ("ARM_TENANT_ID", field(&azure, "tenant_id")),
            ("ARM_CLIENT_ID", field(&azure, "client_id")),
            ("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "other-connection"),
            ("SYSTEM_ACCESSTOKEN", field(&azure, "ado_access_token")),
            (
                "SYSTEM_OIDCREQUESTURI",
                field(&azure, "ado_oidc_request_url"),
            ),
        ],
        &["AADSTS700213", "sc://amlsecure/infra/other-connection"],
    );
}

#[test]
fn managed_identity_through_a_configured_metadata_endpoint() {
    let azure = Azure::start();
    let imds = [
        ("ARM_USE_MSI", "true"),
        ("ARM_MSI_ENDPOINT", field(&azure, "msi_endpoint")),
    ];
    // System-assigned, then user-assigned by client ID.
    signs_in(&azure, &imds);
    signs_in(
        &azure,
        &[
            &imds[..],
            &[("ARM_CLIENT_ID", field(&azure, "managed_identity_client_id"))],
        ]
        .concat(),
    );
    refused(
        &azure,
        &[
            &imds[..],
            &[("ARM_CLIENT_ID", "00000000-0000-0000-0000-00000000dead")],
        ]
        .concat(),
        &[
            "client ID 00000000-0000-0000-0000-00000000dead",
            "invalid_request: Identity not found",
        ],
    );
}

#[test]
fn managed_identity_through_app_service_identity_endpoint() {
    let azure = Azure::start();
    signs_in(
        &azure,
        &[
            ("ARM_USE_MSI", "true"),
            ("IDENTITY_ENDPOINT", field(&azure, "identity_endpoint")),
            ("IDENTITY_HEADER", field(&azure, "identity_header")),
        ],
    );
}

#[test]
fn client_secret_refusal_reads_as_entra_wrote_it() {
    let azure = Azure::start();
    let folded = refused(
        &azure,
        &[
            ("ARM_TENANT_ID", field(&azure, "tenant_id")),
            ("ARM_CLIENT_ID", field(&azure, "client_id")),
            ("ARM_CLIENT_SECRET", "wrong-secret-value"),
        ],
        &["AADSTS7000215: Invalid client secret provided.", "trace ID"],
    );
    assert!(!folded.contains("borrowed string"), "{folded}");
    assert!(!folded.contains("wrong-secret-value"), "{folded}");
    assert!(!folded.contains("Timestamp:"), "{folded}");
}

#[test]
fn certificate_comes_before_secret_and_lone_settings_name_what_is_missing() {
    let azure = Azure::start();
    // Both configured: the certificate is used (the secret is wrong and never sent).
    signs_in(
        &azure,
        &[
            ("ARM_TENANT_ID", field(&azure, "tenant_id")),
            ("ARM_CLIENT_ID", field(&azure, "client_id")),
            ("ARM_CLIENT_SECRET", "wrong-secret-value"),
            (
                "ARM_CLIENT_CERTIFICATE_PATH",
                field(&azure, "client_certificate_pem"),
            ),
        ],
    );
    refused(
        &azure,
        &[(
            "ARM_CLIENT_CERTIFICATE_PATH",
            field(&azure, "client_certificate_pem"),
        )],
        &["client certificate authentication needs tenant_id (ARM_TENANT_ID)"],
    );
    refused(
        &azure,
        &[
            ("ARM_USE_CLI", "true"),
            ("ARM_MSI_ENDPOINT", field(&azure, "msi_endpoint")),
        ],
        &["msi_endpoint is set but not used: set use_msi = true"],
    );
}

#[test]
fn cloud_from_metadata_host_and_azurerm_environment_names() {
    let azure = Azure::start();
    let secret = [
        ("ARM_TENANT_ID", field(&azure, "tenant_id")),
        ("ARM_CLIENT_ID", field(&azure, "client_id")),
        ("ARM_CLIENT_SECRET", field(&azure, "client_secret")),
    ];
    // The metadata document names the emulator's endpoints; no override is given.
    signs_in(
        &azure,
        &[
            &secret[..],
            &[
                ("ARM_RESOURCE_MANAGER_ENDPOINT", ""),
                ("ARM_AUTHORITY_HOST", ""),
                ("ARM_METADATA_HOST", field(&azure, "metadata_host")),
                ("ARM_ENVIRONMENT", "amlsecureemulator"),
            ],
        ]
        .concat(),
    );
    // azurerm's and the CLI's spellings of a cloud, any case (endpoints overridden).
    for name in ["AzureChinaCloud", "azureusgovernment", "AzureCloud"] {
        signs_in(
            &azure,
            &[&secret[..], &[("ARM_ENVIRONMENT", name)]].concat(),
        );
    }
}

#[test]
fn auxiliary_tenants_get_their_own_tokens() {
    let azure = Azure::start();
    let secret = [
        ("ARM_TENANT_ID", field(&azure, "tenant_id")),
        ("ARM_CLIENT_ID", field(&azure, "client_id")),
        ("ARM_CLIENT_SECRET", field(&azure, "client_secret")),
    ];
    signs_in(
        &azure,
        &[
            &secret[..],
            &[(
                "ARM_AUXILIARY_TENANT_IDS",
                field(&azure, "auxiliary_tenant_id"),
            )],
        ]
        .concat(),
    );
    refused(
        &azure,
        &[
            &secret[..],
            &[(
                "ARM_AUXILIARY_TENANT_IDS",
                "0badc0de-0000-0000-0000-000000000000",
            )],
        ]
        .concat(),
        &["AADSTS90002: Tenant '0badc0de-0000-0000-0000-000000000000' not found."],
    );
}
