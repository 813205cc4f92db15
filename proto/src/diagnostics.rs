//! Diagnostics: the errors and warnings Terraform shows a user, each optionally pointing
//! at the attribute it is about.

use std::fmt;

use crate::proto;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A path to an attribute or element inside a configuration or state value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributePath(Vec<PathStep>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Attribute(String),
    Key(String),
    Index(i64),
}

impl AttributePath {
    pub fn root() -> AttributePath {
        AttributePath::default()
    }

    /// A path to a top-level attribute.
    pub fn attribute(name: impl Into<String>) -> AttributePath {
        AttributePath(vec![PathStep::Attribute(name.into())])
    }

    pub fn attr(mut self, name: impl Into<String>) -> AttributePath {
        self.0.push(PathStep::Attribute(name.into()));
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> AttributePath {
        self.0.push(PathStep::Key(key.into()));
        self
    }

    pub fn index(mut self, index: i64) -> AttributePath {
        self.0.push(PathStep::Index(index));
        self
    }

    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => write!(f, "{name}")?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub attribute: Option<AttributePath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary, detail)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Points the diagnostic at an attribute, so Terraform underlines it in the source.
    pub fn at(mut self, attribute: AttributePath) -> Diagnostic {
        self.attribute = Some(attribute);
        self
    }
}

/// The diagnostics one operation collected, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail));
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(diagnostic: Diagnostic) -> Diagnostics {
        Diagnostics(vec![diagnostic])
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Diagnostics {
        Diagnostics(iter.into_iter().collect())
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl From<&AttributePath> for proto::AttributePath {
    fn from(path: &AttributePath) -> proto::AttributePath {
        use proto::attribute_path::{Step, step::Selector};
        let steps = path
            .0
            .iter()
            .map(|step| Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::Key(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::Index(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect();
        proto::AttributePath { steps }
    }
}

impl From<Diagnostic> for proto::Diagnostic {
    fn from(diagnostic: Diagnostic) -> proto::Diagnostic {
        let severity = match diagnostic.severity {
            Severity::Error => proto::diagnostic::Severity::Error,
            Severity::Warning => proto::diagnostic::Severity::Warning,
        };
        proto::Diagnostic {
            severity: severity.into(),
            summary: diagnostic.summary,
            detail: diagnostic.detail,
            attribute: diagnostic.attribute.as_ref().map(Into::into),
        }
    }
}

impl Diagnostics {
    pub(crate) fn into_proto(self) -> Vec<proto::Diagnostic> {
        self.0.into_iter().map(Into::into).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_like_terraform_references() {
        let path = AttributePath::attribute("network")
            .attr("subnets")
            .index(2)
            .key("tier");
        assert_eq!(path.to_string(), r#"network.subnets[2]["tier"]"#);
    }

    #[test]
    fn paths_become_protocol_steps() {
        let path = AttributePath::attribute("tags").key("env");
        let wire = proto::AttributePath::from(&path);
        use proto::attribute_path::step::Selector;
        let selectors: Vec<_> = wire.steps.into_iter().map(|s| s.selector).collect();
        assert_eq!(
            selectors,
            vec![
                Some(Selector::AttributeName("tags".into())),
                Some(Selector::ElementKeyString("env".into()))
            ]
        );
    }

    #[test]
    fn errors_are_detected_among_warnings() {
        let mut diagnostics = Diagnostics::new();
        diagnostics.warning("careful", "");
        assert!(!diagnostics.has_errors());
        diagnostics.push(Diagnostic::error("broken", "detail").at(AttributePath::attribute("x")));
        assert!(diagnostics.has_errors());
        let wire = diagnostics.into_proto();
        assert_eq!(wire[1].severity, proto::diagnostic::Severity::Error as i32);
        assert_eq!(wire[1].attribute.as_ref().unwrap().steps.len(), 1);
    }
}
