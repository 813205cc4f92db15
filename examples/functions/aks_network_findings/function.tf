terraform {
  required_version = ">= 1.8" # provider-defined functions
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

output "aks_findings" {
  value = provider::amlsecure::aks_network_findings(
    "10.0.0.0/16",  # service_cidr
    "10.0.0.10",    # dns_service_ip
    null,           # docker_bridge_cidr
    ["10.0.0.0/8"], # the VNet's address spaces, subnets and peered ranges
  )
}
# aks_findings = [
#   "AMLS201: service_cidr 10.0.0.0/16 overlaps 10.0.0.0/8 of the virtual network or its peerings. ...",
# ]
