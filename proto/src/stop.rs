//! Terraform's request to stop (`StopProvider`, sent on Ctrl-C), seen by in-flight work.

use tokio::sync::watch;

/// Cloned into every operation; fires once, when Terraform asks the provider to stop.
#[derive(Debug, Clone)]
pub struct StopSignal(watch::Receiver<bool>);

/// The sending half, kept by the server.
#[derive(Debug)]
pub(crate) struct StopHandle(watch::Sender<bool>);

pub(crate) fn stop_channel() -> (StopHandle, StopSignal) {
    let (sender, receiver) = watch::channel(false);
    (StopHandle(sender), StopSignal(receiver))
}

impl StopHandle {
    pub(crate) fn stop(&self) {
        self.0.send_replace(true);
    }
}

impl StopSignal {
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes when the provider is asked to stop; use it in `tokio::select!` beside
    /// long waits.
    pub async fn stopped(&self) {
        let mut receiver = self.0.clone();
        // An error means the server is gone, which is as final as a stop.
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_clone_sees_the_stop() {
        let (handle, signal) = stop_channel();
        let waiting = signal.clone();
        let waiter = tokio::spawn(async move { waiting.stopped().await });
        assert!(!signal.is_stopped());
        handle.stop();
        waiter.await.unwrap();
        assert!(signal.is_stopped());
    }
}
