# Terraform 1.14 and later, in a file ending .tfquery.hcl. `terraform query` lists the
# compute clusters of the workspace that run in the training subnet, each with the network
# rules it breaks today as warnings; `terraform query -generate-config-out=generated.tf`
# writes an import block and configuration for each.

list "amlsecure_compute_cluster" "training" {
  provider = amlsecure

  config {
    workspace_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-workspace"
    subnet_id    = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.Network/virtualNetworks/ml-vnet/subnets/training"
  }
}
