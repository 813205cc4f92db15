# An HDInsight attachment is imported by the ARM ID of its Azure ML compute.
# Azure never returns the credentials: the next apply only records credentials_version.
terraform import amlsecure_hdinsight_attachment.spark \
  /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.MachineLearningServices/workspaces/ml-workspace/computes/spark
