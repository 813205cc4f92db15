//! Azure Policy assignments that would stop Azure ML creating what a compute cluster needs in
//! the virtual network's resource group (seed, "Use a Machine Learning Compute instance":
//! "Check to see whether your security policies or locks on the virtual network's
//! subscription or resource group restrict permissions to manage the virtual network"; Azure
//! ML "allocates ... one network security group, one public IP address, one load balancer"
//! per cluster there; REFERENCE §10 rule 10).
//!
//! A policy rule is evaluated as Azure evaluates it for a resource being created, with what is
//! known of Azure ML's resources before they exist: their type, location and resource group.
//! Conditions on anything else (names, tags, other properties, `count`, template functions
//! other than `parameters`, `field` and `resourceGroup().name`) are unknown; a policy whose
//! verdict turns on them *may* deny, and says which of them. Only the `deny` effect blocks a
//! creation (`audit`, `modify`, `deployIfNotExists` and the like let it through).
//!
//! Definitions, set definitions (initiatives) and parameter values are resolved by the caller
//! with [`resolve_parameters`] and [`member_parameters`]; assignments with
//! `enforcementMode: DoNotEnforce`, `notScopes` covering the resource group, resource
//! selectors that leave the resources out, and `policyEffect` overrides are honoured.
//! Exemptions are not read.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Applies, Finding, Rule, Severity, join_and, sources};

/// The seed's "security policies" on the virtual network's subscription or resource group.
/// A warning, as for locks (AMLS142): whether the deny would apply is decided by Azure when
/// the resource is created.
pub static POLICY_DENIES_NETWORK_RESOURCES: Rule = Rule {
    id: "AMLS143",
    title: "An Azure Policy assignment on the virtual network's resource group or subscription denies network resources Azure ML creates for compute clusters",
    seed_section: "Use a Machine Learning Compute instance",
    applies: Applies::Both(&sources::TRAINING_VNET),
    severity: Severity::Warning,
};

/// A resource Azure ML creates in the virtual network's resource group for each cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatedResource {
    /// As policies name it, like `Microsoft.Network/publicIPAddresses`.
    pub resource_type: &'static str,
    /// `a public IP address`.
    pub noun: &'static str,
}

pub const NETWORK_SECURITY_GROUP: CreatedResource = CreatedResource {
    resource_type: "Microsoft.Network/networkSecurityGroups",
    noun: "a network security group",
};
pub const PUBLIC_IP_ADDRESS: CreatedResource = CreatedResource {
    resource_type: "Microsoft.Network/publicIPAddresses",
    noun: "a public IP address",
};
pub const LOAD_BALANCER: CreatedResource = CreatedResource {
    resource_type: "Microsoft.Network/loadBalancers",
    noun: "a load balancer",
};

/// What Azure ML creates for a cluster: a network security group, and with public IPs on the
/// nodes (the default) a public IP address and a load balancer.
pub fn created_for_cluster(public_ips: bool) -> Vec<CreatedResource> {
    match public_ips {
        true => vec![NETWORK_SECURITY_GROUP, PUBLIC_IP_ADDRESS, LOAD_BALANCER],
        false => vec![NETWORK_SECURITY_GROUP],
    }
}

/// Where the resources are created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// ARM ID of the virtual network's resource group.
    pub group_id: String,
    pub group: String,
    /// The virtual network's region, like `westeurope`.
    pub location: String,
}

/// `Selector` of a resource selector or an override.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub kind: String,
    pub is_in: Option<Vec<String>>,
    pub not_in: Option<Vec<String>>,
}

/// A `policyEffect` override of an assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EffectOverride {
    pub effect: String,
    pub selectors: Vec<Selector>,
}

/// One policy an assignment puts in force, its parameters resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssignedPolicy {
    /// The definition's display name (or name).
    pub name: String,
    /// Its `policyDefinitionReferenceId` in an initiative.
    pub reference_id: Option<String>,
    /// `All`, `Indexed`, or a resource provider mode (which ARM resources are not under).
    pub mode: String,
    pub rule: Value,
    pub parameters: BTreeMap<String, Value>,
}

/// An assignment in force at the virtual network's resource group (there, or inherited).
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Display name, or name.
    pub name: String,
    pub id: String,
    /// The scope it is assigned at, like `/subscriptions/...`.
    pub scope: String,
    pub not_scopes: Vec<String>,
    /// `enforcementMode` is not `DoNotEnforce`.
    pub enforced: bool,
    /// Resource selectors: the resource must match all selectors of one of them.
    pub resource_selectors: Vec<Vec<Selector>>,
    pub overrides: Vec<EffectOverride>,
    /// The initiative's display name, when it assigns one.
    pub initiative: Option<String>,
    /// Its policies; `Err` with the reason when its definitions could not be read.
    pub policies: Result<Vec<AssignedPolicy>, String>,
}

/// A definition's parameter values: the given ones, then the declared defaults.
pub fn resolve_parameters(
    defaults: &BTreeMap<String, Option<Value>>,
    given: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    for (name, default) in defaults {
        if let Some(default) = default {
            values.insert(name.to_ascii_lowercase(), default.clone());
        }
    }
    for (name, value) in given {
        values.insert(name.to_ascii_lowercase(), value.clone());
    }
    values
}

