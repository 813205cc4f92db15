#!/usr/bin/env bash
# Checks a traffic log (JSON lines of {liveRequest, liveResponse}) against the Azure REST specs
# the repository carries (azure-specs/) with scripts/arm-conformance.js (oav), leaving out the
# exchanges that acceptance-tests/arm-conformance-allowlist.json lists (each entry says why).
#
#   scripts/check-arm-conformance.sh TRAFFIC.jsonl
#
# Installs oav@4.0.3 once into .tools/arm-conformance. Exits non-zero on any failure.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 TRAFFIC.jsonl" >&2
  exit 2
fi
traffic=$1
root=$(cd "$(dirname "$0")/.." && pwd)
specs=$root/azure-specs
allowlist=$root/acceptance-tests/arm-conformance-allowlist.json
prefix=$root/.tools/arm-conformance
oav_version=4.0.3

for f in "$traffic" "$allowlist" "$specs/specification"; do
  [ -e "$f" ] || { echo "check-arm-conformance: missing $f" >&2; exit 2; }
done

if ! grep -qs "\"version\": \"$oav_version\"" "$prefix/node_modules/oav/package.json"; then
  echo "check-arm-conformance: installing oav@$oav_version into $prefix" >&2
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "oav@$oav_version" >&2
fi

# oav logs multi-line "{ level: ..., message: ... }" objects on stdout; keep the verdicts.
NODE_PATH=$prefix/node_modules node "$root/scripts/arm-conformance.js" "$specs" "$allowlist" "$traffic" |
  awk '/^\{$/ { skip = 1 } !skip { print } /^\}$/ { skip = 0 }'
