//! The transport seam: a driver opens a shell on a terminal for a hostname; the manager
//! only writes bytes, reads chunks and asks for signals. Tests inject their own drivers.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::mpsc;

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("unknown hostname {host:?}: use \"local\" or the name of a remote in remotes.yaml (known: {known})")]
    UnknownHost { host: String, known: String },
    #[error("cannot open a shell on {host}: {reason}")]
    Open { host: String, reason: String },
    #[error("the shell is gone: {0}")]
    Gone(String),
}

/// How hard to stop the foreground command. Interrupt is Ctrl-C; the others escalate when
/// a command ignores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Interrupt,
    Terminate,
    Kill,
}

/// What a shell sends back.
#[derive(Debug)]
pub enum Output {
    Data(Vec<u8>),
    /// The shell or its connection ended; no more output follows.
    Closed(String),
}

/// A running shell on a terminal.
#[async_trait]
pub trait Shell: Send + Sync {
    /// Types `data` into the terminal.
    async fn write(&self, data: &[u8]) -> Result<(), DriverError>;
    /// Stops the foreground command. Must not wait behind a pending `write`.
    async fn stop(&self, how: Stop) -> Result<(), DriverError>;
    /// Ends the shell and everything it runs; returns once that is done (or given up).
    async fn close(&self);
    /// Sets the terminal's size.
    async fn resize(&self, _rows: u16, _cols: u16) -> Result<(), DriverError> {
        Err(DriverError::Gone("this shell cannot be resized".into()))
    }
    /// The bytes that interrupt, when an interrupt is typed rather than signalled: a repeat
    /// then goes in order with the typed commands, so it can never discard a line typed
    /// after it.
    fn typed_interrupt(&self) -> Option<&'static [u8]> {
        None
    }
}

pub struct Connected {
    pub shell: Arc<dyn Shell>,
    pub output: mpsc::Receiver<Output>,
}

/// Opens shells by hostname.
#[async_trait]
pub trait Driver: Send + Sync {
    async fn connect(&self, hostname: &str) -> Result<Connected, DriverError>;
}

/// `local` plus one driver per named remote.
#[derive(Default, Clone)]
pub struct Drivers {
    by_name: BTreeMap<String, Arc<dyn Driver>>,
}

impl Drivers {
    pub fn new() -> Self {
        Drivers::default()
    }

    pub fn with(mut self, name: impl Into<String>, driver: Arc<dyn Driver>) -> Self {
        self.by_name.insert(name.into(), driver);
        self
    }
}

#[async_trait]
impl Driver for Drivers {
    async fn connect(&self, hostname: &str) -> Result<Connected, DriverError> {
        match self.by_name.get(hostname) {
            Some(d) => d.connect(hostname).await,
            None => Err(DriverError::UnknownHost {
                host: hostname.to_string(),
                known: self.by_name.keys().cloned().collect::<Vec<_>>().join(", "),
            }),
        }
    }
}
