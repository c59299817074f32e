//! Background listing: one task per backend, at most one listing in flight and at most
//! one queued (a `Notify` permit), so a slow host never piles up polls. The local folder
//! is watched for changes; tmux is checked at a slow interval; remotes poll on a timer.
//! The pane check (statuses no hook event corrects, see `backend::panecheck`) runs on the
//! slow interval: for local sessions in the tmux check, for a remote in its poller.

use crate::app::Msg;
use crate::app::remotes::{HostKeyPrompt, LinkState, RemoteStatus};
use crate::backend::{BackendError, LocalBackend, SessionBackend, agent_shells, panecheck, tmux};
use crate::notify::follow::{Follow, Follower};
use crate::sessions::StatusFile;
use crate::ssh::{ConnState, Pool, SshError};
use crate::summary::RemoteState;
use crate::summary::keeper::Keeper;
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

/// Bursts of file events (temp file, rename) are read as one change.
const SETTLE: Duration = Duration::from_millis(40);
pub const TMUX_CHECK: Duration = Duration::from_secs(5);
pub const REMOTE_POLL: Duration = Duration::from_secs(3);
/// Agent shells are listed this often on every host (and on a refresh).
pub const SHELLS_POLL: Duration = REMOTE_POLL;
const STATUS_POLL: Duration = Duration::from_secs(2);

/// True while the terminal is handed to an attached session: pollers wait instead of
/// filling the channel nobody reads for hours with full listings.
pub type Paused = watch::Receiver<bool>;

/// Unknown host keys met by the pollers, by remote, kept until the user decides.
pub type HostKeys = Arc<Mutex<HashMap<String, SshError>>>;

pub struct Poller {
    pub remote: Option<String>,
    pub wake: Arc<Notify>,
    /// The status files of the last successful listing (what the dashboard shows).
    pub listed: Arc<Mutex<Vec<StatusFile>>>,
    task: JoinHandle<()>,
    /// The remote's stream of pushed changes, when it has one.
    push: Option<JoinHandle<()>>,
}

impl Drop for Poller {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(p) = &self.push {
            p.abort();
        }
    }
}

impl Poller {
    /// Lists `backend` now and whenever woken; remotes also every `every`. With `follow`,
    /// the transitions between listings are notices.
    pub fn start(
        backend: Arc<dyn SessionBackend>,
        every: Option<Duration>,
        tx: mpsc::UnboundedSender<Msg>,
        host_keys: HostKeys,
        mut paused: Paused,
        follow: Option<Arc<Follow>>,
        summary: Option<Keeper>,
    ) -> Self {
        let wake = Arc::new(Notify::new());
        let remote = backend.remote().map(str::to_string);
        let w = wake.clone();
        let r = remote.clone();
        let listed_names = Arc::new(Mutex::new(Vec::new()));
        let names_w = listed_names.clone();
        // Pushed changes wake the poller without the settle time: the remote settled them.
        let pushed = Arc::new(Notify::new());
        let push = backend.start_push(pushed.clone());
        let task = tokio::spawn(async move {
            let mut panes_checked: Option<tokio::time::Instant> = None;
            let mut follower = follow.map(Follower::new);
            loop {
                if paused.wait_for(|p| !*p).await.is_err() {
                    break;
                }
                let mut listed = backend.list().await;
                // A remote's pane check rides on its poll, at the tmux check's pace.
                if let (Ok(l), Some(_)) = (&mut listed, &r)
                    && !backend.pushed()
                    && panes_checked.is_none_or(|t| t.elapsed() >= TMUX_CHECK)
                {
                    panes_checked = Some(tokio::time::Instant::now());
                    panecheck::apply(&*backend, l, crate::text::now_unix()).await;
                }
                if let Ok(l) = &listed {
                    let files: Vec<StatusFile> = l.sessions.iter().map(|s| s.file.clone()).collect();
                    if let Some(f) = &mut follower {
                        f.listing(r.as_deref(), &files, &l.attached);
                    }
                    if let Ok(mut shown) = names_w.lock() {
                        *shown = files;
                    }
                }
                if let (Some(keeper), Some(name)) = (&summary, &r) {
                    record(keeper, name, &listed);
                }
                if let (Err(BackendError::Ssh(e)), Some(name)) = (&listed, &r)
                    && let Some(prompt) = host_key_prompt(e)
                {
                    if let Ok(mut keys) = host_keys.lock() {
                        keys.insert(name.clone(), (**e).clone());
                    }
                    let _ = tx.send(Msg::UnknownHostKey(prompt));
                }
                let result = listed.map(|l| (l.sessions, l.warnings)).map_err(|e| match &r {
                    Some(name) => format!("{name} unreachable: {e}"),
                    None => e.to_string(),
                });
                if tx.send(Msg::Listing { remote: r.clone(), result }).is_err() {
                    break;
                }
                let woken = async {
                    match every {
                        Some(d) => {
                            let _ = tokio::time::timeout(d, w.notified()).await;
                        }
                        None => w.notified().await,
                    }
                };
                tokio::select! {
                    _ = woken => tokio::time::sleep(SETTLE).await,
                    _ = pushed.notified() => {}
                }
            }
        });
        Poller { remote, wake, listed: listed_names, task, push }
    }
}

