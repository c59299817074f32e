//! The pool: one lazily opened connection per remote, shared by every command through
//! multiplexed channels. At most [`MAX_CHANNELS`] run at once per connection (OpenSSH
//! allows 10 by default); the rest queue. A connection idle for a while is pinged before
//! reuse, a dead one is dropped and the command retried once on a new one, and every
//! outcome updates the remote's status.
//!
//! Shells (long-lived, one channel each) share connections too: the first
//! [`SHELLS_ON_MAIN`] go on the remote's connection beside the commands, and the rest on
//! extra connections of [`SHELLS_PER_EXTRA`] shells each, which end with their last shell.
//! No connection ever carries more than [`MAX_CHANNELS`] channels, so shells can never take
//! the slots the polls need.

use super::connect::{self, Connection, Target};
use super::error::SshError;
use super::exec::{self, ExecFailure, Output};
use super::shell::ShellChannel;
use crate::config::{Remote, RemotesConfig};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Channels per connection at most: below OpenSSH's default `MaxSessions` (10).
pub const MAX_CHANNELS: usize = 8;
/// Shells that may share the remote's main connection with the commands.
pub const SHELLS_ON_MAIN: usize = 2;
/// Concurrent commands per connection (the rest queue).
pub const MAX_COMMANDS: usize = MAX_CHANNELS - SHELLS_ON_MAIN;
/// Shells per extra connection.
pub const SHELLS_PER_EXTRA: usize = MAX_CHANNELS;
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection unused for this long is pinged before it is trusted again.
const IDLE_CHECK: Duration = Duration::from_secs(10);
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a refused channel is tried again (with a growing pause, 1.1 s in all): the
/// server frees a closed channel's slot a moment after it says it closed.
const BUSY_RETRIES: u32 = 10;
/// Commands timed out in a row on one connection before it is dropped: a connection
/// whose commands keep hanging is replaced rather than trusted because pings pass.
const TIMEOUTS_BEFORE_RECONNECT: u32 = 3;

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
    /// Held by a poll, so at most one is in flight per remote however slow it is.
    poll: tokio::sync::Mutex<()>,
    status: Mutex<RemoteStatus>,
    last_used: Mutex<Option<Instant>>,
    /// The last failed connection attempt: commands that queued behind it share its
    /// error instead of each waiting out its own timeout.
    last_failure: Mutex<Option<(Instant, SshError)>>,
    /// Commands timed out in a row on the current connection.
    timeouts: std::sync::atomic::AtomicU32,
    /// Connections that carry only shells; each ends when its last shell does.
    extra: Mutex<Vec<std::sync::Weak<Connection>>>,
    /// Serialises choosing a connection for a shell, so shells fill one before the next.
    shell_pick: tokio::sync::Mutex<()>,
}

