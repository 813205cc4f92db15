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
    error_message = "A capacity shortfall is a warning, not an error."
  }
}
