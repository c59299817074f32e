//! Parsers of the worktree scripts' answers (`KEY:value` lines, see [`super::script`]).
//! An `ERROR:kind` line becomes the matching [`WorktreeError`]; every value shown later is
//! sanitized where it is shown.

use super::WorktreeError;
use crate::sessions::worktree::Worktree;
use serde::Serialize;

/// What the create script did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Created {
    pub worktree: Worktree,
    /// The host's home folder (a setup rule's `~/`).
    pub home: String,
    /// How many files of `.worktreeinclude` were copied.
    pub copied: u32,
    /// The worktree was made now (not reused); so was the branch.
    pub new_worktree: bool,
    pub new_branch: bool,
    pub warnings: Vec<String>,
}

/// One worktree as inspected or listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    pub path: String,
    pub branch: String,
    pub base: String,
    pub repo: String,
    /// The session named in navi's marker (listing only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub marker_session: String,
    /// The folder is there (false: removed by hand).
    pub exists: bool,
    /// `git status --porcelain` lines: uncommitted changes (at most 50 shown).
    pub dirty: Vec<String>,
    pub dirty_count: u32,
    pub branch_exists: bool,
    /// The base no longer names a commit.
    pub base_gone: bool,
    pub ahead: Option<u32>,
    pub behind: Option<u32>,
    /// The branch's commits the base lacks, newest first (at most 50).
    pub commits: Vec<String>,
}

impl Facts {
    pub fn worktree(&self) -> Worktree {
        Worktree {
            path: self.path.clone(),
            branch: self.branch.clone(),
            base: self.base.clone(),
            repo: self.repo.clone(),
        }
    }
}

fn lines(out: &str) -> impl Iterator<Item = (&str, &str)> {
    out.lines().filter_map(|l| l.split_once(':'))
}

/// The refusal an `ERROR:` line names, with the lines that detail it.
fn refusal(out: &str, asked: &str) -> Option<WorktreeError> {
    let kind = lines(out).find(|(k, _)| *k == "ERROR")?.1;
    let values = |key: &str| lines(out).filter(|(k, _)| *k == key).map(|(_, v)| v.to_string()).collect::<Vec<_>>();
    let first = |key: &str| values(key).into_iter().next().unwrap_or_default();
    Some(match kind {
        "nodir" => WorktreeError::NoDir(asked.into()),
        "notgit" => WorktreeError::NotARepo(asked.into()),
        "bare" => WorktreeError::Invalid(format!("{asked} is in a bare repository: no main checkout to branch from")),
        "badbranch" => WorktreeError::Invalid("git rejects that branch name".into()),
        "badbase" => WorktreeError::Invalid("the base is not a commit of this repository".into()),
        "newline" => WorktreeError::Invalid("the repository or worktree path holds a newline".into()),
        "branchexists" => WorktreeError::BranchExists,
        "inmain" => WorktreeError::Invalid("the branch is checked out in the main checkout; pick another".into()),
        "pathexists" => WorktreeError::PathExists(first("PATH")),
        "pathgone" => WorktreeError::Invalid(format!(
            "the branch's worktree {} was removed by hand; run `git worktree prune` in the repository",
            first("PATH")
        )),
        "mainbranch" => WorktreeError::MainNotReady(match first("CURRENT").as_str() {
            "" => format!("the main checkout has a detached HEAD; check out {:?} there first", first("BASE")),
            cur => format!(
                "the main checkout is on {cur:?}, not on the base {:?}; check it out there first",
                first("BASE")
            ),
        }),
        "maindirty" => WorktreeError::MainNotReady(format!(
            "the main checkout has uncommitted changes: {}",
            values("DIRTY").join(", ")
        )),
        "conflict" => WorktreeError::Conflict(values("FILE")),
        "mergefailed" => WorktreeError::Failed(format!("the merge did not start: {}", values("MSG").join(" "))),
        "noremote" => WorktreeError::Failed("the repository has no remote named origin to push to".into()),
        other => WorktreeError::Failed(format!("unexpected answer {other:?}")),
    })
}

/// The create script's answer; `asked` names the directory in messages.
pub fn created(out: &str, asked: &str) -> Result<Created, WorktreeError> {
    if let Some(e) = refusal(out, asked) {
        return Err(e);
    }
    let mut c = Created::default();
    for (k, v) in lines(out) {
        match k {
            "PATH" => c.worktree.path = v.into(),
            "BRANCH" => c.worktree.branch = v.into(),
            "BASE" => c.worktree.base = v.into(),
            "REPO" => c.worktree.repo = v.into(),
            "HOME" => c.home = v.into(),
            "COPIED" => c.copied = v.trim().parse().unwrap_or(0),
            "NEW" => c.new_worktree = v == "1",
            "NEWBRANCH" => c.new_branch = v == "1",
            "WARN" => c.warnings.push(v.into()),
            _ => {}
        }
    }
    if c.worktree.path.is_empty() || c.worktree.repo.is_empty() {
        return Err(WorktreeError::Failed("the worktree script gave no path".into()));
    }
    Ok(c)
}