/// How long one listing of a host's agent shells may take: a host that does not answer
/// shows none until it does, and holds up nothing else.
const SHELLS_TIMEOUT: Duration = Duration::from_secs(10);

/// Lists one host's agent shells every `every` (the remotes' poll period; a local listing
/// is one cheap tmux call; a remote that pushes them is read from its mirror, and as soon
/// as they change) and whenever woken, in a task of its own, one listing at a time:
/// the dashboard never waits for it. Waits while the terminal is handed to an attach.
pub struct ShellPoller {
    pub remote: Option<String>,
    pub wake: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Drop for ShellPoller {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ShellPoller {
    pub fn start(
        backend: Arc<dyn SessionBackend>,
        every: Duration,
        tx: mpsc::UnboundedSender<Msg>,
        mut paused: Paused,
    ) -> Self {
        let wake = Arc::new(Notify::new());
        let remote = backend.remote().map(str::to_string);
        let (w, r) = (wake.clone(), remote.clone());
        let task = tokio::spawn(async move {
            loop {
                if paused.wait_for(|p| !*p).await.is_err() {
                    break;
                }
                let listed = tokio::time::timeout(SHELLS_TIMEOUT, agent_shells::list(&*backend)).await;
                let result = match listed {
                    Ok(Ok(shells)) => Ok(shells),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("agent shells: no answer within {} s", SHELLS_TIMEOUT.as_secs())),
                };
                if tx.send(Msg::Shells { remote: r.clone(), result }).is_err() {
                    break;
                }
                // A remote that pushes its agent shells is read from its mirror (no command);
                // the timer counts idle times on.
                tokio::select! {
                    _ = tokio::time::timeout(every, w.notified()) => {}
                    _ = backend.shells_changed() => {}
                }
            }
        });
        ShellPoller { remote, wake, task }
    }
}

/// Puts a remote's listing (or its failure) in the summary `navi status` reads.
fn record(keeper: &Keeper, name: &str, listed: &Result<crate::backend::Listing, BackendError>) {
    let now = crate::text::now_unix();
    match listed {
        Ok(l) => {
            let files: Vec<StatusFile> = l.sessions.iter().map(|s| s.file.clone()).collect();
            keeper.record(name, RemoteState::Up, &files, now);
        }
        Err(e) => keeper.record(name, RemoteState::from_error(e), &[], now),
    }
}

/// Watches the sessions folder and wakes the local poller on any change.
pub fn watch_folder(dir: &Path, wake: Arc<Notify>) -> notify::Result<notify::RecommendedWatcher> {
    let _ = std::fs::create_dir_all(dir);
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res
            && matches!(ev.kind, EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any)
        {
            wake.notify_one();
        }
    })?;
    watcher.watch(dir, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Every `TMUX_CHECK`, asks tmux for its session names (cheap) and wakes the local poller
/// only when they changed, or when a session on screen is gone from tmux: sessions start
/// and end without touching a status file, and one may come and go between two checks.
/// Then checks the panes of the sessions on screen whose status may be stale; a
/// correction is a write to the folder, which the watcher turns into a listing.
pub fn tmux_check(local: Arc<LocalBackend>, wake: Arc<Notify>, listed: Arc<Mutex<Vec<StatusFile>>>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last: Option<Vec<String>> = None;
        // The poller lists at start; the first check can wait a full period.
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + TMUX_CHECK, TMUX_CHECK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            every.tick().await;
            let Ok(out) = local.exec(&local.tmux().list_sessions(), None).await else { continue };
            let Ok(found) = tmux::parse_list_sessions(out.status, &out.stdout, &out.stderr) else { continue };
            let mut names: Vec<String> = found.into_iter().map(|s| s.name).collect();
            names.sort();
            let changed = last.as_ref().is_some_and(|l| *l != names);
            let shown: Vec<StatusFile> = listed.lock().map(|l| l.clone()).unwrap_or_default();
            let gone = shown.iter().any(|f| names.binary_search(&f.tmux_session).is_err());
            if changed || gone {
                wake.notify_one();
            }
            last = Some(names);
            // Its warnings are dropped: a pane that cannot be read is a session going away,
            // which the listing reports.
            local.check_panes(&shown, crate::text::now_unix()).await;
        }
    })
}

