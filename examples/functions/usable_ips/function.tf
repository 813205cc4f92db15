terraform {
  required_version = ">= 1.8" # provider-defined functions
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

output "training_subnet_usable_ips" {
  value = provider::amlsecure::usable_ips("10.0.1.0/24") # 251
}
