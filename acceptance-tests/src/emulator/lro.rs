//! Long-running operations: status (`Azure-AsyncOperation`) and result (`Location`) URLs.
//!
//! An operation runs for a while (its duration), as Azure's do, whether or not anyone polls:
//! once the time is up it is finished at the next request of any kind. It can also be made to
//! answer a number of polls first (tests of the polling itself). Until it finishes, the status
//! URL answers `InProgress` and the result URL `202`.

use super::http::{ArmError, guid, timestamp};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded,
    Failed(ArmError),
    Canceled(ArmError),
}

impl Outcome {
    pub fn error(&self) -> Option<&ArmError> {
        match self {
            Outcome::Succeeded => None,
            Outcome::Failed(e) | Outcome::Canceled(e) => Some(e),
        }
    }
}

/// What finishing an operation does to the store.
#[derive(Debug, Clone, PartialEq)]
pub enum OpAction {
    /// A PUT finished: the resource becomes `Succeeded` (or `Failed`).
    Put { key: String },
    /// A DELETE finished: the resource and its children go away. `detach` keeps an
    /// attached compute's underlying resource.
    Delete { key: String, detach: bool },
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub subscription: String,
    pub namespace: String,
    pub location: String,
    pub api_version: String,
    pub polls_left: u32,
    /// When the work is done (it may still wait for `polls_left`).
    pub ends_at: Instant,
    pub outcome: Outcome,
    pub action: OpAction,
    pub started: SystemTime,
    pub ended: Option<SystemTime>,
}

impl Operation {
    pub fn status_path(&self) -> String {
        format!(
            "/subscriptions/{}/providers/{}/locations/{}/operationStatuses/{}",
            self.subscription, self.namespace, self.location, self.id
        )
    }

    pub fn result_path(&self) -> String {
        format!(
            "/subscriptions/{}/providers/{}/locations/{}/operationResults/{}",
            self.subscription, self.namespace, self.location, self.id
        )
    }

    pub fn done(&self) -> bool {
        self.ended.is_some()
    }

    /// The status document of the `Azure-AsyncOperation` URL.
    pub fn status_body(&self) -> serde_json::Value {
        let status = match (&self.ended, &self.outcome) {
            (None, _) => "InProgress",
            (Some(_), Outcome::Succeeded) => "Succeeded",
            (Some(_), Outcome::Failed(_)) => "Failed",
            (Some(_), Outcome::Canceled(_)) => "Canceled",
        };
        let mut body = serde_json::json!({
            "id": self.status_path(),
            "name": self.id,
            "status": status,
            "startTime": timestamp(self.started),
        });
        if let Some(ended) = self.ended {
            body["endTime"] = timestamp(ended).into();
            body["percentComplete"] = 100.0.into();
            if let Some(error) = self.outcome.error() {
                body["error"] = error.body()["error"].clone();
            }
        } else {
            body["percentComplete"] = 50.0.into();
        }
        body
    }
}

/// How long an operation runs unless configured otherwise: shorter than the one-second
/// `Retry-After` clients wait, so a client's first poll finds it done.
pub const DEFAULT_DURATION: Duration = Duration::from_millis(500);

/// Settings and the table of operations.
#[derive(Debug)]
pub struct Operations {
    /// How many polls answer "still running" before an operation finishes.
    pub polls: u32,
    /// How long an operation runs.
    pub duration: Duration,
    /// `Retry-After` seconds sent with operation URLs.
    pub retry_after: u32,
    ops: HashMap<String, Operation>,
}

/// Where a new operation lives.
pub struct OpSpec<'a> {
    pub subscription: &'a str,
    pub namespace: &'a str,
    pub location: &'a str,
    pub api_version: &'a str,
    pub action: OpAction,
    pub outcome: Outcome,
    /// How long this one runs, when a fault says; else the table's duration.
    pub duration: Option<Duration>,
}

impl Operations {
    pub fn new(polls: u32, duration: Duration) -> Operations {
        Operations {
            polls,
            duration,
            retry_after: 1,
            ops: HashMap::new(),
        }
    }

    pub fn start(&mut self, spec: OpSpec<'_>) -> Operation {
        let location = if spec.location.is_empty() {
            "global".to_owned()
        } else {
            spec.location.replace(' ', "").to_ascii_lowercase()
        };
        let op = Operation {
            id: guid(),
            subscription: spec.subscription.to_owned(),
            namespace: spec.namespace.to_owned(),
            location,
            api_version: spec.api_version.to_owned(),
            polls_left: self.polls,
            ends_at: Instant::now() + spec.duration.unwrap_or(self.duration),
            outcome: spec.outcome,
            action: spec.action,
            started: SystemTime::now(),
            ended: None,
        };
        self.ops.insert(op.id.to_ascii_lowercase(), op.clone());
        op
    }

    pub fn get(&self, id: &str) -> Option<&Operation> {
        self.ops.get(&id.to_ascii_lowercase())
    }

    /// Counts one poll of a running operation (operations that are due were finished before
    /// this request, by [`Operations::due`]).
    pub fn poll(&mut self, id: &str) -> Option<Operation> {
        let op = self.ops.get_mut(&id.to_ascii_lowercase())?;
        if op.ended.is_none() && op.polls_left > 0 {
            op.polls_left -= 1;
        }
        Some(op.clone())
    }

    /// Marks every operation whose time is up (and whose polls were answered) as ended, and
    /// returns them for their effects on the store.
    pub fn due(&mut self, now: Instant) -> Vec<Operation> {
        let mut finished = Vec::new();
        for op in self.ops.values_mut() {
            if op.ended.is_none() && op.polls_left == 0 && op.ends_at <= now {
                op.ended = Some(SystemTime::now());
                finished.push(op.clone());
            }
        }
        finished
    }

    /// Unfinished operations acting on `key`.
    pub fn pending_for(&self, key: &str) -> Vec<&Operation> {
        self.ops
            .values()
            .filter(|op| op.ended.is_none())
            .filter(|op| match &op.action {
                OpAction::Put { key: k } | OpAction::Delete { key: k, .. } => k == key,
            })
            .collect()
    }

    pub fn clear(&mut self) {
        self.ops.clear();
    }
}
