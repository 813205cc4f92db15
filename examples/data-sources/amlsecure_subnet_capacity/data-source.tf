# How a subnet's addresses are spent, and whether a cluster of max_nodes still fits.

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

variable "subnet_id" {
  description = "ARM ID of the subnet."
  type        = string
}

variable "max_nodes" {
  type    = number
  default = 4
}

data "amlsecure_subnet_capacity" "training" {
  subnet_id = var.subnet_id
  max_nodes = var.max_nodes
}

check "room_for_the_cluster" {
  assert {
    condition     = data.amlsecure_subnet_capacity.training.nodes_that_fit == var.max_nodes
    error_message = "Only ${data.amlsecure_subnet_capacity.training.nodes_that_fit} of ${var.max_nodes} nodes fit in ${data.amlsecure_subnet_capacity.training.address_prefix}."
  }
}

output "capacity" {
  value = {
    address_prefix = data.amlsecure_subnet_capacity.training.address_prefix
    size           = data.amlsecure_subnet_capacity.training.size
    reserved       = data.amlsecure_subnet_capacity.training.reserved
    in_use         = data.amlsecure_subnet_capacity.training.in_use
    free           = data.amlsecure_subnet_capacity.training.free
    nodes_that_fit = data.amlsecure_subnet_capacity.training.nodes_that_fit
  }
}
