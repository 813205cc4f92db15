terraform {
  required_version = ">= 1.8"
  required_providers {
    amlsecure = {
      source  = "amlsecure/amlsecure"
      version = "~> 0.1"
    }
  }
}

# Credentials, subscription and cloud come from the ARM_* environment variables azurerm users
# already set; any of them can be written here instead.
provider "amlsecure" {
  # subscription_id = "00000000-0000-0000-0000-000000000000"

  # Rules to report as warnings instead of enforcing (plans still say when they fire).
  disabled_rules = []
}
