//! Rule findings as Terraform diagnostics, honouring the rules a user switched off.

use std::collections::BTreeSet;

use tfplugin::{AttributePath, Diagnostic, Diagnostics};

use crate::rules::{self, Finding, Severity};

/// The rules the provider block switched off (`disabled_rules`), by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisabledRules(BTreeSet<String>);

impl DisabledRules {
    /// Parses the ids from configuration, reporting unknown ones at `attribute`.
    pub fn parse<'a>(
        ids: impl IntoIterator<Item = &'a str>,
        attribute: &AttributePath,
    ) -> (DisabledRules, Diagnostics) {
        let mut disabled = BTreeSet::new();
        let mut diagnostics = Diagnostics::new();
        for id in ids {
            let id = id.trim().to_ascii_uppercase();
            if rules::rule(&id).is_some() {
                disabled.insert(id);
            } else {
                diagnostics.push(
                    Diagnostic::error(
                        "Unknown rule ID",
                        format!(
                            "{id:?} is not an amlsecure rule. Rule IDs look like AMLS101; the list is in the provider documentation (docs/rules.md)."
                        ),
                    )
                    .at(attribute.clone()),
                );
            }
        }
        (DisabledRules(disabled), diagnostics)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.0.contains(id)
    }

    /// Turns findings into diagnostics pointing at their attributes. A finding of a
    /// switched-off rule becomes a warning saying the rule is off, so a plan never
    /// hides that a check was skipped.
    pub fn diagnose(&self, findings: Vec<Finding>) -> Diagnostics {
        findings
            .into_iter()
            .map(|finding| {
                let rule = finding.rule;
                let at = finding_path(finding.attribute);
                if self.contains(rule.id) {
                    return Diagnostic::warning(
                        format!("{}: rule switched off", rule.id),
                        format!(
                            "{} would have reported: {}. It is switched off by disabled_rules in the provider block.",
                            rule.id, finding.message
                        ),
                    )
                    .at(at);
                }
                let detail = format!(
                    "{}. {}.\n\nAzure's guidance: \"{}\". To switch this check off, add \"{}\" to disabled_rules in the provider block.",
                    finding.message, finding.fix, rule.seed_section, rule.id
                );
                let summary = format!("{}: {}", rule.id, rule.title);
                match finding.severity() {
                    Severity::Error => Diagnostic::error(summary, detail),
                    Severity::Warning => Diagnostic::warning(summary, detail),
                }
                .at(at)
            })
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

    fn finding() -> Finding {
        Finding::new(
            &SUBNET_CAPACITY,
            "max_nodes",
            "the subnet has 3 free addresses but max_nodes is 4",
            "use a /28 subnet",
        )
    }

    #[test]
    fn unknown_ids_are_errors_at_the_attribute() {
        let at = AttributePath::attribute("disabled_rules");
        let (disabled, diagnostics) = DisabledRules::parse(["amls101", "AMLS999"], &at);
        assert!(disabled.contains("AMLS101"));
        assert!(!disabled.contains("AMLS999"));
        let messages: Vec<_> = diagnostics.iter().collect();
        assert_eq!(messages.len(), 1);
        assert!(messages[0].detail.contains("\"AMLS999\""));
        assert_eq!(messages[0].attribute, Some(at));
    }

    #[test]
    fn findings_name_rule_numbers_fix_and_switch() {
        let diagnostics = DisabledRules::default().diagnose(vec![finding()]);
        let diagnostic = diagnostics.iter().next().unwrap();
        assert_eq!(
            diagnostic.severity,
            tfplugin::diagnostics::Severity::Warning
        );
        assert!(diagnostic.summary.starts_with("AMLS101: "));
        assert!(diagnostic.detail.contains("3 free addresses"));
        assert!(diagnostic.detail.contains("use a /28 subnet"));
        assert!(diagnostic.detail.contains("disabled_rules"));
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
        let diagnostics = DisabledRules::default().diagnose(vec![finding]);
        assert_eq!(
            diagnostics.iter().next().unwrap().attribute,
            Some(AttributePath::attribute("ssl").attr("cname"))
        );
    }

    #[test]
    fn switched_off_rules_still_say_so() {
        let at = AttributePath::attribute("disabled_rules");
        let (disabled, _) = DisabledRules::parse(["AMLS101"], &at);
        let diagnostics = disabled.diagnose(vec![finding()]);
        let diagnostic = diagnostics.iter().next().unwrap();
        assert_eq!(
            diagnostic.severity,
            tfplugin::diagnostics::Severity::Warning
        );
        assert_eq!(diagnostic.summary, "AMLS101: rule switched off");
    }
}
