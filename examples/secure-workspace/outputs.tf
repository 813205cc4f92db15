output "training_cluster_id" {
  value = amlsecure_compute_cluster.training.id
}

output "aks_compute_id" {
  value = amlsecure_aks_attachment.inference.id
}

output "storage_account_id" {
  value = amlsecure_workspace_storage_network_rules.experimentation.storage_account_id
}

output "key_vault_id" {
  value = amlsecure_workspace_key_vault_network_rules.experimentation.key_vault_id
}

output "security_rules" {
  description = "The rules written onto each network security group, by name, with their priorities."
  value = {
    compute = { for rule in amlsecure_compute_network_security_rules.compute.rules : rule.name => rule.priority }
    aks     = { for rule in amlsecure_compute_network_security_rules.aks.rules : rule.name => rule.priority }
  }
}
