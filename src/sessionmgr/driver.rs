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
    /// The host holds its limit of agent shells.
    #[error("{0}")]
    Full(String),
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
    /// The output before this raw offset is lost (a slow reader of an agent shell fell
    /// behind what its host keeps); the next `Data` starts there.
    Gap(u64),
    /// A line of an agent shell's command log (`C <id> <nonce> <raw> <offset>`), as any
    /// process wrote it: another process's command starts at that raw offset. Sent before
    /// the output past that offset.
    Noted(String),
    /// The host's answer to a command or an id reservation.
    Acked(super::host::Ack),
    /// An agent shell's way to its host is down (why; it is being opened again), or back
    /// (`None`). The shell lives on meanwhile.
    Link(Option<String>),
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
    /// The tmux session holding this shell on its host, when it is an agent shell that
    /// outlives this process (see `sessionmgr::agent`).
    fn name(&self) -> Option<String> {
        None
    }
    /// Starts the output at raw offset `from` (agent shells wait for it).
    async fn follow(&self, _from: u64) {}
    /// Keeps `line` in the session's command log on its host (agent shells).
    async fn note(&self, _line: String) {}
    /// Hands a command to the host: its note line, a newline, the bytes that type it
    /// (agent shells; the host answers with `Output::Acked`).
    async fn command(&self, _payload: Vec<u8>) {}
    /// Asks the host for the id of the queued command `nonce` (agent shells).
    async fn reserve(&self, _nonce: String) {}
    /// The session was used: its idle clock on the host restarts (agent shells).
    async fn used(&self) {}
    /// Lets go of the shell without ending it, where it can outlive this process;
    /// otherwise the same as `close`.
    async fn detach(&self) {
        self.close().await
    }
}

/// What a new session asks of its driver.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The nonce of the start-up line's ready marker.
    pub ready: String,
    /// 0: never reaped.
    pub idle_ttl_seconds: u64,
    pub ring_bytes: usize,
    /// Agent shells a host may hold.
    pub max_sessions: usize,
}

/// An agent shell opened by an earlier process, found again by name.
pub struct Adopted {
    pub connected: Connected,
    pub header: super::host::Header,
}

pub struct Connected {
    pub shell: Arc<dyn Shell>,
    pub output: mpsc::Receiver<Output>,
}

/// Opens shells by hostname.
#[async_trait]
pub trait Driver: Send + Sync {
    async fn connect(&self, hostname: &str) -> Result<Connected, DriverError>;
    /// A new session; drivers that need the session's settings take them here.
    async fn open(&self, hostname: &str, _spec: &Spec) -> Result<Connected, DriverError> {
        self.connect(hostname).await
    }
    /// The agent shell `name` on `hostname`, opened by any process; `None` when there is
    /// none (or this driver keeps no shells beyond its process).
    async fn adopt(&self, _hostname: &str, _name: &str) -> Result<Option<Adopted>, DriverError> {
        Ok(None)
    }
    /// The agent shells on `hostname`.
    async fn list(&self, _hostname: &str) -> Result<Vec<super::host::Listed>, DriverError> {
        Ok(Vec::new())
    }
    /// Ends the agent shells on `hostname` idle past their time to live.
    async fn reap(&self, _hostname: &str) -> Result<(), DriverError> {
        Ok(())
    }
    /// The hostnames this driver serves.
    fn hostnames(&self) -> Vec<String> {
        Vec::new()
    }
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

impl Drivers {
    fn get(&self, hostname: &str) -> Result<&Arc<dyn Driver>, DriverError> {
        self.by_name.get(hostname).ok_or_else(|| DriverError::UnknownHost {
            host: hostname.to_string(),
            known: self.by_name.keys().cloned().collect::<Vec<_>>().join(", "),
        })
    }
}

#[async_trait]
impl Driver for Drivers {
    async fn connect(&self, hostname: &str) -> Result<Connected, DriverError> {
        self.get(hostname)?.connect(hostname).await
    }

    async fn open(&self, hostname: &str, spec: &Spec) -> Result<Connected, DriverError> {
        self.get(hostname)?.open(hostname, spec).await
    }

    async fn adopt(&self, hostname: &str, name: &str) -> Result<Option<Adopted>, DriverError> {
        self.get(hostname)?.adopt(hostname, name).await
    }

    async fn list(&self, hostname: &str) -> Result<Vec<super::host::Listed>, DriverError> {
        self.get(hostname)?.list(hostname).await
    }

    async fn reap(&self, hostname: &str) -> Result<(), DriverError> {
        self.get(hostname)?.reap(hostname).await
    }

    fn hostnames(&self) -> Vec<String> {
        self.by_name.keys().cloned().collect()
    }
}
