//! Microsoft.Network 2024-01-01: virtual networks, subnets, NSGs, route tables, usages.

use serde::{Deserialize, Serialize};

use super::{ChildResource, NetworkResource, SubResource, null_as_default};

/// `Microsoft.Network/virtualNetworks`.
pub type VirtualNetwork = NetworkResource<VirtualNetworkProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetworkProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_space: Option<AddressSpace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp_options: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<Vec<Subnet>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub virtual_network_peerings: Option<Vec<VirtualNetworkPeering>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_ddos_protection: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ddos_protection_plan: Option<SubResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_timeout_in_minutes: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub resource_guid: Option<String>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

impl VirtualNetwork {
    /// `addressSpace.addressPrefixes` (empty if absent).
    pub fn address_prefixes(&self) -> &[String] {
        self.properties
            .address_space
            .as_ref()
            .map(|a| a.address_prefixes.as_slice())
            .unwrap_or_default()
    }

    pub fn subnets(&self) -> &[Subnet] {
        self.properties.subnets.as_deref().unwrap_or_default()
    }

    pub fn peerings(&self) -> &[VirtualNetworkPeering] {
        self.properties
            .virtual_network_peerings
            .as_deref()
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressSpace {
    #[serde(default, deserialize_with = "null_as_default")]
    pub address_prefixes: Vec<String>,
}

/// `Microsoft.Network/virtualNetworks/subnets`. A subnet PUT replaces the whole subnet, so
/// this carries every writable field of the spec: GET, change, PUT keeps the rest.
pub type Subnet = ChildResource<SubnetProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubnetProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_prefixes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_security_group: Option<SubResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_table: Option<SubResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_gateway: Option<SubResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_endpoints: Option<Vec<ServiceEndpoint>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_endpoint_policies: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_allocations: Option<Vec<SubResource>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delegations: Option<Vec<Delegation>>,
    /// `Enabled` | `Disabled` | `NetworkSecurityGroupEnabled` | `RouteTableEnabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_endpoint_network_policies: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_link_service_network_policies: Option<String>,
    #[serde(
        default,
        rename = "applicationGatewayIPConfigurations",
        skip_serializing_if = "Option::is_none"
    )]
    pub application_gateway_ip_configurations: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharing_scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_outbound_access: Option<bool>,
    /// Read-only: NIC / load balancer IP configurations using the subnet.
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub ip_configurations: Vec<SubResource>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub private_endpoints: Vec<SubResource>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub resource_navigation_links: Vec<serde_json::Value>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub service_association_links: Vec<serde_json::Value>,
    #[serde(default, skip_serializing)]
    pub purpose: Option<String>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

impl Subnet {
    /// `addressPrefixes`, else `[addressPrefix]`.
    pub fn prefixes(&self) -> Vec<&str> {
        match (
            &self.properties.address_prefixes,
            &self.properties.address_prefix,
        ) {
            (Some(list), _) if !list.is_empty() => list.iter().map(String::as_str).collect(),
            (_, Some(one)) => vec![one.as_str()],
            _ => Vec::new(),
        }
    }

    pub fn delegations(&self) -> &[Delegation] {
        self.properties.delegations.as_deref().unwrap_or_default()
    }

