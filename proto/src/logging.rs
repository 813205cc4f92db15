//! Logs in the JSON line form go-plugin reads from a plugin's stderr (hclog's), so that
//! `TF_LOG=debug` or `TF_LOG_PROVIDER=trace` shows them in Terraform's log at the right level.
//!
//! The level comes from `TF_LOG_PROVIDER_<NAME>`, `TF_LOG_PROVIDER` or `TF_LOG`, as for
//! providers written with HashiCorp's Go SDKs; unset, the provider logs nothing.
//!
//! A small `tracing` layer rather than a formatting crate: hclog's JSON keys (`@level`,
//! `@message`, `@timestamp`) are what go-plugin parses, and no maintained crate writes them.

use std::fmt::Write as _;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Installs the stderr logger for a provider called `name` (e.g. `amlsecure`).
pub fn init(name: &str) {
    let level = [
        format!("TF_LOG_PROVIDER_{}", name.to_uppercase()),
        "TF_LOG_PROVIDER".to_owned(),
        "TF_LOG".to_owned(),
    ]
    .iter()
    .find_map(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
    .and_then(|text| parse_level(&text));
    if let Some(level) = level {
        let layer = HclogLayer {
            module: format!("provider.terraform-provider-{name}"),
            max_level: level,
        };
        // Ignored if a logger is already installed (tests).
        let _ = tracing_subscriber::registry().with(layer).try_init();
    }
}

/// Terraform's level names; `JSON` is its name for "everything, as JSON".
fn parse_level(text: &str) -> Option<Level> {
    match text.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        _ => None,
    }
}

struct HclogLayer {
    module: String,
    max_level: Level,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        // Libraries (HTTP/2 frames, TLS) speak only of warnings and errors: their debug
        // chatter would bury the provider's own lines.
        let ours = metadata.target().starts_with("tfplugin")
            || metadata.target().starts_with("terraform_provider_");
        let max_level = if ours {
            self.max_level
        } else {
            self.max_level.min(Level::WARN)
        };
        *metadata.level() <= max_level
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let line = format_line(&self.module, event, std::time::SystemTime::now());
        // One write per line so concurrent events never interleave.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

fn format_line(module: &str, event: &Event<'_>, now: std::time::SystemTime) -> String {
    let mut fields = serde_json::Map::new();
    fields.insert(
        "@level".into(),
        hclog_level(event.metadata().level()).into(),
    );
    fields.insert(
        "@timestamp".into(),
        humantime::format_rfc3339_micros(now).to_string().into(),
    );
    fields.insert("@module".into(), module.into());
    let mut visitor = JsonFields {
        message: String::new(),
        fields: &mut fields,
    };
    event.record(&mut visitor);
    let message = std::mem::take(&mut visitor.message);
    fields.insert("@message".into(), message.into());
    let mut line = serde_json::Value::Object(fields).to_string();
    line.push('\n');
    line
}

fn hclog_level(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

struct JsonFields<'a> {
    message: String,
    fields: &'a mut serde_json::Map<String, serde_json::Value>,
}

impl Visit for JsonFields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.fields
                .insert(field.name().into(), format!("{value:?}").into());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.fields.insert(field.name().into(), value.into());
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields.insert(field.name().into(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Captures formatted lines instead of writing them to stderr.
    struct Capture(Arc<Mutex<Vec<String>>>, Level);

    impl<S: Subscriber> Layer<S> for Capture {
        fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
            *metadata.level() <= self.1
        }
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            let now = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
            self.0
                .lock()
                .unwrap()
                .push(format_line("provider.test", event, now));
        }
    }

    #[test]
    fn lines_are_hclog_json_with_fields() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone(), Level::DEBUG));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(rpc = "PlanResourceChange", count = 3, "planning");
            tracing::trace!("too detailed");
        });
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 1);
        let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(line["@level"], "debug");
        assert_eq!(line["@message"], "planning");
        assert_eq!(line["@module"], "provider.test");
        assert_eq!(line["@timestamp"], "2027-01-15T08:00:00.000000Z");
        assert_eq!(line["rpc"], "PlanResourceChange");
        assert_eq!(line["count"], 3);
    }

    #[test]
    fn terraform_level_names() {
        assert_eq!(parse_level("json"), Some(Level::TRACE));
        assert_eq!(parse_level("DEBUG"), Some(Level::DEBUG));
        assert_eq!(parse_level("off"), None);
    }
}
