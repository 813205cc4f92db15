//! The models against the published examples of the pinned api-versions, and of newer ones
//! to see they read what Azure sends today: verbatim copies under `azure-specs/` (see its
//! README for where they come from).

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::*;
use crate::arm::ResourceId;

/// Reads one example under `azure-specs/specification/`; a missing file fails the test.
fn example(relative: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../azure-specs/specification")
        .join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn response<T: DeserializeOwned>(example: &Value, status: &str) -> T {
    let body = example
        .pointer(&format!("/responses/{status}/body"))
        .unwrap_or_else(|| panic!("no {status} body"));
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{status} body: {e}"))
}

fn request<T: DeserializeOwned>(example: &Value, parameter: &str) -> T {
    let body = example
        .pointer(&format!("/parameters/{parameter}"))
        .unwrap_or_else(|| panic!("no parameter {parameter}"));
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("request: {e}"))
}

const ML: &str = "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2024-04-01/examples";
const ML_NEWER: &str = "machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/examples";
const NET: &str = "network/resource-manager/Microsoft.Network/stable/2024-01-01/examples";
const AKS: &str =
    "containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2024-02-01/examples";
const STORAGE: &str = "storage/resource-manager/Microsoft.Storage/stable/2023-05-01/examples";
const NET_NEWER: &str = "network/resource-manager/Microsoft.Network/stable";
const AKS_NEWER: &str =
    "containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2025-10-01/examples";
const STORAGE_NEWER: &str = "storage/resource-manager/Microsoft.Storage/stable/2025-08-01/examples";
const KV: &str = "keyvault/resource-manager/Microsoft.KeyVault/stable/2023-07-01/examples";
const POLICY: &str =
    "resources/resource-manager/Microsoft.Authorization/stable/2023-04-01/examples";

#[test]
fn aml_compute_get() {
    for file in [
        format!("{ML}/Compute/get/AmlCompute.json"),
        format!("{ML_NEWER}/Compute/get/AmlCompute.json"),
    ] {
        let ex = example(&file);
        let compute: ComputeResource = response(&ex, "200");
        assert_eq!(compute.properties.compute_type, "AmlCompute");
        assert_eq!(
            compute.properties.provisioning_state.as_deref(),
            Some("Succeeded")
        );
        let aml = compute.aml_compute().expect("AmlCompute properties");
        assert_eq!(aml.subnet.as_ref().unwrap().id, "test-subnet-resource-id");
        assert_eq!(aml.scale_settings.as_ref().unwrap().max_node_count, 1);
        assert_eq!(aml.allocation_state.as_deref(), Some("Resizing"));
        assert_eq!(aml.target_node_count, Some(1));
        assert_eq!(aml.node_state_counts.as_ref().unwrap().idle_node_count, 0);
        assert!(aml.errors.is_empty(), "errors: null reads as empty");

        // Writing it back never sends read-only fields.
        let out = serde_json::to_value(&compute).unwrap();
        assert!(out.get("id").is_none() && out.get("name").is_none());
        let props = &out["properties"];
        assert_eq!(props["computeType"], "AmlCompute");
        for read_only in [
            "provisioningState",
            "createdOn",
            "modifiedOn",
            "isAttachedCompute",
            "provisioningErrors",
        ] {
            assert!(props.get(read_only).is_none(), "{read_only} sent");
        }
        for read_only in [
            "allocationState",
            "allocationStateTransitionTime",
            "errors",
            "currentNodeCount",
            "targetNodeCount",
            "nodeStateCounts",
        ] {
            assert!(
                props["properties"].get(read_only).is_none(),
                "{read_only} sent"
            );
        }
        assert_eq!(props["properties"]["vmSize"], aml.vm_size.clone().unwrap());
    }
}

#[test]
fn aml_compute_create_requests_and_responses() {
    for file in [
        format!("{ML}/Compute/createOrUpdate/BasicAmlCompute.json"),
        format!("{ML}/Compute/createOrUpdate/AmlCompute.json"),
        format!("{ML_NEWER}/Compute/createOrUpdate/BasicAmlCompute.json"),
    ] {
        let ex = example(&file);
        let body: ComputeResource = request(&ex, "parameters");
        let aml = body.aml_compute().expect("request AmlCompute properties");
        assert!(aml.scale_settings.is_some(), "{file}");
        // Round trip of the request is lossless for the fields we model.
        let again: ComputeResource =
            serde_json::from_value(serde_json::to_value(&body).unwrap()).unwrap();
        assert_eq!(again.aml_compute(), Some(aml));
        for status in ["200", "201"] {
            if ex.pointer(&format!("/responses/{status}/body")).is_some() {
                let created: ComputeResource = response(&ex, status);
                assert_eq!(created.properties.compute_type, "AmlCompute");
            }
        }
    }
}

