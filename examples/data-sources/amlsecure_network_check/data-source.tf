# Every network rule for a compute cluster of the workspace in the subnet, as values: a
# pipeline can report the findings without failing. Set compute_kind = "aks" (with
# service_cidr and dns_service_ip) to check an AKS cluster instead, or "attached" (with
# ssh_port) for a virtual machine or HDInsight cluster in the subnet attached over SSH.

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
  description = "ARM ID of the subnet the compute would join."
  type        = string
}

data "amlsecure_network_check" "training" {
  workspace_id = var.workspace_id
  subnet_id    = var.subnet_id
  compute_kind = "cluster"
  max_nodes    = 4
}

output "findings" {
  value = data.amlsecure_network_check.training.findings
}

output "error_count" {
  value = data.amlsecure_network_check.training.error_count
}

output "report" {
  value = [
    for f in data.amlsecure_network_check.training.findings :
    "${f.rule_id} (${f.severity}) at ${f.attribute}: ${f.message}. ${f.fix}."
  ]
}
