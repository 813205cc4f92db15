# Terraform 1.14 and later, in a file ending .tfquery.hcl. `terraform query` lists the sets
# of Internet routes on the route table named as this resource names them
# (`<name_prefix>-<address>-<length>`), one result per name prefix.

list "amlsecure_forced_tunneling_routes" "training" {
  provider = amlsecure

  config {
    route_table_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.Network/routeTables/to-firewall"
  }
}
