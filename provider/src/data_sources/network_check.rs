//! `amlsecure_network_check`: every network rule for compute of a workspace in a subnet, run
//! against live Azure, returned as values instead of diagnostics so a pipeline can report
//! them. The findings are those the matching resource's plan would raise.

use async_trait::async_trait;
use tfplugin::resource::{Context, DataSource, Outcome};
use tfplugin::schema::{Attribute, Nesting, Presence, Schema};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::{READ_TIMEOUT, SUBNET_TYPE, WORKSPACE_TYPE, id_problem, max_nodes_problem};
use crate::arm::ResourceId;
use crate::checks::run::{
    self, AksAddresses, AksPlan, Checked, ClusterLocation, ClusterPlan, ReadFailure,
};
use crate::checks::{Level, Severities};
use crate::rules::addresses;
use crate::rules::aks::DEFAULT_AGENT_COUNT;
use crate::rules::attached::DEFAULT_SSH_PORT;
use crate::rules::{Finding, Rule, compute, nsg};
use crate::session::SessionSlot;
use crate::session::{arm_diagnostic, call_context, parse_id, require_arm};

pub const TYPE_NAME: &str = "amlsecure_network_check";

/// The kinds of compute the check knows, the default first.
pub const KINDS: [&str; 4] = ["cluster", "aks", "attached", "instance"];

/// Settings that only some kinds' rules use: attribute, kinds, summary and why.
const KIND_SETTINGS: [(&str, &[&str], &str, &str); 9] = [
    (
        "max_nodes",
        &["cluster"],
        "Setting for compute clusters",
        "the subnet capacity rule counts a compute cluster's nodes",
    ),
    (
        "node_public_ip_enabled",
        &["cluster", "instance"],
        "Setting for compute clusters and instances",
        "only their nodes get public IP addresses",
    ),
    (
        "ssh_source_addresses",
        &["cluster", "instance"],
        "Setting for compute clusters and instances",
        "only their nodes accept SSH on public addresses",
    ),
    (
        "scoring_source_addresses",
        &["aks"],
        "Setting for AKS",
        "clients call an AKS cluster's scoring endpoint",
    ),
    (
        "scoring_port",
        &["aks"],
        "Setting for AKS",
        "clients call an AKS cluster's scoring endpoint",
    ),
    (
        "service_cidr",
        &["aks"],
        "Setting for AKS",
        "it describes an AKS cluster's network",
    ),
    (
        "agent_count",
        &["aks"],
        "Setting for AKS",
        "it is the node count of an AKS cluster",
    ),
    (
        "dns_service_ip",
        &["aks"],
        "Setting for AKS",
        "it describes an AKS cluster's network",
    ),
    (
        "ssh_port",
        &["attached"],
        "Setting for attached machines",
        "Azure ML reaches only an attached machine over SSH",
    ),
];

/// Attributes of one finding object, in schema order, with their descriptions.
const FINDING_ATTRIBUTES: [(&str, &str); 9] = [
    ("rule_id", "The rule's stable ID, like `AMLS111`."),
    (
        "severity",
        "`error`, `warning`, or `off` for a rule switched off by `disabled_rules`.",
    ),
    (
        "title",
        "The rule's one-line title, as in the rules reference.",
    ),
    (
        "attribute",
        "The resource argument the finding is about, like `subnet_id`, `max_nodes` or `service_cidr`.",
    ),
    ("message", "What is wrong, with the names and numbers."),
    ("fix", "What to change, as concretely as possible."),
    (
        "seed_section",
        "The heading of Azure's 2019 virtual network guidance the rule enforces, or, for a rule of today's guidance only, the heading it belongs with.",
    ),
    (
        "guidance",
        "The guidance profile whose source the finding cites: `2019` or `current`, the provider's `guidance`.",
    ),
    (
        "source",
        "What the finding cites: the heading of the 2019 guidance, or the title and address of today's Azure documentation.",
    ),
];

/// `findings`: a list of objects whose attributes carry their own descriptions.
fn findings_attribute() -> Attribute {
    let fields = FINDING_ATTRIBUTES
        .iter()
        .map(|(name, description)| {
            Attribute::computed(*name, Type::String).description(*description)
        })
        .collect();
    Attribute::nested("findings", Nesting::List, fields, Presence::Computed)
}

