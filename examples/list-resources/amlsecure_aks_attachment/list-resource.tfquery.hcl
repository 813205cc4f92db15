# Terraform 1.14 and later, in a file ending .tfquery.hcl. `terraform query` lists the AKS
# inference computes of the workspace, created through Azure ML or attached, with the
# network rules each breaks as warnings. Leave subnet_id out to list them all.

list "amlsecure_aks_attachment" "inference" {
  provider = amlsecure

  config {
    workspace_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-workspace"
  }
}
