# The secure training network module (examples/modules/secure-training-network) in a root
# configuration. The network's IDs reach the module through `terraform_data`, so they are only
# known after apply, as when the same configuration creates the network with azurerm: plan then
# runs every check it can, and the checks that need those IDs run at apply, before any write.

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

# Stands in for azurerm_subnet, azurerm_network_security_group and azurerm_route_table created
# in the same run: their IDs are unknown until apply.
resource "terraform_data" "network" {
  input = {
    subnet_id                 = var.subnet_id
    network_security_group_id = var.network_security_group_id
    route_table_id            = var.route_table_id
  }
}

module "training" {
  source = "../modules/secure-training-network"

  workspace_id              = var.workspace_id
  subnet_id                 = terraform_data.network.output.subnet_id
  network_security_group_id = terraform_data.network.output.network_security_group_id
  forced_tunneling          = true
  route_table_id            = terraform_data.network.output.route_table_id
  ssh_source_addresses      = var.office_addresses
  ip_rules                  = toset(var.office_addresses)
  max_nodes                 = var.max_nodes
}
