//! What `amlsecure_workspace_storage_network_rules` and
//! `amlsecure_workspace_key_vault_network_rules` share: the workspace's storage account or key
//! vault put behind "selected networks" (default action `Deny`, the compute subnets as
//! virtual-network rules, trusted Microsoft services let through, optional IP rules).
//!
//! A resource owns only the rules it declares: rules someone else adds are left alone, and a
//! refresh reports only what happened to its own (a subnet removed, the firewall opened).
//! The firewall as found before the first write is kept in private state, and destroy puts
//! back its default action and bypass and removes only the rules that were not there then.
//!
//! `networkAcls` is replaced whole by a PATCH (REFERENCE §9), so every write is a fresh
//! read, a change, and a write of the complete rule set.

use std::marker::PhantomData;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tfplugin::resource::{
    ApplyRequest, Context, Identity, ImportState, ModifyPlan, Outcome, Plan, PlanRequest, Resource,
    Stored,
};
use tfplugin::schema::{Attribute, Schema};
use tfplugin::timeouts::{self, Defaults, Operation};
use tfplugin::value::{Field, Type};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use super::{diagnosed, keep_casing};
use crate::arm::models::NetworkAclsPatch;
use crate::arm::models::ml::{ComputeResource, Workspace};
use crate::arm::models::network::VirtualNetwork;
use crate::arm::resource_id::ids_equal;
use crate::arm::{ArmClient, ArmError, CallContext, api_version};
use crate::rules::firewall::{self as rules, FirewallSubnet, PlannedFirewall, SubnetEndpoints};
use crate::rules::{Finding, Profile};
use crate::session::SessionSlot;
use crate::session::{arm_diagnostic, call_context, parse_id, require_arm};

/// The rules this resource's checks raise, by number (see [`super::Checks::deferred_warning`]).
const CHECKED_RULES: &[std::ops::RangeInclusive<u16>] = &[401..=499];

pub const TIMEOUTS: Defaults = Defaults {
    create: Duration::from_secs(10 * 60),
    read: Duration::from_secs(5 * 60),
    update: Duration::from_secs(10 * 60),
    delete: Duration::from_secs(10 * 60),
};

pub const SUBNETS: &str = "subnet_ids";
pub const IP_RULES: &str = "ip_rules";
pub const WORKSPACE: &str = "workspace_id";
const WORKSPACE_TYPE: &str = "Microsoft.MachineLearningServices/workspaces";
const SUBNET_TYPE: &str = "Microsoft.Network/virtualNetworks/subnets";
const AZURE_SERVICES: &str = "AzureServices";

/// A `networkAcls` model, as the firewall logic needs it: the service's model says where its
/// fields are, the logic over them is written here once.
pub trait RuleSet:
    Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static
{
    type SubnetRule: SubnetRule;
    type IpRule: IpRule;

    /// What a resource without `networkAcls` means: every network allowed.
    fn allow_all() -> Self;
    /// `Allow` or `Deny`.
    fn default_action(&self) -> &str;
    fn set_default_action(&mut self, action: &str);
    fn bypass(&self) -> Option<&str>;
    fn set_bypass(&mut self, bypass: Option<String>);
    /// The virtual-network rules, `None` when the service sent none (kept so on write).
    fn subnet_rules(&self) -> Option<&Vec<Self::SubnetRule>>;
    fn subnet_rules_mut(&mut self) -> &mut Option<Vec<Self::SubnetRule>>;
    /// The IP rules, `None` when the service sent none (kept so on write).
    fn ip_rules(&self) -> Option<&Vec<Self::IpRule>>;
    fn ip_rules_mut(&mut self) -> &mut Option<Vec<Self::IpRule>>;

    fn subnet_ids(&self) -> Vec<String> {
        self.subnet_rules()
            .into_iter()
            .flatten()
            .map(|r| r.subnet_id().to_owned())
            .collect()
    }

    fn add_subnet(&mut self, id: &str) {
        self.subnet_rules_mut()
            .get_or_insert_default()
            .push(Self::SubnetRule::allowing(id));
    }

    /// Drops the virtual-network rules for these subnets (IDs compared as ARM does).
    fn remove_subnets(&mut self, ids: &[String]) {
        if let Some(rules) = self.subnet_rules_mut() {
            rules.retain(|r| !ids.iter().any(|id| ids_equal(id, r.subnet_id())));
        }
    }

    fn ips(&self) -> Vec<String> {
        self.ip_rules()
            .into_iter()
            .flatten()
            .map(|r| r.value().to_owned())
            .collect()
    }

    fn add_ip(&mut self, ip: &str) {
        self.ip_rules_mut()
            .get_or_insert_default()
            .push(Self::IpRule::allowing(ip));
    }

    /// Drops the IP rules for these values (compared by [`ip_key`]).
    fn remove_ips(&mut self, ips: &[String]) {
        if let Some(rules) = self.ip_rules_mut() {
            rules.retain(|r| !ips.iter().any(|ip| ip_key(ip) == ip_key(r.value())));
        }
    }
}

/// One virtual-network rule of a service's firewall.
pub trait SubnetRule {
    /// The rule letting subnet `id` through, as the service wants it written.
    fn allowing(id: &str) -> Self;
    fn subnet_id(&self) -> &str;
}

/// One IP rule of a service's firewall.
pub trait IpRule {
    /// The rule letting `ip` (an address or range) through, as the service wants it written.
    fn allowing(ip: &str) -> Self;
    fn value(&self) -> &str;
}