pub fn schema() -> Schema {
    Schema::new(
        "Runs every network rule for compute of a workspace in a subnet against the live network, and returns the findings (rule ID, severity, message, fix) instead of failing, so a pipeline can report them. The findings are those `amlsecure_compute_cluster`, `amlsecure_aks_attachment`, `amlsecure_vm_attachment` or `amlsecure_hdinsight_attachment` would raise at plan. Reading fails only when Azure cannot be read.",
        vec![
            Attribute::required("workspace_id", Type::String)
                .description("ARM ID of the Azure Machine Learning workspace."),
            Attribute::required("subnet_id", Type::String)
                .description("ARM ID of the subnet the compute would join."),
            Attribute::optional_computed("compute_kind", Type::String)
                .description("`cluster` (default): the rules for a compute cluster (AmlCompute); `aks`: those for an AKS cluster Azure ML creates in the subnet, in the workspace's region; `attached`: those for a virtual machine or HDInsight cluster in the subnet attached over SSH (the rules about the machine itself, its image, need a machine and are not run); `instance`: those for a compute instance (one node), which under `guidance = \"current\"` must use a network in the workspace's region, unlike a cluster."),
            Attribute::optional("max_nodes", Type::Number)
                .whole_numbers(1..=i32::MAX as i64)
                .description("For `cluster`: the most nodes planned. Runs the subnet capacity rule (AMLS101), which is skipped without it."),
            Attribute::optional("agent_count", Type::Number)
                .whole_numbers(1..=i32::MAX as i64)
                .description("For `aks`: the nodes of the cluster Azure ML would create (default 3, as `amlsecure_aks_attachment`'s). Under `guidance = \"current\"` the subnet must hold Azure CNI's addresses for them and their pods (AMLS211)."),
            Attribute::optional("service_cidr", Type::String)
                .description("For `aks`: the Kubernetes service range, like `10.240.0.0/16`. With `dns_service_ip`, runs the address plan rules (AMLS201 to AMLS209) against the virtual network and its peerings."),
            Attribute::optional("dns_service_ip", Type::String)
                .description("For `aks`: the cluster DNS address inside `service_cidr`, like `10.240.0.10`."),
            Attribute::optional("node_public_ip_enabled", Type::Bool)
                .description("For `cluster` and `instance`: whether the nodes get public IP addresses, as `node_public_ip_enabled` of `amlsecure_compute_cluster` (default `true`). Under `guidance = \"current\"` a compute without them needs a workspace private endpoint and no inbound rule; with them, inbound TCP 44224 from `AzureMachineLearning`. Without them Azure ML creates no public IP address or load balancer, so Azure Policy assignments that deny those (AMLS143) do not concern it."),
            Attribute::optional("ssh_source_addresses", Type::list(Type::String))
                .description("For `cluster`: where SSH to the nodes' public addresses comes from, as for a cluster with `ssh_public_access_enabled`: IPv4 addresses and CIDR ranges, or one service tag. Runs the public SSH rules (AMLS117, AMLS118), which are skipped without it."),
            Attribute::optional("scoring_source_addresses", Type::list(Type::String))
                .description("For `aks`: the clients that call the scoring endpoint from outside the virtual network: IPv4 addresses and CIDR ranges, or one service tag. Runs the scoring rules (AMLS224, AMLS225), which are skipped without it."),
            Attribute::optional("scoring_port", Type::Number)
                .whole_numbers(1..=65535)
                .description("For `aks`: the port scoring clients call (default 80; 443 with SSL)."),
            Attribute::optional("ssh_port", Type::Number)
                .whole_numbers(1..=65535)
                .description("For `attached`: the SSH port Azure ML would connect to (default 22). The subnet's network security group must allow it from the `AzureMachineLearning` service tag."),
            Attribute::computed("guidance", Type::String)
                .description("The guidance profile the rules were checked under, the provider's `guidance`: `2019` or `current`."),
            findings_attribute().description("What the rules found, ordered by rule ID; empty when the network is sound."),
            Attribute::computed("error_count", Type::Number)
                .description("Findings with severity `error`: each would stop the matching resource's plan."),
            Attribute::computed("warning_count", Type::Number)
                .description("Findings with severity `warning`: the plan would go on, but say so."),
        ],
    )
}

