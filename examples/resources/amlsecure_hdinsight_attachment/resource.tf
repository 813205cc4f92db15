# An existing HDInsight cluster attached to the workspace as a compute target, reached
# over SSH on its head node. `terraform plan` checks that the cluster is in a virtual
# network in the workspace's subscription and region, and that the subnet's NSG lets
# AzureMachineLearning reach the SSH port.

terraform {
  required_version = ">= 1.11" # write-only password and private key
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

variable "hdinsight_cluster_id" {
  description = "ARM ID of the HDInsight cluster to attach."
  type        = string
}

variable "ssh_private_key" {
  description = "SSH private key of the cluster's SSH user. Ephemeral: Terraform never stores it."
  type        = string
  sensitive   = true
  ephemeral   = true
}

resource "amlsecure_hdinsight_attachment" "spark" {
  name                 = "spark"
  workspace_id         = var.workspace_id
  hdinsight_cluster_id = var.hdinsight_cluster_id
  username             = "sshuser"
  private_key          = var.ssh_private_key
  credentials_version  = 1
}

output "hdinsight_compute_address" {
  value = amlsecure_hdinsight_attachment.spark.address
}
