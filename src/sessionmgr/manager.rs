//! The session table and the operations on it (open, send, read, list, close, interrupt),
//! the tasks that pump each shell's output into its ring, command timeouts with escalation,
//! and the idle reaper.

use super::driver::{Adopted, Driver, DriverError, Spec};
use super::protocol;
use super::session::{QUIET, State};
use super::tasks::{
    Session, arm, close_session, close_session_if, defer, deliver, pump, stop_for, stop_name, write_loop,
};
use super::{
    ClosedSession, Interrupted, Listed, Opened, ReadResult, Resized, Sent, SessionError, SessionState, Written,
};
use crate::backend::agent_shells;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// Bytes of output kept per session.
    pub ring_bytes: usize,
    pub max_sessions: usize,
    /// Idle time after which a session is closed, unless its open says otherwise.
    pub idle_ttl: Duration,
    /// How often the reaper looks.
    pub reap_every: Duration,
    /// For the driver to connect and the shell to answer its start-up line.
    pub open_timeout: Duration,
    /// How long a stopped command gets before it is asked harder.
    pub stop_grace: Duration,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        ManagerConfig {
            ring_bytes: 1 << 20,
            max_sessions: 64,
            idle_ttl: Duration::from_secs(30 * 60),
            reap_every: Duration::from_secs(10),
            open_timeout: Duration::from_secs(30),
            stop_grace: Duration::from_secs(2),
        }
    }
}

/// The longest `shutdown` waits for the shells to end.
const SHUTDOWN: Duration = Duration::from_secs(10);

/// For each host to list its agent shells.
const DISCOVER_LIMIT: Duration = Duration::from_secs(10);

/// Reads cap their data here whatever the caller asks.
const MAX_READ: usize = 1 << 20;
/// How long `send` waits for an agent shell's host to hand out the command's id.
const ID_WAIT: Duration = Duration::from_secs(20);
const DEFAULT_READ: usize = 32 * 1024;

struct Inner {
    cfg: ManagerConfig,
    driver: Arc<dyn Driver>,
    host: String,
    table: Mutex<Table>,
    reaper: Mutex<Option<JoinHandle<()>>>,
    /// One take-up of an agent shell at a time, so two callers never attach it twice.
    adopting: tokio::sync::Mutex<()>,
    /// Hosts where this process met agent shells: the reaper looks there.
    hosts: Mutex<BTreeSet<String>>,
}

/// Sessions that ended by themselves, remembered after they left the table so their ids
/// answer with the reason; the oldest are forgotten past this many.
const KEEP_GONE: usize = 1024;

#[derive(Default)]
struct Table {
    sessions: BTreeMap<String, Arc<Session>>,
    /// Id → why its shell ended, oldest first.
    gone: VecDeque<(String, String)>,
    next_slot: u64,
}

impl Table {
    /// Takes an ended session out of the table, keeping its reason for later callers.
    fn retire(&mut self, id: &str, reason: String) {
        if self.sessions.remove(id).is_some() {
            self.gone.push_back((id.to_string(), reason));
            while self.gone.len() > KEEP_GONE {
                self.gone.pop_front();
            }
        }
    }

    fn gone(&self, id: &str) -> Option<&String> {
        self.gone.iter().rev().find(|(g, _)| g == id).map(|(_, r)| r)
    }

    /// Sessions this process holds alone (agent shells count on their hosts).
    fn own(&self) -> usize {
        self.sessions.values().filter(|s| !s.lock().persistent).count()
    }
}

/// Cheap to clone; every clone is the same manager.
#[derive(Clone)]
pub struct Manager {
    inner: Arc<Inner>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(mut r) = self.reaper.lock()
            && let Some(h) = r.take()
        {
            h.abort();
        }
    }
}

impl Manager {
    /// Must be called inside a tokio runtime (it starts the reaper).
    pub fn new(driver: Arc<dyn Driver>, cfg: ManagerConfig) -> Manager {
        let inner = Arc::new(Inner {
            cfg,
            driver,
            host: uuid::Uuid::new_v4().to_string(),
            table: Mutex::new(Table::default()),
            reaper: Mutex::new(None),
            adopting: tokio::sync::Mutex::new(()),
            // This machine's idle agent shells are ended by whichever process runs.
            hosts: Mutex::new(BTreeSet::from(["local".to_string()])),
        });
        let weak = Arc::downgrade(&inner);
        let every = inner.cfg.reap_every;
        let handle = tokio::spawn(reap(weak, every));
        if let Ok(mut r) = inner.reaper.lock() {
            *r = Some(handle);
        }
        Manager { inner }
    }