pub struct Pool {
    order: Vec<String>,
    slots: HashMap<String, Arc<Slot>>,
    command_timeout: Duration,
    max_output: usize,
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
                    channels: tokio::sync::Semaphore::new(MAX_COMMANDS),
                    poll: tokio::sync::Mutex::new(()),
                    status: Mutex::new(RemoteStatus {
                        state: ConnState::Disconnected,
                        last_error: None,
                        last_error_at: None,
                    }),
                    last_used: Mutex::new(None),
                    last_failure: Mutex::new(None),
                    timeouts: std::sync::atomic::AtomicU32::new(0),
                    extra: Mutex::new(Vec::new()),
                    shell_pick: tokio::sync::Mutex::new(()),
                }),
            );
        }
        Pool { order, slots, command_timeout: COMMAND_TIMEOUT, max_output: exec::MAX_OUTPUT }
    }

    /// How long a command may run ([`COMMAND_TIMEOUT`] unless changed; tests shorten it).
    pub fn with_command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// What a command may print before it is killed ([`exec::MAX_OUTPUT`] unless changed).
    pub fn with_max_output(mut self, bytes: usize) -> Self {
        self.max_output = bytes;
        self
    }

    /// The remotes' names, in the file's order.
    pub fn remotes(&self) -> &[String] {
        &self.order
    }

    pub fn remote(&self, name: &str) -> Option<&Remote> {
        self.slots.get(name).map(|s| &s.target.remote)
    }

    pub fn host_key_checking(&self, name: &str) -> Option<crate::config::HostKeyChecking> {
        self.slots.get(name).map(|s| s.target.policy)
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
        self.exec_within(remote, command, stdin, self.command_timeout).await
    }

    /// [`Pool::exec`] with its own time limit (an upload takes longer than a command).
    pub async fn exec_within(
        &self,
        remote: &str,
        command: &str,
        stdin: Option<&[u8]>,
        limit: Duration,
    ) -> Result<Output, SshError> {
        let slot = self.slot(remote)?;
        let queued_at = Instant::now();
        let _permit = slot.channels.acquire().await.map_err(|_| SshError::Channel("the pool is closing".into()))?;
        let mut retried = false;
        let mut busy_tries = 0u32;
        loop {
            let conn = slot.connection(queued_at).await?;
            // A command that times out is killed before `run` returns, so ending the
            // connection below cannot leave it running on the server.
            let result = exec::run(&conn, command, stdin, limit, self.max_output).await;
            if !matches!(result, Err(ExecFailure::TimedOut)) {
                slot.timeouts.store(0, std::sync::atomic::Ordering::SeqCst);
            }
            match result {
                Ok(out) => {
                    slot.mark_ok();
                    return Ok(out);
                }
                Err(ExecFailure::Open(e)) if !retried => {
                    slot.drop_conn(&conn, &e);
                    retried = true;
                }
                Err(ExecFailure::Busy(_)) if busy_tries < BUSY_RETRIES => {
                    busy_tries += 1;
                    tokio::time::sleep(Duration::from_millis(20 * u64::from(busy_tries))).await;
                }
                Err(ExecFailure::TooLarge(limit)) => {
                    // Killed and closed: the connection itself is fine for the next command.
                    slot.mark_ok();
                    return Err(SshError::OutputTooLarge { limit });
                }
                Err(ExecFailure::Open(e) | ExecFailure::Busy(e) | ExecFailure::Run(e)) => {
                    if conn.is_closed() {
                        slot.drop_conn(&conn, &e);
                    } else {
                        slot.mark_ok();
                    }
                    return Err(e);
                }
                Err(ExecFailure::TimedOut) => {
                    let e = SshError::Timeout { what: format!("running a command on {remote}"), after: limit };
                    let in_a_row = slot.timeouts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    if in_a_row >= TIMEOUTS_BEFORE_RECONNECT {
                        slot.timeouts.store(0, std::sync::atomic::Ordering::SeqCst);
                        slot.drop_conn(&conn, &e);
                        // Other commands may still hold it; ending it frees the server's side
                        // now. Shells on it keep it (and keepalive still watches it).
                        if conn.shells() == 0 {
                            let doomed = conn.clone();
                            tokio::spawn(async move {
                                let _ = doomed.handle.disconnect(russh::Disconnect::ByApplication, "", "en").await;
                            });
                        }
                    }
                    slot.set_error(&e);
                    return Err(e);
                }
            }
        }
    }

    /// Waits until no other poll of `remote` is running; hold the guard for the poll.
    pub async fn poll_guard(&self, remote: &str) -> Result<tokio::sync::MutexGuard<'_, ()>, SshError> {
        Ok(self.slot(remote)?.poll.lock().await)
    }

    /// Connects when needed and measures one command's round trip.
    pub async fn check(&self, remote: &str) -> Result<Duration, SshError> {
        self.exec(remote, "true", None).await?;
        let start = Instant::now();
        self.exec(remote, "true", None).await?;
        Ok(start.elapsed())
    }

    /// An interactive shell with a PTY: on the remote's connection while it has room for
    /// one, else on an extra connection (see the module note).
    pub async fn open_shell(&self, remote: &str) -> Result<ShellChannel, SshError> {
        self.open_placed(remote, None).await
    }

    /// `command` as a long-lived channel placed like a shell (an agent shell's bridge: see
    /// `crate::sessionmgr::agent`), so many of them spread over extra connections.
    pub async fn open_shell_command(&self, remote: &str, command: &str) -> Result<ShellChannel, SshError> {
        self.open_placed(remote, Some(command)).await
    }

    async fn open_placed(&self, remote: &str, command: Option<&str>) -> Result<ShellChannel, SshError> {
        let open = |conn: Arc<Connection>| async move {
            match command {
                Some(c) => ShellChannel::open_command(conn, c).await,
                None => ShellChannel::open(conn).await,
            }
        };
        let slot = self.slot(remote)?;
        let _pick = slot.shell_pick.lock().await;
        let main = slot.connection(Instant::now()).await?;
        if main.shells() < SHELLS_ON_MAIN {
            match open(main.clone()).await {
                Ok(shell) => {
                    slot.mark_ok();
                    return Ok(shell);
                }
                Err(e) if main.is_closed() => {
                    slot.drop_conn(&main, &e);
                    return Err(e);
                }
                // A server with fewer sessions per connection than ours: use an extra one.
                Err(_) => {}
            }
        }
        if let Some(conn) = slot.extras().into_iter().find(|c| c.shells() < SHELLS_PER_EXTRA)
            && let Ok(shell) = open(conn).await
        {
            return Ok(shell);
        }
        let conn = Arc::new(connect::connect(&slot.target).await.inspect_err(|e| slot.set_error(e))?);
        match open(conn.clone()).await {
            Ok(shell) => {
                if let Ok(mut extra) = slot.extra.lock() {
                    extra.push(Arc::downgrade(&conn));
                }
                Ok(shell)
            }
            Err(e) => {
                let _ = conn.handle.disconnect(russh::Disconnect::ByApplication, "", "en").await;
                Err(e)
            }
        }
    }

    /// Runs `command` on `remote`'s connection as a long-lived channel read like a shell
    /// (pushed changes: see `crate::push`). It holds the connection as a shell does.
    pub async fn open_command(&self, remote: &str, command: &str) -> Result<ShellChannel, SshError> {
        let slot = self.slot(remote)?;
        let conn = slot.connection(Instant::now()).await?;
        match ShellChannel::open_command(conn.clone(), command).await {
            Ok(channel) => {
                slot.mark_ok();
                Ok(channel)
            }
            Err(e) => {
                if conn.is_closed() {
                    slot.drop_conn(&conn, &e);
                }
                Err(e)
            }
        }
    }

    /// Open connections to `remote`: the main one (if any) and the extra shell ones.
    pub fn connections(&self, remote: &str) -> usize {
        let Some(slot) = self.slots.get(remote) else { return 0 };
        let main = slot.live().is_some_and(|c| !c.is_closed());
        usize::from(main) + slot.extras().iter().filter(|c| c.shells() > 0).count()
    }
}

