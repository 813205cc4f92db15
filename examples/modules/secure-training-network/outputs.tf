output "cluster_id" {
  description = "ARM ID of the compute cluster."
  value       = amlsecure_compute_cluster.this.id
}

output "security_rules" {
  description = "The rules written onto the network security group, by name, with their priorities."
  value       = { for rule in amlsecure_compute_network_security_rules.this.rules : rule.name => rule.priority }
}

output "routes" {
  description = "The Internet routes written for Azure Batch, by name, with their address prefixes; empty without forced tunnelling."
  value = merge([
    for routes in amlsecure_forced_tunneling_routes.this : { for route in routes.routes : route.name => route.address_prefix }
  ]...)
}

output "storage_account_id" {
  description = "ARM ID of the workspace's storage account, now behind selected networks."
  value       = amlsecure_workspace_storage_network_rules.this.storage_account_id
}

output "key_vault_id" {
  description = "ARM ID of the workspace's key vault, now behind selected networks."
  value       = amlsecure_workspace_key_vault_network_rules.this.key_vault_id
}