pub fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics: Diagnostics = [
        id_problem(config, "workspace_id", WORKSPACE_TYPE),
        id_problem(config, "subnet_id", SUBNET_TYPE),
        max_nodes_problem(config),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut problem = |attribute: &str, summary: &str, detail: String| {
        diagnostics
            .push(Diagnostic::error(summary, detail).at(AttributePath::attribute(attribute)));
    };
    let kind = match config.str_field("compute_kind") {
        Field::Unknown => None,
        Field::Null => Some(KINDS[0].to_owned()),
        Field::Known(kind) if KINDS.contains(&kind.as_str()) => Some(kind),
        Field::Known(kind) => {
            problem(
                "compute_kind",
                "Invalid compute kind",
                format!(
                    "{kind:?} is not a compute kind: use \"cluster\", \"aks\", \"attached\" or \"instance\"."
                ),
            );
            None
        }
    };
    let set = |name: &str| config.attr(name).is_some_and(|v| !v.is_null());
    if let Some(kind) = kind.as_deref() {
        for (name, owners, summary, why) in KIND_SETTINGS {
            if !owners.contains(&kind) && set(name) {
                let kinds: Vec<String> = owners.iter().map(|o| format!("\"{o}\"")).collect();
                problem(
                    name,
                    summary,
                    format!(
                        "{name} is for compute_kind = {}: {why}. Remove it, or check that kind.",
                        kinds.join(" or ")
                    ),
                );
            }
        }
    }
    if kind.as_deref() == Some("aks") {
        for (name, other) in [
            ("service_cidr", "dns_service_ip"),
            ("dns_service_ip", "service_cidr"),
        ] {
            if set(other) && !set(name) {
                problem(
                    name,
                    "Missing Kubernetes network setting",
                    format!(
                        "{other} is set, and the address plan rules need both: add {name}, for example service_cidr = \"10.240.0.0/16\" and dns_service_ip = \"10.240.0.10\"."
                    ),
                );
            }
        }
    }
    if let Field::Known(port) = config.i64_field("ssh_port")
        && !(1..=65535).contains(&port)
    {
        problem(
            "ssh_port",
            "Invalid SSH port",
            format!("ssh_port {port} is not a TCP port: use 1 to 65535 (SSH's usual port is 22)."),
        );
    }
    for attribute in ["ssh_source_addresses", "scoring_source_addresses"] {
        if let Field::Known(sources) = config.strings_field(attribute)
            && let Err(message) = nsg::client_sources(&sources)
        {
            problem(
                attribute,
                "Invalid sources",
                format!("{attribute}: {message}."),
            );
        }
    }
    if let Field::Known(text) = config.str_field("service_cidr")
        && let Err(e) = addresses::parse_cidr(&text)
    {
        problem("service_cidr", "Invalid address range", e.to_string());
    }
    if let Field::Known(text) = config.str_field("dns_service_ip")
        && let Err(e) = addresses::parse_ipv4(&text)
    {
        problem("dns_service_ip", "Invalid address", e.to_string());
    }
    diagnostics
}

/// One finding as the `findings` list holds it, at the level the provider block gives its
/// rule (`error`, `warning`, or `off` for a rule switched off).
pub fn finding_value(finding: &Finding, severities: &Severities) -> Value {
    let rule = finding.rule;
    let severity = severities.level(rule).name();
    let profile = severities.profile();
    let source = rule.citation(profile).map(|c| c.source());
    Value::object([
        ("rule_id", rule.id.into()),
        ("severity", severity.into()),
        ("title", rule.title.into()),
        ("attribute", finding.attribute.into()),
        ("message", finding.message.clone().into()),
        ("fix", finding.fix.clone().into()),
        ("seed_section", rule.seed_section.into()),
        ("guidance", profile.name().into()),
        ("source", source.into()),
    ])
}

