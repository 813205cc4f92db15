output "cluster_id" {
  value = module.training.cluster_id
}

output "security_rules" {
  value = module.training.security_rules
}

output "routes" {
  value = module.training.routes
}