#[test]
fn aks_compute_examples() {
    let ex = example(&format!("{ML}/Compute/get/AKSCompute.json"));
    let compute: ComputeResource = response(&ex, "200");
    assert_eq!(compute.properties.compute_type, "AKS");
    assert!(
        compute.aks().is_none(),
        "attached AKS GET has no properties.properties"
    );
    let cluster = ResourceId::parse(compute.properties.resource_id.as_deref().unwrap()).unwrap();
    assert!(cluster.is_type("Microsoft.ContainerService/managedClusters"));

    for file in [
        format!("{ML}/Compute/createOrUpdate/AKSCompute.json"),
        format!("{ML}/Compute/createOrUpdate/BasicAKSCompute.json"),
        format!("{ML_NEWER}/Compute/createOrUpdate/AKSCompute.json"),
    ] {
        let ex = example(&file);
        let body: ComputeResource = request(&ex, "parameters");
        assert_eq!(body.properties.compute_type, "AKS", "{file}");
        for status in ["200", "201"] {
            if ex.pointer(&format!("/responses/{status}/body")).is_some() {
                let _: ComputeResource = response(&ex, status);
            }
        }
    }
}

#[test]
fn aks_networking_configuration_names() {
    let json = serde_json::json!({
        "location": "eastus",
        "properties": {"computeType": "AKS", "properties": {
            "agentCount": 3, "agentVmSize": "Standard_D3_v2", "clusterPurpose": "FastProd",
            "loadBalancerType": "InternalLoadBalancer", "loadBalancerSubnet": "aks-subnet",
            "systemServices": [{"systemServiceType": "x"}],
            "aksNetworkingConfiguration": {"subnetId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a",
                "serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.0.0.10", "dockerBridgeCidr": "172.17.0.1/16"}}}
    });
    let compute: ComputeResource = serde_json::from_value(json).unwrap();
    let aks = compute.aks().unwrap();
    let net = aks.aks_networking_configuration.as_ref().unwrap();
    assert_eq!(net.dns_service_ip.as_deref(), Some("10.0.0.10"));
    assert_eq!(net.docker_bridge_cidr.as_deref(), Some("172.17.0.1/16"));
    assert_eq!(aks.agent_count, Some(3));
    let out = serde_json::to_value(&compute).unwrap();
    let props = &out["properties"]["properties"];
    assert_eq!(
        props["aksNetworkingConfiguration"]["dnsServiceIP"],
        "10.0.0.10"
    );
    assert!(props.get("systemServices").is_none());
}

#[test]
fn workspace_get() {
    for file in [
        format!("{ML}/Workspace/get.json"),
        format!("{ML_NEWER}/Workspace/get.json"),
    ] {
        let ex = example(&file);
        let ws: Workspace = response(&ex, "200");
        assert!(ws.location.is_some(), "{file}");
        assert!(ws.properties.storage_account.is_some(), "{file}");
        assert!(ws.properties.key_vault.is_some(), "{file}");
        let out = serde_json::to_value(&ws).unwrap();
        assert!(
            out["properties"]
                .get("privateEndpointConnections")
                .is_none()
        );
        assert!(out["properties"].get("provisioningState").is_none());
    }
    let ws: Workspace = serde_json::from_value(serde_json::json!({
        "location": "eastus",
        "properties": {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"},
            "privateEndpointConnections": [{"id": "pe1", "properties": {"privateEndpoint": {"id": "/x"},
                "privateLinkServiceConnectionState": {"status": "Approved"}}}]}
    }))
    .unwrap();
    assert_eq!(ws.isolation_mode(), "AllowOnlyApprovedOutbound");
    assert_eq!(ws.properties.private_endpoint_connections.len(), 1);
    assert_eq!(Workspace::default().isolation_mode(), "Disabled");
}

