//! What `amlsecure_vm_attachment` and `amlsecure_hdinsight_attachment` share: an existing
//! machine attached to a workspace as a compute target that Azure ML reaches over SSH. The
//! credentials are write-only (never in plan, state or logs); `credentials_version` is the
//! value to bump when they change. Destroy detaches the machine and leaves it running.
//!
//! Each resource supplies a [`MachineKind`]: its names and how to read the machine; the
//! compute around it is a [`WorkspaceCompute`] of kind [`SshMachine`].

use std::marker::PhantomData;
use std::time::Duration;

use async_trait::async_trait;
use ipnet::Ipv4Net;
use tfplugin::resource::{ApplyRequest, Context, Outcome, Plan, PlanRequest, Stored};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::timeouts::{self, Defaults, Operation};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::workspace_compute::{
    ComputeKind, Creating, Machine, MachineBehind, WORKSPACE_TYPE, Wording, WorkspaceCompute,
    defer_checks, diagnosed_or_deferred, identifying_attributes, identifying_state, invalid_ids,
    machine_exists, plan_id, validate_timeouts_and_name,
};
use super::{Found, diagnosed, drift, keep_casing};
use crate::arm::models::ml::{
    Compute, ComputeProperties, ComputeResource, SshComputeProperties, VirtualMachineSshCredentials,
};
use crate::arm::{ArmClient, ArmError, CallContext, ResourceId, Secret};
use crate::checks::Severities;
use crate::checks::facts::{self, SubnetNetwork};
use crate::checks::planned::PlannedChanges;
use crate::checks::run::{self, AttachedMachine};
use crate::checks::stores::{self, WorkspaceStores};
use crate::rules::nsg;
use crate::rules::{Finding, Profile};
use crate::session::{Session, SessionSlot};
use crate::session::{arm_diagnostic, call_context, parse_id, require_arm};

/// The rules this resource's checks raise, by number (see [`super::Checks::deferred_warning`]).
const CHECKED_RULES: &[std::ops::RangeInclusive<u16>] = &[301..=399, 404..=407, 413..=413];

pub const TIMEOUTS: Defaults = Defaults {
    create: Duration::from_secs(30 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(30 * 60),
    delete: Duration::from_secs(30 * 60),
};

/// What plan learns by reading the machine.
pub struct MachineFacts {
    /// Names the machine in messages, like `virtual machine 'dev'`.
    pub description: String,
    /// Where Azure ML connects when `address` is not set.
    pub default_address: Option<String>,
    /// The port when `ssh_port` is not set.
    pub default_ssh_port: u16,
    /// Findings about the machine itself (the VM's image).
    pub findings: Vec<Finding>,
    /// The network around its subnet; `None` when it is in no virtual network.
    pub network: Option<SubnetNetwork>,
    /// Network security groups in front of it besides its subnet's (a NIC's).
    pub other_nsgs: Vec<nsg::NetworkSecurityGroup>,
    /// The addresses SSH traffic goes to: the machine's own, or its subnet's prefixes.
    pub destinations: Vec<Ipv4Net>,
}

/// The network around the subnet `subnet_id` a machine (`description`) sits in; errors point
/// at the machine's ID attribute, as the user wrote only that.
pub async fn machine_network<M: MachineKind>(
    arm: &ArmClient,
    ctx: &CallContext,
    subnet_id: &str,
    description: &str,
    read_error: fn(&ArmError) -> Diagnostics,
) -> Result<SubnetNetwork, Diagnostics> {
    let at_machine = AttributePath::attribute(M::ID_ATTRIBUTE);
    let subnet = ResourceId::parse(subnet_id).map_err(|e| {
        Diagnostics::from(
            Diagnostic::error(
                "Invalid subnet ID",
                format!("Azure reports subnet {subnet_id:?} for {description}: {e}"),
            )
            .at(at_machine.clone()),
        )
    })?;
    facts::subnet_network(arm, ctx, &subnet)
        .await
        .map_err(|e| read_error(&e))?
        .ok_or_else(|| {
            Diagnostic::error(
                "Virtual network not found",
                format!("The virtual network of subnet {subnet} of {description} does not exist."),
            )
            .at(at_machine)
            .into()
        })
}

/// One kind of machine: a virtual machine or an HDInsight cluster.
#[async_trait]
pub trait MachineKind: Send + Sync + 'static {
    const TYPE_NAME: &'static str;
    /// `computeType` of the ML compute: `VirtualMachine` or `HDInsight`.
    const COMPUTE_TYPE: &'static str;
    /// The attribute holding the machine's ARM ID, like `virtual_machine_id`.
    const ID_ATTRIBUTE: &'static str;
    /// Its ARM type, like `Microsoft.Compute/virtualMachines`.
    const ARM_TYPE: &'static str;
    /// The api-version it is read with.
    const API_VERSION: &'static str;
    /// For messages: `virtual machine`.
    const NOUN: &'static str;
    const DESCRIPTION: &'static str;
    const ADDRESS_DESCRIPTION: &'static str;

    /// Reads the machine and the network in front of it. A machine Azure does not have is
    /// an error at [`MachineKind::ID_ATTRIBUTE`].
    async fn inspect(
        arm: &ArmClient,
        ctx: &CallContext,
        machine: &ResourceId,
    ) -> Result<MachineFacts, Diagnostics>;
}