pub(super) fn host_key_prompt(e: &SshError) -> Option<HostKeyPrompt> {
    match e {
        SshError::UnknownHostKey { remote, hop, host, port, algorithm, fingerprint, openssh, known_hosts } => {
            Some(HostKeyPrompt {
                remote: remote.clone(),
                hop: hop.clone(),
                host: host.clone(),
                port: *port,
                algorithm: algorithm.clone(),
                fingerprint: fingerprint.clone(),
                key: openssh.clone(),
                known_hosts: known_hosts.clone(),
            })
        }
        _ => None,
    }
}

/// Every `STATUS_POLL`, reads the pool's connection states and the remotes' push modes (no
/// I/O) and sends them when they changed.
pub fn remote_statuses(
    pool: Arc<Pool>,
    backends: Vec<Arc<dyn SessionBackend>>,
    tx: mpsc::UnboundedSender<Msg>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last: Option<Vec<RemoteStatus>> = None;
        let mut every = tokio::time::interval(STATUS_POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            every.tick().await;
            let now: Vec<RemoteStatus> = pool
                .statuses()
                .into_iter()
                .map(|(name, s)| RemoteStatus {
                    setup: backends.iter().any(|b| {
                        b.remote() == Some(name.as_str())
                            && matches!(b.push_mode(), Some(crate::push::link::Mode::Poll { setup: true, .. }))
                    }),
                    name,
                    state: match s.state {
                        ConnState::Connected => LinkState::Connected,
                        ConnState::Disconnected if s.last_error.is_none() => LinkState::Connecting,
                        ConnState::Disconnected => LinkState::Disconnected,
                        ConnState::Error => LinkState::Error,
                    },
                    last_error: s.last_error.map(|e| crate::text::sanitize_line(&e)),
                })
                .collect();
            if last.as_ref() != Some(&now) {
                if tx.send(Msg::RemoteStatuses(now.clone())).is_err() {
                    break;
                }
                last = Some(now);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_paused_poller_sends_nothing_until_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(LocalBackend::new(dir.path().join("sessions"), Some(dir.path().join("no.sock"))));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (pause, paused) = watch::channel(false);
        let poller =
            Poller::start(backend, Some(Duration::from_millis(5)), tx, HostKeys::default(), paused, None, None);
        let first = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.unwrap();
        assert!(matches!(first, Some(Msg::Listing { .. })));
        pause.send_replace(true);
        // A listing already under way may still arrive; after it, nothing while paused
        // (unpaused, one comes every 5 ms and the channel never goes quiet).
        let mut late = 0;
        while tokio::time::timeout(Duration::from_secs(2), rx.recv()).await.is_ok() {
            late += 1;
            assert!(late < 5, "a paused poller keeps listing");
        }
        for _ in 0..20 {
            poller.wake.notify_one();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(rx.try_recv().is_err(), "a paused poller sent a listing");
        pause.send_replace(false);
        let next = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.unwrap();
        assert!(matches!(next, Some(Msg::Listing { .. })));
    }
}
