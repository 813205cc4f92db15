# A secured Azure Machine Learning setup in one configuration, section by section of Azure's
# guidance: the experimentation workspace's storage account and key vault behind selected
# networks, the network security group rules compute needs, a training cluster in the compute
# subnet, and an AKS inference cluster that Azure ML creates in its own subnet. The network and
# the workspaces exist already (azurerm); amlsecure checks all of it at `terraform plan`.

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

# "Use a storage account for your workspace": selected networks, the compute subnet let in,
# trusted Microsoft services allowed. For experimentation only: storage used for inference
# keeps unrestricted access, so the inference workspace's storage account is left open.
resource "amlsecure_workspace_storage_network_rules" "experimentation" {
  workspace_id = var.workspace_id
  subnet_ids   = [var.training_subnet_id]
  ip_rules     = var.office_addresses
}

# "Use a key vault instance with your workspace": the same for the key vault.
resource "amlsecure_workspace_key_vault_network_rules" "experimentation" {
  workspace_id = var.workspace_id
  subnet_ids   = [var.training_subnet_id]
  ip_rules     = var.office_addresses
}

# "Required ports" and "Limit outbound connectivity from the virtual network", on the compute
# subnet's network security group: Azure Batch in on TCP 29876-29877, SSH from the office,
# outbound only to Storage, Container Registry and Azure ML.
resource "amlsecure_compute_network_security_rules" "compute" {
  network_security_group_id = var.network_security_group_id
  ssh_source_addresses      = var.office_addresses
  outbound_lockdown         = true
}

# "Use Azure Kubernetes Service (AKS)", on the AKS subnet's own network security group, which
# keeps the default outbound rules: Azure ML in, and the scoring endpoint open to the office.
resource "amlsecure_compute_network_security_rules" "aks" {
  network_security_group_id    = var.aks_network_security_group_id
  aks_enabled                  = true
  aks_scoring_source_addresses = var.office_addresses
}

# "Create a Machine Learning Compute cluster in a virtual network". depends_on: Terraform plans
# the rule set and the firewalls first, so the cluster's checks see the rules and the subnets
# they will write.
resource "amlsecure_compute_cluster" "training" {
  name         = "cpu-cluster"
  workspace_id = var.workspace_id
  vm_size      = "STANDARD_D2_V2"
  min_nodes    = 0
  max_nodes    = var.max_nodes
  subnet_id    = var.training_subnet_id

  depends_on = [
    amlsecure_compute_network_security_rules.compute,
    amlsecure_workspace_storage_network_rules.experimentation,
    amlsecure_workspace_key_vault_network_rules.experimentation,
  ]
}

# Azure ML creates the cluster in the AKS subnet, with a service range clear of the virtual
# network; the plan checks the office reaches the scoring endpoint.
resource "amlsecure_aks_attachment" "inference" {
  name                     = "aks-inference"
  workspace_id             = var.inference_workspace_id
  subnet_id                = var.aks_subnet_id
  service_cidr             = var.service_cidr
  dns_service_ip           = var.dns_service_ip
  scoring_source_addresses = var.office_addresses

  depends_on = [amlsecure_compute_network_security_rules.aks]
}