#[test]
fn virtual_network_examples() {
    for file in [
        format!("{NET}/VirtualNetworkGet.json"),
        format!("{NET}/VirtualNetworkGetWithSubnetDelegation.json"),
        format!("{NET_NEWER}/2025-03-01/examples/VirtualNetworkGetWithSubnetDelegation.json"),
    ] {
        let ex = example(&file);
        let vnet: VirtualNetwork = response(&ex, "200");
        assert!(!vnet.address_prefixes().is_empty(), "{file}");
        for subnet in vnet.subnets() {
            assert!(!subnet.prefixes().is_empty(), "{file}");
            ResourceId::parse(subnet.id.as_deref().unwrap()).unwrap();
        }
    }
    let ex = example(&format!("{NET}/VirtualNetworkGetWithSubnetDelegation.json"));
    let vnet: VirtualNetwork = response(&ex, "200");
    let delegated = vnet
        .subnets()
        .iter()
        .flat_map(|s| s.delegations())
        .next()
        .unwrap();
    assert!(delegated.properties.service_name.is_some());
}

#[test]
fn peering_remote_address_space() {
    let ex = example(&format!("{NET}/VirtualNetworkPeeringGet.json"));
    let peering: VirtualNetworkPeering = response(&ex, "200");
    assert!(!peering.remote_prefixes().is_empty());
    assert!(peering.properties.remote_virtual_network.is_some());
}

#[test]
fn subnet_examples_and_read_modify_write() {
    for file in [
        format!("{NET}/SubnetGet.json"),
        format!("{NET}/SubnetGetWithDelegation.json"),
        format!("{NET}/SubnetGetWithSharingScope.json"),
    ] {
        let ex = example(&file);
        let subnet: Subnet = response(&ex, "200");
        assert!(!subnet.prefixes().is_empty(), "{file}");
    }
    let json = serde_json::json!({
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a",
        "name": "a", "etag": "W/\"1\"",
        "properties": {
            "addressPrefixes": ["10.0.0.0/24", "10.1.0.0/24"],
            "networkSecurityGroup": {"id": "/nsg", "location": "eastus"},
            "routeTable": {"id": "/rt"},
            "serviceEndpoints": [{"service": "Microsoft.Storage", "locations": ["eastus"], "provisioningState": "Succeeded"}],
            "delegations": [],
            "ipConfigurations": [{"id": "/nic1/ipconfig1"}, {"id": "/nic2/ipconfig1"}],
            "privateEndpointNetworkPolicies": "Disabled",
            "applicationGatewayIPConfigurations": [{"id": "/agw"}],
            "provisioningState": "Succeeded", "purpose": ""
        }
    });
    let subnet: Subnet = serde_json::from_value(json).unwrap();
    assert_eq!(subnet.prefixes(), vec!["10.0.0.0/24", "10.1.0.0/24"]);
    assert_eq!(subnet.properties.ip_configurations.len(), 2);
    assert_eq!(
        subnet.service_endpoints()[0].service.as_deref(),
        Some("Microsoft.Storage")
    );
    let out = serde_json::to_value(&subnet).unwrap();
    let p = &out["properties"];
    assert_eq!(p["networkSecurityGroup"], serde_json::json!({"id": "/nsg"}));
    assert_eq!(
        p["delegations"],
        serde_json::json!([]),
        "an empty list is kept, not dropped"
    );
    assert_eq!(p["applicationGatewayIPConfigurations"][0]["id"], "/agw");
    for read_only in [
        "ipConfigurations",
        "provisioningState",
        "purpose",
        "privateEndpoints",
    ] {
        assert!(p.get(read_only).is_none(), "{read_only} sent");
    }
    assert!(p["serviceEndpoints"][0].get("provisioningState").is_none());
    assert!(out.get("etag").is_none());
}

