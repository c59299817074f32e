//! Keeps the summary file current from a long-running process (the dashboard, `navi
//! watch`): each listing is recorded as it lands and the file is written off the async
//! workers, soon after something changed (bursts become one write), and at least every
//! heartbeat while news keeps coming, so readers can tell fresh news from stale.

use super::{RemoteState, SessionRow, Summary};
use crate::sessions::StatusFile;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A change is written this long after it came, with whatever else came meanwhile.
pub const SETTLE: Duration = Duration::from_secs(1);
/// Unchanged news is written this often: well inside [`super::STALE_AFTER`].
pub const HEARTBEAT: Duration = Duration::from_secs(20);

/// Where listings are recorded; the task writing them ends when every clone is dropped,
/// after a last write.
#[derive(Clone)]
pub struct Keeper {
    tx: mpsc::UnboundedSender<Summary>,
}

impl Keeper {
    /// Starts the writer for `<state_dir>/summary.json`. `on_error` hears of a failed write
    /// once, and again only after a write succeeded.
    pub fn start(state_dir: PathBuf, on_error: impl Fn(String) + Send + 'static) -> (Keeper, JoinHandle<()>) {
        Self::with_timing(state_dir, SETTLE, HEARTBEAT, on_error)
    }

    pub fn with_timing(
        state_dir: PathBuf,
        settle: Duration,
        heartbeat: Duration,
        on_error: impl Fn(String) + Send + 'static,
    ) -> (Keeper, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(state_dir, rx, settle, heartbeat, Box::new(on_error)));
        (Keeper { tx }, task)
    }

    /// Records what a listing of remote `name` found (see [`Summary::record_remote`]).
    pub fn record(&self, name: &str, state: RemoteState, files: &[StatusFile], now: i64) {
        let mut one = Summary::default();
        one.record_remote(name, state, files, now);
        let _ = self.tx.send(one);
    }
}

type Content = (RemoteState, Vec<SessionRow>);

async fn run(
    state_dir: PathBuf,
    mut rx: mpsc::UnboundedReceiver<Summary>,
    settle: Duration,
    heartbeat: Duration,
    on_error: Box<dyn Fn(String) + Send>,
) {
    let mut pending = Summary::default();
    let mut written: BTreeMap<String, Content> = BTreeMap::new();
    let mut last_write: Option<Instant> = None;
    let mut due: Option<Instant> = None;
    let mut failing = false;
    loop {
        let closed = tokio::select! {
            got = rx.recv() => match got {
                Some(news) => {
                    let changed = news
                        .remotes
                        .iter()
                        .any(|(n, e)| written.get(n).is_none_or(|(s, rows)| *s != e.state || *rows != e.sessions));
                    pending.merge(&news);
                    let now = Instant::now();
                    let when = match last_write {
                        Some(at) if !changed => (at + heartbeat).max(now),
                        _ => now + settle,
                    };
                    due = Some(due.map_or(when, |d| d.min(when)));
                    continue;
                }
                None => true,
            },
            _ = sleep_until(due) => false,
        };
        if !pending.remotes.is_empty() {
            let batch = std::mem::take(&mut pending);
            let dir = state_dir.clone();
            let copy = batch.clone();
            let result = tokio::task::spawn_blocking(move || super::write(&dir, &copy)).await;
            match result.map_err(|e| e.to_string()).and_then(|r| r.map_err(|e| e.to_string())) {
                Ok(()) => {
                    failing = false;
                    written.extend(batch.remotes.into_iter().map(|(n, e)| (n, (e.state, e.sessions))));
                }
                Err(e) => {
                    if !failing {
                        on_error(format!("cannot write the summary for navi status: {e}"));
                    }
                    failing = true;
                    // Kept for the next try, unless fresher news replaces it.
                    let mut again = batch;
                    again.merge(&pending);
                    pending = again;
                }
            }
            last_write = Some(Instant::now());
        }
        due = None;
        if closed {
            break;
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::Status;

    fn wait_for(mut f: impl FnMut() -> bool) -> bool {
        let end = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < end {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn changes_are_written_and_unchanged_news_on_the_heartbeat() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let (keeper, task) =
            Keeper::with_timing(state.clone(), Duration::from_millis(20), Duration::from_millis(200), |_| {});
        let files = [StatusFile::new("a", Status::Waiting)];
        keeper.record("box", RemoteState::Up, &files, 100);
        let seen = |at: i64| {
            let state = state.clone();
            tokio::task::spawn_blocking(move || {
                wait_for(|| {
                    super::super::read(&state)
                        .ok()
                        .flatten()
                        .is_some_and(|s| s.remotes.get("box").is_some_and(|e| e.at == at))
                })
            })
        };
        assert!(seen(100).await.unwrap(), "the first listing is written");
        // The same sessions a little later: written on the heartbeat, with the newer time.
        keeper.record("box", RemoteState::Up, &files, 103);
        assert!(seen(103).await.unwrap(), "unchanged news is still written");
        // The last record is written when the keeper goes away.
        keeper.record("db", RemoteState::Unreachable("refused".into()), &[], 104);
        drop(keeper);
        tokio::time::timeout(Duration::from_secs(20), task).await.unwrap().unwrap();
        let s = super::super::read(&state).unwrap().unwrap();
        assert_eq!(s.remotes["db"].state, RemoteState::Unreachable("refused".into()));
        assert_eq!(s.remotes["box"].sessions.len(), 1);
    }

    #[tokio::test]
    async fn a_failed_write_is_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the state folder should be: every write fails.
        let state = dir.path().join("state");
        std::fs::write(&state, "").unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (keeper, task) = Keeper::with_timing(state, Duration::ZERO, Duration::ZERO, move |e| {
            let _ = tx.send(e);
        });
        for at in 0..3 {
            keeper.record("box", RemoteState::Up, &[], at);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(keeper);
        task.await.unwrap();
        let first = rx.recv().await.unwrap();
        assert!(first.contains("cannot write the summary"), "{first}");
        assert!(rx.try_recv().is_err(), "reported once");
    }
}
