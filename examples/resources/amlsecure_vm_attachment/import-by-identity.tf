# Terraform 1.12 and later: import by identity, the parts of the ARM ID (add
# -generate-config-out=generated.tf to `terraform plan` to have the configuration written).
import {
  to = amlsecure_vm_attachment.dev
  identity = {
    subscription_id     = "00000000-0000-0000-0000-000000000000"
    resource_group_name = "ml-rg"
    workspace_name      = "ml-workspace"
    name                = "dev-vm"
  }
}