/// The values an initiative passes one of its policies: each is a literal, or an expression
/// over the initiative's own parameters (`[parameters('x')]`); what cannot be worked out is
/// left out, so the policy's default (or an unknown) applies.
pub fn member_parameters(
    passed: &BTreeMap<String, Value>,
    initiative: &BTreeMap<String, Value>,
) -> BTreeMap<String, Value> {
    let mut values = BTreeMap::new();
    for (name, value) in passed {
        let resolved = match value.as_str() {
            Some(text) if is_expression(text) => match parameter_reference(text) {
                Some(parameter) => initiative.get(&parameter.to_ascii_lowercase()).cloned(),
                None => None,
            },
            Some(text) if text.starts_with("[[") => Some(Value::String(text[1..].to_owned())),
            _ => Some(value.clone()),
        };
        if let Some(resolved) = resolved {
            values.insert(name.clone(), resolved);
        }
    }
    values
}

fn is_expression(text: &str) -> bool {
    text.starts_with('[') && !text.starts_with("[[") && text.ends_with(']')
}

/// `x` of `[parameters('x')]`.
fn parameter_reference(text: &str) -> Option<String> {
    let inner = text.strip_prefix("[parameters('")?.strip_suffix("')]")?;
    (!inner.contains('\'')).then(|| inner.to_owned())
}

/// What a condition or effect evaluates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    Yes,
    No,
    Unknown,
}

impl Truth {
    fn not(self) -> Truth {
        match self {
            Truth::Yes => Truth::No,
            Truth::No => Truth::Yes,
            Truth::Unknown => Truth::Unknown,
        }
    }

    fn from(value: bool) -> Truth {
        if value { Truth::Yes } else { Truth::No }
    }
}

/// The resource being created, and what evaluating a rule could not know.
struct Evaluation<'a> {
    resource: &'a CreatedResource,
    target: &'a Target,
    parameters: &'a BTreeMap<String, Value>,
    unknown: BTreeSet<String>,
}

/// An operand: a JSON value, or not known.
enum Operand {
    Known(Value),
    Unknown,
}

const OPERATORS: [&str; 19] = [
    "equals",
    "notequals",
    "like",
    "notlike",
    "match",
    "matchinsensitively",
    "notmatch",
    "notmatchinsensitively",
    "contains",
    "notcontains",
    "in",
    "notin",
    "containskey",
    "notcontainskey",
    "less",
    "lessorequals",
    "greater",
    "greaterorequals",
    "exists",
];

impl Evaluation<'_> {
    fn condition(&mut self, condition: &Value) -> Truth {
        let Some(object) = condition.as_object() else {
            self.unknown.insert("a condition it cannot read".into());
            return Truth::Unknown;
        };
        let entry = |key: &str| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        };
        if let Some(all) = entry("allOf").and_then(Value::as_array) {
            let truths: Vec<Truth> = all.iter().map(|c| self.condition(c)).collect();
            return if truths.contains(&Truth::No) {
                Truth::No
            } else if truths.contains(&Truth::Unknown) {
                Truth::Unknown
            } else {
                Truth::Yes
            };
        }
        if let Some(any) = entry("anyOf").and_then(Value::as_array) {
            let truths: Vec<Truth> = any.iter().map(|c| self.condition(c)).collect();
            return if truths.contains(&Truth::Yes) {
                Truth::Yes
            } else if truths.contains(&Truth::Unknown) {
                Truth::Unknown
            } else {
                Truth::No
            };
        }
        if let Some(inner) = entry("not") {
            return self.condition(inner).not();
        }
        if entry("count").is_some() {
            self.unknown.insert("a count of array members".into());
            return Truth::Unknown;
        }
        let left = if let Some(field) = entry("field") {
            self.field(field)
        } else if let Some(value) = entry("value") {
            self.value(value)
        } else {
            self.unknown.insert("a condition it cannot read".into());
            return Truth::Unknown;
        };
        let Some((operator, right)) = object
            .iter()
            .find(|(k, _)| OPERATORS.contains(&k.to_ascii_lowercase().as_str()))
        else {
            self.unknown.insert("a condition it cannot read".into());
            return Truth::Unknown;
        };
        let right = self.value(right);
        match (left, right) {
            (Operand::Known(left), Operand::Known(right)) => {
                compare(&operator.to_ascii_lowercase(), &left, &right)
            }
            _ => Truth::Unknown,
        }
    }

    /// A `field` operand: the resource's type or location; anything else is unknown.
    fn field(&mut self, field: &Value) -> Operand {
        let name = match field.as_str() {
            Some(text) if is_expression(text) => match self.value(field) {
                Operand::Known(Value::String(name)) => name,
                _ => return Operand::Unknown,
            },
            Some(text) => text.to_owned(),
            None => return Operand::Unknown,
        };
        match name.to_ascii_lowercase().as_str() {
            "type" => Operand::Known(Value::String(self.resource.resource_type.to_owned())),
            "location" => Operand::Known(Value::String(self.target.location.clone())),
            _ => {
                self.unknown.insert(name);
                Operand::Unknown
            }
        }
    }

    /// A literal, or a template expression this evaluation knows.
    fn value(&mut self, value: &Value) -> Operand {
        let Some(text) = value.as_str() else {
            return Operand::Known(value.clone());
        };
        if text.starts_with("[[") {
            return Operand::Known(Value::String(text[1..].to_owned()));
        }
        if !is_expression(text) {
            return Operand::Known(value.clone());
        }
        if let Some(parameter) = parameter_reference(text) {
            return match self.parameters.get(&parameter.to_ascii_lowercase()) {
                Some(value) => Operand::Known(value.clone()),
                None => {
                    self.unknown
                        .insert(format!("parameter '{parameter}', which has no value"));
                    Operand::Unknown
                }
            };
        }
        if let Some(joined) = self.concat(text) {
            return joined;
        }
        match text.to_ascii_lowercase().replace(' ', "").as_str() {
            "[field('type')]" => self.field(&Value::String("type".into())),
            "[field('location')]" => self.field(&Value::String("location".into())),
            "[resourcegroup().name]" => Operand::Known(Value::String(self.target.group.clone())),
            _ => {
                self.unknown.insert(format!("the expression {text}"));
                Operand::Unknown
            }
        }
    }

    /// `[concat(...)]` of string literals and parameters, like the field
    /// `[concat('tags[', parameters('tagName'), ']')]`; `None` for another expression.
    fn concat(&mut self, text: &str) -> Option<Operand> {
        let inner = text.strip_prefix("[concat(")?.strip_suffix(")]")?;
        let mut joined = String::new();
        for argument in split_arguments(inner)? {
            let argument = argument.trim();
            if let Some(literal) = argument
                .strip_prefix('\'')
                .and_then(|a| a.strip_suffix('\''))
            {
                joined.push_str(literal);
                continue;
            }
            match self.value(&Value::String(format!("[{argument}]"))) {
                Operand::Known(Value::String(part)) => joined.push_str(&part),
                _ => return Some(Operand::Unknown),
            }
        }
        Some(Operand::Known(Value::String(joined)))
    }
}