pub fn schema<M: MachineKind>() -> Schema {
    let replace = |a: Attribute| a.requires_replace();
    let mut schema = Schema::new(
        M::DESCRIPTION,
        identifying_attributes().into_iter().chain([
            replace(Attribute::required(M::ID_ATTRIBUTE, Type::String))
                .ignore_case()
                .description(format!(
                "ARM ID of the {noun} to attach (any letter case). Destroying the attachment detaches it and leaves the {noun} as it is. When the {noun} is deleted outside Terraform, refresh records null and warns, and plan asks for another {noun} or the removal of this resource.",
                noun = M::NOUN
            )),
            replace(Attribute::optional_computed("address", Type::String))
                .description(M::ADDRESS_DESCRIPTION),
            replace(Attribute::optional_computed("ssh_port", Type::Number))
                .whole_numbers(1..=65535)
                .description(
                "SSH port Azure ML connects to (default 22, or what the machine reports). The network security groups in front of the machine must allow it from the `AzureMachineLearning` service tag.",
            ),
            replace(Attribute::required("username", Type::String))
                .not_blank()
                .description("User Azure ML logs in as."),
            Attribute::optional("password", Type::String)
                .not_blank()
                .sensitive()
                .write_only()
                .description("Password of `username`. Write-only: sent to Azure on attach, never stored in plan or state (Terraform 1.11 or later). Set `password` or `private_key`."),
            Attribute::optional("private_key", Type::String)
                .not_blank()
                .sensitive()
                .write_only()
                .description("SSH private key of `username`, in OpenSSH or PEM format. Write-only, like `password`."),
            Attribute::optional("credentials_version", Type::Number)
                .whole_numbers(0..=i64::MAX)
                .description(
                "Any number; change it to attach again with the current `password` or `private_key` (Terraform cannot see changes to write-only values).",
            ),
            Attribute::computed("provisioning_state", Type::String).description(
                "Azure's provisioning state of the compute, like `Succeeded`. An attachment Azure reports `Failed` is made again by the next apply.",
            ),
        ]).collect(),
    );
    schema.block.blocks.push(timeouts::block(&TIMEOUTS));
    schema
}

