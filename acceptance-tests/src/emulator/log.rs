//! The traffic log: one JSON line per ARM exchange, in the shape the conformance check
//! (`scripts/arm-conformance.js`) reads.

use super::http::{Incoming, Reply};
use serde_json::{Map, Value, json};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct TrafficLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl TrafficLog {
    pub fn create(path: &Path) -> std::io::Result<TrafficLog> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(TrafficLog {
            path: path.to_owned(),
            file: Mutex::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one exchange. `lro_poll` marks polls of operation URLs (not in the specs).
    pub fn record(&self, request: &Incoming, reply: &Reply, lro_poll: bool) {
        let mut request_headers = Map::new();
        for (name, value) in &request.headers {
            let value = if name.eq_ignore_ascii_case("authorization")
                || name.eq_ignore_ascii_case("x-ms-authorization-auxiliary")
            {
                "REDACTED".to_owned()
            } else {
                value.clone()
            };
            request_headers.insert(name.to_ascii_lowercase(), Value::String(value));
        }
        let mut live_request = json!({
            "method": request.method,
            "url": request.url(),
            "headers": request_headers,
        });
        if let Ok(Some(mut body)) = request.json() {
            redact_secrets(&mut body);
            live_request["body"] = body;
        }
        let mut response_headers = Map::new();
        for (name, value) in &reply.headers {
            response_headers.insert(name.to_ascii_lowercase(), Value::String(value.clone()));
        }
        let mut live_response = json!({
            "statusCode": reply.status.to_string(),
            "headers": response_headers,
        });
        if let Some(body) = &reply.body {
            live_response["body"] = body.clone();
        }
        let mut line = json!({"liveRequest": live_request, "liveResponse": live_response});
        if lro_poll {
            line["emulator"] = json!({"lroPoll": true});
        }
        let mut text = line.to_string();
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let _ = file.write_all(text.as_bytes());
    }
}

/// Request fields that carry credentials; kept as strings so the specs still validate them.
const SECRET_FIELDS: [&str; 4] = ["password", "adminPassword", "privateKeyData", "secret"];

/// Logs are read by people and kept as CI artifacts: credentials in request bodies stay out.
fn redact_secrets(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                if field.is_string() && SECRET_FIELDS.iter().any(|s| name.eq_ignore_ascii_case(s)) {
                    *field = Value::String("REDACTED".to_owned());
                } else {
                    redact_secrets(field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secrets),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_request_bodies_are_redacted_wherever_they_nest() {
        let mut body = json!({"properties": {"properties": {
            "administratorAccount": {"username": "azureuser", "password": "hunter2", "privateKeyData": "-----BEGIN"},
        }, "osProfile": [{"adminPassword": "p@ss"}]}});
        redact_secrets(&mut body);
        assert_eq!(
            body,
            json!({"properties": {"properties": {
                "administratorAccount": {"username": "azureuser", "password": "REDACTED", "privateKeyData": "REDACTED"},
            }, "osProfile": [{"adminPassword": "REDACTED"}]}})
        );
    }
}
