//! Builders the NSG tests share.

use crate::rules::Finding;
use crate::rules::addresses::Ipv4Net;

use super::evaluation::{Access, Clients, Direction, NetworkSecurityGroup, Protocol, SecurityRule};

pub(super) const REGION: &str = "westeurope";

pub(super) fn net(s: &str) -> Ipv4Net {
    s.parse().unwrap()
}

/// A comma-separated list.
pub(super) fn list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A rule; list arguments are comma-separated.
#[allow(clippy::too_many_arguments)]
pub(super) fn rule(
    name: &str,
    priority: u32,
    direction: Direction,
    access: Access,
    protocol: Protocol,
    source: &str,
    source_ports: &str,
    destination: &str,
    destination_ports: &str,
) -> SecurityRule {
    SecurityRule {
        name: name.to_owned(),
        priority,
        direction,
        access,
        protocol,
        source_prefixes: list(source),
        source_ports: list(source_ports),
        destination_prefixes: list(destination),
        destination_ports: list(destination_ports),
    }
}

/// An inbound TCP rule from `source` to any destination on `ports`.
pub(super) fn inbound(
    name: &str,
    priority: u32,
    access: Access,
    source: &str,
    ports: &str,
) -> SecurityRule {
    rule(
        name,
        priority,
        Direction::Inbound,
        access,
        Protocol::Tcp,
        source,
        "*",
        "*",
        ports,
    )
}

/// An outbound rule of any protocol from anywhere to `destination` on `ports`.
pub(super) fn outbound(
    name: &str,
    priority: u32,
    access: Access,
    destination: &str,
    ports: &str,
) -> SecurityRule {
    rule(
        name,
        priority,
        Direction::Outbound,
        access,
        Protocol::Any,
        "*",
        "*",
        destination,
        ports,
    )
}

pub(super) fn nsg(rules: Vec<SecurityRule>) -> NetworkSecurityGroup {
    NetworkSecurityGroup {
        name: "nsg-compute".to_owned(),
        security_rules: rules,
    }
}

pub(super) fn ids(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.rule.id).collect()
}

pub(super) fn ranges(texts: &[&str]) -> Clients {
    Clients::Ranges(texts.iter().map(|t| net(t)).collect())
}

/// Asserts that `text`, a finding's message or fix, says `part`; shows it whole if not.
#[track_caller]
pub(super) fn assert_says(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} not in: {text}");
}