    /// Bytes of output kept per session.
    pub fn ring_bytes(&self) -> usize {
        self.inner.cfg.ring_bytes
    }

    /// This process's host id, the first half of every session id.
    pub fn host_id(&self) -> &str {
        &self.inner.host
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        self.inner.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session in the table; `Ok(None)` when this process does not hold it.
    fn held(&self, id: &str) -> Result<Option<Arc<Session>>, SessionError> {
        let t = self.table();
        match (t.sessions.get(id), t.gone(id)) {
            (Some(s), _) => Ok(Some(s.clone())),
            (None, Some(reason)) => Err(SessionError::Gone(reason.clone())),
            (None, None) => Ok(None),
        }
    }

    /// The session `id`: held here, or an agent shell (`host/a-…`) that any process opened,
    /// taken up from its host.
    async fn find(&self, id: &str) -> Result<Arc<Session>, SessionError> {
        if let Some(s) = self.held(id)? {
            return Ok(s);
        }
        let Some((host, name)) = id.rsplit_once('/').filter(|(_, n)| agent_shells::is_name(n)) else {
            return Err(SessionError::NotFound);
        };
        let _one = self.inner.adopting.lock().await;
        if let Some(s) = self.held(id)? {
            return Ok(s);
        }
        let adopted = match self.inner.driver.adopt(host, name).await {
            Ok(Some(a)) => a,
            Ok(None) | Err(DriverError::UnknownHost { .. }) => return Err(SessionError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let end = adopted.header.end;
        let s = self.take_up(host, id, adopted);
        // Answer once what the host held when asked is read again, so offsets handed out
        // before are valid at once.
        s.wait_until(self.inner.cfg.open_timeout, |st| st.raw() >= end || st.phase == SessionState::Closed).await;
        Ok(s)
    }

    /// Holds an agent shell found on its host: its output is read again from where its
    /// command log says, then followed.
    fn take_up(&self, host: &str, id: &str, adopted: Adopted) -> Arc<Session> {
        let Adopted { connected, header } = adopted;
        // The driver adopts only sessions whose folder has its meta.json.
        let (ttl, ready) = header.meta.as_ref().map_or((0, ""), |m| (m.ttl, m.ready.as_str()));
        let plan = super::persist::plan(&header);
        let from = plan.from;
        let ttl = (ttl > 0).then(|| Duration::from_secs(ttl));
        let idle = Duration::from_secs(header.idle_seconds);
        let mut state = State::resume(self.inner.cfg.ring_bytes, ttl, ready, plan, idle);
        let (wtx, wrx) = mpsc::unbounded_channel();
        state.attach(wtx);
        let shell = connected.shell.clone();
        let s = Arc::new(Session {
            id: id.to_string(),
            hostname: host.to_string(),
            state: Mutex::new(state),
            changed: watch::channel(()).0,
            shell: Mutex::new(Some(shell.clone())),
        });
        self.table().sessions.insert(id.to_string(), s.clone());
        self.note_host(host);
        tokio::spawn(write_loop(shell.clone(), wrx));
        tokio::spawn(pump(s.clone(), connected.output, self.inner.cfg.stop_grace));
        tokio::spawn(async move { shell.follow(from).await });
        s
    }

    fn note_host(&self, host: &str) {
        self.inner.hosts.lock().unwrap_or_else(|p| p.into_inner()).insert(host.to_string());
    }

    /// Takes up the agent shells on every host this process serves (opened by any
    /// process), so `list` shows them; returns the hosts that could not be asked, and why.
    pub async fn discover(&self) -> Vec<(String, String)> {
        let hosts = self.inner.driver.hostnames();
        let asks = hosts.iter().map(|h| async move {
            let r = tokio::time::timeout(DISCOVER_LIMIT, self.inner.driver.list(h)).await;
            (h.clone(), r)
        });
        let mut problems = Vec::new();
        for (host, r) in futures::future::join_all(asks).await {
            let listed = match r {
                Ok(Ok(l)) => l,
                Ok(Err(e)) => {
                    problems.push((host, e.to_string()));
                    continue;
                }
                Err(_) => {
                    problems.push((host, format!("no answer within {} s", DISCOVER_LIMIT.as_secs())));
                    continue;
                }
            };
            if !listed.is_empty() {
                self.note_host(&host);
            }
            for l in listed.into_iter().filter(|l| l.alive) {
                let _ = self.find(&format!("{host}/{}", l.name)).await;
            }
        }
        problems
    }

    /// A session whose shell ended by itself leaves the table once a caller was told.
    fn retire(&self, s: &Session) {
        let reason = s.lock().end_reason();
        self.table().retire(&s.id, reason);
    }

    /// Passes `r` on, retiring the session when it says the shell is gone.
    fn told<T>(&self, s: &Session, r: Result<T, SessionError>) -> Result<T, SessionError> {
        if let Err(SessionError::Gone(_)) = &r {
            self.retire(s);
        }
        r
    }

    fn remove(&self, id: &str) {
        self.table().sessions.retain(|_, s| s.id != id);
    }

    pub async fn open(&self, hostname: &str, idle_ttl_seconds: Option<u64>) -> Result<Opened, SessionError> {
        let cfg = &self.inner.cfg;
        let ttl = match idle_ttl_seconds {
            None => Some(cfg.idle_ttl),
            Some(0) => None,
            Some(s) => Some(Duration::from_secs(s)),
        };
        let ready = protocol::nonce();
        let new_session = |id: String, persistent: bool| {
            let mut state = State::new(cfg.ring_bytes, ttl, &ready);
            state.persistent = persistent;
            Arc::new(Session {
                id,
                hostname: hostname.to_string(),
                state: Mutex::new(state),
                changed: watch::channel(()).0,
                shell: Mutex::new(None),
            })
        };
        let provisional = {
            let mut t = self.table();
            if t.own() >= cfg.max_sessions {
                // A session whose shell died still counts until closed; make room with one.
                let dead = t.sessions.iter().find_map(|(k, s)| {
                    let st = s.lock();
                    (st.phase == SessionState::Closed && !st.persistent).then(|| (k.clone(), st.end_reason()))
                });
                match dead {
                    Some((k, reason)) => t.retire(&k, reason),
                    None => return Err(SessionError::Full),
                };
            }
            t.next_slot += 1;
            let s = new_session(format!("{}:slot{}", self.inner.host, t.next_slot), false);
            t.sessions.insert(s.id.clone(), s.clone());
            s
        };
        let spec = Spec {
            ready: ready.clone(),
            idle_ttl_seconds: ttl.map_or(0, |t| t.as_secs()),
            ring_bytes: cfg.ring_bytes,
            max_sessions: cfg.max_sessions,
        };
        let connected = match tokio::time::timeout(cfg.open_timeout, self.inner.driver.open(hostname, &spec)).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                self.remove(&provisional.id);
                return Err(match e {
                    DriverError::Full(_) => SessionError::Full,
                    e => e.into(),
                });
            }
            Err(_) => {
                self.remove(&provisional.id);
                return Err(SessionError::OpenTimeout(cfg.open_timeout.as_secs()));
            }
        };
        let shell = connected.shell.clone();
        // An agent shell is known by its host and name, whichever process asks.
        let session = match shell.name() {
            Some(name) => {
                self.remove(&provisional.id);
                let s = new_session(format!("{hostname}/{name}"), true);
                self.table().sessions.insert(s.id.clone(), s.clone());
                self.note_host(hostname);
                shell.follow(0).await;
                s
            }
            None => provisional,
        };
        *session.shell.lock().unwrap_or_else(|p| p.into_inner()) = Some(shell.clone());
        let (wtx, wrx) = mpsc::unbounded_channel();
        {
            let mut st = session.lock();
            let _ = wtx.send(super::session::Write::Type(protocol::bootstrap(&ready).into_bytes()));
            st.attach(wtx);
        }
        tokio::spawn(write_loop(shell.clone(), wrx));
        tokio::spawn(pump(session.clone(), connected.output, cfg.stop_grace));

        let up = session.wait_until(cfg.open_timeout, |s| s.phase != SessionState::Opening).await;
        let (phase, error, kind) = {
            let mut s = session.lock();
            // The idle clock starts when the session is usable, not when the dial began.
            s.last_used = Instant::now();
            (s.phase, s.error.clone(), s.shell_kind.clone())
        };
        if !up || phase == SessionState::Closed {
            shell.close().await;
            session.lock().ended(None);
            self.remove(&session.id);
            return Err(if phase == SessionState::Closed {
                let reason = error.unwrap_or_else(|| "the shell exited".into());
                SessionError::Driver(super::DriverError::Open { host: hostname.to_string(), reason })
            } else {
                SessionError::OpenTimeout(cfg.open_timeout.as_secs())
            });
        }
        Ok(Opened {
            session_id: session.id.clone(),
            hostname: hostname.to_string(),
            state: phase,
            shell: kind,
            idle_ttl_seconds: ttl.map_or(0, |t| t.as_secs()),
        })
    }

    pub async fn send(&self, id: &str, command: &str, timeout_seconds: Option<u64>) -> Result<Sent, SessionError> {
        let s = self.find(id).await?;
        let timeout = timeout_seconds.filter(|t| *t > 0).map(Duration::from_secs);
        let (enqueued, state) = {
            let mut st = s.lock();
            st.touch();
            (st.enqueue(command, timeout), st.phase)
        };
        let mut rx = s.changed.subscribe();
        let e = self.told(&s, enqueued)?;
        let _ = s.changed.send(());
        if let Some(d) = e.dispatched {
            arm(&s, d, self.inner.cfg.stop_grace);
        }
        if e.id != 0 {
            return Ok(Sent { session_id: s.id.clone(), command_id: e.id, state, queued: e.queued });
        }
        // An agent shell: its host hands out the id (one round trip), so that two processes
        // using the session never give the same id to two commands.
        let deadline = tokio::time::Instant::now() + ID_WAIT;
        loop {
            let (known, phase) = {
                let st = s.lock();
                (st.id_of(&e.nonce), st.phase)
            };
            match known {
                Some((id, waiting)) if id != 0 => {
                    return Ok(Sent { session_id: s.id.clone(), command_id: id, state, queued: e.queued || waiting });
                }
                _ if phase == SessionState::Closed => return Err(SessionError::Gone(s.lock().end_reason())),
                None => return Err(SessionError::Gone("the command was dropped before it ran".into())),
                Some(_) => {}
            }
            if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
                return Err(SessionError::BadCommand(format!(
                    "the agent shell's host did not answer within {} s (it stays queued; `list` shows when the host is back)",
                    ID_WAIT.as_secs()
                )));
            }
        }
    }

