//! Which sessions wait for the user, and which one `navi jump` (and the dashboard's `J`)
//! takes them to: permission, then waiting, then error, then done; oldest first inside a
//! status. One chooser for the command line and the dashboard.

use crate::sessions::read::Head;
use crate::sessions::{Status, StatusFile};
use std::cmp::Ordering;

/// A session that may need the user, wherever it lives.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub session: String,
    /// `None`: this machine.
    pub remote: Option<String>,
    pub status: Status,
    /// Since when it is in this status (its status file's timestamp).
    pub since: Option<i64>,
    pub message: Option<String>,
}

impl Candidate {
    pub fn of_file(remote: Option<&str>, file: &StatusFile) -> Self {
        Self::of_head(remote, Head::from(file))
    }

    pub fn of_head(remote: Option<&str>, head: Head) -> Self {
        Candidate {
            session: head.tmux_session,
            remote: remote.map(str::to_string),
            status: head.status,
            since: head.timestamp,
            message: head.message,
        }
    }

    pub fn of_row(remote: &str, row: &super::SessionRow) -> Self {
        Candidate {
            session: row.name.clone(),
            remote: Some(remote.to_string()),
            status: row.status.clone(),
            since: row.since,
            message: row.message.clone(),
        }
    }
}

/// The rank of a status that waits for the user (lower first); `None` for the others.
pub fn rank(status: &Status) -> Option<u8> {
    match status {
        Status::Permission => Some(0),
        Status::Waiting => Some(1),
        Status::Error => Some(2),
        Status::Done => Some(3),
        _ => None,
    }
}

/// Oldest first; a session without a timestamp counts as the oldest. Ties go by place
/// and name, so the choice is stable.
fn by_age(a: &Candidate, b: &Candidate) -> Ordering {
    a.since
        .unwrap_or(i64::MIN)
        .cmp(&b.since.unwrap_or(i64::MIN))
        .then_with(|| a.remote.cmp(&b.remote))
        .then_with(|| a.session.cmp(&b.session))
}

/// The session to take the user to: the first status by [`rank`], the oldest in it.
pub fn pick<'a>(candidates: impl IntoIterator<Item = &'a Candidate>) -> Option<&'a Candidate> {
    candidates
        .into_iter()
        .filter_map(|c| rank(&c.status).map(|r| (r, c)))
        .min_by(|(ra, a), (rb, b)| ra.cmp(rb).then_with(|| by_age(a, b)))
        .map(|(_, c)| c)
}

/// The sessions that wait for the user, oldest first.
pub fn oldest_first(candidates: &[Candidate]) -> Vec<&Candidate> {
    let mut out: Vec<&Candidate> = candidates.iter().filter(|c| rank(&c.status).is_some()).collect();
    out.sort_by(|a, b| by_age(a, b));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(session: &str, remote: Option<&str>, status: Status, since: i64) -> Candidate {
        Candidate { session: session.into(), remote: remote.map(Into::into), status, since: Some(since), message: None }
    }

    #[test]
    fn permission_then_waiting_then_error_then_done_oldest_first() {
        let all = vec![
            c("done-old", None, Status::Done, 1),
            c("err", None, Status::Error, 50),
            c("wait-new", Some("box"), Status::Waiting, 90),
            c("wait-old", None, Status::Waiting, 80),
            c("busy", None, Status::Working, 0),
        ];
        assert_eq!(pick(&all).unwrap().session, "wait-old");
        let mut more = all.clone();
        more.push(c("perm", Some("box"), Status::Permission, 100));
        assert_eq!(pick(&more).unwrap().session, "perm");
        assert_eq!(pick(&all[..2]).unwrap().session, "err");
        assert_eq!(pick(&all[4..]), None, "working never waits for the user");
        let order: Vec<&str> = oldest_first(&more).iter().map(|c| c.session.as_str()).collect();
        assert_eq!(order, ["done-old", "err", "wait-old", "wait-new", "perm"]);
    }

    #[test]
    fn no_timestamp_counts_as_oldest_and_ties_are_stable() {
        let mut a = c("b", None, Status::Waiting, 5);
        a.since = None;
        let all = vec![c("a", None, Status::Waiting, 5), a, c("a", Some("r"), Status::Waiting, 5)];
        assert_eq!(pick(&all).unwrap().session, "b");
        assert_eq!(pick(&all[..1]).unwrap().session, "a");
        let two = [all[2].clone(), all[0].clone()];
        assert_eq!(pick(&two).unwrap().remote, None, "local before a remote at the same second");
    }
}
