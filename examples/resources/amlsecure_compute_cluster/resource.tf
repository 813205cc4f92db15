# A training cluster in an existing subnet. `terraform plan` checks the subnet has room for
# max_nodes, that its NSG lets Azure Batch in on TCP 29876-29877, that forced-tunnelling
# routes send Batch traffic to the Internet, and that workspace and VNet are placed right.

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

variable "workspace_id" {
  description = "ARM ID of the Azure Machine Learning workspace."
  type        = string
}

variable "subnet_id" {
  description = "ARM ID of the subnet the cluster's nodes join."
  type        = string
}

variable "max_nodes" {
  type    = number
  default = 4
}

resource "amlsecure_compute_cluster" "training" {
  name         = "cpu-cluster"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  min_nodes    = 0
  max_nodes    = var.max_nodes
  subnet_id    = var.subnet_id

  timeouts {
    create = "45m"
  }
}

output "cluster_id" {
  value = amlsecure_compute_cluster.training.id
}
