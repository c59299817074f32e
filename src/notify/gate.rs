//! How navi processes agree on notices. Everything lives in `<state>/notices/` and is
//! decided under one lock (the folder's `.navi.lock`), so the hook, the dashboard and `navi watch` can all
//! see the same transition and exactly one of them sends it:
//! - `claims/<key>`: created by the first process to admit a transition (the key hashes the
//!   remote, session, status, message and the file's timestamp);
//! - `last/<session key>`: when the session last had a notice (the cooldown);
//! - `mute`: Unix seconds until which nothing is sent (`navi mute`);
//! - `looking/<pid>`: the row a running dashboard has selected (`{"remote", "session"}`):
//!   the user sees that session, so it gets no notice. Files of dead processes are removed.
//!
//! Claims older than a day are pruned now and then.

use super::Notice;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a process waits for the lock before it gives the notice up (and logs it).
const LOCK_WAIT: Duration = Duration::from_secs(2);
/// Claims are kept this long: far longer than any process takes to see a transition.
const CLAIM_TTL: i64 = 86_400;
/// What a claim holds when its transition was sent.
const SENT: &str = "sent";
/// Small state files are read up to this size.
const STATE_MAX: u64 = 4096;

/// What the gate says of a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Send,
    /// Another process already decided this transition; `sent`: it was sent (the
    /// dashboard still rings its own terminal then).
    Duplicate {
        sent: bool,
    },
    Muted,
    /// The session had a notice less than the cooldown ago.
    Cooling,
    /// The user is looking at the session: a tmux client shows it, or a dashboard has it
    /// selected. The transition is claimed all the same: nobody tells it later.
    Looking,
}

#[derive(Debug, Clone)]
pub struct Gate {
    dir: PathBuf,
}

impl Gate {
    pub fn new(state_dir: &Path) -> Self {
        Gate { dir: state_dir.join("notices") }
    }

    /// Whether `notice` may be sent now, recording that it is. Not when another process
    /// already admitted it, when the user is looking at the session (`attached`: a tmux
    /// client shows it; or a dashboard has it selected), when navi is muted, or when the
    /// session had a notice less than `cooldown` seconds ago.
    pub fn admit(&self, notice: &Notice, cooldown: u64, now: i64, attached: bool) -> io::Result<Admission> {
        let _lock = crate::sessions::lock::lock_dir(&self.dir, LOCK_WAIT)?;
        let claims = self.dir.join("claims");
        std::fs::create_dir_all(&claims)?;
        let claim = claims.join(notice.key());
        let mut file = match std::fs::OpenOptions::new().write(true).create_new(true).open(&claim) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let said = crate::files::read_text(&claim, STATE_MAX).ok().flatten().unwrap_or_default();
                return Ok(Admission::Duplicate { sent: said.trim() == SENT });
            }
            Err(e) => return Err(e),
        };
        if rand::random::<u8>() < 4 {
            prune(&claims, now);
        }
        // The claim says what became of the transition (read by later duplicates).
        let admission = self.decide(notice, cooldown, now, attached)?;
        let said = if admission == Admission::Send { SENT } else { "held" };
        std::io::Write::write_all(&mut file, said.as_bytes())?;
        Ok(admission)
    }

    fn decide(&self, notice: &Notice, cooldown: u64, now: i64, attached: bool) -> io::Result<Admission> {
        if attached || self.selected_in_a_dashboard(notice) {
            return Ok(Admission::Looking);
        }
        if self.muted_until(now).is_some() {
            return Ok(Admission::Muted);
        }
        let last = self.dir.join("last");
        std::fs::create_dir_all(&last)?;
        let last = last.join(notice.session_key());
        if let Some(then) = read_number(&last)
            && now.saturating_sub(then) < cooldown as i64
            && then <= now
        {
            return Ok(Admission::Cooling);
        }
        crate::sessions::store::write_atomic(&last, now.to_string().as_bytes())?;
        Ok(Admission::Send)
    }

    /// Records the row the dashboard of process `pid` has selected (`None`: none, or the
    /// dashboard is going away).
    pub fn set_selected(&self, pid: u32, selected: Option<(Option<&str>, &str)>) -> io::Result<()> {
        let dir = self.dir.join("looking");
        let path = dir.join(pid.to_string());
        match selected {
            Some((remote, session)) => {
                std::fs::create_dir_all(&dir)?;
                let body = serde_json::json!({"remote": remote, "session": session}).to_string();
                crate::sessions::store::write_atomic(&path, body.as_bytes())
            }
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        }
    }

    /// Whether a live dashboard has the notice's session selected. Records of processes
    /// that are gone are removed.
    fn selected_in_a_dashboard(&self, notice: &Notice) -> bool {
        let dir = self.dir.join("looking");
        let Ok(entries) = std::fs::read_dir(&dir) else { return false };
        let mut looking = false;
        for e in entries.flatten().take(256) {
            let path = e.path();
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else { continue };
            if !alive(pid) {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let Ok(Some(text)) = crate::files::read_text(&path, STATE_MAX) else { continue };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
            // The record holds the raw names; the notice's are cleaned and bounded alike.
            let clean = |s: &str| super::bounded(s, super::NAME_MAX);
            let session = v["session"].as_str().map(clean);
            let remote = v["remote"].as_str().map(clean);
            looking |= session.as_deref() == Some(notice.session.as_str()) && remote == notice.remote;
        }
        looking
    }

    /// Unix seconds until which notices are muted, when they are now.
    pub fn muted_until(&self, now: i64) -> Option<i64> {
        read_number(&self.dir.join("mute")).filter(|&until| until > now)
    }

    /// Mutes notices until `until` (Unix seconds); `None` unmutes.
    pub fn set_mute(&self, until: Option<i64>) -> io::Result<()> {
        let path = self.dir.join("mute");
        match until {
            Some(t) => crate::sessions::store::write_atomic(&path, t.to_string().as_bytes()),
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        }
    }

    /// Appends a line to `notices.log` beside the claims (rolled over past 1 MiB).
    pub fn log(&self, msg: &str) {
        crate::files::append_log(&self.dir.join("notices.log"), msg);
    }
}