/// One firewall kind: where it lives and how it is read. What differs between the services
/// is data, but for where the target keeps its `networkAcls`.
pub trait Service: Send + Sync + 'static {
    /// The resource that carries the firewall (storage account, vault).
    type Target: DeserializeOwned + Send + Sync;
    type Acls: RuleSet;

    const TYPE_NAME: &'static str;
    const KIND: rules::Service;
    /// Like `Microsoft.Storage/storageAccounts`.
    const TARGET_TYPE: &'static str;
    /// The computed attribute naming the target, like `storage_account_id`.
    const TARGET_ATTRIBUTE: &'static str;
    const API_VERSION: &'static str;
    /// Whether the inference rule applies (storage only).
    const CHECKS_INFERENCE: bool;
    /// Whether IP rules may be `/31` and `/32` ranges (storage refuses them).
    const ALLOWS_HOST_PREFIXES: bool;
    /// How the resource documents itself, and its `ip_rules`.
    const DESCRIPTION: &'static str;
    const IP_RULES_DESCRIPTION: &'static str;

    fn acls(target: &Self::Target) -> Option<Self::Acls>;
}

/// The target the workspace names for this firewall, if any.
fn target_of<S: Service>(workspace: &Workspace) -> Option<String> {
    let named = match S::KIND {
        rules::Service::Storage => &workspace.properties.storage_account,
        rules::Service::KeyVault => &workspace.properties.key_vault,
    };
    named.clone().filter(|s| !s.is_empty())
}

/// IP rules compare without a `/32` suffix: Key Vault answers `1.2.3.4` as `1.2.3.4/32`.
pub fn ip_key(ip: &str) -> String {
    ip.trim().trim_end_matches("/32").to_owned()
}

/// `bypass` with `AzureServices` added to whatever else it lets through (`None` dropped).
pub fn with_azure_services(bypass: Option<&str>) -> String {
    let mut items: Vec<String> = bypass
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("None"))
        .map(str::to_owned)
        .collect();
    if !items.iter().any(|s| s.eq_ignore_ascii_case(AZURE_SERVICES)) {
        items.push(AZURE_SERVICES.to_owned());
    }
    items.join(", ")
}

/// Whether `bypass` lets trusted Microsoft services through (absent means Azure's default,
/// `AzureServices`).
pub fn trusts_azure_services(bypass: Option<&str>) -> bool {
    bypass.is_none_or(|b| {
        b.split(',')
            .any(|s| s.trim().eq_ignore_ascii_case(AZURE_SERVICES))
    })
}

fn contains_id(list: &[String], id: &str) -> bool {
    list.iter().any(|i| ids_equal(i, id))
}

fn contains_ip(list: &[String], ip: &str) -> bool {
    list.iter().any(|i| ip_key(i) == ip_key(ip))
}

/// The firewall locked down with `subnets` and `ips` let through, and the rules this
/// resource declared before but no longer does (`released_*`, already filtered to exclude
/// those that were there before it) removed. Everything else stays as it is.
pub fn lock<A: RuleSet>(
    current: &A,
    subnets: &[String],
    ips: &[String],
    released_subnets: &[String],
    released_ips: &[String],
) -> A {
    let mut acls = current.clone();
    acls.remove_subnets(released_subnets);
    acls.remove_ips(released_ips);
    acls.set_default_action("Deny");
    if current.bypass().is_none() || !trusts_azure_services(current.bypass()) {
        acls.set_bypass(Some(with_azure_services(current.bypass())));
    }
    let present = acls.subnet_ids();
    for subnet in subnets {
        if !contains_id(&present, subnet) {
            acls.add_subnet(subnet);
        }
    }
    let present = acls.ips();
    for ip in ips {
        if !contains_ip(&present, ip) {
            acls.add_ip(ip);
        }
    }
    acls
}

/// The firewall as found before this resource: `original`'s default action and bypass, the
/// declared rules that were not there then removed, rules added by others since kept.
pub fn restore<A: RuleSet>(
    current: &A,
    original: Option<&A>,
    declared_subnets: &[String],
    declared_ips: &[String],
) -> A {
    let allow_all = A::allow_all();
    let original = original.unwrap_or(&allow_all);
    let before_subnets = original.subnet_ids();
    let before_ips = original.ips();
    let mut acls = current.clone();
    let added_subnets: Vec<String> = declared_subnets
        .iter()
        .filter(|s| !contains_id(&before_subnets, s))
        .cloned()
        .collect();
    let added_ips: Vec<String> = declared_ips
        .iter()
        .filter(|i| !contains_ip(&before_ips, i))
        .cloned()
        .collect();
    acls.remove_subnets(&added_subnets);
    acls.remove_ips(&added_ips);
    acls.set_default_action(original.default_action());
    acls.set_bypass(original.bypass().map(str::to_owned));
    acls
}

/// Private state: the firewall before this resource first wrote to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Private {
    /// Whether `original` was recorded (it may be recorded as absent).
    #[serde(default)]
    recorded: bool,
    /// `networkAcls` as found; `None` when the resource had none.
    #[serde(default)]
    original: Option<serde_json::Value>,
    /// Plan could not run the checks; apply runs them before writing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    checks_at_apply: bool,
}

impl Private {
    fn read(bytes: &[u8]) -> Private {
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    fn bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("private state serialises")
    }

    fn recorded<A: RuleSet>(original: Option<&A>) -> Private {
        Private {
            recorded: true,
            original: original.map(|a| serde_json::to_value(a).expect("rule set serialises")),
            checks_at_apply: false,
        }
    }

    fn original<A: RuleSet>(&self) -> Option<A> {
        self.original
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }
}

