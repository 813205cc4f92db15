# The routes are imported by their route table's ARM ID (for name_prefix amlsecure), or by
# `<route table ARM ID>|<name_prefix>`; the routes named `<name_prefix>-<address>-<length>` are
# adopted.
terraform import amlsecure_forced_tunneling_routes.training \
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/ml-rg/providers/Microsoft.Network/routeTables/to-firewall'
