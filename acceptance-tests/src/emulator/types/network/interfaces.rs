//! Network interfaces: their IP configurations take addresses from their subnets.

use super::*;

pub struct NetworkInterfaces;

/// The IP configurations of a NIC body, as `(name, subnet id)`.
fn nic_ip_configurations(body: &Value) -> Vec<(String, String)> {
    body.pointer("/properties/ipConfigurations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some((
                c.get("name")?.as_str()?.to_owned(),
                str_at(c, "/properties/subnet/id")?.to_owned(),
            ))
        })
        .collect()
}

/// The first address of `subnet` that no other NIC holds (Azure keeps the first four).
fn next_free_address(st: &State, subnet: &Entry, own_nic: &str) -> Option<String> {
    let taken: Vec<String> = st
        .store
        .all()
        .filter(|(_, e)| e.type_key == NIC && !same_id(&e.id, own_nic))
        .flat_map(|(_, e)| {
            e.body
                .pointer("/properties/ipConfigurations")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|c| str_at(&c, "/properties/privateIPAddress").map(str::to_owned))
        .collect();
    let IpNet::V4(net) = *subnet_prefixes(&subnet.body).first()? else {
        return None;
    };
    net.hosts()
        .skip(3)
        .map(|a| a.to_string())
        .find(|a| !taken.contains(a))
}

const NIC: &str = "microsoft.network/networkinterfaces";

/// The virtual machine whose network profile lists the NIC `nic_id`.
fn vm_using(st: &State, nic_id: &str) -> Option<String> {
    st.store
        .all()
        .find(|(_, e)| {
            e.type_key == "microsoft.compute/virtualmachines"
                && e.body
                    .pointer("/properties/networkProfile/networkInterfaces")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|n| str_at(n, "/id").is_some_and(|n| same_id(n, nic_id)))
        })
        .map(|(_, vm)| vm.id.clone())
}

impl Kind for NetworkInterfaces {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/networkInterfaces"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }

    fn validate(&self, st: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        let configurations = nic_ip_configurations(body);
        if configurations.is_empty() {
            return Err(ArmError::bad_request(
                "NetworkInterfaceMustHaveAtLeastOneIpConfiguration",
                format!(
                    "Network interface {} must have at least one IP configuration with a subnet.",
                    id.raw
                ),
            ));
        }
        for (_, subnet) in &configurations {
            if !st.store.contains(&key_of(subnet)) {
                return Err(ArmError::bad_request(
                    "InvalidResourceReference",
                    format!(
                        "Resource {subnet} referenced by resource {} was not found.",
                        id.raw
                    ),
                ));
            }
        }
        reference_exists(st, body, "/properties/networkSecurityGroup/id", &id.raw)
    }

    fn fill(&self, st: &State, id: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(
            &mut body,
            "/properties",
            &[
                "virtualMachine",
                "macAddress",
                "primary",
                "provisioningState",
            ],
        );
        let guid = resource_guid(existing);
        let first = nic_ip_configurations(&body)
            .first()
            .map(|(name, _)| name.clone());
        let mut addresses = Vec::new();
        if let Some(configs) = body
            .pointer_mut("/properties/ipConfigurations")
            .and_then(Value::as_array_mut)
        {
            for config in configs.iter_mut() {
                let name = config["name"].as_str().unwrap_or("ipconfig").to_owned();
                config["id"] = json!(format!("{}/ipConfigurations/{name}", id.raw));
                config["type"] = json!("Microsoft.Network/networkInterfaces/ipConfigurations");
                let p = props(config);
                p.remove("provisioningState");
                p.entry("primary")
                    .or_insert(json!(first.as_deref() == Some(name.as_str())));
                let static_address = p
                    .get("privateIPAllocationMethod")
                    .and_then(Value::as_str)
                    .is_some_and(|m| m.eq_ignore_ascii_case("Static"));
                if !static_address || p.get("privateIPAddress").is_none() {
                    p.insert("privateIPAllocationMethod".into(), json!("Dynamic"));
                    let kept = existing.and_then(|e| {
                        e.body
                            .pointer("/properties/ipConfigurations")?
                            .as_array()?
                            .iter()
                            .find(|c| c["name"] == name)?
                            .pointer("/properties/privateIPAddress")
                            .cloned()
                    });
                    let subnet = p
                        .get("subnet")
                        .and_then(|s| s.get("id"))
                        .and_then(Value::as_str)
                        .and_then(|s| st.store.get(&key_of(s)));
                    let address = kept.or_else(|| {
                        subnet
                            .and_then(|s| next_free_address(st, s, &id.raw))
                            .map(|a| json!(a))
                    });
                    if let Some(address) = address {
                        p.insert("privateIPAddress".into(), address);
                    }
                }
                p.entry("privateIPAddressVersion").or_insert(json!("IPv4"));
                p.insert("provisioningState".into(), json!("Succeeded"));
                if let Some(address) = p.get("privateIPAddress").cloned() {
                    addresses.push(address);
                }
            }
        }
        let p = props(&mut body);
        if let Some(reference) = p
            .get("networkSecurityGroup")
            .and_then(|v| v.get("id"))
            .cloned()
        {
            p.insert("networkSecurityGroup".into(), json!({ "id": reference }));
        }
        p.insert("resourceGuid".into(), guid);
        p.entry("enableAcceleratedNetworking")
            .or_insert(json!(false));
        p.entry("enableIPForwarding").or_insert(json!(false));
        body
    }

    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        if let Some(vm) = vm_using(st, &entry.id) {
            props(out).insert("virtualMachine".into(), json!({ "id": vm }));
        }
    }

    fn after_write(&self, st: &mut State, key: &str, previous: Option<&Entry>) {
        if let Some(previous) = previous {
            st.store
                .remove_ip_configurations(&format!("{}/", previous.id));
        }
        let Some(nic) = st.store.get(key).cloned() else {
            return;
        };
        for (name, subnet) in nic_ip_configurations(&nic.body) {
            st.store.add_ip_configuration(
                &key_of(&subnet),
                format!("{}/ipConfigurations/{name}", nic.id),
            );
        }
    }

    fn check_delete(&self, st: &State, entry: &Entry) -> ArmResult<()> {
        match vm_using(st, &entry.id) {
            None => Ok(()),
            Some(vm) => Err(ArmError::bad_request(
                "NicInUse",
                format!(
                    "Network Interface {} is used by existing resource {vm}. In order to delete the network interface, it must be dissociated from the resource.",
                    entry.id
                ),
            )),
        }
    }

    fn on_removed(&self, st: &mut State, entry: &Entry, _: bool) {
        st.store.remove_ip_configurations(&format!("{}/", entry.id));
    }
}
