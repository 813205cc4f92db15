terraform {
  required_version = ">= 1.8" # provider-defined functions
  required_providers {
    amlsecure = {
      source = "amlsecure/amlsecure"
    }
  }
}

variable "service_cidr" {
  type    = string
  default = "10.240.0.0/16"
}

variable "vnet_address_space" {
  type    = list(string)
  default = ["10.0.0.0/16"]
}

resource "terraform_data" "aks_network" {
  input = var.service_cidr

  lifecycle {
    precondition {
      condition     = !provider::amlsecure::cidrs_overlap([var.service_cidr], var.vnet_address_space)
      error_message = "service_cidr must not overlap the virtual network."
    }
  }
}
