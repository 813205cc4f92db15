//! Fault injection: errors, dropped connections, delays and failing LROs for matching
//! ARM requests.

use super::http::{ArmError, Incoming};
use super::lro::Outcome;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Fault {
    pub id: u64,
    pub method: Option<String>,
    pub path_contains: Option<String>,
    /// Remaining uses; `None` = until cleared.
    pub times: Option<u32>,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub retry_after: Option<u32>,
    pub drop_connection: bool,
    pub delay_ms: Option<u64>,
    /// `Failed` or `Canceled`: the LRO started by the matching request ends so.
    pub lro_outcome: Option<String>,
}

/// What the matching faults ask for, merged.
#[derive(Debug, Default, Clone)]
pub struct Effect {
    pub delay_ms: u64,
    pub drop_connection: bool,
    pub error: Option<(ArmError, Option<u32>)>,
    pub lro_failure: Option<Outcome>,
}

#[derive(Debug, Default)]
pub struct Faults {
    next_id: u64,
    faults: Vec<Fault>,
}

impl Faults {
    /// Adds a fault from its admin JSON; returns its id.
    pub fn add(&mut self, spec: &Value) -> Result<u64, String> {
        let obj = spec.as_object().ok_or("a fault is a JSON object")?;
        let known = [
            "method",
            "path_contains",
            "times",
            "status",
            "code",
            "message",
            "retry_after",
            "drop_connection",
            "delay_ms",
            "lro_outcome",
        ];
        if let Some(unknown) = obj.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!("unknown fault field '{unknown}'"));
        }
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
        let number = |k: &str| obj.get(k).and_then(Value::as_u64);
        let fault = Fault {
            id: self.next_id + 1,
            method: text("method").map(|m| m.to_ascii_uppercase()),
            path_contains: text("path_contains").map(|p| p.to_ascii_lowercase()),
            times: number("times").map(|t| t as u32),
            status: number("status").map(|s| s as u16),
            code: text("code"),
            message: text("message"),
            retry_after: number("retry_after").map(|s| s as u32),
            drop_connection: obj
                .get("drop_connection")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            delay_ms: number("delay_ms"),
            lro_outcome: text("lro_outcome"),
        };
        if let Some(outcome) = &fault.lro_outcome
            && !matches!(outcome.as_str(), "Failed" | "Canceled")
        {
            return Err("lro_outcome is Failed or Canceled".into());
        }
        if fault.status.is_none()
            && !fault.drop_connection
            && fault.delay_ms.is_none()
            && fault.lro_outcome.is_none()
        {
            return Err("a fault needs status, drop_connection, delay_ms or lro_outcome".into());
        }
        self.next_id += 1;
        self.faults.push(fault);
        Ok(self.next_id)
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }

    pub fn list(&self) -> Value {
        Value::Array(
            self.faults
                .iter()
                .map(|f| {
                    json!({"id": f.id, "method": f.method, "path_contains": f.path_contains,
                           "times": f.times, "status": f.status, "drop_connection": f.drop_connection,
                           "delay_ms": f.delay_ms, "lro_outcome": f.lro_outcome})
                })
                .collect(),
        )
    }

    /// Consumes one use of every fault matching `request` and merges their effects.
    pub fn take(&mut self, request: &Incoming) -> Effect {
        let path = request.url().to_ascii_lowercase();
        let mut effect = Effect::default();
        for fault in &mut self.faults {
            if fault
                .method
                .as_ref()
                .is_some_and(|m| !m.eq_ignore_ascii_case(&request.method))
            {
                continue;
            }
            if fault
                .path_contains
                .as_ref()
                .is_some_and(|p| !path.contains(p.as_str()))
            {
                continue;
            }
            if fault.times == Some(0) {
                continue;
            }
            if let Some(t) = &mut fault.times {
                *t -= 1;
            }
            effect.delay_ms += fault.delay_ms.unwrap_or(0);
            effect.drop_connection |= fault.drop_connection;
            if let Some(status) = fault.status
                && fault.lro_outcome.is_none()
                && effect.error.is_none()
            {
                let code = fault
                    .code
                    .clone()
                    .unwrap_or_else(|| default_code(status).into());
                let message = fault
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("Injected fault: {code}."));
                let retry_after = fault.retry_after.or((status == 429).then_some(1));
                effect.error = Some((ArmError::new(status, &code, message), retry_after));
            }
            if let Some(outcome) = &fault.lro_outcome
                && effect.lro_failure.is_none()
            {
                let code = fault.code.clone().unwrap_or_else(|| {
                    if outcome == "Canceled" {
                        "OperationCanceled".into()
                    } else {
                        "InternalServerError".into()
                    }
                });
                let message = fault.message.clone().unwrap_or_else(|| {
                    format!("Injected long-running operation outcome: {outcome}.")
                });
                let error = ArmError::new(fault.status.unwrap_or(500), &code, message);
                effect.lro_failure = Some(if outcome == "Canceled" {
                    Outcome::Canceled(error)
                } else {
                    Outcome::Failed(error)
                });
            }
        }
        self.faults.retain(|f| f.times != Some(0));
        effect
    }
}

fn default_code(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "InvalidAuthenticationToken",
        403 => "AuthorizationFailed",
        404 => "ResourceNotFound",
        409 => "Conflict",
        412 => "PreconditionFailed",
        429 => "TooManyRequests",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "InternalServerError",
    }
}
