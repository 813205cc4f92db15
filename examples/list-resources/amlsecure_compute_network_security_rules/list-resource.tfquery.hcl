# Terraform 1.14 and later, in a file ending .tfquery.hcl. `terraform query` lists the rule
# sets on the network security group: one result per name prefix whose rules are named as
# this resource names them (`<name_prefix>-batch-inbound`, ...).

list "amlsecure_compute_network_security_rules" "training" {
  provider = amlsecure

  config {
    network_security_group_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.Network/networkSecurityGroups/ml-nsg"
  }
}
