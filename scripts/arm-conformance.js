// Checks recorded ARM exchanges against the Azure REST specs in azure-specs/ with oav's live
// validator: requests (the provider's side) and responses (the emulator's side).
//
//   NODE_PATH=.tools/arm-conformance/node_modules \
//     node scripts/arm-conformance.js SPEC_ROOT ALLOWLIST.json TRAFFIC.jsonl
//
// TRAFFIC.jsonl holds one {liveRequest, liveResponse} object per line. Exchanges that the
// allow-list matches (method, URL regex, status; each entry gives its reason) are counted
// and left out. Prints every failure with oav's reasons, then "N passed, N failed"; exits 1
// when any failed, 2 when the input or the specs cannot be read.
"use strict";
const fs = require("fs");
const path = require("path");

function readAllowList(file) {
  return JSON.parse(fs.readFileSync(file, "utf8")).map(entry => {
    for (const key of ["method", "url_regex", "status", "reason"]) {
      if (!(key in entry)) throw new Error(`allow-list entry without ${key}: ${JSON.stringify(entry)}`);
    }
    return { ...entry, pattern: new RegExp(entry.url_regex, "i"), hits: 0 };
  });
}

// "*", an exact status code, or a class such as "4xx".
function statusMatches(wanted, got) {
  wanted = String(wanted);
  return wanted === "*" || wanted === got || (/^[1-5]xx$/i.test(wanted) && wanted[0] === got[0]);
}

function allowedBy(allowList, exchange) {
  const method = exchange.liveRequest.method.toUpperCase();
  return allowList.find(entry =>
    (entry.method === "*" || entry.method.toUpperCase() === method) &&
    statusMatches(entry.status, String(exchange.liveResponse.statusCode)) &&
    entry.pattern.test(exchange.liveRequest.url));
}

// Every spec file of the pinned api-versions (examples and shared type files are reached
// through "$ref" only).
function specFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return ["examples", "common-types"].includes(entry.name) ? [] : specFiles(full);
    return entry.name.endsWith(".json") ? [full] : [];
  });
}

function problemsOf(result) {
  const problems = [];
  for (const [side, part] of [["request", result.requestValidationResult], ["response", result.responseValidationResult]]) {
    if (part.runtimeException) problems.push(`${side}: ${part.runtimeException.code}: ${part.runtimeException.message}`);
    for (const error of part.errors || []) {
      problems.push(`${side}: ${error.code}: ${error.message} at ${(error.pathsInPayload || []).join(", ")}`);
    }
  }
  if (result.runtimeException) problems.push(`${result.runtimeException.code}: ${result.runtimeException.message}`);
  return problems;
}

async function main() {
  const [specRoot, allowFile, trafficFile] = process.argv.slice(2);
  if (!trafficFile) throw new Error("usage: node arm-conformance.js SPEC_ROOT ALLOWLIST.json TRAFFIC.jsonl");
  const allowList = readAllowList(allowFile);
  const exchanges = fs.readFileSync(trafficFile, "utf8").split("\n").filter(line => line.trim()).map(line => JSON.parse(line));
  const checked = exchanges.filter(exchange => {
    const entry = allowedBy(allowList, exchange);
    if (entry) entry.hits++;
    return !entry;
  });
  for (const entry of allowList.filter(e => e.hits)) {
    console.error(`allow-listed ${entry.hits}x ${entry.method} ${entry.url_regex} ${entry.status}: ${entry.reason}`);
  }
  console.error(`checking ${checked.length} of ${exchanges.length} exchanges`);
  if (!checked.length) {
    console.log("0 passed, 0 failed");
    return 0;
  }

  const { LiveValidator } = require("oav");
  const started = Date.now();
  const validator = new LiveValidator({
    swaggerPaths: specFiles(path.join(specRoot, "specification")),
    directory: specRoot,
    swaggerPathsPattern: ["specification/**/resource-manager/**/*.json"],
    excludedSwaggerPathsPattern: ["**/examples/**/*", "**/common-types/**/*"],
    git: { shouldClone: false },
    isPathCaseSensitive: false,
    loadValidatorInBackground: false,
  });
  await validator.initialize();
  console.error(`specs loaded in ${Date.now() - started} ms`);

  let passed = 0;
  let failed = 0;
  for (const exchange of checked) {
    const result = await validator.validateLiveRequestResponse(exchange);
    const problems = problemsOf(result);
    if (problems.length) {
      failed++;
      const operation = result.requestValidationResult.operationInfo?.operationId ?? "no operation";
      console.log(`FAIL ${exchange.liveRequest.method} ${exchange.liveRequest.url} [${operation}]`);
      for (const problem of problems) console.log(`   ${problem}`);
    } else {
      passed++;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then(code => process.exit(code), error => {
  console.error(error);
  process.exit(2);
});