impl Slot {
    fn live(&self) -> Option<Arc<Connection>> {
        self.conn.lock().ok().and_then(|c| c.clone())
    }

    /// The extra shell connections still open; ended ones are forgotten.
    fn extras(&self) -> Vec<Arc<Connection>> {
        let Ok(mut extra) = self.extra.lock() else { return Vec::new() };
        extra.retain(|w| w.upgrade().is_some_and(|c| !c.is_closed()));
        extra.iter().filter_map(std::sync::Weak::upgrade).collect()
    }

    /// The current connection if it is alive, else a new one.
    async fn connection(&self, queued_at: Instant) -> Result<Arc<Connection>, SshError> {
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
        if let Some((at, e)) = self.last_failure.lock().ok().and_then(|f| f.clone())
            && at >= queued_at
        {
            return Err(e);
        }
        match connect::connect(&self.target).await {
            Ok(conn) => {
                let conn = Arc::new(conn);
                self.timeouts.store(0, std::sync::atomic::Ordering::SeqCst);
                if let Ok(mut c) = self.conn.lock() {
                    *c = Some(conn.clone());
                }
                self.mark_ok();
                Ok(conn)
            }
            Err(e) => {
                self.set_error(&e);
                if let Ok(mut f) = self.last_failure.lock() {
                    *f = Some((Instant::now(), e.clone()));
                }
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