/// Records (each starting with a `RECORD:` line).
pub fn records(out: &str) -> Vec<Facts> {
    let mut all: Vec<Facts> = Vec::new();
    for (k, v) in lines(out) {
        if k == "RECORD" {
            all.push(Facts::default());
            continue;
        }
        let Some(f) = all.last_mut() else { continue };
        match k {
            "PATH" => f.path = v.into(),
            "BRANCH" => f.branch = v.into(),
            "BASE" => f.base = v.into(),
            "REPO" => f.repo = v.into(),
            "SESSION" => f.marker_session = v.into(),
            "EXISTS" => f.exists = v == "1",
            "DIRTY" => f.dirty.push(v.into()),
            "DIRTYCOUNT" => f.dirty_count = v.trim().parse().unwrap_or(0),
            "BRANCHEXISTS" => f.branch_exists = v == "1",
            "BASEGONE" => f.base_gone = v == "1",
            "AHEADBEHIND" => (f.behind, f.ahead) = crate::backend::git::left_right(v).unzip(),
            "COMMIT" => f.commits.push(v.into()),
            _ => {}
        }
    }
    all
}

/// The merge script's answer: fast-forward or not.
pub fn merged(out: &str) -> Result<bool, WorktreeError> {
    if let Some(e) = refusal(out, "") {
        return Err(e);
    }
    match lines(out).find(|(k, _)| *k == "MERGED") {
        Some((_, how)) => Ok(how == "ff"),
        None => Err(WorktreeError::Failed("the merge script gave no answer".into())),
    }
}

/// The push script's answer: origin's URL.
pub fn pushed(out: &str) -> Result<String, WorktreeError> {
    if let Some(e) = refusal(out, "") {
        return Err(e);
    }
    lines(out)
        .find(|(k, _)| *k == "URL")
        .map(|(_, v)| v.to_string())
        .ok_or_else(|| WorktreeError::Failed("the push script gave no URL".into()))
}

/// The remove script's answer: whether the branch was deleted.
pub fn removed(out: &str) -> bool {
    lines(out).any(|(k, v)| k == "BRANCH" && v == "deleted")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_answer() {
        let c = created(
            "PATH:/r.worktrees/s\nBRANCH:navi/s\nBASE:main\nREPO:/r\nHOME:/h\nCOPIED:2\nNEW:1\nNEWBRANCH:1\n",
            "/r",
        )
        .unwrap();
        assert_eq!(c.worktree.path, "/r.worktrees/s");
        assert_eq!((c.copied, c.new_worktree, c.new_branch), (2, true, true));
        assert!(matches!(created("ERROR:branchexists\n", "/r"), Err(WorktreeError::BranchExists)));
        assert!(matches!(created("ERROR:pathexists\nPATH:/x\n", "/r"), Err(WorktreeError::PathExists(p)) if p == "/x"));
        assert!(matches!(created("", "/r"), Err(WorktreeError::Failed(_))));
    }

    #[test]
    fn records_with_changes_and_commits() {
        let out = "RECORD:\nPATH:/w\nBRANCH:b\nBASE:main\nREPO:/r\nEXISTS:1\nDIRTY: M a.txt\nDIRTY:?? new\nDIRTYCOUNT:2\n\
                   BRANCHEXISTS:1\nAHEADBEHIND:1\t2\nCOMMIT:abc two\nCOMMIT:def one: with colon\nRECORD:\nPATH:/g\nEXISTS:0\n";
        let r = records(out);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].dirty, [" M a.txt", "?? new"]);
        assert_eq!((r[0].ahead, r[0].behind), (Some(2), Some(1)));
        assert_eq!(r[0].commits, ["abc two", "def one: with colon"]);
        assert!(!r[1].exists && !r[1].branch_exists);
    }

    #[test]
    fn merge_answers() {
        assert!(merged("MERGED:ff\n").unwrap());
        assert!(!merged("MERGED:merge\n").unwrap());
        match merged("ERROR:conflict\nFILE:a.txt\n") {
            Err(WorktreeError::Conflict(f)) => assert_eq!(f, ["a.txt"]),
            other => panic!("{other:?}"),
        }
    }
}