pub fn schema<S: Service>() -> Schema {
    let endpoint = S::KIND.endpoint();
    let what = S::KIND.what();
    let mut schema = Schema::new(
        S::DESCRIPTION,
        vec![
            Attribute::computed("id", Type::String)
                .description(format!("ARM ID of the {what} whose firewall this is.")),
            Attribute::required(WORKSPACE, Type::String)
                .requires_replace()
                .ignore_case()
                .description(format!(
                    "ARM ID of the Azure Machine Learning workspace; its {what} is the one put behind the firewall."
                )),
            Attribute::required(SUBNETS, Type::set(Type::String))
                .ignore_case()
                .description(format!(
                "ARM IDs of the subnets let through (virtual-network rules), usually the compute subnets, in any letter case. Each needs the `{endpoint}` service endpoint."
            )),
            Attribute::optional(IP_RULES, Type::set(Type::String))
                .description(S::IP_RULES_DESCRIPTION),
            Attribute::computed(S::TARGET_ATTRIBUTE, Type::String)
                .description(format!("ARM ID of the workspace's {what}.")),
            Attribute::computed("default_action", Type::String).description(format!(
                "The {what} firewall's default action as Azure reports it; planned `Deny` (selected networks)."
            )),
            Attribute::computed("trusted_services_allowed", Type::Bool).description(
                "Whether trusted Microsoft services pass the firewall (`bypass` includes `AzureServices`); planned `true`.",
            ),
        ],
    );
    schema.block.blocks.push(timeouts::block(&TIMEOUTS));
    schema
}

/// Checks that need no Azure: IDs, addresses, a subnet at least.
pub fn validate<S: Service>(config: &Value) -> Diagnostics {
    let mut diagnostics: Diagnostics = timeouts::validate(config).into_iter().collect();
    if let Field::Known(id) = config.str_field(WORKSPACE)
        && let Err(message) = parse_id(&id, WORKSPACE_TYPE)
    {
        diagnostics.push(
            Diagnostic::error("Invalid workspace ID", message)
                .at(AttributePath::attribute(WORKSPACE)),
        );
    }
    if let Field::Known(subnets) = config.strings_field(SUBNETS) {
        if subnets.is_empty() {
            diagnostics.push(
                Diagnostic::error(
                    "No subnet to let through",
                    format!(
                        "subnet_ids is empty, so the {} firewall would shut out the workspace's compute too. List the compute subnets (each with the {} service endpoint).",
                        S::KIND.what(),
                        S::KIND.endpoint()
                    ),
                )
                .at(AttributePath::attribute(SUBNETS)),
            );
        }
        for id in subnets {
            if let Err(message) = parse_id(&id, SUBNET_TYPE) {
                diagnostics.push(
                    Diagnostic::error("Invalid subnet ID", message)
                        .at(AttributePath::attribute(SUBNETS)),
                );
            }
        }
    }
    if let Field::Known(ips) = config.strings_field(IP_RULES) {
        for ip in ips {
            if let Err(message) = check_public_ipv4(&ip, S::ALLOWS_HOST_PREFIXES) {
                diagnostics.push(
                    Diagnostic::error("Invalid IP rule", message)
                        .at(AttributePath::attribute(IP_RULES)),
                );
            }
        }
    }
    diagnostics
}

/// IPv4 address or CIDR range, public (both firewalls refuse private ranges).
fn check_public_ipv4(ip: &str, allow_host_prefixes: bool) -> Result<(), String> {
    let (address, len) = match ip.split_once('/') {
        Some((address, len)) => (address, Some(len)),
        None => (ip, None),
    };
    let address: std::net::Ipv4Addr = address.parse().map_err(|_| {
        format!("{ip:?} is not an IPv4 address or CIDR range, like 203.0.113.7 or 203.0.113.0/24.")
    })?;
    if let Some(len) = len {
        let len: u8 = len
            .parse()
            .ok()
            .filter(|l| *l <= 32)
            .ok_or_else(|| format!("{ip:?} has an invalid prefix length; use 0 to 32."))?;
        if !allow_host_prefixes && len >= 31 {
            return Err(format!(
                "{ip:?}: storage account firewalls refuse /31 and /32 ranges; write the address alone ({address}), or list the two addresses of a /31."
            ));
        }
    }
    if address.is_private()
        || address.is_loopback()
        || address.is_link_local()
        || address.is_unspecified()
    {
        return Err(format!(
            "{ip:?} is a private or reserved address; firewall IP rules only admit public addresses. Let private networks in with subnet_ids."
        ));
    }
    Ok(())
}

pub struct Firewall<S: Service> {
    session: SessionSlot,
    service: PhantomData<fn() -> S>,
}

impl<S: Service> Firewall<S> {
    pub fn new(session: SessionSlot) -> Firewall<S> {
        Firewall {
            session,
            service: PhantomData,
        }
    }
}

fn not_known(name: &str) -> Diagnostic {
    Diagnostic::error(
        "Value not known at apply",
        format!("{name} is still unknown."),
    )
    .at(AttributePath::attribute(name))
}

fn strings(value: &Value, name: &str) -> Vec<String> {
    value.strings_field(name).known().unwrap_or_default()
}

fn string_set(items: Vec<String>) -> Value {
    Value::Set(items.into_iter().map(Value::from).collect())
}

/// The workspace's storage account or key vault.
async fn target_id<S: Service>(
    arm: &ArmClient,
    ctx: &CallContext,
    workspace_id: &str,
) -> Result<String, Diagnostic> {
    let workspace_id = parse_id(workspace_id, WORKSPACE_TYPE).map_err(|m| {
        Diagnostic::error("Invalid workspace ID", m).at(AttributePath::attribute(WORKSPACE))
    })?;
    let workspace: Workspace = arm
        .get_cached(ctx, workspace_id.as_str(), api_version::MACHINE_LEARNING)
        .await
        .map_err(|e| {
            arm_diagnostic("Reading the workspace failed", &e)
                .at(AttributePath::attribute(WORKSPACE))
        })?;
    let target = target_of::<S>(&workspace).ok_or_else(|| {
        Diagnostic::error(
            format!("Workspace has no {}", S::KIND.what()),
            format!(
                "Workspace {workspace_id} names no {}, so there is no firewall to set. Use the workspace the compute belongs to.",
                S::KIND.what()
            ),
        )
        .at(AttributePath::attribute(WORKSPACE))
    })?;
    parse_id(&target, S::TARGET_TYPE).map_err(|m| {
        Diagnostic::error(format!("Workspace names an invalid {}", S::KIND.what()), m)
            .at(AttributePath::attribute(WORKSPACE))
    })?;
    Ok(target)
}

