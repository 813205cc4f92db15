//! The traffic log: one JSON line per ARM exchange, in the shape the conformance tool
//! (`shared/tools/arm-conformance/validate-pairs.js`) reads.

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
            let value = if name.eq_ignore_ascii_case("authorization") {
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
        if let Ok(Some(body)) = request.json() {
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