    /// `wait` > 0 holds the answer until the command finished, the session ended, a prompt
    /// showed up, `max_bytes` are there, or the time passed.
    pub async fn read(
        &self,
        id: &str,
        offset: Option<u64>,
        max_bytes: Option<usize>,
        wait: Duration,
    ) -> Result<ReadResult, SessionError> {
        let s = self.find(id).await?;
        s.touch();
        let max = max_bytes.unwrap_or(DEFAULT_READ).clamp(64, MAX_READ);
        let deadline = tokio::time::Instant::now() + wait;
        let mut rx = s.changed.subscribe();
        // Fixed once: a wait must not slide on to a command that starts meanwhile.
        let offset = offset.unwrap_or_else(|| s.lock().default_offset());
        // Offsets only grow from the end: waiting cannot make a wrong one right.
        let end = s.lock().ring.end();
        if offset > end {
            return Err(SessionError::OffsetPastEnd { offset, end });
        }
        // A command that ends right here is the answer, though output may follow it at once.
        let awaited = s.lock().running_at(offset);
        loop {
            let enough = s.lock().worth_answering(offset, max, awaited);
            if enough || tokio::time::Instant::now() >= deadline {
                let (r, end) = {
                    let st = s.lock();
                    (st.read(Some(offset), max, awaited)?, st.ring.end())
                };
                // The reader has seen the end of an ended session: its id can go.
                if r.state == SessionState::Closed && r.next_cursor >= end {
                    self.retire(&s);
                }
                return Ok(ReadResult { session_id: s.id.clone(), ..r });
            }
            // Wake on output, or after a quiet spell to look for a prompt.
            let nap = (tokio::time::Instant::now() + QUIET).min(deadline);
            let _ = tokio::time::timeout_at(nap, rx.changed()).await;
        }
    }