async fn read_target<S: Service>(
    arm: &ArmClient,
    ctx: &CallContext,
    id: &str,
) -> Result<Option<S::Target>, ArmError> {
    arm.get_existing::<S::Target>(ctx, id, S::API_VERSION).await
}

fn missing_target<S: Service>(id: &str) -> Diagnostic {
    Diagnostic::error(
        format!("The workspace's {} does not exist", S::KIND.what()),
        format!(
            "{id} was not found. Fix the workspace's {} or create it first.",
            S::KIND.what()
        ),
    )
    .at(AttributePath::attribute(WORKSPACE))
}

/// Terraform state from the firewall as Azure reports it. Only the rules this resource
/// declares (in `prior`) are reported, in the casing the user wrote; after an import
/// (`subnet_ids` not yet known) every rule is.
fn state_from<A: RuleSet>(acls: Option<&A>, target: &str, prior: &Value) -> Value {
    let allow_all = A::allow_all();
    let acls = acls.unwrap_or(&allow_all);
    let present_subnets = acls.subnet_ids();
    let present_ips = acls.ips();
    let imported = prior.attr(SUBNETS).is_none_or(Value::is_null);
    let subnets = if imported {
        string_set(present_subnets.clone())
    } else {
        string_set(
            strings(prior, SUBNETS)
                .into_iter()
                .filter(|s| contains_id(&present_subnets, s))
                .collect(),
        )
    };
    let ips = match prior.strings_field(IP_RULES) {
        Field::Known(declared) => string_set(
            declared
                .into_iter()
                .filter(|i| contains_ip(&present_ips, i))
                .collect(),
        ),
        _ if imported && !present_ips.is_empty() => {
            string_set(present_ips.iter().map(|i| ip_key(i)).collect())
        }
        _ => Value::Null,
    };
    let kept = |name: &str, azure: &str| {
        Value::from(keep_casing(
            prior.str_field(name).known(),
            Some(azure.to_owned()),
        ))
    };
    let mut state = prior.clone();
    if state.is_null() {
        state = Value::object([]);
    }
    state.set_attr("id", kept("id", target));
    state.set_attr(SUBNETS, subnets);
    state.set_attr(IP_RULES, ips);
    state.set_attr("default_action", acls.default_action().into());
    state.set_attr(
        "trusted_services_allowed",
        trusts_azure_services(acls.bypass()).into(),
    );
    state
}

/// Whether the firewall's storage must stay open for inference (AMLS403): a rule of the 2019
/// guidance only; today's lets inference reach storage behind selected networks.
fn checks_inference<S: Service>(session: &SessionSlot) -> bool {
    S::CHECKS_INFERENCE && session.severities().profile() == Profile::Seed
}

