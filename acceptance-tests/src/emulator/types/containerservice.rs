//! Microsoft.ContainerService 2024-02-01: AKS managed clusters.

use super::kind::{
    DeleteStyle, Kind, PutStyle, Wire, drop_fields, props, require_location, str_at,
};
use super::network::{overlaps, peered_prefixes, vnet_of_subnet, vnet_prefixes};
use crate::emulator::http::{ArmError, ArmResult, guid};
use crate::emulator::ids::{ResId, key_of};
use crate::emulator::state::State;
use crate::emulator::store::Entry;
use ipnet::{IpNet, Ipv4Net};
use serde_json::{Value, json};

pub static KINDS: &[&dyn Kind] = &[&ManagedClusters];

pub struct ManagedClusters;

/// The AKS rule: the service CIDR must not overlap the node subnet's VNet (or its
/// peerings), and the DNS service IP must lie inside it.
pub fn check_service_network(
    st: &State,
    subnet_id: Option<&str>,
    service_cidr: Option<&str>,
    dns_service_ip: Option<&str>,
) -> ArmResult<()> {
    let Some(cidr_text) = service_cidr else {
        return Ok(());
    };
    let cidr: Ipv4Net = cidr_text.parse().map_err(|_| {
        ArmError::bad_request(
            "InvalidParameter",
            format!("The value of parameter networkProfile.serviceCidr is invalid: '{cidr_text}'."),
        )
        .with_target("networkProfile.serviceCidr")
    })?;
    let service = IpNet::V4(cidr.trunc());
    if let Some(subnet_id) = subnet_id
        && let Some(vnet) = vnet_of_subnet(st, subnet_id)
    {
        let mut ranges = vnet_prefixes(&vnet.body);
        ranges.extend(peered_prefixes(st, vnet));
        if let Some(hit) = ranges.iter().find(|r| overlaps(r, &service)) {
            return Err(ArmError::bad_request(
                "ServiceCidrOverlapExistingSubnetsCidr",
                format!("The specified service CIDR {cidr_text} is conflicted with an existing subnet CIDR {hit}"),
            )
            .with_target("networkProfile.serviceCidr"));
        }
    }
    if let Some(ip_text) = dns_service_ip {
        let ip: std::net::Ipv4Addr = ip_text.parse().map_err(|_| {
            ArmError::bad_request(
                "InvalidParameter",
                format!(
                    "The value of parameter networkProfile.dnsServiceIP is invalid: '{ip_text}'."
                ),
            )
        })?;
        if !cidr.trunc().contains(&ip)
            || ip == cidr.trunc().network()
            || ip == cidr.trunc().broadcast()
        {
            return Err(ArmError::bad_request(
                "InvalidDNSServiceIP",
                format!("The DNS service IP {ip_text} must be inside the service CIDR {cidr_text}, and not its network or broadcast address."),
            )
            .with_target("networkProfile.dnsServiceIP"));
        }
        if u32::from(ip) == u32::from(cidr.trunc().network()) + 1 {
            return Err(ArmError::bad_request(
                "InvalidDNSServiceIP",
                format!("The DNS service IP {ip_text} must not be the first address of the service CIDR {cidr_text}; it is used by the kubernetes service."),
            )
            .with_target("networkProfile.dnsServiceIP"));
        }
    }
    Ok(())
}