fn alive(pid: i32) -> bool {
    match rustix::process::Pid::from_raw(pid) {
        Some(p) => !matches!(rustix::process::test_kill_process(p), Err(rustix::io::Errno::SRCH)),
        None => false,
    }
}

fn read_number(path: &Path) -> Option<i64> {
    let text = crate::files::read_text(path, STATE_MAX).ok()??;
    text.trim().parse().ok()
}

fn prune(claims: &Path, now: i64) {
    let Ok(entries) = std::fs::read_dir(claims) else { return };
    let cutoff = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(now.saturating_sub(CLAIM_TTL).max(0) as u64);
    for e in entries.flatten().take(100_000) {
        if e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Reason;

    fn sent(a: Admission) -> bool {
        a == Admission::Send
    }

    fn notice(session: &str, at: i64) -> Notice {
        Notice {
            session: session.into(),
            remote: None,
            status: "done".into(),
            reason: Reason::Done,
            message: "m".into(),
            at,
        }
    }

    #[test]
    fn exactly_once_per_transition() {
        let d = tempfile::tempdir().unwrap();
        let g = Gate::new(d.path());
        assert!(sent(g.admit(&notice("a", 1), 0, 100, false).unwrap()));
        assert!(!sent(g.admit(&notice("a", 1), 0, 100, false).unwrap()), "the same transition again");
        assert!(sent(Gate::new(d.path()).admit(&notice("b", 1), 0, 100, false).unwrap()));
        assert!(sent(g.admit(&notice("a", 2), 0, 100, false).unwrap()), "a new transition");
    }

    #[test]
    fn exactly_once_across_threads() {
        let d = tempfile::tempdir().unwrap();
        let count = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for i in 0..20 {
                        if sent(Gate::new(d.path()).admit(&notice(&format!("s{i}"), 7), 30, 100, false).unwrap()) {
                            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        assert_eq!(count.into_inner(), 20);
    }

    #[test]
    fn no_notice_for_the_row_a_live_dashboard_has_selected() {
        let d = tempfile::tempdir().unwrap();
        let g = Gate::new(d.path());
        g.set_selected(std::process::id(), Some((None, "a"))).unwrap();
        assert_eq!(g.admit(&notice("a", 1), 0, 100, false).unwrap(), Admission::Looking);
        assert!(sent(g.admit(&notice("b", 1), 0, 100, false).unwrap()), "another row");
        g.set_selected(std::process::id(), Some((Some("box"), "a"))).unwrap();
        assert!(sent(g.admit(&notice("a", 2), 0, 100, false).unwrap()), "the same name on a remote");
        g.set_selected(std::process::id(), None).unwrap();
        // A dashboard that died without cleaning up looks at nothing.
        let dead = std::process::Command::new("true").spawn().unwrap();
        let pid = dead.id();
        let mut dead = dead;
        dead.wait().unwrap();
        g.set_selected(pid, Some((None, "a"))).unwrap();
        assert!(sent(g.admit(&notice("a", 3), 0, 100, false).unwrap()));
        assert!(!d.path().join("notices/looking").join(pid.to_string()).exists());
    }

    #[test]
    fn cooldown_and_mute() {
        let d = tempfile::tempdir().unwrap();
        let g = Gate::new(d.path());
        assert!(sent(g.admit(&notice("a", 1), 30, 100, false).unwrap()));
        assert!(!sent(g.admit(&notice("a", 2), 30, 110, false).unwrap()), "within the cooldown");
        assert!(sent(g.admit(&notice("a", 3), 30, 131, false).unwrap()), "after it");
        g.set_mute(Some(200)).unwrap();
        assert_eq!(g.muted_until(150), Some(200));
        assert!(!sent(g.admit(&notice("b", 1), 30, 150, false).unwrap()), "muted");
        assert!(!sent(g.admit(&notice("b", 1), 30, 250, false).unwrap()), "a muted transition stays unsent");
        assert!(sent(g.admit(&notice("b", 2), 30, 250, false).unwrap()), "mute over");
        assert_eq!(g.admit(&notice("c", 1), 30, 300, true).unwrap(), Admission::Looking);
        let again = g.admit(&notice("c", 1), 30, 300, false).unwrap();
        assert_eq!(again, Admission::Duplicate { sent: false }, "claimed while looked at");
        assert_eq!(g.admit(&notice("a", 1), 30, 300, false).unwrap(), Admission::Duplicate { sent: true });
        g.set_mute(Some(1000)).unwrap();
        g.set_mute(None).unwrap();
        g.set_mute(None).unwrap();
        assert_eq!(g.muted_until(300), None);
    }
}