impl<S: Service> Firewall<S> {
    /// The rules, against live Azure. `Ok(None)` when a value they need is unknown until
    /// apply.
    async fn findings(
        &self,
        arm: &ArmClient,
        ctx: &CallContext,
        planned: &Value,
        planned_inference: &[String],
    ) -> Result<Option<Vec<Finding>>, Diagnostics> {
        let (Field::Known(workspace_id), Field::Known(subnet_ids)) =
            (planned.str_field(WORKSPACE), planned.strings_field(SUBNETS))
        else {
            return Ok(None);
        };
        let target = target_id::<S>(arm, ctx, &workspace_id).await?;
        let mut subnets = Vec::new();
        for id in &subnet_ids {
            let subnet_id = parse_id(id, SUBNET_TYPE).map_err(|m| {
                Diagnostics::from(
                    Diagnostic::error("Invalid subnet ID", m).at(AttributePath::attribute(SUBNETS)),
                )
            })?;
            let vnet_id = subnet_id.parent().expect("a subnet has a network");
            let vnet: Option<VirtualNetwork> = match arm
                .get_cached(ctx, vnet_id.as_str(), api_version::NETWORK)
                .await
            {
                Ok(vnet) => Some(vnet),
                Err(error) if error.is_not_found() => None,
                Err(error) => {
                    return Err(arm_diagnostic("Cannot read the subnet to check it", &error)
                        .at(AttributePath::attribute(SUBNETS))
                        .into());
                }
            };
            let found = vnet.as_ref().and_then(|vnet| {
                vnet.subnets()
                    .iter()
                    .find(|s| {
                        s.name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(subnet_id.name()))
                    })
                    .map(|s| SubnetEndpoints {
                        address_prefixes: s.prefixes().into_iter().map(str::to_owned).collect(),
                        service_endpoints: s
                            .service_endpoints()
                            .iter()
                            .filter_map(|e| e.service.clone())
                            .collect(),
                    })
            });
            subnets.push(FirewallSubnet {
                id: id.clone(),
                name: subnet_id.name().to_owned(),
                vnet_name: vnet_id.name().to_owned(),
                found,
            });
        }
        let mut findings = rules::check_service_endpoints(S::KIND, &subnets, SUBNETS);
        if checks_inference::<S>(&self.session) {
            let computes: Vec<ComputeResource> = arm
                .list(
                    ctx,
                    &format!("{}/computes", workspace_id.trim_end_matches('/')),
                    api_version::MACHINE_LEARNING,
                )
                .await
                .map_err(|e| {
                    Diagnostics::from(
                        arm_diagnostic("Cannot list the workspace's computes", &e)
                            .at(AttributePath::attribute(WORKSPACE)),
                    )
                })?;
            let existing: Vec<String> = computes
                .iter()
                .filter(|c| rules::is_inference_compute(&c.properties.compute_type))
                .filter_map(|c| c.name.clone())
                .collect();
            let planned_only: Vec<String> = planned_inference
                .iter()
                .filter(|p| !existing.iter().any(|e| e.eq_ignore_ascii_case(p)))
                .cloned()
                .collect();
            findings.extend(rules::check_inference_storage(
                target_name(&target),
                true,
                &existing,
                &planned_only,
                WORKSPACE,
            ));
        }
        Ok(Some(findings))
    }

    /// Runs the checks at apply when plan had to defer them; errors stop the apply before
    /// anything is written.
    async fn deferred_checks(
        &self,
        arm: &ArmClient,
        ctx: &CallContext,
        planned: &Value,
        private: &Private,
    ) -> Diagnostics {
        if !private.checks_at_apply {
            return Diagnostics::new();
        }
        let session = match self.session.get() {
            Ok(session) => session,
            Err(d) => return d.into(),
        };
        diagnosed(
            self.findings(arm, ctx, planned, &[]).await,
            &session.severities,
        )
    }

    fn arm(&self) -> Result<ArmClient, Diagnostic> {
        require_arm(&self.session).map(|(_, arm)| arm)
    }

    /// Locks the firewall down as planned; `prior` declared rules no longer planned are
    /// released unless they were there before this resource.
    async fn write(
        &self,
        ctx: &Context,
        request: &ApplyRequest,
        operation: Operation,
    ) -> Outcome<Stored> {
        let arm = match self.arm() {
            Ok(arm) => arm,
            Err(d) => return Outcome::failed(d),
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(&request.planned, operation));
        let mut private = Private::read(&request.planned_private);
        let mut diagnostics = self
            .deferred_checks(&arm, &call, &request.planned, &private)
            .await;
        if diagnostics.has_errors() {
            return Outcome::failed(diagnostics);
        }
        let Field::Known(workspace_id) = request.planned.str_field(WORKSPACE) else {
            return Outcome::failed(not_known(WORKSPACE));
        };
        let Field::Known(subnets) = request.planned.strings_field(SUBNETS) else {
            return Outcome::failed(not_known(SUBNETS));
        };
        let ips = match request.planned.strings_field(IP_RULES) {
            Field::Unknown => return Outcome::failed(not_known(IP_RULES)),
            field => field.known().unwrap_or_default(),
        };
        let target = match request.prior.state.str_field(S::TARGET_ATTRIBUTE).known() {
            Some(target) => target,
            None => match target_id::<S>(&arm, &call, &workspace_id).await {
                Ok(target) => target,
                Err(d) => return Outcome::failed(d),
            },
        };
        let current = match read_target::<S>(&arm, &call, &target).await {
            Ok(Some(current)) => current,
            Ok(None) => return Outcome::failed(missing_target::<S>(&target)),
            Err(error) => {
                return Outcome::failed(arm_diagnostic(
                    &format!("Reading the {} failed", S::KIND.what()),
                    &error,
                ));
            }
        };
        let current = S::acls(&current);
        if !private.recorded {
            private = Private::recorded(current.as_ref());
        }
        private.checks_at_apply = false;
        let original: Option<S::Acls> = private.original();
        let before_subnets = original
            .as_ref()
            .map(RuleSet::subnet_ids)
            .unwrap_or_default();
        let before_ips = original.as_ref().map(RuleSet::ips).unwrap_or_default();
        let released_subnets: Vec<String> = strings(&request.prior.state, SUBNETS)
            .into_iter()
            .filter(|s| !contains_id(&subnets, s) && !contains_id(&before_subnets, s))
            .collect();
        let released_ips: Vec<String> = strings(&request.prior.state, IP_RULES)
            .into_iter()
            .filter(|i| !contains_ip(&ips, i) && !contains_ip(&before_ips, i))
            .collect();
        let allow_all = S::Acls::allow_all();
        let base = current.as_ref().unwrap_or(&allow_all);
        let desired = lock(base, &subnets, &ips, &released_subnets, &released_ips);
        let acls = if current.as_ref() == Some(&desired) {
            desired
        } else {
            match arm
                .patch::<_, S::Target>(
                    &call,
                    &target,
                    S::API_VERSION,
                    &NetworkAclsPatch::new(desired.clone()),
                )
                .await
            {
                Ok(written) => S::acls(&written).unwrap_or_else(S::Acls::allow_all),
                Err(error) => {
                    diagnostics.push(arm_diagnostic(
                        &format!("Setting the {} firewall failed", S::KIND.what()),
                        &error,
                    ));
                    if error.write_refused() {
                        return Outcome::failed(diagnostics);
                    }
                    // Azure may have locked the firewall: record it as written, with the
                    // firewall as found, so that destroy can still put it back.
                    desired
                }
            }
        };
        let mut prior = request.planned.clone();
        prior.set_attr(S::TARGET_ATTRIBUTE, target.clone().into());
        let mut state = state_from(Some(&acls), &target, &prior);
        state.set_attr(
            S::TARGET_ATTRIBUTE,
            Value::from(keep_casing(
                request.prior.state.str_field(S::TARGET_ATTRIBUTE).known(),
                Some(target),
            )),
        );
        Outcome {
            value: Some(Stored {
                state,
                private: private.bytes(),
            }),
            diagnostics,
        }
    }
}