#[test]
fn network_security_group_examples() {
    for file in [
        format!("{NET}/NetworkSecurityGroupGet.json"),
        format!("{NET_NEWER}/2025-07-01/examples/NetworkSecurityGroupGet.json"),
    ] {
        let ex = example(&file);
        let nsg: NetworkSecurityGroup = response(&ex, "200");
        assert_eq!(nsg.properties.default_security_rules.len(), 6, "{file}");
        for rule in nsg.all_rules() {
            let p = &rule.properties;
            assert!(
                p.priority.is_some() && p.direction.is_some() && p.access.is_some(),
                "{file}"
            );
        }
        let out = serde_json::to_value(&nsg).unwrap();
        assert!(out["properties"].get("defaultSecurityRules").is_none());
    }
    let rule: SecurityRule = serde_json::from_value(serde_json::json!({"properties": {
        "protocol": "Tcp", "sourceAddressPrefixes": ["10.0.0.0/8"], "sourcePortRange": "*",
        "destinationAddressPrefix": "VirtualNetwork", "destinationPortRanges": ["29876-29877", "44224"],
        "access": "Allow", "priority": 1040, "direction": "Inbound"}}))
    .unwrap();
    assert_eq!(
        rule.properties
            .destination_port_ranges
            .as_ref()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        rule.properties.source_address_prefixes.as_ref().unwrap()[0],
        "10.0.0.0/8"
    );
}

#[test]
fn route_table_example() {
    let ex = example(&format!("{NET}/RouteTableGet.json"));
    let rt: RouteTable = response(&ex, "200");
    assert_eq!(rt.properties.disable_bgp_route_propagation, Some(false));
    let route = &rt.properties.routes.as_ref().unwrap()[0];
    assert_eq!(
        route.properties.address_prefix.as_deref(),
        Some("10.0.3.0/24")
    );
    assert_eq!(
        route.properties.next_hop_type.as_deref(),
        Some("VirtualNetworkGateway")
    );
    let appliance: Route = serde_json::from_value(serde_json::json!({"properties": {
        "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.100.4", "hasBgpOverride": false}}))
    .unwrap();
    let out = serde_json::to_value(&appliance).unwrap();
    assert_eq!(out["properties"]["nextHopIpAddress"], "10.0.100.4");
    assert!(out["properties"].get("hasBgpOverride").is_none());
}

#[test]
fn network_usages_example() {
    let ex = example(&format!("{NET}/VirtualNetworkListUsage.json"));
    let list: ListResult<VirtualNetworkUsage> = response(&ex, "200");
    assert_eq!(list.value.len(), 2);
    assert_eq!(list.value[1].current_value, Some(2.0));
    assert_eq!(list.value[1].limit, Some(3.0));
    assert!(
        list.value[1]
            .id
            .as_deref()
            .unwrap()
            .ends_with("/subnets/newSubnet")
    );
}

#[test]
fn managed_cluster_examples() {
    for file in [
        format!("{AKS}/ManagedClustersGet.json"),
        format!("{AKS_NEWER}/ManagedClustersGet.json"),
    ] {
        let ex = example(&file);
        let mc: ManagedCluster = response(&ex, "200");
        assert!(mc.location.is_some(), "{file}");
        assert!(!mc.agent_pools().is_empty(), "{file}");
        let net = mc
            .properties
            .network_profile
            .as_ref()
            .expect("networkProfile");
        assert!(
            net.service_cidr.is_some() || net.network_plugin.is_some(),
            "{file}"
        );
    }
    let pool: AgentPoolProfile = serde_json::from_value(
        serde_json::json!({"name": "np", "vnetSubnetID": "/s", "podSubnetID": "/p"}),
    )
    .unwrap();
    assert_eq!(pool.vnet_subnet_id.as_deref(), Some("/s"));
    assert_eq!(serde_json::to_value(&pool).unwrap()["vnetSubnetID"], "/s");
}

#[test]
fn storage_account_examples() {
    let ex = example(&format!("{STORAGE}/StorageAccountGetProperties.json"));
    let account: StorageAccount = response(&ex, "200");
    let acls = account
        .properties
        .network_acls
        .as_ref()
        .expect("networkAcls");
    assert!(!acls.default_action.is_empty());
    for file in [
        format!("{STORAGE}/StorageAccountUpdate.json"),
        format!("{STORAGE_NEWER}/StorageAccountUpdate.json"),
    ] {
        let ex = example(&file);
        let patch: NetworkAclsPatch<StorageNetworkRuleSet> = request(&ex, "parameters");
        let acls = &patch.properties.network_acls;
        assert!(!acls.default_action.is_empty(), "{file}");
        assert!(
            acls.resource_access_rules
                .as_ref()
                .is_some_and(|r| !r.is_empty()),
            "{file}"
        );
        let updated: StorageAccount = response(&ex, "200");
        assert!(updated.properties.network_acls.is_some(), "{file}");
    }
    let rule: StorageVirtualNetworkRule = serde_json::from_value(
        serde_json::json!({"id": "/s", "action": "Allow", "state": "Succeeded"}),
    )
    .unwrap();
    assert!(serde_json::to_value(&rule).unwrap().get("state").is_none());
}

