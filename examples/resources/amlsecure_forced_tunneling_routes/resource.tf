# Forced tunnelling: the compute subnet's route table sends 0.0.0.0/0 to a firewall, so Azure
# Batch's management addresses need their own routes to the Internet. This writes one route per
# IPv4 prefix of BatchNodeManagement.<region> onto the existing route table, beside the routes
# already there, and follows Azure when it publishes new prefixes.

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

variable "route_table_id" {
  description = "ARM ID of the route table of the compute subnet."
  type        = string
}

variable "include_azure_machine_learning" {
  type    = bool
  default = false
}

resource "amlsecure_forced_tunneling_routes" "training" {
  route_table_id = var.route_table_id

  # Azure Machine Learning's own prefixes too, for compute that reaches the service directly.
  include_azure_machine_learning = var.include_azure_machine_learning
}

output "routes" {
  value = {
    for route in amlsecure_forced_tunneling_routes.training.routes : route.name => route.address_prefix
  }
}
