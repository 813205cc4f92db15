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

variable "forced_tunneling" {
  description = "Whether the subnet's route table sends 0.0.0.0/0 to a firewall or gateway, so Azure Batch needs its own Internet routes."
  type        = bool
  default     = false
}

variable "route_table_id" {
  description = "ARM ID of the compute subnet's route table; needed with forced_tunneling."
  type        = string
  default     = null

  validation {
    condition     = !var.forced_tunneling || var.route_table_id != null
    error_message = "forced_tunneling needs route_table_id: the route table of the compute subnet."
  }
}

variable "name_prefix" {
  description = "Prefix of the security rules and routes the module writes."
  type        = string
  default     = "amlsecure"
}

variable "ssh_source_addresses" {
  description = "Address ranges allowed to reach the nodes over SSH; none when null."
  type        = list(string)
  default     = null
}

variable "ip_rules" {
  description = "Public addresses let through the storage and key vault firewalls besides the subnet."
  type        = set(string)
  default     = null
}

variable "cluster_name" {
  description = "Name of the compute cluster."
  type        = string
  default     = "cpu-cluster"
}

variable "vm_size" {
  description = "VM size of the cluster's nodes."
  type        = string
  default     = "STANDARD_D2_V2"
}

variable "max_nodes" {
  description = "Most nodes the cluster scales to; each takes one address of the subnet."
  type        = number
  default     = 4
}