fn target_name(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

#[async_trait]
impl<S: Service> Resource for Firewall<S> {
    fn type_name(&self) -> &'static str {
        S::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::<S>()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate::<S>(config)
    }

    async fn create(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        self.write(ctx, &request, Operation::Create).await
    }

    async fn read(&self, ctx: &Context, current: Stored) -> Outcome<Stored> {
        let session = match self.session.get() {
            Ok(session) => session,
            Err(d) => return Outcome::failed(d),
        };
        let Some(arm) = session.arm.as_ref() else {
            return Outcome::ok(current);
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(&current.state, Operation::Read));
        let target = match current.state.str_field(S::TARGET_ATTRIBUTE) {
            Field::Known(target) => target,
            _ => match current.state.str_field(WORKSPACE) {
                Field::Known(workspace) => match target_id::<S>(arm, &call, &workspace).await {
                    Ok(target) => target,
                    Err(d) => return Outcome::failed(d),
                },
                _ => {
                    return Outcome::failed(Diagnostic::error(
                        "Missing workspace ID",
                        "The stored state has no workspace_id.",
                    ));
                }
            },
        };
        let found = match read_target::<S>(arm, &call, &target).await {
            Ok(Some(found)) => found,
            Ok(None) => return Outcome::gone(),
            Err(error) => {
                return Outcome::failed(arm_diagnostic(
                    &format!("Reading the {} failed", S::KIND.what()),
                    &error,
                ));
            }
        };
        let acls = S::acls(&found);
        let mut private = Private::read(&current.private);
        if !private.recorded {
            // Imported: the firewall as it is now is what destroy goes back to.
            private = Private::recorded(acls.as_ref());
        }
        let mut state = state_from(acls.as_ref(), &target, &current.state);
        state.set_attr(
            S::TARGET_ATTRIBUTE,
            Value::from(keep_casing(
                current.state.str_field(S::TARGET_ATTRIBUTE).known(),
                Some(target),
            )),
        );
        Outcome::ok(Stored {
            state,
            private: private.bytes(),
        })
    }

    async fn update(&self, ctx: &Context, request: ApplyRequest) -> Outcome<Stored> {
        if super::changes_nothing_in_azure(&schema::<S>(), &request.prior.state, &request.planned) {
            // Only the timeouts or the letter case of IDs changed: nothing to tell Azure.
            let mut private = Private::read(&request.planned_private);
            private.checks_at_apply = false;
            return Outcome::ok(Stored {
                state: request.planned,
                private: private.bytes(),
            });
        }
        self.write(ctx, &request, Operation::Update).await
    }

    async fn delete(&self, ctx: &Context, prior: Stored) -> Diagnostics {
        let arm = match self.arm() {
            Ok(arm) => arm,
            Err(d) => return d.into(),
        };
        let Field::Known(target) = prior.state.str_field(S::TARGET_ATTRIBUTE) else {
            return Diagnostics::new();
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(&prior.state, Operation::Delete));
        let current = match read_target::<S>(&arm, &call, &target).await {
            Ok(Some(current)) => current,
            Ok(None) => return Diagnostics::new(),
            Err(error) => {
                return arm_diagnostic(&format!("Reading the {} failed", S::KIND.what()), &error)
                    .into();
            }
        };
        let Some(current) = S::acls(&current) else {
            return Diagnostics::new();
        };
        let private = Private::read(&prior.private);
        let original: Option<S::Acls> = private.original();
        let restored = if private.recorded {
            restore(
                &current,
                original.as_ref(),
                &strings(&prior.state, SUBNETS),
                &strings(&prior.state, IP_RULES),
            )
        } else {
            // Nothing recorded: release the declared rules, leave the rest.
            let mut acls = current.clone();
            acls.remove_subnets(&strings(&prior.state, SUBNETS));
            acls.remove_ips(&strings(&prior.state, IP_RULES));
            acls
        };
        if restored == current {
            return Diagnostics::new();
        }
        match arm
            .patch::<_, S::Target>(
                &call,
                &target,
                S::API_VERSION,
                &NetworkAclsPatch::new(restored),
            )
            .await
        {
            Ok(_) => Diagnostics::new(),
            Err(error) => arm_diagnostic(
                &format!("Restoring the {} firewall failed", S::KIND.what()),
                &error,
            )
            .into(),
        }
    }

    fn modify_plan(&self) -> Option<&dyn ModifyPlan> {
        Some(self)
    }

    fn identity(&self) -> Option<&dyn Identity> {
        Some(&super::identity::WORKSPACE)
    }

    fn import(&self) -> Option<&dyn ImportState> {
        Some(self)
    }
}

