//! Rule findings as Terraform diagnostics, at the severity the user chose for each rule, citing
//! the guidance profile the provider block chose.

use std::collections::BTreeMap;

use tfplugin::{AttributePath, Diagnostic, Diagnostics};

use crate::rules::{self, Finding, Profile, Severity};

/// What a rule's findings do to a plan, as the provider block sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Fails the plan, or the apply before any write when the check waited for apply.
    Error,
    Warning,
    /// Not enforced; plans still say that the rule would have fired.
    Off,
}

impl Level {
    fn parse(text: &str) -> Option<Level> {
        match text.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warning" => Some(Level::Warning),
            "off" => Some(Level::Off),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Off => "off",
        }
    }
}

impl From<Severity> for Level {
    fn from(severity: Severity) -> Level {
        match severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        }
    }
}

/// Each rule's level: its default severity, unless `rule_severity` or `disabled_rules` in the
/// provider block says otherwise; and the guidance profile (`guidance`) the rules are checked
/// under, which decides which rules apply and what their findings cite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Severities {
    levels: BTreeMap<&'static str, Level>,
    profile: Profile,
}

impl Severities {
    /// Reads `rule_severity` (rule ID → `error`, `warning` or `off`) and `disabled_rules` (IDs
    /// switched off), reporting unknown IDs and levels at the entry. A rule named in both
    /// takes `rule_severity`'s level.
    pub fn parse<'a>(
        severities: impl IntoIterator<Item = (&'a str, &'a str)>,
        disabled: impl IntoIterator<Item = &'a str>,
    ) -> (Severities, Diagnostics) {
        let mut levels = BTreeMap::new();
        let mut diagnostics = Diagnostics::new();
        let unknown_rule = |id: &str, at: AttributePath| {
            Diagnostic::error(
                "Unknown rule ID",
                format!(
                    "{id:?} is not an amlsecure rule. Rule IDs look like AMLS101; the list is in the provider documentation, docs/guides/rules.md."
                ),
            )
            .at(at)
        };
        for id in disabled {
            match rules::rule(&id.trim().to_ascii_uppercase()) {
                Some(rule) => {
                    levels.insert(rule.id, Level::Off);
                }
                None => {
                    diagnostics.push(unknown_rule(id, AttributePath::attribute("disabled_rules")))
                }
            }
        }
        for (id, level) in severities {
            let at = AttributePath::attribute("rule_severity").key(id);
            let Some(rule) = rules::rule(&id.trim().to_ascii_uppercase()) else {
                diagnostics.push(unknown_rule(id, at));
                continue;
            };
            match Level::parse(level) {
                Some(level) => {
                    levels.insert(rule.id, level);
                }
                None => diagnostics.push(
                    Diagnostic::error(
                        "Unknown rule severity",
                        format!(
                            "rule_severity.{} is {level:?}; use \"error\", \"warning\" or \"off\".",
                            rule.id
                        ),
                    )
                    .at(at),
                ),
            }
        }
        (
            Severities {
                levels,
                profile: Profile::default(),
            },
            diagnostics,
        )
    }

    /// The same levels, for checks under `profile`.
    pub fn with_profile(self, profile: Profile) -> Severities {
        Severities { profile, ..self }
    }

    /// The guidance profile the rules are checked under.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The rules named in `rule_severity` or `disabled_rules` that do not apply under the
    /// profile, so setting their level changes nothing.
    pub fn outside_profile(&self) -> Vec<&'static rules::Rule> {
        (self.levels.keys())
            .filter_map(|id| rules::rule(id))
            .filter(|rule| !rule.applies_under(self.profile))
            .collect()
    }

    /// The level of `rule`'s findings.
    pub fn level(&self, rule: &rules::Rule) -> Level {
        self.levels
            .get(rule.id)
            .copied()
            .unwrap_or_else(|| rule.severity.into())
    }

    /// Turns findings into diagnostics pointing at their attributes, each citing the guidance
    /// of the profile. A finding of a rule switched off becomes a warning saying so, so a plan
    /// never hides a skipped check. Checks raise only rules of the profile; a finding of
    /// another rule is a bug, and left out.
    pub fn diagnose(&self, findings: Vec<Finding>) -> Diagnostics {
        findings
            .into_iter()
            .filter_map(|finding| {
                let citation = finding.rule.citation(self.profile);
                debug_assert!(
                    citation.is_some(),
                    "{} does not apply under guidance {}",
                    finding.rule.id,
                    self.profile
                );
                Some((finding, citation?))
            })
            .map(|(finding, citation)| {
                let rule = finding.rule;
                let at = finding_path(finding.attribute);
                let level = self.level(rule);
                if level == Level::Off {
                    return Diagnostic::warning(
                        format!("{}: rule switched off", rule.id),
                        format!(
                            "{} would have reported: {}. It is switched off in the provider block (rule_severity or disabled_rules).",
                            rule.id, finding.message
                        ),
                    )
                    .at(at);
                }
                let detail = format!(
                    "{}. {}.\n\n{citation}. To change how this check counts, set rule_severity = {{ {} = \"warning\" }} (or \"error\", \"off\") in the provider block.",
                    finding.message, finding.fix, rule.id
                );
                let summary = format!("{}: {}", rule.id, rule.title);
                match level {
                    Level::Error => Diagnostic::error(summary, detail),
                    _ => Diagnostic::warning(summary, detail),
                }
                .at(at)
            })
            .collect()
    }

    /// The rules among `candidates` whose findings would stop an apply: errors of the
    /// profile.
    pub fn errors_among<'a>(&self, candidates: &[&'a rules::Rule]) -> Vec<&'a rules::Rule> {
        candidates
            .iter()
            .copied()
            .filter(|rule| rule.applies_under(self.profile) && self.level(rule) == Level::Error)
            .collect()
    }
}

