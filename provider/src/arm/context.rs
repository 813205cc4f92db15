//! The caller's deadline and stop signal, carried into every call.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::ArmError;

/// Deadline (the resource's operation timeout) and cancellation (Terraform's stop signal)
/// for one call. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    deadline: Option<Instant>,
    cancel: CancellationToken,
}

impl CallContext {
    /// No deadline; cancelled when `cancel` is.
    pub fn new(cancel: CancellationToken) -> Self {
        Self {
            deadline: None,
            cancel,
        }
    }

    /// Neither deadline nor cancellation (tests, one-off reads).
    pub fn background() -> Self {
        Self::default()
    }

    /// Sets the deadline to now + `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.deadline = Some(Instant::now() + timeout);
        self
    }

    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Time left before the deadline (`None`: no deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Runs `fut`, unless the stop signal or the deadline comes first.
    pub(crate) async fn run<T>(
        &self,
        operation: &str,
        fut: impl Future<Output = Result<T, ArmError>>,
    ) -> Result<T, ArmError> {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(self.cancelled_error(operation)),
            _ = sleep_until(self.deadline) => Err(self.timeout_error(operation, None)),
            result = fut => result,
        }
    }

    /// Sleeps `duration`, cut short (with an error) by the stop signal or the deadline.
    pub(crate) async fn sleep(&self, operation: &str, duration: Duration) -> Result<(), ArmError> {
        self.run(operation, async {
            tokio::time::sleep(duration).await;
            Ok(())
        })
        .await
    }

    pub(crate) fn cancelled_error(&self, operation: &str) -> ArmError {
        ArmError::Cancelled {
            operation: operation.to_owned(),
            progress: Box::default(),
        }
    }

    pub(crate) fn timeout_error(&self, operation: &str, last_error: Option<ArmError>) -> ArmError {
        ArmError::Timeout {
            operation: operation.to_owned(),
            progress: Box::default(),
            last_error: last_error.map(Box::new),
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await,
        None => std::future::pending().await,
    }
}

/// A token cancelled when `stop` completes, e.g. `cancel_on(async move { signal.stopped().await })`
/// with Terraform's stop signal. The watcher task ends when either happens.
pub fn cancel_on(stop: impl Future<Output = ()> + Send + 'static) -> CancellationToken {
    let token = CancellationToken::new();
    let watched = token.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = stop => watched.cancel(),
            _ = watched.cancelled() => {}
        }
    });
    token
}