/// The computed attributes for `findings`: the list ordered by rule ID (stable, so the
/// rules' own order stays within one ID), and the error and warning counts, which leave
/// switched-off rules out.
pub fn findings_state(
    mut findings: Vec<Finding>,
    severities: &Severities,
) -> [(&'static str, Value); 3] {
    findings.sort_by_key(|f| f.rule.id);
    let count = |level: Level| {
        findings
            .iter()
            .filter(|f| severities.level(f.rule) == level)
            .count() as i64
    };
    [
        ("error_count", count(Level::Error).into()),
        ("warning_count", count(Level::Warning).into()),
        (
            "findings",
            Value::List(
                findings
                    .iter()
                    .map(|f| finding_value(f, severities))
                    .collect(),
            ),
        ),
    ]
}

/// When the subnet's virtual network does not exist, the subnet does not either: the
/// kind's subnet-not-found rule (AMLS233 for AKS, AMLS133 for the others) reports it.
pub fn vnet_missing(kind: &str, subnet_id: &ResourceId) -> Finding {
    let rule: &'static Rule = if kind == "aks" {
        &compute::AKS_SUBNET_NOT_FOUND
    } else {
        &compute::SUBNET_NOT_FOUND
    };
    let vnet = subnet_id.parent();
    let vnet_name = vnet
        .as_ref()
        .map(|v| v.name().to_owned())
        .unwrap_or_default();
    let group = vnet
        .as_ref()
        .and_then(|v| v.resource_group().map(str::to_owned))
        .unwrap_or_default();
    Finding::new(
        rule,
        "subnet_id",
        format!(
            "virtual network '{vnet_name}' of subnet '{}' does not exist in resource group '{group}'",
            subnet_id.name()
        ),
        format!(
            "Create virtual network '{vnet_name}' with subnet '{}', or use an existing subnet",
            subnet_id.name()
        ),
    )
}

pub struct NetworkCheck {
    session: SessionSlot,
}

impl NetworkCheck {
    pub fn new(session: SessionSlot) -> NetworkCheck {
        NetworkCheck { session }
    }

    /// Runs the kind's rules; `Err` only when the inputs are wrong or Azure cannot be read.
    async fn findings(
        &self,
        ctx: &Context,
        config: &Value,
        kind: &str,
    ) -> Result<(Vec<Finding>, Severities), Diagnostic> {
        let id = |attribute: &str, full_type: &str, summary: &str| {
            let text = config.str_field(attribute).known().unwrap_or_default();
            parse_id(&text, full_type)
                .map_err(|m| Diagnostic::error(summary, m).at(AttributePath::attribute(attribute)))
        };
        let workspace_id = id("workspace_id", WORKSPACE_TYPE, "Invalid workspace ID")?;
        let subnet_id = id("subnet_id", SUBNET_TYPE, "Invalid subnet ID")?;
        let (session, arm) = require_arm(&self.session)?;
        let call = call_context(ctx, READ_TIMEOUT);
        let unreadable = |failure: ReadFailure| {
            arm_diagnostic("Cannot read the network to check it", &failure.error)
                .at(AttributePath::attribute(failure.attribute))
        };
        let profile = session.severities.profile();
        let checked = if kind == "aks" {
            let workspace = run::workspace(&arm, &call, &workspace_id)
                .await
                .map_err(unreadable)?;
            let scoring = sources(config, "scoring_source_addresses")?.map(|clients| {
                let port = config.i64_field("scoring_port").known();
                let port = port.and_then(|p| u16::try_from(p).ok());
                (clients, port.unwrap_or(nsg::seed::HTTP_PORT))
            });
            let cluster = AksPlan {
                location: workspace.location,
                addresses: aks_addresses(config)?,
                skip_offline_findings: false,
                attached: false,
                nodes: config
                    .i64_field("agent_count")
                    .known()
                    .map_or(DEFAULT_AGENT_COUNT, |n| n.max(1) as u64),
                scoring,
                workspace_id: Some(workspace_id.clone()),
            };
            run::aks_cluster(&arm, &call, &session.planned, profile, &subnet_id, &cluster).await
        } else if kind == "attached" {
            let ssh_port = config
                .i64_field("ssh_port")
                .known()
                .and_then(|port| u16::try_from(port).ok())
                .unwrap_or(DEFAULT_SSH_PORT);
            run::attached_machine(
                &arm,
                &call,
                &session.planned,
                profile,
                &workspace_id,
                &subnet_id,
                ssh_port,
            )
            .await
        } else {
            // A compute instance is one node.
            let instance = kind == "instance";
            let cluster = ClusterPlan {
                instance,
                nodes_needed: match instance {
                    true => Some(1),
                    false => config
                        .i64_field("max_nodes")
                        .known()
                        .map(|n| n.max(0) as u64),
                },
                creating: true,
                public_ip: config
                    .bool_field("node_public_ip_enabled")
                    .known()
                    .unwrap_or(true),
                public_ssh: sources(config, "ssh_source_addresses")?
                    .map(|sources| (sources, "ssh_source_addresses")),
                location: ClusterLocation::Unchecked,
            };
            run::compute_cluster(
                &arm,
                &call,
                &session.planned,
                profile,
                &workspace_id,
                &subnet_id,
                &cluster,
            )
            .await
        }
        .map_err(unreadable)?;
        let findings = match checked {
            Checked::Findings(findings) => findings,
            Checked::VnetMissing => vec![vnet_missing(kind, &subnet_id)],
        };
        Ok((findings, session.severities.clone()))
    }
}

