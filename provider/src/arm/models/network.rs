//! Microsoft.Network 2024-01-01: virtual networks, subnets, NSGs, route tables, usages.

use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use super::{ChildResource, NetworkResource, SubResource, null_as_default};

/// `Microsoft.Network/virtualNetworks`.
pub type VirtualNetwork = NetworkResource<VirtualNetworkProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualNetworkProperties {
    pub address_space: Option<AddressSpace>,
    pub dhcp_options: Option<serde_json::Value>,
    pub subnets: Option<Vec<Subnet>>,
    pub virtual_network_peerings: Option<Vec<VirtualNetworkPeering>>,
    pub enable_ddos_protection: Option<bool>,
    pub ddos_protection_plan: Option<SubResource>,
    pub flow_timeout_in_minutes: Option<i32>,
    pub encryption: Option<serde_json::Value>,
    #[serde(skip_serializing)]
    pub resource_guid: Option<String>,
    #[serde(skip_serializing)]
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
#[serde(default, rename_all = "camelCase")]
pub struct AddressSpace {
    #[serde(deserialize_with = "null_as_default")]
    pub address_prefixes: Vec<String>,
}

/// `Microsoft.Network/virtualNetworks/subnets`. A subnet PUT replaces the whole subnet, so
/// this carries every writable field of the spec: GET, change, PUT keeps the rest.
pub type Subnet = ChildResource<SubnetProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SubnetProperties {
    pub address_prefix: Option<String>,
    pub address_prefixes: Option<Vec<String>>,
    pub network_security_group: Option<SubResource>,
    pub route_table: Option<SubResource>,
    pub nat_gateway: Option<SubResource>,
    pub service_endpoints: Option<Vec<ServiceEndpoint>>,
    pub service_endpoint_policies: Option<Vec<serde_json::Value>>,
    pub ip_allocations: Option<Vec<SubResource>>,
    pub delegations: Option<Vec<Delegation>>,
    /// `Enabled` | `Disabled` | `NetworkSecurityGroupEnabled` | `RouteTableEnabled`.
    pub private_endpoint_network_policies: Option<String>,
    pub private_link_service_network_policies: Option<String>,
    #[serde(rename = "applicationGatewayIPConfigurations")]
    pub application_gateway_ip_configurations: Option<Vec<serde_json::Value>>,
    pub sharing_scope: Option<String>,
    pub default_outbound_access: Option<bool>,
    /// Read-only: NIC / load balancer IP configurations using the subnet.
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub ip_configurations: Vec<SubResource>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub private_endpoints: Vec<SubResource>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub resource_navigation_links: Vec<serde_json::Value>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub service_association_links: Vec<serde_json::Value>,
    #[serde(skip_serializing)]
    pub purpose: Option<String>,
    #[serde(skip_serializing)]
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

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceEndpoint {
    /// e.g. `Microsoft.Storage`, `Microsoft.KeyVault`.
    pub service: Option<String>,
    pub locations: Option<Vec<String>>,
    pub network_identifier: Option<SubResource>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `Microsoft.Network/virtualNetworks/subnets/delegations`, inside its subnet.
pub type Delegation = ChildResource<DelegationProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DelegationProperties {
    pub service_name: Option<String>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub actions: Vec<String>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `Microsoft.Network/virtualNetworks/virtualNetworkPeerings`.
pub type VirtualNetworkPeering = ChildResource<VirtualNetworkPeeringProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualNetworkPeeringProperties {
    pub remote_virtual_network: Option<SubResource>,
    pub remote_address_space: Option<AddressSpace>,
    pub remote_virtual_network_address_space: Option<AddressSpace>,
    /// `Initiated` | `Connected` | `Disconnected`.
    pub peering_state: Option<String>,
    pub peering_sync_level: Option<String>,
    pub allow_virtual_network_access: Option<bool>,
    pub allow_forwarded_traffic: Option<bool>,
    pub allow_gateway_transit: Option<bool>,
    pub use_remote_gateways: Option<bool>,
    #[serde(skip_serializing)]
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

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkSecurityGroupProperties {
    pub security_rules: Option<Vec<SecurityRule>>,
    pub flush_connection: Option<bool>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub default_security_rules: Vec<SecurityRule>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub subnets: Vec<SubResource>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub network_interfaces: Vec<SubResource>,
    #[serde(skip_serializing)]
    pub resource_guid: Option<String>,
    #[serde(skip_serializing)]
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

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SecurityRuleProperties {
    pub description: Option<String>,
    /// `Tcp` | `Udp` | `Icmp` | `Esp` | `Ah` | `*`.
    pub protocol: Option<String>,
    pub source_port_range: Option<String>,
    pub source_port_ranges: Option<Vec<String>>,
    pub destination_port_range: Option<String>,
    pub destination_port_ranges: Option<Vec<String>>,
    pub source_address_prefix: Option<String>,
    pub source_address_prefixes: Option<Vec<String>>,
    pub destination_address_prefix: Option<String>,
    pub destination_address_prefixes: Option<Vec<String>>,
    pub source_application_security_groups: Option<Vec<SubResource>>,
    pub destination_application_security_groups: Option<Vec<SubResource>>,
    /// `Allow` | `Deny`.
    pub access: Option<String>,
    /// 100-4096 for user rules; 65000+ for default rules.
    pub priority: Option<i32>,
    /// `Inbound` | `Outbound`.
    pub direction: Option<String>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `Microsoft.Network/routeTables`.
pub type RouteTable = NetworkResource<RouteTableProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RouteTableProperties {
    pub routes: Option<Vec<Route>>,
    pub disable_bgp_route_propagation: Option<bool>,
    #[serde(skip_serializing, deserialize_with = "null_as_default")]
    pub subnets: Vec<SubResource>,
    #[serde(skip_serializing)]
    pub resource_guid: Option<String>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// `Microsoft.Network/routeTables/routes`.
pub type Route = ChildResource<RouteProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RouteProperties {
    /// Destination CIDR (or service tag).
    pub address_prefix: Option<String>,
    /// `VirtualNetworkGateway` | `VnetLocal` | `Internet` | `VirtualAppliance` | `None`.
    pub next_hop_type: Option<String>,
    pub next_hop_ip_address: Option<String>,
    #[serde(skip_serializing)]
    pub has_bgp_override: Option<bool>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
}

/// One entry of `GET .../virtualNetworks/{vnet}/usages` (read-only answer).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VirtualNetworkUsage {
    /// The subnet id.
    pub id: Option<String>,
    /// IPs used in the subnet.
    pub current_value: Option<f64>,
    /// Size of the subnet.
    pub limit: Option<f64>,
    pub name: Option<UsageName>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UsageName {
    pub localized_value: Option<String>,
    pub value: Option<String>,
}

/// `Microsoft.Network/networkInterfaces` (read only, for attach).
pub type NetworkInterface = NetworkResource<NetworkInterfaceProperties>;

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkInterfaceProperties {
    #[serde(deserialize_with = "null_as_default")]
    pub ip_configurations: Vec<NetworkInterfaceIpConfiguration>,
    pub network_security_group: Option<SubResource>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkInterfaceIpConfiguration {
    pub name: Option<String>,
    pub properties: NetworkInterfaceIpConfigurationProperties,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkInterfaceIpConfigurationProperties {
    pub subnet: Option<SubResource>,
    #[serde(rename = "privateIPAddress")]
    pub private_ip_address: Option<String>,
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

#[skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PrivateEndpointProperties {
    pub subnet: Option<SubResource>,
}