impl Kind for ManagedClusters {
    fn type_name(&self) -> &'static str {
        "Microsoft.ContainerService/managedClusters"
    }
    fn wire(&self) -> Wire {
        Wire::new(PutStyle::AsyncOperation, DeleteStyle::Location)
    }

    fn validate(&self, st: &State, _: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        let pools = body
            .pointer("/properties/agentPoolProfiles")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut subnet = None;
        for pool in &pools {
            if pool.get("name").and_then(Value::as_str).is_none() {
                return Err(ArmError::bad_request(
                    "InvalidParameter",
                    "Every agent pool profile needs a name.",
                )
                .with_target("agentPoolProfiles.name"));
            }
            if let Some(id) = str_at(pool, "/vnetSubnetID") {
                if !st.store.contains(&key_of(id)) {
                    return Err(ArmError::bad_request(
                        "InvalidParameter",
                        format!(
                            "The subnet '{id}' in agentPoolProfiles.vnetSubnetID was not found."
                        ),
                    )
                    .with_target("agentPoolProfiles.vnetSubnetID"));
                }
                subnet.get_or_insert(id);
            }
        }
        let network = body.pointer("/properties/networkProfile");
        check_service_network(
            st,
            subnet,
            network
                .and_then(|n| str_at(n, "/serviceCidr"))
                .or(Some("10.0.0.0/16")),
            network.and_then(|n| str_at(n, "/dnsServiceIP")),
        )
    }

    fn fill(&self, _: &State, id: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(
            &mut body,
            "/properties",
            &[
                "fqdn",
                "powerState",
                "maxAgentPools",
                "currentKubernetesVersion",
                "azurePortalFQDN",
                "privateFQDN",
                "resourceUID",
            ],
        );
        let name = id.name().to_owned();
        let rg = id.resource_group.clone().unwrap_or_default();
        let location = body["location"].as_str().unwrap_or("").to_owned();
        let uid = existing
            .and_then(|e| e.body.pointer("/properties/resourceUID").cloned())
            .unwrap_or_else(|| json!(guid().replace('-', "")[..24].to_owned()));
        if body.get("identity").is_none() {
            body["identity"] = json!({"type": "SystemAssigned"});
        }
        if body["identity"]["type"] == "SystemAssigned" {
            body["identity"]["principalId"] = json!(guid());
            body["identity"]["tenantId"] = json!(guid());
        }
        let p = props(&mut body);
        let version = p
            .get("kubernetesVersion")
            .cloned()
            .unwrap_or_else(|| json!("1.28.5"));
        let dns_prefix = p
            .get("dnsPrefix")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{name}-dns"));
        p.insert("kubernetesVersion".into(), version.clone());
        p.insert("currentKubernetesVersion".into(), version.clone());
        p.insert("dnsPrefix".into(), json!(dns_prefix));
        p.insert(
            "fqdn".into(),
            json!(format!(
                "{dns_prefix}-{}.hcp.{location}.azmk8s.io",
                &guid()[..8]
            )),
        );
        p.insert(
            "azurePortalFQDN".into(),
            json!(format!("{dns_prefix}-portal.hcp.{location}.azmk8s.io")),
        );
        p.insert("powerState".into(), json!({"code": "Running"}));
        p.insert("maxAgentPools".into(), json!(100));
        p.insert("resourceUID".into(), uid);
        p.entry("nodeResourceGroup")
            .or_insert(json!(format!("MC_{rg}_{name}_{location}")));
        p.entry("enableRBAC").or_insert(json!(true));
        let network = p.entry("networkProfile").or_insert(json!({}));
        let plugin = network
            .get("networkPlugin")
            .and_then(Value::as_str)
            .unwrap_or("kubenet")
            .to_owned();
        network["networkPlugin"] = json!(plugin);
        for (field, default) in [
            ("serviceCidr", "10.0.0.0/16"),
            ("dnsServiceIP", "10.0.0.10"),
            ("outboundType", "loadBalancer"),
            ("loadBalancerSku", "standard"),
        ] {
            if network.get(field).is_none() {
                network[field] = json!(default);
            }
        }
        if plugin == "kubenet" && network.get("podCidr").is_none() {
            network["podCidr"] = json!("10.244.0.0/16");
        }
        if let Some(pools) = p.get_mut("agentPoolProfiles").and_then(Value::as_array_mut) {
            for pool in pools {
                let defaults = [
                    ("count", json!(1)),
                    ("mode", json!("System")),
                    ("osType", json!("Linux")),
                    ("type", json!("VirtualMachineScaleSets")),
                    ("maxPods", json!(if plugin == "azure" { 30 } else { 110 })),
                    ("orchestratorVersion", version.clone()),
                ];
                for (field, value) in defaults {
                    if pool.get(field).is_none() {
                        pool[field] = value;
                    }
                }
                pool["currentOrchestratorVersion"] = version.clone();
                pool["provisioningState"] = json!("Succeeded");
                pool["powerState"] = json!({"code": "Running"});
            }
        }
        body
    }
}
