# Applies the cluster for real, checks what Azure reports, then `terraform test` destroys it.

run "the_cluster_is_created_in_the_subnet" {
  command = apply

  assert {
    condition     = amlsecure_compute_cluster.training.provisioning_state == "Succeeded"
    error_message = "The cluster is ${amlsecure_compute_cluster.training.provisioning_state}."
  }

  assert {
    condition     = endswith(amlsecure_compute_cluster.training.id, "/computes/tested-cluster")
    error_message = "Unexpected ID ${amlsecure_compute_cluster.training.id}."
  }
}
