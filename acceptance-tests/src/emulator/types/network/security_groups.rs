//! Network security groups, their security rules and Azure's default rules.

use super::*;

fn check_port(rule: &str, p: &serde_json::Map<String, Value>, field: &str) -> ArmResult<()> {
    let Some(value) = p.get(field).and_then(Value::as_str) else {
        return Ok(());
    };
    let valid_port = |s: &str| s.parse::<u32>().is_ok_and(|n| n <= 65535);
    let ok = value == "*"
        || valid_port(value)
        || value
            .split_once('-')
            .is_some_and(|(a, b)| valid_port(a) && valid_port(b));
    if ok {
        Ok(())
    } else {
        Err(ArmError::bad_request(
            "SecurityRuleInvalidPortRange",
            format!("Security rule {rule} has invalid Port range. Value provided: {value}. Value should be an integer OR integer range with '-' delimiter. Valid range 0-65535."),
        ).with_target(field.to_owned()))
    }
}

fn check_rule(name: &str, rule: &Value) -> ArmResult<(i64, String)> {
    let empty = serde_json::Map::new();
    let p = rule
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (field, allowed) in [
        ("protocol", &["Tcp", "Udp", "Icmp", "Esp", "*", "Ah"][..]),
        ("access", &["Allow", "Deny"][..]),
        ("direction", &["Inbound", "Outbound"][..]),
    ] {
        match p.get(field).and_then(Value::as_str) {
            Some(v) if allowed.iter().any(|a| a.eq_ignore_ascii_case(v)) => {}
            Some(v) => {
                return Err(ArmError::bad_request(
                    "InvalidRequestFormat",
                    format!(
                        "Security rule {name}: value '{v}' of {field} is not one of {}.",
                        allowed.join(", ")
                    ),
                ));
            }
            None => {
                return Err(ArmError::bad_request(
                    "InvalidRequestFormat",
                    format!("Security rule {name} is missing the required property {field}."),
                ));
            }
        }
    }
    let priority = p.get("priority").and_then(Value::as_i64).ok_or_else(|| {
        ArmError::bad_request(
            "SecurityRuleInvalidPriority",
            format!("Security rule {name} has no priority."),
        )
    })?;
    if !(100..=4096).contains(&priority) {
        return Err(ArmError::bad_request(
            "SecurityRuleInvalidPriority",
            format!(
                "Security rule {name} has invalid Priority. Value provided: {priority} Allowed range 100-4096."
            ),
        ));
    }
    check_port(name, p, "sourcePortRange")?;
    check_port(name, p, "destinationPortRange")?;
    let direction = p["direction"].as_str().unwrap_or("").to_ascii_lowercase();
    Ok((priority, direction))
}

fn rule_conflict(name: &str, other: &str) -> ArmError {
    ArmError::bad_request(
        "SecurityRuleConflict",
        format!(
            "Security rule {name} conflicts with rule {other}. Rules cannot have the same Priority and Direction. To learn more, see aka.ms/nsgrules."
        ),
    )
}

fn fill_rule(mut rule: Value) -> Value {
    drop_fields(&mut rule, "", &["etag"]);
    drop_fields(&mut rule, "/properties", &["provisioningState"]);
    let p = props(&mut rule);
    for field in [
        "sourcePortRanges",
        "destinationPortRanges",
        "sourceAddressPrefixes",
        "destinationAddressPrefixes",
    ] {
        p.entry(field).or_insert(json!([]));
    }
    rule
}

pub struct SecurityGroups;

