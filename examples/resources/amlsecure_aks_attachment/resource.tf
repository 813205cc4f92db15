# An AKS inference cluster that Azure ML creates in an existing subnet. `terraform plan`
# checks that service_cidr stays clear of the virtual network, its peerings and the ranges
# AKS reserves, that dns_service_ip lies inside it, that the cluster is in the virtual
# network's region, that the subnet is not delegated, and that its NSG lets Azure ML in.
# Scoring is served over HTTPS with a certificate from Microsoft for
# contoso-inference######.<region>.cloudapp.azure.com.

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

variable "service_cidr" {
  description = "Kubernetes service range, outside the virtual network and its peerings."
  type        = string
  default     = "10.240.0.0/16"
}

variable "dns_service_ip" {
  description = "Cluster DNS address inside service_cidr."
  type        = string
  default     = "10.240.0.10"
}

resource "amlsecure_aks_attachment" "inference" {
  name           = "aks-inference"
  workspace_id   = var.workspace_id
  subnet_id      = var.subnet_id
  service_cidr   = var.service_cidr
  dns_service_ip = var.dns_service_ip

  ssl {
    status            = "Auto"
    leaf_domain_label = "contoso-inference"
  }
}

output "aks_compute_id" {
  value = amlsecure_aks_attachment.inference.id
}