/// Splits `'a', parameters('b'), 'c'` at the commas outside quotes and parentheses.
fn split_arguments(text: &str) -> Option<Vec<&str>> {
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let mut parts = Vec::new();
    for (at, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    (!quoted && depth == 0).then(|| {
        parts.push(&text[start..]);
        parts
    })
}

/// Azure compares strings without regard to case; locations also without spaces.
fn same_text(a: &str, b: &str) -> bool {
    let key = |s: &str| s.replace(' ', "").to_ascii_lowercase();
    key(a) == key(b)
}

fn compare(operator: &str, left: &Value, right: &Value) -> Truth {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match operator {
        "equals" => Truth::from(values_equal(left, right)),
        "notequals" => Truth::from(!values_equal(left, right)),
        "in" | "notin" => match right.as_array() {
            Some(items) => {
                let found = items.iter().any(|item| values_equal(left, item));
                Truth::from(found == (operator == "in"))
            }
            None => Truth::Unknown,
        },
        "like" | "notlike" => match (text(left), text(right)) {
            (Some(l), Some(r)) => Truth::from(like(&l, &r) == (operator == "like")),
            _ => Truth::Unknown,
        },
        "match" | "notmatch" | "matchinsensitively" | "notmatchinsensitively" => {
            match (text(left), text(right)) {
                (Some(l), Some(r)) => {
                    let insensitive = operator.ends_with("insensitively");
                    let wanted = !operator.starts_with("not");
                    Truth::from(pattern_match(&l, &r, insensitive) == wanted)
                }
                _ => Truth::Unknown,
            }
        }
        "contains" | "notcontains" => {
            let found = match (left, text(right)) {
                (Value::String(l), Some(r)) => {
                    Some(l.to_ascii_lowercase().contains(&r.to_ascii_lowercase()))
                }
                (Value::Array(items), _) => Some(items.iter().any(|i| values_equal(i, right))),
                _ => None,
            };
            found.map_or(Truth::Unknown, |f| {
                Truth::from(f == (operator == "contains"))
            })
        }
        "exists" => {
            let wanted = match right {
                Value::Bool(b) => Some(*b),
                Value::String(s) => s.parse::<bool>().ok(),
                _ => None,
            };
            // Type and location exist on every resource Azure ML creates here.
            wanted.map_or(Truth::Unknown, Truth::from)
        }
        "less" | "lessorequals" | "greater" | "greaterorequals" => {
            let ordering = match (left, right) {
                (Value::Number(l), Value::Number(r)) => l
                    .as_f64()
                    .zip(r.as_f64())
                    .and_then(|(l, r)| l.partial_cmp(&r)),
                (Value::String(l), Value::String(r)) => {
                    Some(l.to_ascii_lowercase().cmp(&r.to_ascii_lowercase()))
                }
                _ => None,
            };
            let Some(ordering) = ordering else {
                return Truth::Unknown;
            };
            Truth::from(match operator {
                "less" => ordering.is_lt(),
                "lessorequals" => ordering.is_le(),
                "greater" => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
        // Keys of objects: nothing Azure ML's resources are known to carry.
        _ => Truth::Unknown,
    }
}

fn values_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::String(l), Value::String(r)) => same_text(l, r),
        _ => left == right,
    }
}

/// `like`: `*` matches any run of characters; no regard to case.
fn like(text: &str, pattern: &str) -> bool {
    let (text, pattern) = (text.to_ascii_lowercase(), pattern.to_ascii_lowercase());
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return text == pattern;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// `match`: `#` a digit, `?` a letter, `.` any character, anything else itself.
fn pattern_match(text: &str, pattern: &str, insensitive: bool) -> bool {
    let (text, pattern): (Vec<char>, Vec<char>) = if insensitive {
        (
            text.to_ascii_lowercase().chars().collect(),
            pattern.to_ascii_lowercase().chars().collect(),
        )
    } else {
        (text.chars().collect(), pattern.chars().collect())
    };
    text.len() == pattern.len()
        && text.iter().zip(&pattern).all(|(t, p)| match p {
            '#' => t.is_ascii_digit(),
            '?' => t.is_alphabetic(),
            '.' => true,
            other => t == other,
        })
}

/// How one policy treats one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Denies,
    /// Perhaps denies; what the verdict turns on.
    MayDeny(BTreeSet<String>),
    Allows,
}

fn selector_matches(selector: &Selector, resource: &CreatedResource, target: &Target) -> Truth {
    let value = match selector.kind.to_ascii_lowercase().as_str() {
        "resourcelocation" => target.location.clone(),
        "resourcetype" => resource.resource_type.to_owned(),
        "resourcewithoutlocation" => "false".to_owned(),
        _ => return Truth::Unknown,
    };
    let listed = |list: &Option<Vec<String>>| {
        list.as_ref()
            .map(|items| items.iter().any(|i| same_text(i, &value)))
    };
    match (listed(&selector.is_in), listed(&selector.not_in)) {
        (Some(found), _) => Truth::from(found),
        (None, Some(found)) => Truth::from(!found),
        (None, None) => Truth::Yes,
    }
}

fn reference_selected(selectors: &[Selector], reference_id: Option<&str>) -> bool {
    selectors.iter().all(|s| {
        if !s.kind.eq_ignore_ascii_case("policyDefinitionReferenceId") {
            return true;
        }
        let listed = |list: &Option<Vec<String>>| {
            list.as_ref().map(|items| {
                items
                    .iter()
                    .any(|i| reference_id.is_some_and(|r| r.eq_ignore_ascii_case(i)))
            })
        };
        match (listed(&s.is_in), listed(&s.not_in)) {
            (Some(found), _) => found,
            (None, Some(found)) => !found,
            (None, None) => true,
        }
    })
}

fn judge(
    assignment: &Assignment,
    policy: &AssignedPolicy,
    resource: &CreatedResource,
    target: &Target,
) -> Verdict {
    let mode = policy.mode.to_ascii_lowercase();
    if !(mode.is_empty() || mode == "all" || mode == "indexed") {
        return Verdict::Allows;
    }
    let mut evaluation = Evaluation {
        resource,
        target,
        parameters: &policy.parameters,
        unknown: BTreeSet::new(),
    };
    let rule_part = |key: &str| {
        policy.rule.as_object().and_then(|r| {
            r.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
    };
    let Some(condition) = rule_part("if") else {
        return Verdict::Allows;
    };
    let applies = evaluation.condition(condition);
    let overridden = assignment
        .overrides
        .iter()
        .find(|o| reference_selected(&o.selectors, policy.reference_id.as_deref()));
    let effect = match overridden {
        Some(o) => Operand::Known(Value::String(o.effect.clone())),
        None => match rule_part("then").and_then(|t| {
            t.as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("effect"))
                .map(|(_, v)| v)
        }) {
            Some(effect) => evaluation.value(effect),
            None => Operand::Known(Value::Null),
        },
    };
    let denies = match effect {
        Operand::Known(Value::String(e)) => Truth::from(e.eq_ignore_ascii_case("deny")),
        Operand::Known(_) => Truth::No,
        Operand::Unknown => Truth::Unknown,
    };
    match (applies, denies) {
        (Truth::No, _) | (_, Truth::No) => Verdict::Allows,
        (Truth::Yes, Truth::Yes) => Verdict::Denies,
        _ => Verdict::MayDeny(evaluation.unknown),
    }
}

/// Whether the assignment is in force for `resource` at all.
fn in_force(assignment: &Assignment, resource: &CreatedResource, target: &Target) -> Truth {
    let group = target.group_id.trim_end_matches('/').to_ascii_lowercase();
    let excluded = assignment.not_scopes.iter().any(|scope| {
        let scope = scope.trim_end_matches('/').to_ascii_lowercase();
        group == scope || group.starts_with(&format!("{scope}/"))
    });
    if !assignment.enforced || excluded {
        return Truth::No;
    }
    if assignment.resource_selectors.is_empty() {
        return Truth::Yes;
    }
    let mut verdict = Truth::No;
    for selectors in &assignment.resource_selectors {
        let all: Vec<Truth> = selectors
            .iter()
            .map(|s| selector_matches(s, resource, target))
            .collect();
        if all.iter().all(|t| *t == Truth::Yes) {
            return Truth::Yes;
        }
        if !all.contains(&Truth::No) {
            verdict = Truth::Unknown;
        }
    }
    verdict
}

/// [`POLICY_DENIES_NETWORK_RESOURCES`]: one finding per assignment that denies (or may deny)
/// creating any of `created` in the target resource group, at `attribute`.
pub fn check_policies(
    assignments: &[Assignment],
    created: &[CreatedResource],
    target: &Target,
    attribute: &'static str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for assignment in assignments {
        let mut denied: Vec<(&CreatedResource, &str)> = Vec::new();
        let mut perhaps: Vec<(&CreatedResource, &str, BTreeSet<String>)> = Vec::new();
        let mut unreadable = None;
        for resource in created {
            match in_force(assignment, resource, target) {
                Truth::No => continue,
                Truth::Unknown => {
                    perhaps.push((
                        resource,
                        "",
                        BTreeSet::from(["its resource selectors".to_owned()]),
                    ));
                    continue;
                }
                Truth::Yes => {}
            }
            let policies = match &assignment.policies {
                Ok(policies) => policies,
                Err(reason) => {
                    unreadable = Some(reason.clone());
                    continue;
                }
            };
            let verdicts: Vec<(Verdict, &str)> = policies
                .iter()
                .map(|p| (judge(assignment, p, resource, target), p.name.as_str()))
                .collect();
            if let Some((_, policy)) = verdicts.iter().find(|(v, _)| *v == Verdict::Denies) {
                denied.push((resource, policy));
            } else if let Some((Verdict::MayDeny(unknown), policy)) = verdicts
                .into_iter()
                .find(|(v, _)| matches!(v, Verdict::MayDeny(_)))
            {
                perhaps.push((resource, policy, unknown));
            }
        }
        if let Some(finding) =
            assignment_finding(assignment, target, attribute, &denied, &perhaps, unreadable)
        {
            findings.push(finding);
        }
    }
    findings
}

fn describe_resources(resources: &[&CreatedResource]) -> String {
    let parts: Vec<String> = resources
        .iter()
        .map(|r| format!("{} ({})", r.noun, r.resource_type))
        .collect();
    join_and(&parts)
}

fn scope_description(scope: &str) -> String {
    let parts: Vec<&str> = scope.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["subscriptions", subscription] => format!("subscription {subscription}"),
        ["subscriptions", _, group_kw, group]
            if group_kw.eq_ignore_ascii_case("resourceGroups") =>
        {
            format!("resource group {group}")
        }
        [.., "managementGroups", group] => format!("management group {group}"),
        _ => scope.to_owned(),
    }
}