#[test]
fn key_vault_examples() {
    let ex = example(&format!("{KV}/getVault.json"));
    let vault: Vault = response(&ex, "200");
    assert!(vault.properties.tenant_id.is_some());
    let ex = example(&format!("{KV}/createVaultWithNetworkAcls.json"));
    for status in ["200", "201"] {
        let vault: Vault = response(&ex, status);
        let acls = vault.properties.network_acls.as_ref().expect("networkAcls");
        assert_eq!(acls.default_action.as_deref(), Some("Deny"));
        assert_eq!(acls.ip_rules.as_ref().unwrap()[0].value, "124.56.78.91/32");
        let rule = &acls.virtual_network_rules.as_ref().unwrap()[0];
        assert!(crate::arm::resource_id::ids_equal(
            &rule.id,
            "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/test-vnet/subnets/subnet1"
        ));
    }
    let patch = NetworkAclsPatch::new(VaultNetworkRuleSet {
        default_action: Some("Deny".into()),
        bypass: Some("AzureServices".into()),
        virtual_network_rules: Some(vec![VaultVirtualNetworkRule {
            id: "/s".into(),
            ignore_missing_vnet_service_endpoint: None,
        }]),
        ip_rules: None,
    });
    assert_eq!(
        serde_json::to_value(&patch).unwrap(),
        serde_json::json!({"properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices", "virtualNetworkRules": [{"id": "/s"}]}}})
    );
}

#[test]
fn network_interface_example() {
    let ex = example(&format!("{NET}/NetworkInterfaceGet.json"));
    let nic: NetworkInterface = response(&ex, "200");
    let primary = nic.primary_ip_configuration().expect("an IP configuration");
    assert!(primary.subnet.is_some());
    assert!(primary.private_ip_address.is_some());
}

/// Compute and HDInsight publish no examples in the pinned folders: these bodies follow
/// `virtualMachine.json` and `cluster.json`.
#[test]
fn virtual_machine_image_and_primary_nic() {
    let vm: VirtualMachine = serde_json::from_value(serde_json::json!({
        "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
        "location": "westeurope",
        "properties": {
            "storageProfile": {
                "imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts",
                    "sku": "server", "version": "latest", "exactVersion": "24.4.1"},
                "osDisk": {"osType": "Linux", "createOption": "FromImage"}
            },
            "networkProfile": {"networkInterfaces": [
                {"id": "/nic-b", "properties": {"primary": false}},
                {"id": "/nic-a", "properties": {"primary": true}}
            ]},
            "provisioningState": "Succeeded"
        }
    }))
    .unwrap();
    assert_eq!(vm.primary_network_interface(), Some("/nic-a"));
    assert_eq!(vm.os_type(), Some("Linux"));
    let image = vm.image_reference().unwrap();
    assert_eq!(image.publisher.as_deref(), Some("Canonical"));
    let written = serde_json::to_value(image).unwrap();
    assert!(written.get("exactVersion").is_none(), "read-only sent back");
}

#[test]
fn hdinsight_cluster_subnet_and_ssh_endpoint() {
    let cluster: HdInsightCluster = serde_json::from_value(serde_json::json!({
        "location": "westeurope",
        "properties": {
            "clusterDefinition": {"kind": "spark"},
            "computeProfile": {"roles": [
                {"name": "workernode", "virtualNetworkProfile": {"id": "/vnet", "subnet": "/vnet/subnets/w"}},
                {"name": "headnode", "virtualNetworkProfile": {"id": "/vnet", "subnet": "/vnet/subnets/h"}}
            ]},
            "connectivityEndpoints": [
                {"name": "HTTPS", "protocol": "TCP", "location": "c.azurehdinsight.net", "port": 443},
                {"name": "SSH", "protocol": "TCP", "location": "c-ssh.azurehdinsight.net", "port": 22}
            ]
        }
    }))
    .unwrap();
    assert_eq!(cluster.subnet_id(), Some("/vnet/subnets/h"));
    assert_eq!(
        cluster.ssh_endpoint(),
        Some(("c-ssh.azurehdinsight.net", Some(22)))
    );
    assert_eq!(HdInsightCluster::default().subnet_id(), None);
}

