# Azure network arithmetic with amlsecure's provider-defined functions (Terraform 1.8+).
# `make demo` applies this example and prints its outputs.

terraform {
  required_version = ">= 1.8"
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

provider "amlsecure" {}

locals {
  vnet_address_space = ["10.0.0.0/16"]
  training_subnet    = "10.0.1.0/24"

  # An AKS network plan with a classic mistake: the service CIDR reuses the VNet's range.
  aks_service_cidr   = "10.0.0.0/16"
  aks_dns_service_ip = "10.0.0.10"
}

output "training_subnet_usable_ips" {
  description = "Compute nodes the training subnet can hold: one address each."
  value       = provider::amlsecure::usable_ips(local.training_subnet)
}

output "aks_service_cidr_overlaps_vnet" {
  value = provider::amlsecure::cidrs_overlap([local.aks_service_cidr], local.vnet_address_space)
}

output "aks_network_findings" {
  description = "Broken AKS network rules, one sentence each; empty when the plan is sound."
  value = provider::amlsecure::aks_network_findings(
    local.aks_service_cidr,
    local.aks_dns_service_ip,
    null,
    concat(local.vnet_address_space, [local.training_subnet]),
  )
}

output "sound_aks_network_findings" {
  value = provider::amlsecure::aks_network_findings("10.240.0.0/16", "10.240.0.10", null, local.vnet_address_space)
}
