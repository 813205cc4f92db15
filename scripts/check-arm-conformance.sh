#!/usr/bin/env bash
# Checks a traffic log (JSON lines of {liveRequest, liveResponse}) against the published
# Azure REST specs with shared/tools/arm-conformance (oav), after dropping the exchanges
# that acceptance-tests/arm-conformance-allowlist.json lists (each entry says why).
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
shared=${AMLSECURE_SHARED:-$(cd "$root/.." && pwd)/shared}
tool=$shared/tools/arm-conformance/validate-pairs.js
specs=$shared/azure-specs
allowlist=$root/acceptance-tests/arm-conformance-allowlist.json
prefix=$root/.tools/arm-conformance

for f in "$traffic" "$tool" "$allowlist"; do
  [ -e "$f" ] || { echo "check-arm-conformance: missing $f" >&2; exit 2; }
done
[ -d "$specs/specification" ] || { echo "check-arm-conformance: missing $specs/specification" >&2; exit 2; }

if [ ! -f "$prefix/node_modules/oav/package.json" ] ||
   ! grep -q '"version": "4.0.3"' "$prefix/node_modules/oav/package.json"; then
  echo "check-arm-conformance: installing oav@4.0.3 into $prefix" >&2
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error oav@4.0.3 >&2
fi

filtered=$(mktemp "${TMPDIR:-/tmp}/arm-conformance.XXXXXX.jsonl")
trap 'rm -f "$filtered"' EXIT

# Drop allow-listed exchanges; say how many and why. Exit 3 = nothing left to check.
status=0
node - "$allowlist" "$traffic" "$filtered" <<'JS' || status=$?
const fs = require("fs");
const [allowFile, inFile, outFile] = process.argv.slice(2);
const allow = JSON.parse(fs.readFileSync(allowFile, "utf8")).map(e => {
  for (const k of ["method", "url_regex", "status", "reason"])
    if (!(k in e)) throw new Error(`allow-list entry without ${k}: ${JSON.stringify(e)}`);
  return { ...e, re: new RegExp(e.url_regex, "i"), hits: 0 };
});
// "*", an exact code, or a class such as "4xx".
const statusMatches = (want, got) =>
  want === "*" || want === got || (/^[1-5]xx$/i.test(want) && want[0] === got[0]);
const lines = fs.readFileSync(inFile, "utf8").split("\n").filter(l => l.trim());
const kept = [];
for (const line of lines) {
  const p = JSON.parse(line);
  const m = allow.find(e =>
    (e.method === "*" || e.method.toUpperCase() === p.liveRequest.method.toUpperCase()) &&
    statusMatches(String(e.status), String(p.liveResponse.statusCode)) &&
    e.re.test(p.liveRequest.url));
  if (m) m.hits++; else kept.push(line);
}
for (const e of allow.filter(e => e.hits))
  console.error(`allow-listed ${e.hits}x ${e.method} ${e.url_regex} ${e.status}: ${e.reason}`);
fs.writeFileSync(outFile, kept.join("\n") + "\n");
console.error(`checking ${kept.length} of ${lines.length} exchanges`);
if (!kept.length) { console.log("0 passed, 0 failed"); process.exit(3); }
JS

[ $status -eq 3 ] && exit 0
[ $status -eq 0 ] || exit $status

# oav logs multi-line "{ level: ..., message: ... }" objects on stdout; keep the verdicts.
NODE_PATH=$prefix/node_modules node "$tool" "$specs" "$filtered" |
  awk '/^\{$/ { skip = 1 } !skip { print } /^\}$/ { skip = 0 }'
