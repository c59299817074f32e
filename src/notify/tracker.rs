//! Turns listings into notices for the processes that watch many sessions over time (the
//! dashboard, `navi watch`): what each session's file said last time, per place (local or
//! a remote), and which changes since are notices.
//!
//! The first listing of a place is the baseline: statuses entered before navi started
//! watching are no notices (the hook told them then, or they are old news). A place whose
//! listing fails keeps its baseline, so a reconnect does not replay what was already seen.

use super::{Notice, NotifyConfig, notice_for};
use crate::sessions::StatusFile;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Tracker {
    /// By place (`None`: this machine), then by session name.
    seen: HashMap<Option<String>, HashMap<String, StatusFile>>,
}

impl Tracker {
    /// Records a successful listing of `remote` (`None`: local) and returns the notices for
    /// the transitions since its last listing, in the listing's order.
    pub fn observe(&mut self, remote: Option<&str>, files: &[StatusFile], config: &NotifyConfig) -> Vec<Notice> {
        let now: HashMap<String, StatusFile> = files.iter().map(|f| (f.tmux_session.clone(), f.clone())).collect();
        let key = remote.map(str::to_string);
        let notices = match self.seen.get(&key) {
            None => Vec::new(),
            Some(before) => {
                files.iter().filter_map(|f| notice_for(before.get(&f.tmux_session), f, remote, config)).collect()
            }
        };
        self.seen.insert(key, now);
        notices
    }

    /// Forgets a place (a remote removed from the configuration).
    pub fn forget(&mut self, remote: Option<&str>) {
        self.seen.remove(&remote.map(str::to_string));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::Status;

    fn file(name: &str, status: Status, at: i64) -> StatusFile {
        let message = format!("{name} {status:?}");
        let mut f = StatusFile::new(name, status);
        f.timestamp = Some(at);
        f.message = Some(message);
        f
    }

    #[test]
    fn the_first_listing_is_the_baseline_then_changes_are_notices() {
        let c = NotifyConfig::default();
        let mut t = Tracker::default();
        let start = [file("a", Status::Waiting, 1), file("b", Status::Working, 1)];
        assert!(t.observe(Some("box"), &start, &c).is_empty(), "old news at start");
        assert!(t.observe(Some("box"), &start, &c).is_empty(), "nothing changed");
        let next = [file("a", Status::Waiting, 1), file("b", Status::Permission, 5), file("c", Status::Done, 6)];
        let n = t.observe(Some("box"), &next, &c);
        let names: Vec<_> = n.iter().map(|n| (n.session.as_str(), n.remote.as_deref())).collect();
        assert_eq!(names, [("b", Some("box")), ("c", Some("box"))]);
        // Another place has its own baseline.
        assert!(t.observe(None, &next, &c).is_empty());
        t.forget(Some("box"));
        assert!(t.observe(Some("box"), &[file("d", Status::Error, 9)], &c).is_empty());
    }
}
