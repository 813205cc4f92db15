//! `terraform-provider-amlsecure`: started by Terraform, never by hand.

use std::process::ExitCode;

use terraform_provider_amlsecure::provider::AmlSecure;

fn main() -> ExitCode {
    tfplugin::run("amlsecure", AmlSecure::default())
}