    pub fn service_endpoints(&self) -> &[ServiceEndpoint] {
        self.properties
            .service_endpoints
            .as_deref()
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEndpoint {
    /// e.g. `Microsoft.Storage`, `Microsoft.KeyVault`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_identifier: Option<SubResource>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `Microsoft.Network/virtualNetworks/subnets/delegations`, inside its subnet.
pub type Delegation = ChildResource<DelegationProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DelegationProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub actions: Vec<String>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `Microsoft.Network/virtualNetworks/virtualNetworkPeerings`.
pub type VirtualNetworkPeering = ChildResource<VirtualNetworkPeeringProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetworkPeeringProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_virtual_network: Option<SubResource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_address_space: Option<AddressSpace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_virtual_network_address_space: Option<AddressSpace>,
    /// `Initiated` | `Connected` | `Disconnected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_sync_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_virtual_network_access: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_forwarded_traffic: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_gateway_transit: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_remote_gateways: Option<bool>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

impl VirtualNetworkPeering {
    /// The remote VNet's address prefixes as seen by this peering.
    pub fn remote_prefixes(&self) -> &[String] {
        let p = &self.properties;
        p.remote_address_space
            .as_ref()
            .or(p.remote_virtual_network_address_space.as_ref())
            .map(|a| a.address_prefixes.as_slice())
            .unwrap_or_default()
    }
}

/// `Microsoft.Network/networkSecurityGroups`.
pub type NetworkSecurityGroup = NetworkResource<NetworkSecurityGroupProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkSecurityGroupProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_rules: Option<Vec<SecurityRule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flush_connection: Option<bool>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub default_security_rules: Vec<SecurityRule>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub subnets: Vec<SubResource>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub network_interfaces: Vec<SubResource>,
    #[serde(default, skip_serializing)]
    pub resource_guid: Option<String>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

impl NetworkSecurityGroup {
    /// User rules followed by the default rules.
    pub fn all_rules(&self) -> impl Iterator<Item = &SecurityRule> {
        self.properties
            .security_rules
            .iter()
            .flatten()
            .chain(self.properties.default_security_rules.iter())
    }
}

/// `Microsoft.Network/networkSecurityGroups/securityRules`.
pub type SecurityRule = ChildResource<SecurityRuleProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityRuleProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Tcp` | `Udp` | `Icmp` | `Esp` | `Ah` | `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_port_range: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_port_ranges: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_port_range: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_port_ranges: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_address_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_address_prefixes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_address_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_address_prefixes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_application_security_groups: Option<Vec<SubResource>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_application_security_groups: Option<Vec<SubResource>>,
    /// `Allow` | `Deny`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
    /// 100-4096 for user rules; 65000+ for default rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    /// `Inbound` | `Outbound`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `Microsoft.Network/routeTables`.
pub type RouteTable = NetworkResource<RouteTableProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTableProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<Route>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_bgp_route_propagation: Option<bool>,
    #[serde(default, skip_serializing, deserialize_with = "null_as_default")]
    pub subnets: Vec<SubResource>,
    #[serde(default, skip_serializing)]
    pub resource_guid: Option<String>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `Microsoft.Network/routeTables/routes`.
pub type Route = ChildResource<RouteProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteProperties {
    /// Destination CIDR (or service tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_prefix: Option<String>,
    /// `VirtualNetworkGateway` | `VnetLocal` | `Internet` | `VirtualAppliance` | `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_hop_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_hop_ip_address: Option<String>,
    #[serde(default, skip_serializing)]
    pub has_bgp_override: Option<bool>,
    #[serde(default, skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// One entry of `GET .../virtualNetworks/{vnet}/usages` (read-only answer).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualNetworkUsage {
    /// The subnet id.
    #[serde(default)]
    pub id: Option<String>,
    /// IPs used in the subnet.
    #[serde(default)]
    pub current_value: Option<f64>,
    /// Size of the subnet.
    #[serde(default)]
    pub limit: Option<f64>,
    #[serde(default)]
    pub name: Option<UsageName>,
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageName {
    #[serde(default)]
    pub localized_value: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

/// `Microsoft.Network/networkInterfaces` (read only, for attach).
pub type NetworkInterface = NetworkResource<NetworkInterfaceProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterfaceProperties {
    #[serde(default, deserialize_with = "null_as_default")]
    pub ip_configurations: Vec<NetworkInterfaceIpConfiguration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_security_group: Option<SubResource>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterfaceIpConfiguration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub properties: NetworkInterfaceIpConfigurationProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterfaceIpConfigurationProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<SubResource>,
    #[serde(
        default,
        rename = "privateIPAddress",
        skip_serializing_if = "Option::is_none"
    )]
    pub private_ip_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

impl NetworkInterface {
    /// The primary IP configuration (else the first).
    pub fn primary_ip_configuration(&self) -> Option<&NetworkInterfaceIpConfigurationProperties> {
        let configs = &self.properties.ip_configurations;
        configs
            .iter()
            .find(|c| c.properties.primary.unwrap_or(false))
            .or(configs.first())
            .map(|c| &c.properties)
    }
}

/// `Microsoft.Network/privateEndpoints` (read only: where a service's private endpoint sits).
pub type PrivateEndpoint = NetworkResource<PrivateEndpointProperties>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateEndpointProperties {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<SubResource>,
}