/// Checks that need no Azure.
pub fn validate<M: MachineKind>(config: &Value) -> Diagnostics {
    let mut diagnostics = validate_timeouts_and_name(config);
    diagnostics.extend(invalid_ids(
        config,
        &[
            ("workspace_id", WORKSPACE_TYPE),
            (M::ID_ATTRIBUTE, M::ARM_TYPE),
        ],
    ));
    let mut problem = |attribute: &str, summary: &str, detail: String| {
        diagnostics
            .push(Diagnostic::error(summary, detail).at(AttributePath::attribute(attribute)));
    };
    if let Field::Known(address) = config.str_field("address")
        && !is_host(&address)
    {
        problem(
            "address",
            "Invalid address",
            format!(
                "{address:?} is neither an IP address nor a host name: Azure ML connects to it over SSH."
            ),
        );
    }
    if let Field::Known(key) = config.str_field("private_key")
        && !looks_like_private_key(&key)
    {
        // The value is a secret: the message describes it without quoting it.
        problem(
            "private_key",
            "Not an SSH private key",
            "private_key must be an SSH private key in OpenSSH or PEM format, from a line like \
             -----BEGIN OPENSSH PRIVATE KEY----- to its END line."
                .into(),
        );
    }
    match (
        config.str_field("password"),
        config.str_field("private_key"),
    ) {
        (Field::Null, Field::Null) => problem(
            "password",
            "No credentials",
            "Azure ML logs in to the machine over SSH: set password or private_key.".into(),
        ),
        (Field::Known(_), Field::Known(_)) => problem(
            "private_key",
            "Two credentials",
            "Set password or private_key, not both.".into(),
        ),
        _ => {}
    }
    diagnostics
}