fn assignment_finding(
    assignment: &Assignment,
    target: &Target,
    attribute: &'static str,
    denied: &[(&CreatedResource, &str)],
    perhaps: &[(&CreatedResource, &str, BTreeSet<String>)],
    unreadable: Option<String>,
) -> Option<Finding> {
    // `Azure Policy assignment 'x' (initiative 'y', policy 'z', assigned at subscription s)`.
    let assigned = |policies: Vec<&str>| {
        let mut names: Vec<String> = (policies.into_iter())
            .filter(|p| !p.is_empty())
            .map(|p| format!("'{p}'"))
            .collect();
        names.dedup();
        let which = match (&assignment.initiative, names.is_empty()) {
            (Some(initiative), true) => format!("initiative '{initiative}'"),
            (Some(initiative), false) => {
                format!("initiative '{initiative}', policy {}", join_and(&names))
            }
            (None, true) => "its policy".to_owned(),
            (None, false) => format!("policy {}", join_and(&names)),
        };
        format!(
            "Azure Policy assignment '{}' ({which}, assigned at {})",
            assignment.name,
            scope_description(&assignment.scope)
        )
    };
    let group = &target.group;
    let consequence = "which Azure ML creates there for each compute cluster; creating or scaling the cluster would fail with RequestDisallowedByPolicy";
    let message = if !denied.is_empty() {
        let resources: Vec<&CreatedResource> = denied.iter().map(|(r, _)| *r).collect();
        format!(
            "{} denies creating {} in resource group {group}, {consequence}",
            assigned(denied.iter().map(|(_, p)| *p).collect()),
            describe_resources(&resources)
        )
    } else if !perhaps.is_empty() {
        let resources: Vec<&CreatedResource> = perhaps.iter().map(|(r, _, _)| *r).collect();
        let unknown: BTreeSet<&String> = perhaps.iter().flat_map(|(_, _, u)| u).collect();
        let unknown: Vec<&String> = unknown.into_iter().collect();
        format!(
            "{} may deny creating {} in resource group {group}, {consequence}; whether it does turns on {}, not known before Azure ML creates them",
            assigned(perhaps.iter().map(|(_, p, _)| *p).collect()),
            describe_resources(&resources),
            if unknown.is_empty() {
                "what the resources will look like".to_owned()
            } else {
                join_and(&unknown)
            }
        )
    } else if let Some(reason) = unreadable {
        format!(
            "{} may deny the network resources Azure ML creates in resource group {group} for each compute cluster, but its definition could not be read ({reason})",
            assigned(Vec::new()),
        )
    } else {
        return None;
    };
    let mut types: Vec<&str> = (denied.iter().map(|(r, _)| r.resource_type))
        .chain(perhaps.iter().map(|(r, _, _)| r.resource_type))
        .collect();
    types.dedup();
    let allow = if types.is_empty() {
        "the network resources Azure ML creates".to_owned()
    } else {
        join_and(&types)
    };
    Some(Finding::new(
        &POLICY_DENIES_NETWORK_RESOURCES,
        attribute,
        message,
        format!(
            "Exempt resource group {group} from the assignment (az policy exemption create --name azureml-network --exemption-category Waiver --policy-assignment {} --scope {}), set the assignment's enforcementMode to DoNotEnforce, or change the policy to allow {allow} there",
            assignment.id, target.group_id
        ),
    ))
}