impl Kind for SecurityGroups {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/networkSecurityGroups"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }
    fn embedded(&self) -> &'static [Embedded] {
        &[Embedded {
            property: "securityRules",
            child_type: "securityRules",
        }]
    }

    fn validate(&self, _: &State, _: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        require_location(body)?;
        let mut seen: Vec<(String, i64, String)> = Vec::new();
        for rule in body
            .pointer("/properties/securityRules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = rule.get("name").and_then(Value::as_str).ok_or_else(|| {
                ArmError::bad_request("InvalidRequestFormat", "Every security rule needs a name.")
            })?;
            let (priority, direction) = check_rule(name, rule)?;
            if let Some((other, _, _)) = seen
                .iter()
                .find(|(_, p, d)| *p == priority && *d == direction)
            {
                return Err(rule_conflict(name, other));
            }
            seen.push((name.to_owned(), priority, direction));
        }
        Ok(())
    }

    fn fill(&self, _: &State, _: &ResId, mut body: Value, existing: Option<&Entry>) -> Value {
        drop_fields(&mut body, "", &["etag"]);
        drop_fields(
            &mut body,
            "/properties",
            &[
                "defaultSecurityRules",
                "subnets",
                "networkInterfaces",
                "flowLogs",
            ],
        );
        let guid = resource_guid(existing);
        props(&mut body).insert("resourceGuid".into(), guid);
        body
    }

    fn decorate(&self, st: &State, entry: &Entry, out: &mut Value) {
        let etag = entry.etag.clone().unwrap_or_default();
        let rules: Vec<Value> = default_rules(&entry.id, &etag);
        let subnets = subnets_referencing(st, "/properties/networkSecurityGroup/id", &entry.id);
        let p = props(out);
        p.insert("defaultSecurityRules".into(), Value::Array(rules));
        if !subnets.is_empty() {
            p.insert("subnets".into(), Value::Array(subnets));
        }
    }

    fn check_delete(&self, st: &State, entry: &Entry) -> ArmResult<()> {
        let users = subnets_referencing(st, "/properties/networkSecurityGroup/id", &entry.id);
        if users.is_empty() {
            return Ok(());
        }
        Err(ArmError::bad_request(
            "InUseNetworkSecurityGroupCannotBeDeleted",
            format!(
                "Network security group {} cannot be deleted because it is in use by the following resources: {}. In order to delete the Network security group, remove the association with the resource(s).",
                entry.id,
                users
                    .iter()
                    .filter_map(|u| u["id"].as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ))
    }
}

pub(super) fn subnets_referencing(st: &State, pointer: &str, id: &str) -> Vec<Value> {
    st.store
        .all()
        .filter(|(_, e)| e.type_key == SUBNET)
        .filter(|(_, e)| str_at(&e.body, pointer).is_some_and(|r| same_id(r, id)))
        .map(|(_, e)| json!({ "id": e.id }))
        .collect()
}

pub struct SecurityRules;

impl Kind for SecurityRules {
    fn type_name(&self) -> &'static str {
        "Microsoft.Network/networkSecurityGroups/securityRules"
    }
    fn wire(&self) -> Wire {
        NETWORK
    }

    fn validate(&self, st: &State, id: &ResId, body: &Value, _: Option<&Entry>) -> ArmResult<()> {
        let (priority, direction) = check_rule(id.name(), body)?;
        let parent = id.parent().expect("child").key();
        for sibling in st.store.children(
            &parent,
            "microsoft.network/networksecuritygroups/securityrules",
        ) {
            if key_of(&sibling.id) == id.key() {
                continue;
            }
            let p = sibling
                .body
                .pointer("/properties/priority")
                .and_then(Value::as_i64);
            let d = str_at(&sibling.body, "/properties/direction").map(str::to_ascii_lowercase);
            if p == Some(priority) && d.as_deref() == Some(direction.as_str()) {
                return Err(rule_conflict(
                    id.name(),
                    sibling.id.rsplit('/').next().unwrap_or(""),
                ));
            }
        }
        Ok(())
    }

    fn fill(&self, _: &State, _: &ResId, body: Value, _: Option<&Entry>) -> Value {
        fill_rule(body)
    }

    fn patch(&self, _: &State, _: &Entry, _: &Value) -> ArmResult<Value> {
        Err(ArmError::new(
            405,
            "HttpMethodNotAllowed",
            "Security rules do not support PATCH; PUT the whole rule.",
        ))
    }
}

/// Azure's six default rules of every NSG.
pub(super) fn default_rules(nsg_id: &str, etag: &str) -> Vec<Value> {
    [
        (
            "AllowVnetInBound",
            "Allow inbound traffic from all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Inbound",
        ),
        (
            "AllowAzureLoadBalancerInBound",
            "Allow inbound traffic from azure load balancer",
            "AzureLoadBalancer",
            "*",
            "Allow",
            65001,
            "Inbound",
        ),
        (
            "DenyAllInBound",
            "Deny all inbound traffic",
            "*",
            "*",
            "Deny",
            65500,
            "Inbound",
        ),
        (
            "AllowVnetOutBound",
            "Allow outbound traffic from all VMs to all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Outbound",
        ),
        (
            "AllowInternetOutBound",
            "Allow outbound traffic from all VMs to Internet",
            "*",
            "Internet",
            "Allow",
            65001,
            "Outbound",
        ),
        (
            "DenyAllOutBound",
            "Deny all outbound traffic",
            "*",
            "*",
            "Deny",
            65500,
            "Outbound",
        ),
    ]
    .into_iter()
    .map(
        |(name, description, source, destination, access, priority, direction)| {
            json!({
                "name": name,
                "id": format!("{nsg_id}/defaultSecurityRules/{name}"),
                "etag": etag,
                "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                "properties": {
                    "provisioningState": "Succeeded",
                    "description": description,
                    "protocol": "*",
                    "sourcePortRange": "*",
                    "destinationPortRange": "*",
                    "sourceAddressPrefix": source,
                    "destinationAddressPrefix": destination,
                    "access": access,
                    "priority": priority,
                    "direction": direction,
                    "sourcePortRanges": [],
                    "destinationPortRanges": [],
                    "sourceAddressPrefixes": [],
                    "destinationAddressPrefixes": [],
                }
            })
        },
    )
    .collect()
}
