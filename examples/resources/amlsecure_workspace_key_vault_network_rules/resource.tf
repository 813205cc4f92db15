# The workspace's key vault behind "selected networks": only the compute subnet (and trusted
# Microsoft services) get in. `terraform plan` checks the subnet has the Microsoft.KeyVault
# service endpoint. Destroy puts the firewall back as it was.

terraform {
  required_version = ">= 1.8"
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

# Credentials and subscription come from the ARM_* environment variables.
provider "amlsecure" {}

variable "workspace_id" {
  description = "ARM ID of the Azure Machine Learning workspace."
  type        = string
}

variable "subnet_id" {
  description = "ARM ID of the compute subnet, with the Microsoft.KeyVault service endpoint."
  type        = string
}

resource "amlsecure_workspace_key_vault_network_rules" "workspace" {
  workspace_id = var.workspace_id
  subnet_ids   = [var.subnet_id]
}

output "key_vault_id" {
  value = amlsecure_workspace_key_vault_network_rules.workspace.key_vault_id
}