/// Configured client sources, when set.
fn sources(config: &Value, attribute: &str) -> Result<Option<nsg::Remote>, Diagnostic> {
    match config.strings_field(attribute) {
        Field::Known(sources) => nsg::client_sources(&sources).map(Some).map_err(|message| {
            Diagnostic::error("Invalid sources", format!("{attribute}: {message}."))
                .at(AttributePath::attribute(attribute))
        }),
        _ => Ok(None),
    }
}

/// `service_cidr` and `dns_service_ip` when both are set.
fn aks_addresses(config: &Value) -> Result<Option<AksAddresses>, Diagnostic> {
    let (Field::Known(cidr), Field::Known(ip)) = (
        config.str_field("service_cidr"),
        config.str_field("dns_service_ip"),
    ) else {
        return Ok(None);
    };
    let invalid = |attribute: &str, message: String| {
        Diagnostic::error("Invalid address", message).at(AttributePath::attribute(attribute))
    };
    Ok(Some(AksAddresses {
        service_cidr: addresses::parse_cidr(&cidr)
            .map_err(|e| invalid("service_cidr", e.to_string()))?,
        dns_service_ip: addresses::parse_ipv4(&ip)
            .map_err(|e| invalid("dns_service_ip", e.to_string()))?,
        docker_bridge_cidr: None,
    }))
}

