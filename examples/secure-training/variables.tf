# The IDs below come from the configuration that owns the network and the workspace, usually
# azurerm: azurerm_machine_learning_workspace.<name>.id, azurerm_subnet.<name>.id, ...

variable "workspace_id" {
  description = "ARM ID of the Azure Machine Learning workspace."
  type        = string
}

variable "subnet_id" {
  description = "ARM ID of the compute subnet, with the Microsoft.Storage and Microsoft.KeyVault service endpoints."
  type        = string
}

variable "network_security_group_id" {
  description = "ARM ID of the compute subnet's network security group."
  type        = string
}

variable "route_table_id" {
  description = "ARM ID of the compute subnet's route table, whose default route leads to a firewall."
  type        = string
}

variable "office_addresses" {
  description = "The office's public addresses: SSH to the nodes, and through the storage and key vault firewalls."
  type        = list(string)
  default     = ["203.0.113.0/24"]
}

variable "max_nodes" {
  type    = number
  default = 4
}
