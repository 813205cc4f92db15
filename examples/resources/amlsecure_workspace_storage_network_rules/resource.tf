# The workspace's storage account behind "selected networks": only the compute subnet (and
# trusted Microsoft services) get in. `terraform plan` checks the subnet has the
# Microsoft.Storage service endpoint, and that the workspace serves no inference from AKS,
# whose storage must stay open to all networks. Destroy puts the firewall back as it was.

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
  description = "ARM ID of the compute subnet, with the Microsoft.Storage service endpoint."
  type        = string
}

variable "ip_rules" {
  description = "Public addresses let in besides the subnet, like an office's."
  type        = set(string)
  default     = null
}

resource "amlsecure_workspace_storage_network_rules" "workspace" {
  workspace_id = var.workspace_id
  subnet_ids   = [var.subnet_id]
  ip_rules     = var.ip_rules
}

output "storage_account_id" {
  value = amlsecure_workspace_storage_network_rules.workspace.storage_account_id
}