#[async_trait]
impl DataSource for NetworkCheck {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    async fn read(&self, ctx: &Context, config: Value) -> Outcome<Value> {
        let problems = validate(&config);
        if problems.has_errors() {
            return Outcome::failed(problems);
        }
        let kind = config
            .str_field("compute_kind")
            .known()
            .unwrap_or_else(|| KINDS[0].to_owned());
        match self.findings(ctx, &config, &kind).await {
            Ok((findings, disabled)) => {
                let mut state = config;
                state.set_attr("compute_kind", kind.into());
                state.set_attr("guidance", disabled.profile().name().into());
                for (name, value) in findings_state(findings, &disabled) {
                    state.set_attr(name, value);
                }
                Outcome::ok(state)
            }
            Err(diagnostic) => Outcome::failed(diagnostic),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{nsg, subnet};

    const WORKSPACE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
    const SUBNET: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/training";

    fn config(overrides: &[(&str, Value)]) -> Value {
        let mut config = schema().null_value();
        config.set_attr("workspace_id", WORKSPACE.into());
        config.set_attr("subnet_id", SUBNET.into());
        for (name, value) in overrides {
            config.set_attr(name, value.clone());
        }
        config
    }

    fn capacity_warning() -> Finding {
        Finding::new(
            &subnet::SUBNET_CAPACITY,
            "max_nodes",
            "subnet 10.0.1.0/28 has 16 addresses",
            "Use a /27 or larger subnet",
        )
    }

    fn nsg_error() -> Finding {
        Finding::new(
            &nsg::seed::BATCH_INBOUND_BLOCKED,
            "subnet_id",
            "rule 'deny-all-in' denies TCP 29876-29877",
            "Add an inbound Allow rule",
        )
    }

    /// AMLS101 (an error by default) counted as a warning, as `rule_severity` can set it,
    /// and `off` the rules listed.
    fn severities(off: &[&str]) -> Severities {
        Severities::parse([("AMLS101", "warning")], off.iter().copied()).0
    }

    fn text(value: &Value, name: &str) -> String {
        value.str_field(name).known().unwrap()
    }

    #[test]
    fn a_finding_carries_its_rule_and_words() {
        let value = finding_value(&nsg_error(), &Severities::default());
        assert_eq!(text(&value, "rule_id"), "AMLS111");
        assert_eq!(text(&value, "severity"), "error");
        assert_eq!(
            text(&value, "title"),
            nsg::seed::BATCH_INBOUND_BLOCKED.title
        );
        assert_eq!(text(&value, "attribute"), "subnet_id");
        assert_eq!(
            text(&value, "message"),
            "rule 'deny-all-in' denies TCP 29876-29877"
        );
        assert_eq!(text(&value, "fix"), "Add an inbound Allow rule");
        assert_eq!(
            text(&value, "seed_section"),
            nsg::seed::BATCH_INBOUND_BLOCKED.seed_section
        );
        assert_eq!(text(&value, "guidance"), "2019");
        assert_eq!(text(&value, "source"), "Required ports");
        let capacity = finding_value(&capacity_warning(), &Severities::default());
        assert_eq!(text(&capacity, "severity"), "error");
        let current = finding_value(
            &capacity_warning(),
            &Severities::default().with_profile(crate::rules::Profile::Current),
        );
        assert_eq!(text(&current, "guidance"), "current");
        assert_eq!(
            text(&current, "source"),
            "Secure an Azure Machine Learning training environment with virtual networks, https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet"
        );
        assert_eq!(
            text(&current, "seed_section"),
            "Use a Machine Learning Compute instance"
        );
        let warning = finding_value(&capacity_warning(), &severities(&[]));
        assert_eq!(text(&warning, "severity"), "warning");
    }

    #[test]
    fn findings_are_sorted_counted_and_match_the_schema() {
        let state = findings_state(
            vec![nsg_error(), capacity_warning(), nsg_error()],
            &severities(&[]),
        );
        let [(_, errors), (_, warnings), (_, list)] = &state;
        assert_eq!((errors.as_i64(), warnings.as_i64()), (Some(2), Some(1)));
        let ids: Vec<String> = (list.as_elements().unwrap().iter())
            .map(|f| text(f, "rule_id"))
            .collect();
        assert_eq!(ids, ["AMLS101", "AMLS111", "AMLS111"]);
        let mut value = config(&[]);
        value.set_attr("compute_kind", "cluster".into());
        value.set_attr("guidance", "2019".into());
        for (name, v) in state {
            value.set_attr(name, v);
        }
        tfplugin::value::encode_msgpack(&value, &schema().value_type()).expect("encodes");
    }

    #[test]
    fn switched_off_rules_are_listed_as_off_and_not_counted() {
        let state = findings_state(
            vec![nsg_error(), capacity_warning()],
            &severities(&["AMLS111"]),
        );
        let [(_, errors), (_, warnings), (_, list)] = &state;
        assert_eq!((errors.as_i64(), warnings.as_i64()), (Some(0), Some(1)));
        let severities: Vec<String> = (list.as_elements().unwrap().iter())
            .map(|f| text(f, "severity"))
            .collect();
        assert_eq!(severities, ["warning", "off"]);
    }

    #[test]
    fn no_findings_is_an_empty_list() {
        let [(_, errors), (_, warnings), (_, list)] =
            findings_state(Vec::new(), &Severities::default());
        assert_eq!((errors.as_i64(), warnings.as_i64()), (Some(0), Some(0)));
        assert_eq!(list, Value::List(Vec::new()));
    }

    #[test]
    fn a_missing_network_is_the_kinds_subnet_rule() {
        let id = parse_id(SUBNET, SUBNET_TYPE).unwrap();
        let cluster = vnet_missing("cluster", &id);
        assert_eq!(
            (cluster.rule.id, cluster.attribute),
            ("AMLS133", "subnet_id")
        );
        assert!(cluster.message.contains("'vnet'"), "{}", cluster.message);
        assert!(
            cluster.message.contains("'training'"),
            "{}",
            cluster.message
        );
        assert!(cluster.message.contains("'rg'"), "{}", cluster.message);
        assert_eq!(vnet_missing("aks", &id).rule.id, "AMLS233");
        assert_eq!(vnet_missing("attached", &id).rule.id, "AMLS133");
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|i| Value::from(*i)).collect())
    }

    fn attributes_at_fault(config: &Value) -> Vec<String> {
        validate(config)
            .iter()
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect()
    }