/// An IPv4 or IPv6 address, or a DNS host name (letters, digits and hyphens in dot-separated
/// labels of at most 63 characters).
fn is_host(text: &str) -> bool {
    if text.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let name = text.strip_suffix('.').unwrap_or(text);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// A PEM block whose label names a private key (`OPENSSH PRIVATE KEY`, `RSA PRIVATE KEY`,
/// `PRIVATE KEY`, ...), with its matching END line.
fn looks_like_private_key(text: &str) -> bool {
    let text = text.trim();
    let Some(label) = text
        .strip_prefix("-----BEGIN ")
        .and_then(|rest| rest.split_once("-----"))
        .map(|(label, _)| label)
    else {
        return false;
    };
    label.ends_with("PRIVATE KEY") && text.ends_with(&format!("-----END {label}-----"))
}

/// The rules for the machine: its own findings, then the network rules the network check
/// shares.
fn machine_findings<M: MachineKind>(
    facts: &MachineFacts,
    workspace: &facts::WorkspaceInfo,
    stores: (&ResourceId, &WorkspaceStores),
    planned: &PlannedChanges,
    profile: Profile,
    ssh_port: u16,
) -> Vec<Finding> {
    let mut findings = facts.findings.clone();
    findings.extend(run::attached_machine_findings(
        &workspace.facts,
        &AttachedMachine {
            description: &facts.description,
            attribute: M::ID_ATTRIBUTE,
            network: facts.network.as_ref(),
            other_nsgs: &facts.other_nsgs,
            destinations: &facts.destinations,
            ssh_port,
            stores: Some(stores),
            planned,
            profile,
        },
    ));
    findings
}

/// An attachment of a machine of kind `M`.
pub type SshAttachment<M> = WorkspaceCompute<SshMachine<M>>;

/// The compute kind of an attached machine of kind `M`.
pub struct SshMachine<M>(PhantomData<M>);

impl<M> Default for SshMachine<M> {
    fn default() -> Self {
        SshMachine(PhantomData)
    }
}

impl<M: MachineKind> SshMachine<M> {
    /// Reads the machine, fills the address and port the configuration leaves out, and
    /// returns the rule findings. `Ok(None)` while a value they need is unknown.
    async fn settle(
        &self,
        session: &Session,
        arm: &ArmClient,
        ctx: &CallContext,
        config: &Value,
        planned: &mut Value,
    ) -> Found {
        let (Field::Known(workspace), Field::Known(machine)) = (
            planned.str_field("workspace_id"),
            planned.str_field(M::ID_ATTRIBUTE),
        ) else {
            return Ok(None);
        };
        let at = |attribute: &str, d: Diagnostic| {
            Diagnostics::from(d.at(AttributePath::attribute(attribute)))
        };
        let workspace = parse_id(&workspace, WORKSPACE_TYPE)
            .map_err(|m| at("workspace_id", Diagnostic::error("Invalid workspace ID", m)))?;
        let machine = parse_id(&machine, M::ARM_TYPE)
            .map_err(|m| at(M::ID_ATTRIBUTE, Diagnostic::error("Invalid ID", m)))?;
        // The workspace and its stores are read beside the machine, not after it.
        let (facts, workspace_info, stores) = tokio::join!(
            async {
                if !machine_exists(arm, ctx, machine.as_str(), M::API_VERSION, M::NOUN).await? {
                    let name = planned.str_field("name").known().unwrap_or_default();
                    return Err(Diagnostics::from(drift::target_missing_error(
                        M::NOUN,
                        M::ID_ATTRIBUTE,
                        machine.as_str(),
                        &name,
                    )));
                }
                M::inspect(arm, ctx, &machine).await
            },
            facts::workspace(arm, ctx, &workspace),
            stores::workspace_stores(arm, ctx, &workspace),
        );
        let facts = facts?;
        let configured = |name: &str| config.attr(name).is_some_and(|v| !v.is_null());
        if !configured("address") {
            match &facts.default_address {
                Some(address) => planned.set_attr("address", address.as_str().into()),
                None => {
                    return Err(at(
                        "address",
                        Diagnostic::error(
                            "No address to connect to",
                            format!(
                                "{} reports no address Azure ML could connect to. Set address.",
                                facts.description
                            ),
                        ),
                    ));
                }
            }
        }
        if !configured("ssh_port") {
            planned.set_attr("ssh_port", i64::from(facts.default_ssh_port).into());
        }
        let Field::Known(port) = planned.i64_field("ssh_port") else {
            return Ok(None);
        };
        let workspace_info = workspace_info.map_err(|e| {
            at(
                "workspace_id",
                arm_diagnostic("Cannot read the workspace to check the attachment", &e),
            )
        })?;
        let port = u16::try_from(port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| {
                at(
                    "ssh_port",
                    Diagnostic::error(
                        "Invalid SSH port",
                        format!("ssh_port {port} is not a TCP port: use 1 to 65535."),
                    ),
                )
            })?;
        Ok(Some(machine_findings::<M>(
            &facts,
            &workspace_info,
            (&workspace, &stores),
            &session.planned,
            session.severities.profile(),
            port,
        )))
    }
}

/// Terraform state from what Azure reports; the credentials are never part of it.
fn state_from<M: MachineKind>(
    compute: &ComputeResource,
    id: &ResourceId,
    prior: &Value,
) -> Result<Value, Diagnostic> {
    if !compute
        .properties
        .compute_type
        .eq_ignore_ascii_case(M::COMPUTE_TYPE)
    {
        return Err(Diagnostic::error(
            format!("Not a {} compute", M::COMPUTE_TYPE),
            format!(
                "{id} is a {} compute, not {}; manage it with the matching resource type.",
                compute.properties.compute_type,
                M::COMPUTE_TYPE
            ),
        ));
    }
    let kept =
        |name: &str, azure: Option<String>| keep_casing(prior.str_field(name).known(), azure);
    let prior_value = |name: &str| prior.attr(name).cloned().unwrap_or(Value::Null);
    let or_prior = |name: &str, azure: Option<Value>| azure.unwrap_or_else(|| prior_value(name));
    let ssh = compute.ssh_compute();
    let mut state = schema::<M>().null_value();
    for (name, value) in identifying_state(id, prior).into_iter().chain([
        (
            M::ID_ATTRIBUTE,
            kept(M::ID_ATTRIBUTE, compute.properties.resource_id.clone()).into(),
        ),
        (
            "address",
            or_prior(
                "address",
                ssh.and_then(|s| s.address.clone()).map(Value::from),
            ),
        ),
        (
            "ssh_port",
            or_prior(
                "ssh_port",
                ssh.and_then(|s| s.ssh_port)
                    .map(|p| Value::from(i64::from(p))),
            ),
        ),
        (
            "username",
            or_prior(
                "username",
                ssh.and_then(|s| s.administrator_account.as_ref())
                    .and_then(|a| a.username.clone())
                    .map(Value::from),
            ),
        ),
        ("credentials_version", prior_value("credentials_version")),
        (
            "provisioning_state",
            compute.properties.provisioning_state.clone().into(),
        ),
        ("timeouts", prior_value("timeouts")),
    ]) {
        state.set_attr(name, value);
    }
    Ok(state)
}

#[async_trait]
impl<M: MachineKind> ComputeKind for SshMachine<M> {
    const TYPE_NAME: &'static str = M::TYPE_NAME;
    const TIMEOUTS: Defaults = TIMEOUTS;

    fn schema(&self) -> Schema {
        schema::<M>()
    }

    fn validate(&self, config: &Value, _: &Severities) -> Diagnostics {
        validate::<M>(config)
    }

    fn wording(&self) -> Wording {
        Wording {
            noun: format!("{} attachment", M::NOUN),
            create_failed: format!("Attaching the {} failed", M::NOUN),
            delete_failed: format!("Detaching the {} failed", M::NOUN),
            import_hint: format!("Import a {} attachment by its compute's ARM ID", M::NOUN),
        }
    }

    /// The credentials come from the configuration only: they are write-only.
    fn body(&self, planned: &Value, config: &Value) -> Result<ComputeResource, Diagnostic> {
        let known = |name: &str| planned.str_field(name).known();
        let secret = |name: &str| config.str_field(name).known().map(Secret::new);
        let (Some(machine), Some(address), Field::Known(port)) = (
            known(M::ID_ATTRIBUTE),
            known("address"),
            planned.i64_field("ssh_port"),
        ) else {
            return Err(Diagnostic::error(
                "Value not known at apply",
                format!("{}, address and ssh_port must be known.", M::ID_ATTRIBUTE),
            ));
        };
        let ssh = SshComputeProperties {
            ssh_port: i32::try_from(port).ok(),
            address: Some(address),
            administrator_account: Some(VirtualMachineSshCredentials {
                username: known("username"),
                password: secret("password"),
                private_key_data: secret("private_key"),
                ..VirtualMachineSshCredentials::default()
            }),
            ..SshComputeProperties::default()
        };
        let properties = if M::COMPUTE_TYPE == "VirtualMachine" {
            ComputeProperties::VirtualMachine(ssh)
        } else {
            ComputeProperties::HdInsight(ssh)
        };
        Ok(ComputeResource {
            properties: Compute {
                compute_type: M::COMPUTE_TYPE.into(),
                resource_id: Some(machine),
                properties: Some(properties),
                ..Compute::default()
            },
            ..ComputeResource::default()
        })
    }

    fn state_from(
        &self,
        compute: &ComputeResource,
        id: &ResourceId,
        prior: &Value,
    ) -> Result<Value, Diagnostic> {
        state_from::<M>(compute, id, prior)
    }

    /// When plan could not read the machine: its address and port, and the checks.
    async fn settle_at_apply(&self, create: &Creating<'_>, planned: &mut Value) -> Diagnostics {
        let Creating {
            session,
            arm,
            call,
            request,
            ..
        } = *create;
        if request.planned_private != super::Checks::DEFERRED {
            return Diagnostics::new();
        }
        let found = self
            .settle(session, arm, call, &request.config, planned)
            .await;
        diagnosed(found, &session.severities)
    }

    /// The machine belongs to someone else: detach it, never delete it.
    fn delete_action(&self, _prior: &Value) -> &'static str {
        "Detach"
    }

    async fn modify_plan(
        &self,
        slot: &SessionSlot,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        if plan.planned.is_null() {
            return Diagnostics::new();
        }
        let creating = request.prior.state.is_null();
        let prior = &request.prior.state;
        let planned = &mut plan.planned;
        plan_id(planned);
        // An imported attachment has no version yet: recording one attaches nothing again.
        if !creating
            && prior
                .attr("credentials_version")
                .is_some_and(|v| !v.is_null())
            && prior.attr("credentials_version") != planned.attr("credentials_version")
        {
            plan.requires_replace
                .push(AttributePath::attribute("credentials_version"));
        }
        let (session, arm) = match require_arm(slot) {
            Ok(found) => found,
            Err(_) if creating => return defer_checks(plan, slot, CHECKED_RULES).into(),
            Err(_) => return Diagnostics::new(),
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(planned, Operation::Read));
        let settled = self
            .settle(&session, &arm, &call, &request.config, planned)
            .await;
        if !creating && prior.attr(M::ID_ATTRIBUTE).is_some_and(Value::is_null) {
            // Refresh found the machine gone: the plan attaches the configured one in its
            // place, or says it does not exist either.
            drift::replace_when_failed(prior, plan);
            return match settled {
                Err(errors) => errors,
                Ok(_) => Diagnostics::new(),
            };
        }
        if !creating {
            // Drift of the defaults (the VM's address changed, or someone re-attached it
            // elsewhere) shows as a replacement; the rules ran when it was attached.
            for name in ["address", "ssh_port"] {
                if prior.attr(name) != planned.attr(name)
                    && !planned.attr(name).is_some_and(Value::is_unknown)
                {
                    plan.requires_replace.push(AttributePath::attribute(name));
                }
            }
            drift::replace_when_failed(prior, plan);
            // A machine that cannot be read now keeps its recorded address and port.
            return Diagnostics::new();
        }
        diagnosed_or_deferred(settled, plan, slot, CHECKED_RULES)
    }

    async fn update(
        &self,
        _slot: &SessionSlot,
        _ctx: &Context,
        request: ApplyRequest,
    ) -> Outcome<Stored> {
        // Only `credentials_version` of an imported attachment and `timeouts` change in
        // place; everything else replaces the attachment.
        Outcome::ok(Stored::new(request.planned))
    }

    fn machine_behind(&self) -> Option<&dyn MachineBehind> {
        Some(self)
    }
}