#[async_trait]
impl<S: Service> ModifyPlan for Firewall<S> {
    async fn modify_plan(
        &self,
        ctx: &Context,
        request: &PlanRequest,
        plan: &mut Plan,
    ) -> Diagnostics {
        let creating = request.prior.state.is_null();
        let planned = &mut plan.planned;
        planned.set_attr("default_action", "Deny".into());
        planned.set_attr("trusted_services_allowed", true.into());
        let mut private = Private::read(&plan.private);
        private.checks_at_apply = false;
        plan.private = private.bytes();
        let changed = creating
            || !super::changes_nothing_in_azure(&schema::<S>(), &request.prior.state, planned);
        let session = match self.session.get() {
            Ok(session) => session,
            Err(d) => return d.into(),
        };
        let Some(arm) = session.arm.as_ref() else {
            if changed {
                private.checks_at_apply = true;
                plan.private = private.bytes();
                return super::Checks::deferred_warning(&self.session.severities(), CHECKED_RULES)
                    .into();
            }
            return Diagnostics::new();
        };
        let call = call_context(ctx, TIMEOUTS.for_operation(planned, Operation::Read));
        let workspace_id = planned.str_field(WORKSPACE).known();
        if creating
            && let Some(workspace_id) = &workspace_id
            && let Ok(target) = target_id::<S>(arm, &call, workspace_id).await
        {
            // Known before apply, so plans show which account or vault they change.
            planned.set_attr("id", target.clone().into());
            planned.set_attr(S::TARGET_ATTRIBUTE, target.into());
        }
        if let (Some(workspace_id), Field::Known(subnets)) =
            (&workspace_id, planned.strings_field(SUBNETS))
        {
            // Compute planned after this resource sees the firewall as it will be.
            let before: Vec<String> = private
                .original::<S::Acls>()
                .as_ref()
                .map(RuleSet::subnet_ids)
                .unwrap_or_default();
            let released = strings(&request.prior.state, SUBNETS)
                .into_iter()
                .filter(|s| !contains_id(&subnets, s) && !contains_id(&before, s))
                .collect();
            session.planned.note_firewall(
                workspace_id,
                S::KIND,
                PlannedFirewall { subnets, released },
            );
        }
        let planned_inference = match (&workspace_id, checks_inference::<S>(&self.session)) {
            (Some(workspace_id), true) => {
                let storage = planned
                    .str_field(S::TARGET_ATTRIBUTE)
                    .known()
                    .map(|t| target_name(&t).to_owned())
                    .unwrap_or_else(|| "of the workspace".to_owned());
                session
                    .planned
                    .note_restricted_storage(workspace_id, &storage)
            }
            _ => Vec::new(),
        };
        let outcome = if changed {
            self.findings(arm, &call, planned, &planned_inference).await
        } else if !planned_inference.is_empty() {
            let storage = planned
                .str_field(S::TARGET_ATTRIBUTE)
                .known()
                .unwrap_or_default();
            Ok(Some(rules::check_inference_storage(
                target_name(&storage),
                true,
                &[],
                &planned_inference,
                WORKSPACE,
            )))
        } else {
            Ok(Some(Vec::new()))
        };
        match outcome {
            Ok(Some(findings)) => session.severities.diagnose(findings),
            Ok(None) => {
                private.checks_at_apply = true;
                plan.private = private.bytes();
                super::Checks::deferred_warning(&self.session.severities(), CHECKED_RULES).into()
            }
            Err(errors) => errors,
        }
    }
}