    pub fn list(&self) -> Vec<Listed> {
        let sessions: Vec<Arc<Session>> = self.table().sessions.values().cloned().collect();
        sessions
            .iter()
            .map(|s| {
                let st = s.lock();
                Listed {
                    session_id: s.id.clone(),
                    hostname: s.hostname.clone(),
                    state: st.phase,
                    idle_seconds: st.last_used.elapsed().as_secs(),
                    idle_ttl_seconds: st.idle_ttl.map_or(0, |t| t.as_secs()),
                    next_cursor: st.ring.end(),
                    running_command_id: st.running.as_ref().map(|c| c.id),
                    queued: st.queue.len(),
                    lost_bytes: st.lost,
                    error: st.error.clone(),
                }
            })
            .collect()
    }

    /// Ctrl-C to the running command, never queued behind sends; the commands queued behind
    /// it are dropped. Asked again for the same command, it terminates, then kills.
    pub async fn interrupt(&self, id: &str) -> Result<Interrupted, SessionError> {
        let s = self.find(id).await?;
        let (command_id, how, send_now, cancelled, state) = {
            let mut st = s.lock();
            st.touch();
            if let Err(e) = st.check_usable() {
                drop(st);
                return self.told(&s, Err(e));
            }
            let cancelled = st.cancel_queue();
            let running = st.running.as_mut().map(|c| {
                c.stops = c.stops.saturating_add(1);
                (c.id, stop_for(c.stops))
            });
            let send_now = running.and_then(|(cid, how)| st.stop(cid, how));
            (running.map(|r| r.0), running.map(|r| r.1), send_now, cancelled, st.phase)
        };
        let _ = s.changed.send(());
        match (send_now, command_id) {
            (Some(how), Some(cid)) => deliver(&s, cid, how).await?,
            (None, Some(cid)) => defer(&s, cid),
            _ => {}
        }
        Ok(Interrupted { session_id: s.id.clone(), command_id, signal: how.map(stop_name), cancelled, state })
    }