#[test]
fn ssh_compute_sends_secrets_but_never_prints_them() {
    let compute = ComputeResource {
        properties: Compute {
            compute_type: "VirtualMachine".into(),
            resource_id: Some("/vm".into()),
            properties: Some(ComputeProperties::VirtualMachine(SshComputeProperties {
                ssh_port: Some(22),
                address: Some("10.0.1.4".into()),
                administrator_account: Some(VirtualMachineSshCredentials {
                    username: Some("azureuser".into()),
                    password: Some("pa55-word!".into()),
                    ..VirtualMachineSshCredentials::default()
                }),
                ..SshComputeProperties::default()
            })),
            ..Compute::default()
        },
        ..ComputeResource::default()
    };
    let body = serde_json::to_value(&compute).unwrap();
    assert_eq!(
        body["properties"]["properties"]["administratorAccount"]["password"],
        "pa55-word!"
    );
    assert!(!format!("{compute:?}").contains("pa55-word!"));
    let read: ComputeResource = serde_json::from_value(serde_json::json!({
        "properties": {"computeType": "HDInsight", "resourceId": "/c", "isAttachedCompute": true,
            "properties": {"sshPort": 2222, "address": "c-ssh.azurehdinsight.net",
                "administratorAccount": {"username": "sshuser"}}}
    }))
    .unwrap();
    let ssh = read.ssh_compute().expect("HDInsight properties");
    assert_eq!(ssh.ssh_port, Some(2222));
    assert!(matches!(
        read.properties.properties,
        Some(ComputeProperties::HdInsight(_))
    ));
}

/// A lock list answer (constructed from `locks.json` 2020-05-01; the spec folder has no
/// example files): scopes come from the ids.
#[test]
fn management_locks_and_their_scopes() {
    let list: ListResult<ManagementLock> = serde_json::from_value(serde_json::json!({"value": [
        {"id": "/subscriptions/S/resourceGroups/Net/providers/Microsoft.Authorization/locks/keep",
         "name": "keep", "type": "Microsoft.Authorization/locks",
         "properties": {"level": "CanNotDelete", "notes": "n", "owners": []}},
        {"id": "/subscriptions/S/providers/Microsoft.Authorization/locks/frozen",
         "name": "frozen", "type": "Microsoft.Authorization/locks",
         "properties": {"level": "ReadOnly"}},
        {"id": "/subscriptions/S/resourceGroups/Net/providers/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Authorization/locks/vnet",
         "name": "vnet", "properties": {"level": "ReadOnly"}},
        {"name": "no-id", "properties": {"level": "ReadOnly"}}
    ]}))
    .unwrap();
    let scopes: Vec<Option<String>> = list.value.iter().map(ManagementLock::scope).collect();
    assert_eq!(
        scopes,
        [
            Some("/subscriptions/s/resourcegroups/net".to_owned()),
            Some("/subscriptions/s".to_owned()),
            Some(
                "/subscriptions/s/resourcegroups/net/providers/microsoft.network/virtualnetworks/v"
                    .to_owned()
            ),
            None,
        ]
    );
    assert_eq!(list.value[0].properties.level, "CanNotDelete");
    assert_eq!(list.value[0].properties.notes.as_deref(), Some("n"));
    let out = serde_json::to_value(&list.value[0]).unwrap();
    assert!(out.get("id").is_none() && out.get("name").is_none());
}

#[test]
fn datastores_list() {
    let ex = example(&format!("{ML}/Datastore/list.json"));
    let list: ListResult<Datastore> = response(&ex, "200");
    let store = &list.value[0];
    assert_eq!(store.properties.datastore_type, "AzureBlob");
    assert_eq!(store.properties.is_default, Some(false));
    assert_eq!(store.storage_account(), Some("string"));
    assert_eq!(list.next_link.as_deref(), Some("string"));
}