/// [`POLICY_DENIES_NETWORK_RESOURCES`] when the assignments could not be listed.
pub fn policies_unreadable(reason: &str, target: &Target, attribute: &'static str) -> Finding {
    Finding::new(
        &POLICY_DENIES_NETWORK_RESOURCES,
        attribute,
        format!(
            "the Azure Policy assignments of resource group {} could not be read ({reason}), so whether one denies the network security group, public IP address or load balancer Azure ML creates there for each compute cluster is not checked",
            target.group
        ),
        "Give the identity running Terraform read access to policy assignments (the Reader role on the resource group), or check them by hand",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const GROUP_ID: &str = "/subscriptions/s1/resourceGroups/ml-rg";

    fn target() -> Target {
        Target {
            group_id: GROUP_ID.into(),
            group: "ml-rg".into(),
            location: "westeurope".into(),
        }
    }

    fn policy(name: &str, rule: Value, parameters: Value) -> AssignedPolicy {
        AssignedPolicy {
            name: name.into(),
            reference_id: None,
            mode: "Indexed".into(),
            rule,
            parameters: serde_json::from_value::<BTreeMap<String, Value>>(parameters)
                .unwrap()
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        }
    }

    fn assignment(policies: Vec<AssignedPolicy>) -> Assignment {
        Assignment {
            name: "network-guardrails".into(),
            id: "/subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/guard"
                .into(),
            scope: "/subscriptions/s1".into(),
            not_scopes: Vec::new(),
            enforced: true,
            resource_selectors: Vec::new(),
            overrides: Vec::new(),
            initiative: None,
            policies: Ok(policies),
        }
    }

    fn not_allowed_types(types: &[&str], effect: Option<&str>) -> AssignedPolicy {
        let mut parameters = json!({"listOfResourceTypesNotAllowed": types});
        if let Some(effect) = effect {
            parameters["effect"] = json!(effect);
        }
        policy(
            "Not allowed resource types",
            json!({"if": {"field": "type", "in": "[parameters('listOfResourceTypesNotAllowed')]"},
                "then": {"effect": "[parameters('effect')]"}}),
            parameters,
        )
    }

    fn allowed_types(types: &[&str]) -> AssignedPolicy {
        policy(
            "Allowed resource types",
            json!({"if": {"not": {"field": "type", "in": "[parameters('listOfResourceTypesAllowed')]"}},
                "then": {"effect": "deny"}}),
            json!({"listOfResourceTypesAllowed": types}),
        )
    }

    fn allowed_locations(locations: &[&str]) -> AssignedPolicy {
        policy(
            "Allowed locations",
            json!({"if": {"allOf": [
                    {"field": "location", "notIn": "[parameters('listOfAllowedLocations')]"},
                    {"field": "location", "notEquals": "global"},
                    {"field": "type", "notEquals": "Microsoft.AzureActiveDirectory/b2cDirectories"}]},
                "then": {"effect": "Deny"}}),
            json!({"listOfAllowedLocations": locations}),
        )
    }

    fn deny_if(condition: Value) -> AssignedPolicy {
        policy(
            "custom",
            json!({"if": condition, "then": {"effect": "deny"}}),
            json!({}),
        )
    }

    /// Which of the three resources are denied (`d`), perhaps denied (`?`) or allowed (`-`),
    /// in the order network security group, public IP address, load balancer.
    fn verdicts(assignment: &Assignment) -> String {
        [NETWORK_SECURITY_GROUP, PUBLIC_IP_ADDRESS, LOAD_BALANCER]
            .iter()
            .map(|resource| {
                let findings = check_policies(
                    std::slice::from_ref(assignment),
                    &[*resource],
                    &target(),
                    "subnet_id",
                );
                match findings.first() {
                    None => '-',
                    Some(f) if f.message.contains(" may deny ") => '?',
                    Some(_) => 'd',
                }
            })
            .collect()
    }

    #[test]
    fn built_in_style_policies_table() {
        let ip = "Microsoft.Network/publicIPAddresses";
        let nsg = "Microsoft.Network/networkSecurityGroups";
        let cases: Vec<(AssignedPolicy, &str)> = vec![
            (not_allowed_types(&[ip], Some("Deny")), "-d-"),
            (
                not_allowed_types(&["microsoft.network/PUBLICIPADDRESSES"], Some("deny")),
                "-d-",
            ),
            (not_allowed_types(&[ip], Some("Audit")), "---"),
            (not_allowed_types(&[ip], Some("Disabled")), "---"),
            // No value and no default: the effect is not known.
            (not_allowed_types(&[ip], None), "-?-"),
            (
                not_allowed_types(&["Microsoft.Compute/virtualMachines"], Some("Deny")),
                "---",
            ),
            (allowed_types(&[nsg]), "-dd"),
            (
                allowed_types(&[nsg, ip, "Microsoft.Network/loadBalancers"]),
                "---",
            ),
            (allowed_locations(&["eastus"]), "ddd"),
            (allowed_locations(&["West Europe", "eastus"]), "---"),
            (
                deny_if(json!({"field": "type", "like": "Microsoft.Network/*"})),
                "ddd",
            ),
            (
                deny_if(json!({"field": "type", "like": "*/loadBalancers"})),
                "--d",
            ),
            (
                deny_if(json!({"field": "type", "notLike": "Microsoft.Network/*"})),
                "---",
            ),
            (
                deny_if(json!({"field": "type", "contains": "IPAddress"})),
                "-d-",
            ),
            (
                deny_if(json!({"field": "location", "match": "westeurop."})),
                "ddd",
            ),
            (
                deny_if(json!({"field": "location", "matchInsensitively": "WESTEUROP#"})),
                "---",
            ),
            (
                deny_if(json!({"value": "[resourceGroup().name]", "equals": "ML-RG"})),
                "ddd",
            ),
            (
                deny_if(json!({"value": "[field('type')]", "equals": nsg})),
                "d--",
            ),
            (deny_if(json!({"field": "type", "exists": "true"})), "ddd"),
            (
                deny_if(json!({"field": "tags['costCenter']", "exists": "false"})),
                "???",
            ),
            (
                deny_if(
                    json!({"field": "[concat('tags[', parameters('tagName'), ']')]", "exists": "false"}),
                ),
                "???",
            ),
            (deny_if(json!({"field": "name", "like": "aml*"})), "???"),
            (
                deny_if(
                    json!({"count": {"field": "Microsoft.Network/networkSecurityGroups/securityRules[*]"}, "greater": 0}),
                ),
                "???",
            ),
            // A known false part settles an unknown one.
            (
                deny_if(json!({"allOf": [
                    {"field": "type", "equals": "Microsoft.Network/loadBalancers"},
                    {"field": "tags['env']", "notEquals": "prod"}]})),
                "--?",
            ),
            (
                deny_if(json!({"anyOf": [
                    {"field": "type", "equals": "Microsoft.Network/loadBalancers"},
                    {"field": "name", "like": "x*"}]})),
                "??d",
            ),
            (
                policy(
                    "data plane",
                    json!({"if": {"field": "type", "like": "*"}, "then": {"effect": "deny"}}),
                    json!({}),
                )
                .with_mode("Microsoft.KeyVault.Data"),
                "---",
            ),
            (
                policy(
                    "audit",
                    json!({"if": {"field": "type", "like": "*"}, "then": {"effect": "audit"}}),
                    json!({}),
                ),
                "---",
            ),
        ];
        for (policy, expected) in cases {
            assert_eq!(
                verdicts(&assignment(vec![policy.clone()])),
                expected,
                "{policy:?}"
            );
        }
    }

    impl AssignedPolicy {
        fn with_mode(mut self, mode: &str) -> AssignedPolicy {
            self.mode = mode.into();
            self
        }
    }

    #[test]
    fn assignments_in_force_table() {
        let deny_all = || deny_if(json!({"field": "type", "like": "*"}));
        let selector = |kind: &str, is_in: Option<&[&str]>, not_in: Option<&[&str]>| Selector {
            kind: kind.into(),
            is_in: is_in.map(|v| v.iter().map(|s| (*s).to_owned()).collect()),
            not_in: not_in.map(|v| v.iter().map(|s| (*s).to_owned()).collect()),
        };
        type Change = Box<dyn Fn(&mut Assignment)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|_| {}), "ddd"),
            (Box::new(|a| a.enforced = false), "---"),
            (
                Box::new(|a| a.not_scopes = vec![GROUP_ID.to_uppercase()]),
                "---",
            ),
            (
                Box::new(|a| a.not_scopes = vec!["/subscriptions/s1/".into()]),
                "---",
            ),
            (
                Box::new(|a| {
                    a.not_scopes = vec!["/subscriptions/s1/resourceGroups/ml-rg-2".into()]
                }),
                "ddd",
            ),
            (
                Box::new(move |a| {
                    a.resource_selectors =
                        vec![vec![selector("resourceLocation", Some(&["eastus"]), None)]]
                }),
                "---",
            ),
            (
                Box::new(move |a| {
                    a.resource_selectors = vec![vec![selector(
                        "resourceType",
                        Some(&["Microsoft.Network/publicIPAddresses"]),
                        None,
                    )]]
                }),
                "-d-",
            ),
            (
                Box::new(move |a| {
                    a.resource_selectors = vec![vec![selector(
                        "resourceType",
                        None,
                        Some(&["Microsoft.Network/loadBalancers"]),
                    )]]
                }),
                "dd-",
            ),
            (
                Box::new(move |a| {
                    a.resource_selectors = vec![vec![selector("somethingNew", Some(&["x"]), None)]]
                }),
                "???",
            ),
            (
                Box::new(|a| {
                    a.overrides = vec![EffectOverride {
                        effect: "Audit".into(),
                        selectors: Vec::new(),
                    }]
                }),
                "---",
            ),
            (
                Box::new(move |a| {
                    a.overrides = vec![EffectOverride {
                        effect: "Audit".into(),
                        selectors: vec![selector(
                            "policyDefinitionReferenceId",
                            Some(&["other"]),
                            None,
                        )],
                    }]
                }),
                "ddd",
            ),
            (
                Box::new(|a| a.policies = Err("AuthorizationFailed".into())),
                "???",
            ),
        ];
        for (change, expected) in cases {
            let mut assignment = assignment(vec![deny_all()]);
            change(&mut assignment);
            assert_eq!(verdicts(&assignment), expected, "{assignment:?}");
        }
    }

    #[test]
    fn findings_name_assignment_policy_scope_resources_and_the_fix() {
        let mut initiative = assignment(vec![
            allowed_locations(&["westeurope"]),
            not_allowed_types(
                &[
                    "Microsoft.Network/publicIPAddresses",
                    "Microsoft.Network/loadBalancers",
                ],
                Some("Deny"),
            ),
        ]);
        initiative.initiative = Some("Network baseline".into());
        let findings = check_policies(
            &[initiative.clone()],
            &created_for_cluster(true),
            &target(),
            "subnet_id",
        );
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(
            (f.rule.id, f.attribute, f.severity()),
            ("AMLS143", "subnet_id", Severity::Warning)
        );
        assert_eq!(
            f.message,
            "Azure Policy assignment 'network-guardrails' (initiative 'Network baseline', policy \
             'Not allowed resource types', assigned at subscription s1) denies creating a public IP \
             address (Microsoft.Network/publicIPAddresses) and a load balancer \
             (Microsoft.Network/loadBalancers) in resource group ml-rg, which Azure ML creates there \
             for each compute cluster; creating or scaling the cluster would fail with \
             RequestDisallowedByPolicy"
        );
        assert_eq!(
            f.fix,
            "Exempt resource group ml-rg from the assignment (az policy exemption create --name \
             azureml-network --exemption-category Waiver --policy-assignment \
             /subscriptions/s1/providers/Microsoft.Authorization/policyAssignments/guard --scope \
             /subscriptions/s1/resourceGroups/ml-rg), set the assignment's enforcementMode to \
             DoNotEnforce, or change the policy to allow Microsoft.Network/publicIPAddresses and \
             Microsoft.Network/loadBalancers there"
        );
        // Without public IPs on the nodes, Azure ML creates neither.
        assert!(
            check_policies(
                &[initiative],
                &created_for_cluster(false),
                &target(),
                "subnet_id"
            )
            .is_empty()
        );

        let mut tagged = assignment(vec![deny_if(
            json!({"field": "tags['costCenter']", "exists": "false"}),
        )]);
        tagged.scope = GROUP_ID.into();
        let findings = check_policies(&[tagged], &[NETWORK_SECURITY_GROUP], &target(), "subnet_id");
        assert_eq!(
            findings[0].message,
            "Azure Policy assignment 'network-guardrails' (policy 'custom', assigned at resource \
             group ml-rg) may deny creating a network security group \
             (Microsoft.Network/networkSecurityGroups) in resource group ml-rg, which Azure ML \
             creates there for each compute cluster; creating or scaling the cluster would fail \
             with RequestDisallowedByPolicy; whether it does turns on tags['costCenter'], not \
             known before Azure ML creates them"
        );
        let required_tag = policy(
            "Require a tag on resources",
            json!({"if": {"field": "[concat('tags[', parameters('tagName'), ']')]", "exists": "false"},
                "then": {"effect": "deny"}}),
            json!({"tagName": "costCenter"}),
        );
        let findings = check_policies(
            &[assignment(vec![required_tag])],
            &[LOAD_BALANCER],
            &target(),
            "subnet_id",
        );
        assert!(
            findings[0]
                .message
                .ends_with("turns on tags[costCenter], not known before Azure ML creates them"),
            "{}",
            findings[0].message
        );
        let unreadable = policies_unreadable("AuthorizationFailed", &target(), "subnet_id");
        assert!(
            unreadable
                .message
                .contains("resource group ml-rg could not be read (AuthorizationFailed)")
        );
    }

    #[test]
    fn parameters_resolve_from_assignment_initiative_and_defaults() {
        let defaults: BTreeMap<String, Option<Value>> = [
            ("effect".to_owned(), Some(json!("Deny"))),
            ("listOfTypes".to_owned(), None),
        ]
        .into();
        let given: BTreeMap<String, Value> = [("ListOfTypes".to_owned(), json!(["a"]))].into();
        let resolved = resolve_parameters(&defaults, &given);
        assert_eq!(resolved.get("effect"), Some(&json!("Deny")));
        assert_eq!(resolved.get("listoftypes"), Some(&json!(["a"])));
        let initiative: BTreeMap<String, Value> = [("blocked".to_owned(), json!(["x"]))].into();
        let passed: BTreeMap<String, Value> = [
            ("listOfTypes".to_owned(), json!("[parameters('Blocked')]")),
            ("effect".to_owned(), json!("Audit")),
            ("unknown".to_owned(), json!("[parameters('missing')]")),
            ("escaped".to_owned(), json!("[[literal]")),
            ("computed".to_owned(), json!("[concat('a', 'b')]")),
        ]
        .into();
        let member = member_parameters(&passed, &initiative);
        assert_eq!(
            member,
            [
                ("effect".to_owned(), json!("Audit")),
                ("escaped".to_owned(), json!("[literal]")),
                ("listOfTypes".to_owned(), json!(["x"])),
            ]
            .into()
        );
    }

    #[test]
    fn like_and_match_table() {
        for (text, pattern, expected) in [
            (
                "Microsoft.Network/loadBalancers",
                "microsoft.network/*",
                true,
            ),
            ("Microsoft.Network/loadBalancers", "*balancers", true),
            ("Microsoft.Network/loadBalancers", "*/load*", true),
            ("Microsoft.Network/loadBalancers", "*/public*", false),
            ("abc", "abc", true),
            ("abc", "ab", false),
            ("ab", "a*b*c", false),
        ] {
            assert_eq!(like(text, pattern), expected, "{text} like {pattern}");
        }
        for (text, pattern, insensitive, expected) in [
            ("eu1", "??#", false, true),
            ("eu1", "???", false, false),
            ("EU1", "eu#", false, false),
            ("EU1", "eu#", true, true),
            ("eu1x", "eu#", false, false),
        ] {
            assert_eq!(
                pattern_match(text, pattern, insensitive),
                expected,
                "{text} {pattern}"
            );
        }
    }
}
