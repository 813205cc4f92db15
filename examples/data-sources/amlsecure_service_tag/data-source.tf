# The address prefixes Azure publishes for Azure Batch's management traffic in a region, for
# firewall rules or routes written with other providers.

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

variable "location" {
  type    = string
  default = "westeurope"
}

# The same tag as name = "BatchNodeManagement.WestEurope" without region.
data "amlsecure_service_tag" "batch" {
  location = var.location
  name     = "BatchNodeManagement"
  region   = var.location
}

output "batch" {
  value = {
    id            = data.amlsecure_service_tag.batch.id
    region        = data.amlsecure_service_tag.batch.region
    ipv4          = data.amlsecure_service_tag.batch.ipv4_address_prefixes
    ipv6          = data.amlsecure_service_tag.batch.ipv6_address_prefixes
    change_number = data.amlsecure_service_tag.batch.change_number
  }
}