    /// Types `bytes` into the running program (to answer its prompt), after everything
    /// typed before.
    pub async fn write(&self, id: &str, bytes: &[u8]) -> Result<Written, SessionError> {
        let s = self.find(id).await?;
        let given = {
            let mut st = s.lock();
            st.touch();
            st.give_input(bytes)
        };
        let command_id = self.told(&s, given)?;
        let _ = s.changed.send(());
        Ok(Written { session_id: s.id.clone(), command_id, bytes: bytes.len() })
    }

    /// Sets the session's terminal size (1 to 1000 each way).
    pub async fn resize(&self, id: &str, rows: u16, cols: u16) -> Result<Resized, SessionError> {
        if !(1..=1000).contains(&rows) || !(1..=1000).contains(&cols) {
            return Err(SessionError::BadCommand("rows and cols must be between 1 and 1000".into()));
        }
        let s = self.find(id).await?;
        let shell = {
            let mut st = s.lock();
            st.touch();
            let usable = st.check_usable();
            drop(st);
            self.told(&s, usable)?;
            s.shell.lock().unwrap_or_else(|p| p.into_inner()).clone()
        };
        let shell = shell.ok_or_else(|| SessionError::Gone(s.lock().end_reason()))?;
        shell.resize(rows, cols).await?;
        Ok(Resized { session_id: s.id.clone(), rows, cols })
    }

    /// Stops whatever runs, ends the shell and forgets the id.
    pub async fn close(&self, id: &str) -> Result<ClosedSession, SessionError> {
        let s = self.find(id).await?;
        close_session(&s).await;
        self.remove(&s.id);
        Ok(ClosedSession { session_id: s.id.clone(), state: SessionState::Closed })
    }

    /// Closes every session (at exit), all at once: one dead remote must not hold up the
    /// others, and the whole lasts at most `SHUTDOWN`.
    /// Agent shells are let go, not closed: they live on for the next process.
    pub async fn shutdown(&self) {
        let sessions: Vec<Arc<Session>> = std::mem::take(&mut self.table().sessions).into_values().collect();
        let closes = futures::future::join_all(sessions.iter().map(|s| async move {
            if s.lock().persistent {
                if let Some(shell) = s.take_shell() {
                    shell.detach().await;
                }
            } else {
                close_session(s).await;
            }
        }));
        let _ = tokio::time::timeout(SHUTDOWN, closes).await;
    }
}

/// Whether the reaper closes a session in this state.
fn idle(st: &State) -> bool {
    // An agent shell's idle clock is on its host, shared by every process using it.
    !st.persistent
        && !matches!(st.phase, SessionState::Opening | SessionState::Closing)
        && st.idle_ttl.is_some_and(|ttl| st.last_used.elapsed() >= ttl)
}

async fn reap(inner: Weak<Inner>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        // The hosts end their idle agent shells; the ones held here then end by themselves.
        let hosts: Vec<String> = inner.hosts.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
        let reaps = hosts.iter().map(|h| tokio::time::timeout(DISCOVER_LIMIT, inner.driver.reap(h)));
        futures::future::join_all(reaps).await;
        let due: Vec<Arc<Session>> = {
            let t = inner.table.lock().unwrap_or_else(|p| p.into_inner());
            t.sessions.values().filter(|s| idle(&s.lock())).cloned().collect()
        };
        for s in due {
            // Closing the ones before may have taken a while: one used meanwhile stays.
            if !close_session_if(&s, idle).await {
                continue;
            }
            inner.table.lock().unwrap_or_else(|p| p.into_inner()).sessions.remove(&s.id);
        }
    }
}

#[cfg(test)]
mod tests;