#[async_trait]
impl<S: Service> ImportState for Firewall<S> {
    async fn import_state(&self, _ctx: &Context, id: &str) -> Outcome<Stored> {
        let id = match parse_id(id, WORKSPACE_TYPE) {
            Ok(id) => id,
            Err(m) => {
                return Outcome::failed(Diagnostic::error(
                    "Invalid import ID",
                    format!(
                        "{m} Import {} by the ARM ID of its workspace, .../providers/Microsoft.MachineLearningServices/workspaces/{{name}}.",
                        S::TYPE_NAME
                    ),
                ));
            }
        };
        let mut state = schema::<S>().null_value();
        state.set_attr(WORKSPACE, id.as_str().into());
        Outcome::ok(Stored::new(state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::models::keyvault::VaultNetworkRuleSet;
    use crate::arm::models::storage::StorageNetworkRuleSet;
    use crate::resources::key_vault_network_rules::KeyVault;
    use crate::resources::storage_network_rules::Storage;

    const A: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a";
    const B: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/b";
    const WS: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

    fn storage(
        default_action: &str,
        bypass: Option<&str>,
        subnets: &[&str],
        ips: &[&str],
    ) -> StorageNetworkRuleSet {
        let mut acls = StorageNetworkRuleSet {
            default_action: default_action.into(),
            bypass: bypass.map(str::to_owned),
            virtual_network_rules: Some(Vec::new()),
            ip_rules: Some(Vec::new()),
            resource_access_rules: None,
        };
        for s in subnets {
            acls.add_subnet(s);
        }
        for i in ips {
            acls.add_ip(i);
        }
        acls
    }

    fn owned(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn bypass_gains_azure_services_and_keeps_the_rest() {
        for (bypass, expected) in [
            (None, "AzureServices"),
            (Some("None"), "AzureServices"),
            (Some("Logging, Metrics"), "Logging, Metrics, AzureServices"),
            (Some("Logging,AzureServices"), "Logging, AzureServices"),
        ] {
            assert_eq!(with_azure_services(bypass), expected, "{bypass:?}");
        }
        assert!(trusts_azure_services(None));
        assert!(trusts_azure_services(Some("Logging, azureservices")));
        assert!(!trusts_azure_services(Some("None")));
        assert!(!trusts_azure_services(Some("Logging, Metrics")));
    }

    #[test]
    fn lock_adds_only_what_is_missing_and_keeps_foreign_rules() {
        let current = storage(
            "Allow",
            Some("Logging"),
            &[&A.to_uppercase()],
            &["198.51.100.9"],
        );
        let locked = lock(
            &current,
            &owned(&[A, B]),
            &owned(&["203.0.113.7"]),
            &[],
            &[],
        );
        assert_eq!(locked.default_action, "Deny");
        assert_eq!(locked.bypass.as_deref(), Some("Logging, AzureServices"));
        // A was there in other casing: not added twice.
        assert_eq!(locked.subnet_ids(), vec![A.to_uppercase(), B.to_owned()]);
        assert_eq!(locked.ips(), owned(&["198.51.100.9", "203.0.113.7"]));
        // Locking what is already locked changes nothing (no write).
        assert_eq!(
            lock(&locked, &owned(&[A, B]), &owned(&["203.0.113.7"]), &[], &[]),
            locked
        );
    }

    #[test]
    fn lock_releases_rules_no_longer_declared() {
        let current = storage("Deny", Some("AzureServices"), &[A, B], &["203.0.113.7"]);
        let locked = lock(
            &current,
            &owned(&[A]),
            &[],
            &owned(&[B]),
            &owned(&["203.0.113.7/32"]),
        );
        assert_eq!(locked.subnet_ids(), owned(&[A]));
        assert!(locked.ips().is_empty());
    }

    #[test]
    fn restore_puts_back_default_bypass_and_removes_only_added_rules() {
        let original = storage("Allow", Some("Logging, Metrics"), &[A], &[]);
        // Since: the resource added B and an IP and locked it; someone added another IP.
        let current = storage(
            "Deny",
            Some("Logging, Metrics, AzureServices"),
            &[A, B],
            &["203.0.113.7", "198.51.100.9"],
        );
        let restored = restore(
            &current,
            Some(&original),
            &owned(&[A, B]),
            &owned(&["203.0.113.7"]),
        );
        assert_eq!(restored.default_action, "Allow");
        assert_eq!(restored.bypass.as_deref(), Some("Logging, Metrics"));
        // A was there before: kept. The foreign IP: kept.
        assert_eq!(restored.subnet_ids(), owned(&[A]));
        assert_eq!(restored.ips(), owned(&["198.51.100.9"]));
        // Nothing recorded as there before: Azure's default, every network allowed.
        let restored = restore(&current, None, &owned(&[A, B]), &[]);
        assert_eq!(restored.default_action, "Allow");
        assert_eq!(restored.bypass.as_deref(), Some("AzureServices"));
    }

    #[test]
    fn key_vault_rules_match_whatever_the_casing_and_host_prefix() {
        let mut acls = VaultNetworkRuleSet::allow_all();
        acls.add_subnet(&A.to_lowercase());
        acls.add_ip("203.0.113.7/32");
        let locked = lock(&acls, &owned(&[A]), &owned(&["203.0.113.7"]), &[], &[]);
        assert_eq!(locked.subnet_ids().len(), 1);
        assert_eq!(locked.ips().len(), 1);
        assert_eq!(locked.default_action.as_deref(), Some("Deny"));
    }

    #[test]
    fn state_reports_only_declared_rules_in_the_written_casing() {
        let acls = storage(
            "Allow",
            Some("None"),
            &[&A.to_lowercase()],
            &["203.0.113.7", "198.51.100.9"],
        );
        let mut prior = Value::object([
            (WORKSPACE, WS.into()),
            (SUBNETS, string_set(owned(&[A, B]))),
            (IP_RULES, string_set(owned(&["203.0.113.7"]))),
        ]);
        let state = state_from(Some(&acls), "/x/storage", &prior);
        assert_eq!(state.strings_field(SUBNETS).known().unwrap(), owned(&[A]));
        assert_eq!(
            state.strings_field(IP_RULES).known().unwrap(),
            owned(&["203.0.113.7"])
        );
        assert_eq!(state.str_field("default_action").known().unwrap(), "Allow");
        assert_eq!(
            state.bool_field("trusted_services_allowed").known(),
            Some(false)
        );
        // No ip_rules declared: foreign IP rules are not ours to report.
        prior.set_attr(IP_RULES, Value::Null);
        assert!(
            state_from(Some(&acls), "/x", &prior)
                .attr(IP_RULES)
                .unwrap()
                .is_null()
        );
        // Imported: everything is.
        prior.set_attr(SUBNETS, Value::Null);
        let imported = state_from(Some(&acls), "/x", &prior);
        assert_eq!(imported.strings_field(SUBNETS).known().unwrap().len(), 1);
        assert_eq!(imported.strings_field(IP_RULES).known().unwrap().len(), 2);
    }

    #[test]
    fn private_state_round_trips_the_original_firewall() {
        let original = storage("Allow", Some("Logging"), &[A], &[]);
        let private = Private::recorded(Some(&original));
        let read = Private::read(&private.bytes());
        assert!(read.recorded && !read.checks_at_apply);
        assert_eq!(read.original::<StorageNetworkRuleSet>(), Some(original));
        let absent = Private::read(&Private::recorded::<StorageNetworkRuleSet>(None).bytes());
        assert!(absent.recorded);
        assert_eq!(absent.original::<StorageNetworkRuleSet>(), None);
        assert!(!Private::read(b"").recorded);
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        let mut config = schema::<Storage>().null_value();
        config.set_attr(WORKSPACE, WS.into());
        config.set_attr(SUBNETS, string_set(owned(&[A])));
        for (name, value) in pairs {
            config.set_attr(name, value.clone());
        }
        config
    }

    fn faults<S: Service>(config: &Value) -> Vec<String> {
        validate::<S>(config)
            .iter()
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect()
    }

    #[test]
    fn validation_points_at_the_attribute() {
        assert!(faults::<Storage>(&config(&[])).is_empty());
        let ips = |v: &[&str]| string_set(owned(v));
        for (name, value) in [
            (WORKSPACE, Value::from(A)),
            (SUBNETS, string_set(Vec::new())),
            (SUBNETS, ips(&[WS])),
            (IP_RULES, ips(&["10.0.0.1"])),
            (IP_RULES, ips(&["203.0.113.7/32"])),
            (IP_RULES, ips(&["203.0.113.0/31"])),
            (IP_RULES, ips(&["not-an-ip"])),
            (IP_RULES, ips(&["203.0.113.0/33"])),
        ] {
            assert_eq!(
                faults::<Storage>(&config(&[(name, value.clone())])),
                [name],
                "{value:?}"
            );
        }
        // Key Vault takes /32.
        assert!(faults::<KeyVault>(&config(&[(IP_RULES, ips(&["203.0.113.7/32"]))])).is_empty());
        // Unknown values wait for plan.
        assert!(faults::<Storage>(&config(&[(SUBNETS, Value::unknown())])).is_empty());
    }

    #[test]
    fn schemas_name_their_service() {
        let storage = schema::<Storage>();
        assert!(storage.block.attribute("storage_account_id").is_some());
        let subnets = storage.block.attribute(SUBNETS).unwrap();
        assert!(subnets.description.contains("Microsoft.Storage"));
        let vault = schema::<KeyVault>();
        assert!(vault.block.attribute("key_vault_id").is_some());
        assert!(
            vault
                .block
                .attribute(SUBNETS)
                .unwrap()
                .description
                .contains("Microsoft.KeyVault")
        );
    }
}
