#!/usr/bin/env node
// Refreshes azure-specs/ from a checkout of Azure/azure-rest-api-specs: the spec files of the
// api-versions pinned in provider/src/arm/api_version.rs, every file they reach through
// "$ref", and the examples the model tests read (provider/src/arm/models/tests.rs).
// Files are copied byte for byte, so `git ls-files -s azure-specs` shows upstream's blob ids.
//
//   node scripts/vendor-azure-specs.js PATH/TO/azure-rest-api-specs
//
// Not used by the build or the tests; run it when a pinned api-version moves, then update
// the lists below and azure-specs/README.md.
"use strict";
const fs = require("fs");
const path = require("path");

// Spec files defining the operations the provider calls (and the emulator answers).
const OPERATIONS = [
  "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2024-04-01/machineLearningServices.json",
  // Datastores (the storage accounts a workspace reads) are defined here.
  "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2024-04-01/mfe.json",
  "network/resource-manager/Microsoft.Network/stable/2024-01-01/virtualNetwork.json",
  "network/resource-manager/Microsoft.Network/stable/2024-01-01/networkSecurityGroup.json",
  "network/resource-manager/Microsoft.Network/stable/2024-01-01/routeTable.json",
  "network/resource-manager/Microsoft.Network/stable/2024-01-01/networkInterface.json",
  "network/resource-manager/Microsoft.Network/stable/2024-01-01/serviceTags.json",
  "network/resource-manager/Microsoft.Network/stable/2024-01-01/usage.json",
  "containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2024-02-01/managedClusters.json",
  "storage/resource-manager/Microsoft.Storage/stable/2023-05-01/storage.json",
  "keyvault/resource-manager/Microsoft.KeyVault/stable/2023-07-01/keyvault.json",
  "compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2024-03-01/virtualMachine.json",
  "hdinsight/resource-manager/Microsoft.HDInsight/stable/2021-06-01/cluster.json",
  "resources/resource-manager/Microsoft.Authorization/stable/2020-05-01/locks.json",
  "resources/resource-manager/Microsoft.Authorization/stable/2023-04-01/policyAssignments.json",
  "resources/resource-manager/Microsoft.Authorization/stable/2023-04-01/policyDefinitions.json",
  "resources/resource-manager/Microsoft.Authorization/stable/2023-04-01/policySetDefinitions.json",
  "resources/resource-manager/Microsoft.Resources/stable/2024-03-01/resources.json",
];

// Published examples the model tests decode, beside the operations above.
const ML = "machinelearningservices/resource-manager/Microsoft.MachineLearningServices";
const NET = "network/resource-manager/Microsoft.Network/stable/2024-01-01/examples";
const POLICY = "resources/resource-manager/Microsoft.Authorization/stable/2023-04-01/examples";
const EXAMPLES = [
  `${ML}/stable/2024-04-01/examples/Compute/get/AmlCompute.json`,
  `${ML}/stable/2024-04-01/examples/Compute/get/AKSCompute.json`,
  `${ML}/stable/2024-04-01/examples/Compute/createOrUpdate/BasicAmlCompute.json`,
  `${ML}/stable/2024-04-01/examples/Compute/createOrUpdate/AmlCompute.json`,
  `${ML}/stable/2024-04-01/examples/Compute/createOrUpdate/AKSCompute.json`,
  `${ML}/stable/2024-04-01/examples/Compute/createOrUpdate/BasicAKSCompute.json`,
  `${ML}/stable/2024-04-01/examples/Workspace/get.json`,
  `${ML}/stable/2024-04-01/examples/Datastore/list.json`,
  `${POLICY}/listPolicyAssignmentsForResourceGroup.json`,
  `${POLICY}/getPolicyAssignmentWithResourceSelectors.json`,
  `${POLICY}/getPolicyAssignmentWithOverrides.json`,
  `${POLICY}/getBuiltinPolicyDefinition.json`,
  `${POLICY}/getPolicySetDefinition.json`,
  `${NET}/VirtualNetworkGet.json`,
  `${NET}/VirtualNetworkGetWithSubnetDelegation.json`,
  `${NET}/VirtualNetworkPeeringGet.json`,
  `${NET}/SubnetGet.json`,
  `${NET}/SubnetGetWithDelegation.json`,
  `${NET}/SubnetGetWithSharingScope.json`,
  `${NET}/NetworkSecurityGroupGet.json`,
  `${NET}/RouteTableGet.json`,
  `${NET}/VirtualNetworkListUsage.json`,
  `${NET}/NetworkInterfaceGet.json`,
  "containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2024-02-01/examples/ManagedClustersGet.json",
  "storage/resource-manager/Microsoft.Storage/stable/2023-05-01/examples/StorageAccountGetProperties.json",
  "storage/resource-manager/Microsoft.Storage/stable/2023-05-01/examples/StorageAccountUpdate.json",
  "keyvault/resource-manager/Microsoft.KeyVault/stable/2023-07-01/examples/getVault.json",
  "keyvault/resource-manager/Microsoft.KeyVault/stable/2023-07-01/examples/createVaultWithNetworkAcls.json",
  // Newer api-versions' examples, to see the models also read what Azure sends today.
  `${ML}/stable/2025-12-01/examples/Compute/createOrUpdate/BasicAmlCompute.json`,
  `${ML}/stable/2025-12-01/examples/Compute/createOrUpdate/AKSCompute.json`,
  `${ML}/stable/2025-12-01/examples/Compute/get/AmlCompute.json`,
  `${ML}/stable/2025-12-01/examples/Workspace/get.json`,
  "network/resource-manager/Microsoft.Network/stable/2025-03-01/examples/VirtualNetworkGetWithSubnetDelegation.json",
  "network/resource-manager/Microsoft.Network/stable/2025-07-01/examples/NetworkSecurityGroupGet.json",
  "containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2025-10-01/examples/ManagedClustersGet.json",
  "storage/resource-manager/Microsoft.Storage/stable/2025-08-01/examples/StorageAccountUpdate.json",
];

// Every "$ref" target in another file, followed transitively (x-ms-examples excepted: the
// checker does not read them).
function closure(specRoot, roots) {
  const seen = new Set();
  const queue = [...roots];
  while (queue.length) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const visit = (node, key) => {
      if (Array.isArray(node)) return node.forEach(n => visit(n));
      if (!node || typeof node !== "object" || key === "x-ms-examples") return;
      for (const [k, v] of Object.entries(node)) {
        if (k === "$ref" && typeof v === "string" && !v.startsWith("#")) {
          const target = v.split("#")[0];
          queue.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), target)));
        } else {
          visit(v, k);
        }
      }
    };
    visit(JSON.parse(fs.readFileSync(path.join(specRoot, file), "utf8")));
  }
  return [...seen].sort();
}

function main() {
  const [source] = process.argv.slice(2);
  if (!source) {
    console.error("usage: node scripts/vendor-azure-specs.js PATH/TO/azure-rest-api-specs");
    process.exit(2);
  }
  const specRoot = path.join(source, "specification");
  const target = path.join(__dirname, "..", "azure-specs", "specification");
  const files = [...closure(specRoot, OPERATIONS), ...EXAMPLES];
  fs.rmSync(target, { recursive: true, force: true });
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    fs.copyFileSync(path.join(specRoot, file), path.join(target, file));
  }
  console.log(`copied ${files.length} files into azure-specs/specification`);
}

main();
