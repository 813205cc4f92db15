# Plan-only tests: what amlsecure finds about the network, with nothing written to Azure.

run "a_sound_network_has_no_findings" {
  command = plan

  assert {
    condition     = data.amlsecure_network_check.training.error_count == 0
    error_message = "The network breaks rules: ${join(", ", output.finding_ids)}"
  }

  assert {
    condition     = length(data.amlsecure_network_check.training.findings) == 0
    error_message = "Unexpected findings: ${join(", ", output.finding_ids)}"
  }
}

# AMLS101 is an error by default: a cluster with more nodes than its subnet has addresses fails
# the plan. A team that accepts partial allocation makes it a warning in the provider block, and
# the network check then reports the shortfall without failing.
provider "amlsecure" {}

provider "amlsecure" {
  alias         = "capacity_warning"
  rule_severity = { AMLS101 = "warning" }
}

run "more_nodes_than_addresses_is_a_warning_when_chosen" {
  command = plan

  providers = {
    amlsecure = amlsecure.capacity_warning
  }

  variables {
    max_nodes = 300
  }

  assert {
    condition     = contains(output.finding_ids, "AMLS101")
    error_message = "AMLS101 (subnet capacity) expected, found: ${join(", ", output.finding_ids)}"
  }

  assert {
    condition     = data.amlsecure_network_check.training.error_count == 0
    error_message = "With rule_severity AMLS101 = \"warning\", a capacity shortfall is a warning."
  }
}
