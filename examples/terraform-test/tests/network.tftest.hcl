# Plan-only tests: what amlsecure finds about the network, with nothing written to Azure.

# A subnet short of addresses (AMLS101) is an error by default, which would stop the plan
# before the assertions run; for these tests it counts as a warning. Test files can set the
# provider's rule severities like this, as configurations can.
provider "amlsecure" {
  rule_severity = { AMLS101 = "warning" }
}

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

run "more_nodes_than_addresses_is_a_capacity_warning" {
  command = plan

  variables {
    max_nodes = 300
  }

  assert {
    condition     = contains(output.finding_ids, "AMLS101")
    error_message = "AMLS101 (subnet capacity) expected, found: ${join(", ", output.finding_ids)}"
  }

  assert {
    condition     = data.amlsecure_network_check.training.error_count == 0
    error_message = "With rule_severity AMLS101 = \"warning\", a capacity shortfall is no error."
  }
}
