//! Fault injection: errors, dropped connections (before or after the request took effect),
//! delays, failing or slow LROs and revoked tokens, for matching ARM requests.

use super::http::{ArmError, Incoming};
use super::lro::Outcome;
use serde_json::{Value, json};
use std::time::Duration;

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
    /// The request takes effect, then the connection drops: the client never sees the answer.
    pub drop_after: bool,
    pub delay_ms: Option<u64>,
    /// `Failed` or `Canceled`: the LRO started by the matching request ends so.
    pub lro_outcome: Option<String>,
    /// The LRO started by the matching request runs this long.
    pub lro_duration_ms: Option<u64>,
    /// Once the matching request is answered, every token handed out so far is refused.
    pub expire_tokens: bool,
    /// Armed only once a request with this method (PUT, PATCH, DELETE) to a matching path
    /// has been answered: "404 right after the write".
    pub after: Option<String>,
    armed: bool,
    /// How often it took effect.
    pub fired: u32,
}

/// What injected faults ask of the operation a request starts.
#[derive(Debug, Default, Clone)]
pub struct LroFault {
    /// It ends `Failed` or `Canceled` instead of `Succeeded`.
    pub outcome: Option<Outcome>,
    /// It runs this long instead of the configured duration.
    pub duration: Option<std::time::Duration>,
}

/// What the matching faults ask for, merged.
#[derive(Debug, Default, Clone)]
pub struct Effect {
    pub delay_ms: u64,
    pub drop_connection: bool,
    pub drop_after: bool,
    pub expire_tokens: bool,
    pub error: Option<(ArmError, Option<u32>)>,
    pub lro: LroFault,
}

#[derive(Debug, Default)]
pub struct Faults {
    next_id: u64,
    faults: Vec<Fault>,
    /// Effects of faults cleared or used up since.
    cleared_fired: u64,
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
            "drop_after",
            "delay_ms",
            "lro_outcome",
            "lro_duration_ms",
            "expire_tokens",
            "after",
        ];
        if let Some(unknown) = obj.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!("unknown fault field '{unknown}'"));
        }
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
        let number = |k: &str| obj.get(k).and_then(Value::as_u64);
        let flag = |k: &str| obj.get(k).and_then(Value::as_bool).unwrap_or(false);
        let fault = Fault {
            id: self.next_id + 1,
            method: text("method").map(|m| m.to_ascii_uppercase()),
            path_contains: text("path_contains").map(|p| p.to_ascii_lowercase()),
            times: number("times").map(|t| t as u32),
            status: number("status").map(|s| s as u16),
            code: text("code"),
            message: text("message"),
            retry_after: number("retry_after").map(|s| s as u32),
            drop_connection: flag("drop_connection"),
            drop_after: flag("drop_after"),
            delay_ms: number("delay_ms"),
            lro_outcome: text("lro_outcome"),
            lro_duration_ms: number("lro_duration_ms"),
            expire_tokens: flag("expire_tokens"),
            after: text("after").map(|m| m.to_ascii_uppercase()),
            armed: !obj.contains_key("after"),
            fired: 0,
        };
        if let Some(outcome) = &fault.lro_outcome
            && !matches!(outcome.as_str(), "Failed" | "Canceled")
        {
            return Err("lro_outcome is Failed or Canceled".into());
        }
        if fault.status.is_none()
            && !fault.drop_connection
            && !fault.drop_after
            && fault.delay_ms.is_none()
            && fault.lro_outcome.is_none()
            && fault.lro_duration_ms.is_none()
            && !fault.expire_tokens
        {
            return Err(
                "a fault needs status, drop_connection, drop_after, delay_ms, lro_outcome, lro_duration_ms or expire_tokens"
                    .into(),
            );
        }
        self.next_id += 1;
        self.faults.push(fault);
        Ok(self.next_id)
    }

    /// Forgets the faults; what fired stays countable (see [`Faults::fired`]).
    pub fn clear(&mut self) {
        self.cleared_fired += self.faults.iter().map(|f| u64::from(f.fired)).sum::<u64>();
        self.faults.clear();
    }

    /// How often faults took effect since the emulator started, cleared ones included.
    pub fn fired(&self) -> u64 {
        self.cleared_fired + self.faults.iter().map(|f| u64::from(f.fired)).sum::<u64>()
    }

    /// Arms faults waiting for a write (`after`) that `request` was.
    pub fn note_answered(&mut self, request: &Incoming) {
        let path = request.url().to_ascii_lowercase();
        for fault in &mut self.faults {
            if !fault.armed
                && fault
                    .after
                    .as_ref()
                    .is_some_and(|m| m.eq_ignore_ascii_case(&request.method))
                && fault
                    .path_contains
                    .as_ref()
                    .is_none_or(|p| path.contains(p.as_str()))
            {
                fault.armed = true;
            }
        }
    }

    pub fn list(&self) -> Value {
        Value::Array(
            self.faults
                .iter()
                .map(|f| {
                    json!({"id": f.id, "method": f.method, "path_contains": f.path_contains,
                           "times": f.times, "status": f.status, "drop_connection": f.drop_connection,
                           "drop_after": f.drop_after, "delay_ms": f.delay_ms,
                           "lro_outcome": f.lro_outcome, "lro_duration_ms": f.lro_duration_ms,
                           "expire_tokens": f.expire_tokens, "after": f.after,
                           "armed": f.armed, "fired": f.fired})
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
            if fault.times == Some(0) || !fault.armed {
                continue;
            }
            if let Some(t) = &mut fault.times {
                *t -= 1;
            }
            fault.fired += 1;
            effect.delay_ms += fault.delay_ms.unwrap_or(0);
            effect.drop_connection |= fault.drop_connection;
            effect.drop_after |= fault.drop_after;
            effect.expire_tokens |= fault.expire_tokens;
            if let Some(ms) = fault.lro_duration_ms {
                effect.lro.duration = Some(Duration::from_millis(ms));
            }
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
                && effect.lro.outcome.is_none()
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
                effect.lro.outcome = Some(if outcome == "Canceled" {
                    Outcome::Canceled(error)
                } else {
                    Outcome::Failed(error)
                });
            }
        }
        let (spent, kept): (Vec<Fault>, Vec<Fault>) = std::mem::take(&mut self.faults)
            .into_iter()
            .partition(|f| f.times == Some(0));
        self.cleared_fired += spent.iter().map(|f| u64::from(f.fired)).sum::<u64>();
        self.faults = kept;
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