    #[test]
    fn sound_configurations_pass() {
        assert!(validate(&config(&[])).is_empty());
        assert!(validate(&config(&[("max_nodes", 4.into())])).is_empty());
        assert!(
            validate(&config(&[
                ("compute_kind", "aks".into()),
                ("service_cidr", "10.240.0.0/16".into()),
                ("dns_service_ip", "10.240.0.10".into()),
            ]))
            .is_empty()
        );
        assert!(validate(&config(&[("compute_kind", "aks".into())])).is_empty());
        assert!(
            validate(&config(&[
                ("compute_kind", "aks".into()),
                ("scoring_source_addresses", list(&["203.0.113.0/24"])),
                ("scoring_port", 443.into()),
            ]))
            .is_empty()
        );
        assert!(validate(&config(&[("ssh_source_addresses", list(&["Internet"]))])).is_empty());
        assert!(
            validate(&config(&[
                ("compute_kind", "attached".into()),
                ("ssh_port", 2222.into()),
            ]))
            .is_empty()
        );
        assert!(
            validate(&config(&[
                ("compute_kind", "instance".into()),
                ("node_public_ip_enabled", false.into()),
            ]))
            .is_empty()
        );
        assert!(
            validate(&config(&[
                ("compute_kind", Value::unknown()),
                ("max_nodes", Value::unknown()),
                ("subnet_id", Value::unknown()),
            ]))
            .is_empty()
        );
    }

    #[test]
    fn each_bad_input_points_at_its_attribute() {
        let aks = || ("compute_kind", Value::from("aks"));
        let attached = || ("compute_kind", Value::from("attached"));
        let cases: Vec<(Vec<(&str, Value)>, &str)> = vec![
            (vec![("workspace_id", SUBNET.into())], "workspace_id"),
            (vec![("subnet_id", WORKSPACE.into())], "subnet_id"),
            (vec![("subnet_id", "training".into())], "subnet_id"),
            (vec![("compute_kind", "vm".into())], "compute_kind"),
            (vec![("max_nodes", 0.into())], "max_nodes"),
            (
                vec![("service_cidr", "10.240.0.0/16".into())],
                "service_cidr",
            ),
            (
                vec![("dns_service_ip", "10.240.0.10".into())],
                "dns_service_ip",
            ),
            (vec![aks(), ("max_nodes", 4.into())], "max_nodes"),
            (vec![("ssh_port", 22.into())], "ssh_port"),
            (vec![aks(), ("ssh_port", 22.into())], "ssh_port"),
            (vec![attached(), ("max_nodes", 4.into())], "max_nodes"),
            (
                vec![attached(), ("service_cidr", "10.240.0.0/16".into())],
                "service_cidr",
            ),
            (vec![attached(), ("ssh_port", 0.into())], "ssh_port"),
            (
                vec![("compute_kind", "instance".into()), ("max_nodes", 2.into())],
                "max_nodes",
            ),
            (
                vec![attached(), ("node_public_ip_enabled", false.into())],
                "node_public_ip_enabled",
            ),
            (vec![("agent_count", 3.into())], "agent_count"),
            (
                vec![aks(), ("ssh_source_addresses", list(&["203.0.113.0/24"]))],
                "ssh_source_addresses",
            ),
            (
                vec![("ssh_source_addresses", list(&["2001:db8::/32"]))],
                "ssh_source_addresses",
            ),
            (
                vec![("scoring_source_addresses", list(&["203.0.113.0/24"]))],
                "scoring_source_addresses",
            ),
            (
                vec![
                    aks(),
                    (
                        "scoring_source_addresses",
                        list(&["Internet", "AzureCloud"]),
                    ),
                ],
                "scoring_source_addresses",
            ),
            (vec![("scoring_port", 443.into())], "scoring_port"),
            (vec![attached(), ("ssh_port", 65536.into())], "ssh_port"),
            (
                vec![aks(), ("service_cidr", "10.240.0.0/16".into())],
                "dns_service_ip",
            ),
            (
                vec![aks(), ("dns_service_ip", "10.240.0.10".into())],
                "service_cidr",
            ),
            (
                vec![
                    aks(),
                    ("service_cidr", "10.240.0.0/33".into()),
                    ("dns_service_ip", "10.240.0.10".into()),
                ],
                "service_cidr",
            ),
            (
                vec![
                    aks(),
                    ("service_cidr", "10.240.0.0/16".into()),
                    ("dns_service_ip", "10.240.0.300".into()),
                ],
                "dns_service_ip",
            ),
        ];
        for (overrides, attribute) in cases {
            assert_eq!(
                attributes_at_fault(&config(&overrides)),
                [attribute],
                "{overrides:?}"
            );
        }
    }
}
