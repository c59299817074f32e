//! The pool: one lazily opened connection per remote, shared by every command through
//! multiplexed channels. At most [`MAX_CHANNELS`] run at once per connection (OpenSSH
//! allows 10 by default); the rest queue. A connection idle for a while is pinged before
//! reuse, a dead one is dropped and the command retried once on a new one, and every
//! outcome updates the remote's status. Shells get a connection of their own each, so a
//! long-lived shell never takes a channel slot from the polls.

use super::connect::{self, Connection, Target};
use super::error::SshError;
use super::exec::{self, ExecFailure, Output};
use super::shell::ShellChannel;
use crate::config::{Remote, RemotesConfig};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Concurrent channels per connection: below OpenSSH's default `MaxSessions` (10).
pub const MAX_CHANNELS: usize = 8;
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection unused for this long is pinged before it is trusted again.
const IDLE_CHECK: Duration = Duration::from_secs(10);
const PING_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnState {
    Connected,
    Disconnected,
    Error,
}

/// What the dashboard shows for a remote.
#[derive(Debug, Clone, Serialize)]
pub struct RemoteStatus {
    pub state: ConnState,
    pub last_error: Option<String>,
    /// When the last error happened (Unix seconds).
    pub last_error_at: Option<u64>,
}

struct Slot {
    target: Target,
    conn: Mutex<Option<Arc<Connection>>>,
    /// Serialises connecting, so a burst of first commands opens one connection.
    connecting: tokio::sync::Mutex<()>,
    channels: tokio::sync::Semaphore,
    status: Mutex<RemoteStatus>,
    last_used: Mutex<Option<Instant>>,
}

pub struct Pool {
    order: Vec<String>,
    slots: HashMap<String, Arc<Slot>>,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Pool {
    /// No connection is opened until a remote is first used.
    pub fn new(config: &RemotesConfig) -> Self {
        let mut slots = HashMap::new();
        let mut order = Vec::new();
        for r in &config.remotes {
            let target =
                Target { remote: r.clone(), known_hosts: config.known_hosts.clone(), policy: config.host_key_checking };
            order.push(r.name.clone());
            slots.insert(
                r.name.clone(),
                Arc::new(Slot {
                    target,
                    conn: Mutex::new(None),
                    connecting: tokio::sync::Mutex::new(()),
                    channels: tokio::sync::Semaphore::new(MAX_CHANNELS),
                    status: Mutex::new(RemoteStatus {
                        state: ConnState::Disconnected,
                        last_error: None,
                        last_error_at: None,
                    }),
                    last_used: Mutex::new(None),
                }),
            );
        }
        Pool { order, slots }
    }

    /// The remotes' names, in the file's order.
    pub fn remotes(&self) -> &[String] {
        &self.order
    }

    pub fn remote(&self, name: &str) -> Option<&Remote> {
        self.slots.get(name).map(|s| &s.target.remote)
    }

    pub fn known_hosts(&self, name: &str) -> Option<&std::path::Path> {
        self.slots.get(name).map(|s| s.target.known_hosts.as_path())
    }

    fn slot(&self, name: &str) -> Result<&Arc<Slot>, SshError> {
        self.slots.get(name).ok_or_else(|| SshError::NoSuchRemote(name.into()))
    }

    pub fn status(&self, name: &str) -> Option<RemoteStatus> {
        let slot = self.slots.get(name)?;
        let mut status = slot.status.lock().ok()?.clone();
        // A connection that died in the background (keepalive) shows as such right away.
        if status.state == ConnState::Connected && slot.live().is_none_or(|c| c.is_closed()) {
            status.state = ConnState::Disconnected;
        }
        Some(status)
    }

    pub fn statuses(&self) -> Vec<(String, RemoteStatus)> {
        self.order.iter().filter_map(|n| self.status(n).map(|s| (n.clone(), s))).collect()
    }

    /// Appends the key an [`SshError::UnknownHostKey`] carries to known_hosts.
    pub fn accept_host_key(&self, err: &SshError) -> Result<bool, String> {
        super::hostkeys::accept_error(err)
    }

    /// Runs `command` with the remote user's login shell (as `ssh host COMMAND` does), with
    /// `stdin` fed to it. Fails when the channel ends without an exit status.
    pub async fn exec(&self, remote: &str, command: &str, stdin: Option<&[u8]>) -> Result<Output, SshError> {
        let slot = self.slot(remote)?;
        let _permit = slot.channels.acquire().await.map_err(|_| SshError::Channel("the pool is closing".into()))?;
        let mut retried = false;
        loop {
            let conn = slot.connection().await?;
            let result = tokio::time::timeout(COMMAND_TIMEOUT, exec::run(&conn, command, stdin)).await;
            match result {
                Ok(Ok(out)) => {
                    slot.mark_ok();
                    return Ok(out);
                }
                Ok(Err(ExecFailure::Open(e))) if !retried => {
                    slot.drop_conn(&conn, &e);
                    retried = true;
                }
                Ok(Err(ExecFailure::Open(e) | ExecFailure::Run(e))) => {
                    if conn.is_closed() {
                        slot.drop_conn(&conn, &e);
                    } else {
                        slot.mark_ok();
                    }
                    return Err(e);
                }
                Err(_) => {
                    let e =
                        SshError::Timeout { what: format!("running a command on {remote}"), after: COMMAND_TIMEOUT };
                    slot.set_error(&e);
                    return Err(e);
                }
            }
        }
    }

    /// Connects when needed and measures one command's round trip.
    pub async fn check(&self, remote: &str) -> Result<Duration, SshError> {
        self.exec(remote, "true", None).await?;
        let start = Instant::now();
        self.exec(remote, "true", None).await?;
        Ok(start.elapsed())
    }

    /// An interactive shell with a PTY on a connection of its own (see the module note).
    pub async fn open_shell(&self, remote: &str) -> Result<ShellChannel, SshError> {
        let slot = self.slot(remote)?;
        let conn = connect::connect(&slot.target).await.inspect_err(|e| slot.set_error(e))?;
        ShellChannel::open(Arc::new(conn)).await
    }
}

impl Slot {
    fn live(&self) -> Option<Arc<Connection>> {
        self.conn.lock().ok().and_then(|c| c.clone())
    }

