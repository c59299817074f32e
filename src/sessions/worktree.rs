//! The status file's `worktree` field (`{path, branch, base, repo}`): written by navi when
//! it starts a session in a git worktree of its own, kept by every other writer (the hook
//! keeps fields it does not own), read by the rows, `G` and finish.

use super::StatusFile;
use super::fields::{CWD_BYTES, cut_bytes};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The key in the status file.
pub const KEY: &str = "worktree";

/// Which worktree a session runs in, and what it was branched from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worktree {
    /// The worktree's folder on the session's host.
    pub path: String,
    /// The branch checked out there.
    pub branch: String,
    /// What the branch was made from (a branch name, or a commit when HEAD was detached):
    /// what `finish --merge` merges into and what `G` compares with.
    pub base: String,
    /// The main checkout of the repository (where a merge happens).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repo: String,
}

impl StatusFile {
    /// The session's worktree, when navi started it in one (each value cut to a bound; a
    /// field of another shape reads as none and is kept as written).
    pub fn worktree(&self) -> Option<Worktree> {
        let v = self.extra.get(KEY)?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(|s| cut_bytes(s, CWD_BYTES).to_string());
        let w = Worktree {
            path: text("path")?,
            branch: text("branch")?,
            base: text("base")?,
            repo: text("repo").unwrap_or_default(),
        };
        (!w.path.is_empty() && !w.branch.is_empty()).then_some(w)
    }

    pub fn set_worktree(&mut self, w: &Worktree) {
        if let Ok(v) = serde_json::to_value(w) {
            self.extra.insert(KEY.into(), v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::Status;

    #[test]
    fn round_trips_and_ignores_other_shapes() {
        let mut f = StatusFile::new("s", Status::Idle);
        assert_eq!(f.worktree(), None);
        let w =
            Worktree { path: "/r.worktrees/s".into(), branch: "navi/s".into(), base: "main".into(), repo: "/r".into() };
        f.set_worktree(&w);
        let back = crate::sessions::read::parse_one(&f.to_json()).unwrap();
        assert_eq!(back.worktree(), Some(w));
        f.extra.insert(KEY.into(), "not an object".into());
        assert_eq!(f.worktree(), None);
        assert!(String::from_utf8(f.to_json()).unwrap().contains("not an object"), "kept as written");
    }
}
