# A rule set is imported by its network security group's ARM ID and its name_prefix.
terraform import amlsecure_compute_network_security_rules.training \
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.Network/networkSecurityGroups/ml-nsg|amlsecure'
