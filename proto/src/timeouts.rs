//! The conventional `timeouts { create = "30m" ... }` block, in Go duration syntax as in
//! every other Terraform provider. Durations are parsed here: `humantime` reads another syntax
//! (`1h 30m`, no `1.5h`), and users write Go's.

use std::time::Duration;

use crate::diagnostics::{AttributePath, Diagnostic};
use crate::schema::{Attribute, Block, NestedBlock, Nesting};
use crate::value::{Field, Type, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }

    const ALL: [Operation; 4] = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Delete,
    ];
}

/// The block, for a resource's schema; `defaults` documents each operation's default.
pub fn block(defaults: &Defaults) -> NestedBlock {
    let attributes = Operation::ALL
        .iter()
        .map(|&operation| {
            Attribute::optional(operation.name(), Type::String).description(format!(
                "How long to wait for {} before giving up, like `30m` or `1h` (default `{}`).",
                operation.name(),
                format_duration(defaults.get(operation))
            ))
        })
        .collect();
    NestedBlock {
        type_name: "timeouts".into(),
        nesting: Nesting::Single,
        block: Block {
            description: "Time limits for each operation.".into(),
            attributes,
            ..Block::default()
        },
        min_items: 0,
        max_items: 0,
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    pub create: Duration,
    pub read: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Defaults {
    fn get(&self, operation: Operation) -> Duration {
        match operation {
            Operation::Create => self.create,
            Operation::Read => self.read,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
        }
    }

    /// The limit for `operation` set in `resource`'s `timeouts` block, or the default.
    pub fn for_operation(&self, resource: &Value, operation: Operation) -> Duration {
        resource
            .attr("timeouts")
            .map(|t| t.str_field(operation.name()))
            .and_then(Field::known)
            .and_then(|text| parse_duration(&text).ok())
            .unwrap_or(self.get(operation))
    }
}

/// Checks each set timeout parses, for `terraform validate`.
pub fn validate(resource: &Value) -> Vec<Diagnostic> {
    let Some(timeouts) = resource.attr("timeouts") else {
        return Vec::new();
    };
    Operation::ALL
        .iter()
        .filter_map(|&operation| {
            let text = timeouts.str_field(operation.name()).known()?;
            let error = parse_duration(&text).err()?;
            Some(
                Diagnostic::error("Invalid timeout", error)
                    .at(AttributePath::attribute("timeouts").attr(operation.name())),
            )
        })
        .collect()
}

/// Parses Go duration syntax: `90s`, `30m`, `1h30m`, `1.5h`, `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid =
        || format!("{text:?} is not a duration; write it like \"30m\", \"1h30m\" or \"90s\"");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let number: f64 = rest[..number_len].parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(invalid()),
        };
        total += number * seconds;
        rest = &rest[unit_len..];
    }
    Ok(Duration::from_secs_f64(total))
}

fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (h, 0, 0) if h > 0 => format!("{h}h"),
        (0, m, 0) => format!("{m}m"),
        (0, 0, s) => format!("{s}s"),
        (h, m, 0) => format!("{h}h{m}m"),
        _ => format!("{seconds}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for (text, seconds) in [
            ("90s", 90.0),
            ("30m", 1800.0),
            ("1h30m", 5400.0),
            ("1.5h", 5400.0),
            ("500ms", 0.5),
            ("2h0m5s", 7205.0),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs_f64(seconds)),
                "{text}"
            );
        }
        for text in ["", "30", "m", "5 minutes", "1d", "-5m"] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
    }

    #[test]
    fn configured_values_override_defaults_and_bad_ones_are_reported() {
        let defaults = Defaults {
            create: Duration::from_secs(1800),
            read: Duration::from_secs(300),
            update: Duration::from_secs(1800),
            delete: Duration::from_secs(1800),
        };
        let resource = Value::object([(
            "timeouts",
            Value::object([
                ("create", "45m".into()),
                ("read", Value::Null),
                ("update", "soon".into()),
                ("delete", Value::Null),
            ]),
        )]);
        assert_eq!(
            defaults.for_operation(&resource, Operation::Create),
            Duration::from_secs(2700)
        );
        assert_eq!(
            defaults.for_operation(&resource, Operation::Read),
            Duration::from_secs(300)
        );
        let problems = validate(&resource);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].attribute,
            Some(AttributePath::attribute("timeouts").attr("update"))
        );
        assert!(
            block(&defaults).block.attributes[0]
                .description
                .contains("`30m`")
        );
    }
}
