# A reusable secure training network for Azure Machine Learning: the NSG rules compute needs,
# the forced-tunnelling routes (when the subnet's traffic goes through a firewall), the
# workspace's storage account and key vault behind "selected networks", and a compute cluster
# in the subnet. Every amlsecure check runs at plan; those whose inputs are only known after
# apply (IDs of resources created in the same run) run at apply, before anything is written.

terraform {
  required_version = ">= 1.8"
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

# "Required ports" and "Limit outbound connectivity from the virtual network".
resource "amlsecure_compute_network_security_rules" "this" {
  network_security_group_id = var.network_security_group_id
  name_prefix               = var.name_prefix
  ssh_source_addresses      = var.ssh_source_addresses
  outbound_lockdown         = true
}

# "User-defined routes for forced tunneling": only when the subnet's default route leads to a
# firewall or gateway.
resource "amlsecure_forced_tunneling_routes" "this" {
  count = var.forced_tunneling ? 1 : 0

  route_table_id = var.route_table_id
  name_prefix    = var.name_prefix
}

# "Use a storage account for your workspace" and "Use a key vault instance with your workspace".
resource "amlsecure_workspace_storage_network_rules" "this" {
  workspace_id = var.workspace_id
  subnet_ids   = [var.subnet_id]
  ip_rules     = var.ip_rules
}

resource "amlsecure_workspace_key_vault_network_rules" "this" {
  workspace_id = var.workspace_id
  subnet_ids   = [var.subnet_id]
  ip_rules     = var.ip_rules
}

# "Create a Machine Learning Compute cluster in a virtual network". depends_on: Terraform plans
# the rules and routes first, so the cluster's checks see what they will write.
resource "amlsecure_compute_cluster" "this" {
  name         = var.cluster_name
  workspace_id = var.workspace_id
  subnet_id    = var.subnet_id
  vm_size      = var.vm_size
  min_nodes    = 0
  max_nodes    = var.max_nodes

  depends_on = [
    amlsecure_compute_network_security_rules.this,
    amlsecure_forced_tunneling_routes.this,
    amlsecure_workspace_storage_network_rules.this,
    amlsecure_workspace_key_vault_network_rules.this,
  ]
}
