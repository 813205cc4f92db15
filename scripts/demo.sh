#!/usr/bin/env bash
# `make demo`: runs real Terraform with the freshly built provider on examples/functions.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TERRAFORM="${TERRAFORM:-$ROOT/.tools/bin/terraform}"
PLUGIN_DIR="$ROOT/target/debug"
[[ -x "$PLUGIN_DIR/terraform-provider-amlsecure" ]] || {
  echo "demo: build the provider first (make demo does)" >&2
  exit 1
}

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp "$ROOT"/examples/functions/*.tf "$WORK/"
# Point Terraform at this build, never at the user's own CLI configuration.
cat >"$WORK/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "registry.terraform.io/amlsecure/amlsecure" = "$PLUGIN_DIR"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$WORK/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
cd "$WORK"

echo "== $("$TERRAFORM" version | head -n 1), provider from $PLUGIN_DIR"
echo "== terraform validate (examples/functions)"
"$TERRAFORM" validate -no-color 2>/dev/null | grep "^Success"
echo "== terraform apply"
"$TERRAFORM" apply -input=false -auto-approve -no-color 2>/dev/null | sed -n '/^Apply complete/,$p'
echo "== a call with a bad argument fails at validate, naming the argument and the fix:"
echo 'output "bad" { value = provider::amlsecure::usable_ips("10.0.1.5/24") }' >bad.tf
"$TERRAFORM" validate -no-color 2>&1 | sed -n '/Error:/,$p' || true
