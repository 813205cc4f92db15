# An existing Ubuntu VM attached to the workspace as a compute target. `terraform plan`
# checks that the VM runs Ubuntu, that its virtual network is in the workspace's
# subscription and region, and that the NSGs of its network interface and subnet let
# AzureMachineLearning reach its SSH port.

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

variable "virtual_machine_id" {
  description = "ARM ID of the Ubuntu virtual machine to attach."
  type        = string
}

variable "ssh_password" {
  description = "Password of the VM's admin user. Ephemeral: Terraform never stores it."
  type        = string
  sensitive   = true
  ephemeral   = true
}

resource "amlsecure_vm_attachment" "dev" {
  name               = "dev-vm"
  workspace_id       = var.workspace_id
  virtual_machine_id = var.virtual_machine_id
  username           = "azureuser"
  password           = var.ssh_password
  # Bump after changing the password, so the VM is attached again with the new one.
  credentials_version = 1
}

output "vm_compute_address" {
  value = amlsecure_vm_attachment.dev.address
}