/// The compute outlives the machine it points at.
impl<M: MachineKind> MachineBehind for SshMachine<M> {
    fn machine(&self, state: &Value) -> Option<Machine> {
        Some(Machine {
            id: state.str_field(M::ID_ATTRIBUTE).known()?,
            api_version: M::API_VERSION,
            noun: M::NOUN,
        })
    }

    fn forget(&self, state: &mut Value, machine: &Machine) -> Diagnostic {
        let name = state.str_field("name").known().unwrap_or_default();
        state.set_attr(M::ID_ATTRIBUTE, Value::Null);
        drift::target_gone_warning(M::NOUN, M::ID_ATTRIBUTE, &machine.id, &name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::hdinsight_attachment::HdInsight;
    use crate::resources::vm_attachment::Vm;
    use crate::resources::workspace_compute::COMPUTE_TYPE;

    const WORKSPACE: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";
    const VM: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/dev";

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut config = schema::<Vm>().null_value();
        config.set_attr("name", "dev-vm".into());
        config.set_attr("workspace_id", WORKSPACE.into());
        config.set_attr("virtual_machine_id", VM.into());
        config.set_attr("username", "azureuser".into());
        config.set_attr("password", "s3cret-Passw0rd".into());
        for (name, value) in pairs {
            config.set_attr(name, value.clone());
        }
        config
    }

    fn attributes(diagnostics: &Diagnostics) -> Vec<String> {
        diagnostics
            .iter()
            .map(|d| {
                d.attribute
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn schema_keeps_credentials_write_only_and_sensitive() {
        for schema in [schema::<Vm>(), schema::<HdInsight>()] {
            for name in ["password", "private_key"] {
                let attribute = schema
                    .block
                    .attributes
                    .iter()
                    .find(|a| a.name == name)
                    .unwrap();
                assert!(attribute.write_only && attribute.sensitive, "{name}");
            }
        }
        assert!(
            schema::<HdInsight>()
                .block
                .attributes
                .iter()
                .any(|a| a.name == "hdinsight_cluster_id")
        );
    }

    const KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

    /// What `terraform validate` reports: the schema's checks and the resource's own.
    fn validated(config: &Value) -> Diagnostics {
        let mut diagnostics = schema::<Vm>().block.check_config(config);
        diagnostics.extend(validate::<Vm>(config));
        diagnostics
    }

    #[test]
    fn validate_table() {
        /// Configuration changes, and the attributes they make `validate` complain about.
        type Case = (Vec<(&'static str, Value)>, &'static [&'static str]);
        let cases: &[Case] = &[
            (vec![], &[]),
            (vec![("password", Value::unknown())], &[]),
            (
                vec![("password", Value::Null), ("private_key", KEY.into())],
                &[],
            ),
            (vec![("password", Value::Null)], &["password"]),
            (vec![("password", "".into())], &["password"]),
            (vec![("private_key", KEY.into())], &["private_key"]),
            (
                vec![("password", Value::Null), ("private_key", "garbage".into())],
                &["private_key"],
            ),
            (vec![("username", "".into())], &["username"]),
            (vec![("address", "not an address!".into())], &["address"]),
            (vec![("address", "10.0.1.4".into())], &[]),
            (vec![("address", "dev-vm.contoso.com".into())], &[]),
            (vec![("ssh_port", 70000i64.into())], &["ssh_port"]),
            (vec![("ssh_port", 0i64.into())], &["ssh_port"]),
            (vec![("name", "1bad".into())], &["name"]),
            (
                vec![("virtual_machine_id", WORKSPACE.into())],
                &["virtual_machine_id"],
            ),
        ];
        for (pairs, expected) in cases {
            let found = attributes(&validated(&config(pairs)));
            assert_eq!(found, *expected, "{pairs:?}");
        }
    }

    #[test]
    fn errors_never_carry_the_secret() {
        let both = validated(&config(&[("private_key", "PRIVATE-KEY-TEXT".into())]));
        let text = format!("{both:?}");
        assert!(!text.contains("s3cret-Passw0rd") && !text.contains("PRIVATE-KEY-TEXT"));
    }

    #[test]
    fn body_takes_secrets_from_configuration_only() {
        let mut planned = config(&[("address", "10.0.1.4".into()), ("ssh_port", 22i64.into())]);
        planned.set_attr("password", Value::Null);
        let body = SshMachine::<Vm>::default()
            .body(&planned, &config(&[]))
            .unwrap();
        let json = serde_json::to_value(&body).unwrap();
        let properties = &json["properties"];
        assert_eq!(properties["computeType"], "VirtualMachine");
        assert_eq!(properties["resourceId"], VM);
        assert_eq!(properties["properties"]["address"], "10.0.1.4");
        assert_eq!(properties["properties"]["sshPort"], 22);
        let account = &properties["properties"]["administratorAccount"];
        assert_eq!(account["username"], "azureuser");
        assert_eq!(account["password"], "s3cret-Passw0rd");
        assert!(account.get("privateKeyData").is_none());
        assert!(!format!("{body:?}").contains("s3cret-Passw0rd"));
    }

    #[test]
    fn state_has_no_secrets_and_keeps_the_written_casing() {
        let compute: ComputeResource = serde_json::from_value(serde_json::json!({
            "id": format!("{}/computes/dev-vm", WORKSPACE.to_lowercase()),
            "properties": {
                "computeType": "VirtualMachine",
                "resourceId": VM.to_lowercase(),
                "isAttachedCompute": true,
                "provisioningState": "Succeeded",
                "properties": {"address": "10.0.1.4", "sshPort": 22,
                    "administratorAccount": {"username": "azureuser"}}
            }
        }))
        .unwrap();
        let id = parse_id(&format!("{WORKSPACE}/computes/dev-vm"), COMPUTE_TYPE).unwrap();
        let prior = config(&[("credentials_version", 3i64.into())]);
        let state = state_from::<Vm>(&compute, &id, &prior).unwrap();
        assert_eq!(state.attr("virtual_machine_id"), Some(&VM.into()));
        assert_eq!(state.attr("password"), Some(&Value::Null));
        assert_eq!(state.attr("address"), Some(&"10.0.1.4".into()));
        assert_eq!(state.attr("ssh_port"), Some(&22i64.into()));
        assert_eq!(state.attr("credentials_version"), Some(&3i64.into()));
        let wrong = state_from::<HdInsight>(&compute, &id, &prior).unwrap_err();
        assert!(wrong.summary.contains("HDInsight"), "{}", wrong.summary);
    }
}
