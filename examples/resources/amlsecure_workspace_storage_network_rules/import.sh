# The storage firewall of a workspace is imported by the workspace's ARM ID. The firewall as
# it is at import is what destroy goes back to.
terraform import amlsecure_workspace_storage_network_rules.workspace \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-workspace