    /// The current connection if it is alive, else a new one.
    async fn connection(&self) -> Result<Arc<Connection>, SshError> {
        let _guard = self.connecting.lock().await;
        if let Some(conn) = self.live() {
            if conn.is_closed() {
                self.drop_conn(&conn, &SshError::Disconnected(conn.end_reason()));
            } else if self.idle_for().is_none_or(|d| d < IDLE_CHECK) {
                return Ok(conn);
            } else {
                let ping = tokio::time::timeout(PING_TIMEOUT, conn.handle.send_ping()).await;
                if matches!(ping, Ok(Ok(()))) && !conn.is_closed() {
                    self.touch();
                    return Ok(conn);
                }
                self.drop_conn(&conn, &SshError::Disconnected("no answer to a keepalive".into()));
            }
        }
        match connect::connect(&self.target).await {
            Ok(conn) => {
                let conn = Arc::new(conn);
                if let Ok(mut c) = self.conn.lock() {
                    *c = Some(conn.clone());
                }
                self.mark_ok();
                Ok(conn)
            }
            Err(e) => {
                self.set_error(&e);
                Err(e)
            }
        }
    }

    fn idle_for(&self) -> Option<Duration> {
        self.last_used.lock().ok().and_then(|l| l.map(|t| t.elapsed()))
    }

    fn touch(&self) {
        if let Ok(mut l) = self.last_used.lock() {
            *l = Some(Instant::now());
        }
    }

    fn mark_ok(&self) {
        self.touch();
        if let Ok(mut s) = self.status.lock() {
            s.state = ConnState::Connected;
        }
    }

    fn set_error(&self, e: &SshError) {
        if let Ok(mut s) = self.status.lock() {
            s.state = ConnState::Error;
            s.last_error = Some(e.to_string());
            s.last_error_at = Some(unix_now());
        }
    }

    /// Forgets `conn` (if it is still the current one) and records why.
    fn drop_conn(&self, conn: &Arc<Connection>, why: &SshError) {
        if let Ok(mut c) = self.conn.lock()
            && c.as_ref().is_some_and(|cur| Arc::ptr_eq(cur, conn))
        {
            *c = None;
        }
        if let Ok(mut s) = self.status.lock() {
            s.state = ConnState::Disconnected;
            s.last_error = Some(why.to_string());
            s.last_error_at = Some(unix_now());
        }
    }
}
