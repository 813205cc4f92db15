# The network rules Azure ML compute needs, written onto the existing network security group
# of the compute subnet, beside the rules already there. `terraform plan` shows each rule's
# name and priority, and fails naming the rule in the way when a name or priority is taken.

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

variable "network_security_group_id" {
  description = "ARM ID of the network security group of the compute subnet."
  type        = string
}

variable "name_prefix" {
  type    = string
  default = "amlsecure"
}

variable "priority_start" {
  type    = number
  default = 100
}

variable "priorities" {
  description = "Chosen priorities by rule, like { batch_inbound = 150 }; the others are picked."
  type        = map(number)
  default     = null
}

resource "amlsecure_compute_network_security_rules" "training" {
  network_security_group_id = var.network_security_group_id
  name_prefix               = var.name_prefix
  priority_start            = var.priority_start
  priorities                = var.priorities

  # SSH to the nodes' public addresses, from the office network only.
  ssh_source_addresses = ["203.0.113.0/24"]

  # Deny outbound Internet, except Storage and Container Registry in the group's region and
  # Azure Machine Learning.
  outbound_lockdown = true
}

output "rule_priorities" {
  value = {
    for rule in amlsecure_compute_network_security_rules.training.rules : rule.name => rule.priority
  }
}