#[test]
fn policy_assignments_with_selectors_and_overrides() {
    let ex = example(&format!(
        "{POLICY}/listPolicyAssignmentsForResourceGroup.json"
    ));
    let list: ListResult<PolicyAssignment> = response(&ex, "200");
    let names: Vec<&str> = list
        .value
        .iter()
        .filter_map(|a| a.name.as_deref())
        .collect();
    assert_eq!(names, ["TestCostManagement", "TestTagEnforcement"]);
    let first = &list.value[0].properties;
    assert!(
        first
            .policy_definition_id
            .ends_with("/policyDefinitions/storageSkus")
    );
    assert_eq!(first.parameters["allowedSkus"].value, "Standard_A1");
    assert_eq!(
        first.display_name.as_deref(),
        Some("Storage Cost Management")
    );

    let ex = example(&format!(
        "{POLICY}/getPolicyAssignmentWithResourceSelectors.json"
    ));
    let selected: PolicyAssignment = response(&ex, "200");
    let selector = &selected.properties.resource_selectors[0].selectors[0];
    assert_eq!(selector.kind, "resourceLocation");
    assert_eq!(
        selector.is_in.as_deref(),
        Some(&["eastus2euap".to_owned(), "centraluseuap".to_owned()][..])
    );
    assert_eq!(
        selected.properties.enforcement_mode.as_deref(),
        Some("Default")
    );
    assert!(selected.properties.not_scopes.is_empty());

    let ex = example(&format!("{POLICY}/getPolicyAssignmentWithOverrides.json"));
    let overridden: PolicyAssignment = response(&ex, "200");
    let over = &overridden.properties.overrides[0];
    assert_eq!(
        (over.kind.as_str(), over.value.as_deref()),
        ("policyEffect", Some("Audit"))
    );
    assert_eq!(over.selectors[0].kind, "policyDefinitionReferenceId");
}

#[test]
fn policy_definitions_and_initiatives() {
    let ex = example(&format!("{POLICY}/getBuiltinPolicyDefinition.json"));
    let definition: PolicyDefinition = response(&ex, "200");
    let p = &definition.properties;
    assert_eq!(
        p.display_name.as_deref(),
        Some("Allowed storage account SKUs")
    );
    assert_eq!(p.mode.as_deref(), Some("All"));
    assert!(p.parameters.contains_key("listOfAllowedSKUs"));
    assert_eq!(p.policy_rule.as_ref().unwrap()["then"]["effect"], "Deny");

    let ex = example(&format!("{POLICY}/getPolicySetDefinition.json"));
    let set: PolicySetDefinition = response(&ex, "200");
    let members = &set.properties.policy_definitions;
    assert_eq!(members.len(), 2);
    assert_eq!(
        members[0].policy_definition_reference_id.as_deref(),
        Some("Limit_Skus")
    );
    assert_eq!(members[1].parameters["prefix"].value, "DeptA");
}

#[test]
fn envelopes_send_back_only_their_writable_members() {
    let read = serde_json::json!({
        "id": "/i", "name": "n", "type": "t", "location": "l", "tags": {"a": "b"},
        "etag": "e", "kind": "k", "identity": {"type": "SystemAssigned"}, "sku": {"name": "S"},
        "properties": {}
    });
    let sent = |value: Value| -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    let tracked: Resource<Value> = serde_json::from_value(read.clone()).unwrap();
    let network: NetworkResource<Value> = serde_json::from_value(read.clone()).unwrap();
    let child: ChildResource<Value> = serde_json::from_value(read.clone()).unwrap();
    let proxy: ProxyResource<Value> = serde_json::from_value(read).unwrap();
    for (envelope, value, expected) in [
        (
            "tracked",
            serde_json::to_value(&tracked).unwrap(),
            &["identity", "kind", "location", "properties", "sku", "tags"][..],
        ),
        (
            "network",
            serde_json::to_value(&network).unwrap(),
            &["id", "location", "properties", "tags"][..],
        ),
        (
            "child",
            serde_json::to_value(&child).unwrap(),
            &["id", "name", "properties", "type"][..],
        ),
        (
            "proxy",
            serde_json::to_value(&proxy).unwrap(),
            &["properties"][..],
        ),
    ] {
        assert_eq!(sent(value), expected, "{envelope}");
    }
    assert_eq!(network.etag.as_deref(), Some("e"));
    assert_eq!(child.etag.as_deref(), Some("e"));
}
