# A configuration with its `terraform test` suite (tests/): how to test what you build with
# amlsecure. `terraform test` runs the plan-only tests without writing anything, then applies,
# checks and destroys a compute cluster.

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

# Every rule for a cluster in the subnet, as findings: warnings and errors alike, without
# failing the plan.
data "amlsecure_network_check" "training" {
  workspace_id = var.workspace_id
  subnet_id    = var.subnet_id
  compute_kind = "cluster"
  max_nodes    = var.max_nodes
}

resource "amlsecure_compute_cluster" "training" {
  name         = "tested-cluster"
  workspace_id = var.workspace_id
  subnet_id    = var.subnet_id
  vm_size      = "STANDARD_D2_V2"
  min_nodes    = 0
  max_nodes    = var.max_nodes
}

output "finding_ids" {
  value = [for finding in data.amlsecure_network_check.training.findings : finding.rule_id]
}