/// Where a finding points: its attribute, or a block's written `ssl.cname`.
fn finding_path(attribute: &str) -> AttributePath {
    let mut steps = attribute.split('.');
    let first = steps.next().unwrap_or_default();
    steps.fold(AttributePath::attribute(first), AttributePath::attr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::subnet::SUBNET_CAPACITY;
    use tfplugin::diagnostics::Severity as Shown;

    fn finding() -> Finding {
        Finding::new(
            &SUBNET_CAPACITY,
            "max_nodes",
            "the subnet has 3 free addresses but max_nodes is 4",
            "use a /28 subnet",
        )
    }

    fn shown(severities: &Severities) -> (Shown, String) {
        let diagnostics = severities.diagnose(vec![finding()]);
        let d = diagnostics.iter().next().unwrap();
        (d.severity, d.summary.clone())
    }

    #[test]
    fn unknown_ids_and_levels_are_errors_at_their_entry() {
        let (severities, diagnostics) = Severities::parse(
            [
                ("amls101", "Warning"),
                ("AMLS999", "off"),
                ("AMLS141", "loud"),
            ],
            ["AMLS998"],
        );
        assert_eq!(severities.level(&SUBNET_CAPACITY), Level::Warning);
        let at: Vec<String> = diagnostics
            .iter()
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(
            at,
            [
                "disabled_rules",
                "rule_severity[\"AMLS999\"]",
                "rule_severity[\"AMLS141\"]"
            ]
        );
    }

    #[test]
    fn levels_follow_the_default_then_disabled_rules_then_rule_severity() {
        assert_eq!(shown(&Severities::default()).0, Shown::Error);
        let (off, _) = Severities::parse([], ["AMLS101"]);
        assert_eq!(
            shown(&off),
            (Shown::Warning, "AMLS101: rule switched off".to_owned())
        );
        let (warning, _) = Severities::parse([("AMLS101", "warning")], ["AMLS101"]);
        assert_eq!(shown(&warning).0, Shown::Warning);
        assert!(shown(&warning).1.starts_with("AMLS101: Subnet"));
        let (raised, _) = Severities::parse([("AMLS204", "error")], []);
        assert_eq!(
            raised.level(&crate::rules::aks::SERVICE_CIDR_AT_LIMIT),
            Level::Error
        );
    }

    #[test]
    fn diagnostics_cite_the_profiles_guidance() {
        let detail = |severities: Severities| {
            severities
                .diagnose(vec![finding()])
                .iter()
                .next()
                .unwrap()
                .detail
                .clone()
        };
        let seed = detail(Severities::default());
        assert!(
            seed.contains("Azure's guidance (2019): \"Use a Machine Learning Compute instance\"."),
            "{seed}"
        );
        let current = detail(Severities::default().with_profile(Profile::Current));
        assert!(
            current.contains("Azure's guidance (current): \"Secure an Azure Machine Learning training environment with virtual networks\", https://learn.microsoft.com/azure/machine-learning/how-to-secure-training-vnet."),
            "{current}"
        );
    }

    #[test]
    fn rules_outside_the_profile_are_named_and_never_stop_an_apply() {
        use crate::rules::aks::DOCKER_BRIDGE_DEPRECATED;
        use crate::rules::nsg::seed::BATCH_INBOUND_BLOCKED;
        let (levels, _) = Severities::parse([("AMLS208", "error"), ("AMLS111", "error")], []);
        let seed = levels.clone();
        assert_eq!(seed.outside_profile(), [&DOCKER_BRIDGE_DEPRECATED]);
        assert_eq!(
            seed.errors_among(&[&DOCKER_BRIDGE_DEPRECATED, &BATCH_INBOUND_BLOCKED]),
            [&BATCH_INBOUND_BLOCKED]
        );
        let current = levels.with_profile(Profile::Current);
        assert_eq!(current.profile(), Profile::Current);
        assert_eq!(current.outside_profile(), [&BATCH_INBOUND_BLOCKED]);
        assert_eq!(
            current.errors_among(&[&DOCKER_BRIDGE_DEPRECATED, &BATCH_INBOUND_BLOCKED]),
            [&DOCKER_BRIDGE_DEPRECATED]
        );
    }

    #[test]
    fn findings_name_rule_numbers_fix_and_the_setting() {
        let diagnostics = Severities::default().diagnose(vec![finding()]);
        let diagnostic = diagnostics.iter().next().unwrap();
        assert!(diagnostic.detail.contains("3 free addresses"));
        assert!(diagnostic.detail.contains("use a /28 subnet"));
        assert!(diagnostic.detail.contains("rule_severity"));
        assert_eq!(
            diagnostic.attribute,
            Some(AttributePath::attribute("max_nodes"))
        );
    }

    #[test]
    fn findings_about_a_block_point_into_it() {
        let finding = Finding::new(
            &crate::rules::ssl::CERTIFICATE_NAME_MISMATCH,
            "ssl.cname",
            "ssl.certificate is valid for a.contoso.com, not for ssl.cname b.contoso.com",
            "Set ssl.cname to a name the certificate is valid for",
        );
        let diagnostics = Severities::default().diagnose(vec![finding]);
        assert_eq!(
            diagnostics.iter().next().unwrap().attribute,
            Some(AttributePath::attribute("ssl").attr("cname"))
        );
    }
}
