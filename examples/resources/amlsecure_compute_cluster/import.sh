# A compute cluster is imported by its ARM ID.
terraform import amlsecure_compute_cluster.training \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-workspace/computes/cpu-cluster
