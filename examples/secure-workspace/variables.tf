# The IDs below come from the configuration that owns the network and the workspaces, usually
# azurerm: azurerm_machine_learning_workspace.<name>.id, azurerm_subnet.<name>.id,
# azurerm_network_security_group.<name>.id.

variable "workspace_id" {
  description = "ARM ID of the workspace for experimentation (training); its storage account and key vault go behind selected networks."
  type        = string
}

variable "inference_workspace_id" {
  description = "ARM ID of the workspace that serves inference on AKS; its storage account keeps unrestricted access."
  type        = string
}

variable "training_subnet_id" {
  description = "ARM ID of the compute subnet, with the Microsoft.Storage and Microsoft.KeyVault service endpoints."
  type        = string
}

variable "aks_subnet_id" {
  description = "ARM ID of the subnet Azure ML creates the AKS cluster in."
  type        = string
}

variable "network_security_group_id" {
  description = "ARM ID of the network security group of the compute subnet."
  type        = string
}

variable "aks_network_security_group_id" {
  description = "ARM ID of the network security group of the AKS subnet."
  type        = string
}

variable "office_addresses" {
  description = "Public ranges allowed SSH to the nodes, the scoring endpoint, and the storage account and key vault."
  type        = list(string)
  default     = ["203.0.113.0/24"]
}

variable "max_nodes" {
  description = "Most nodes of the training cluster; each takes an address of the training subnet."
  type        = number
  default     = 4
}

variable "service_cidr" {
  description = "Kubernetes service range of the AKS cluster: outside the virtual network and its peerings."
  type        = string
  default     = "10.240.0.0/16"
}

variable "dns_service_ip" {
  description = "Cluster DNS address of the AKS cluster, inside service_cidr."
  type        = string
  default     = "10.240.0.10"
}
