//! Worktree sessions: a session per branch, in a git worktree of its own, from start to
//! finish. Written once on top of [`SessionBackend`] (the scripts of [`script`], the
//! parsers of [`parse`]), so this machine and remotes go through the same steps; only the
//! pull request is opened by the local `gh` (see [`pr`]), so `gh` is never needed on a
//! remote.

pub mod parse;
pub mod pr;
pub mod script;

use super::{BackendError, NewSession, Session, SessionBackend, names};
use crate::config::worktrees::WorktreesConfig;
use crate::sessions::worktree::Worktree;
pub use parse::{Created, Facts};
use script::BranchFate;

#[derive(Debug, thiserror::Error)]
pub enum WorktreeError {
    /// Refused before anything was created or changed.
    #[error("{0}")]
    Invalid(String),
    #[error("no such directory: {0}")]
    NoDir(String),
    #[error("{0} is not inside a git repository")]
    NotARepo(String),
    #[error("the branch already exists: `navi new NAME --worktree --reuse` starts the session in it")]
    BranchExists,
    #[error("{0} already exists: pick another name, or remove it first")]
    PathExists(String),
    #[error("session {0:?} has no worktree of navi's (see `navi worktrees`)")]
    NotAWorktree(String),
    /// What finishing would lose; the user may confirm (`--force`).
    #[error("finishing would lose work:\n{}", .0.join("\n"))]
    WouldLose(Vec<String>),
    /// The main checkout is not ready for a merge; nothing was changed.
    #[error("cannot merge: {0}; nothing was changed")]
    MainNotReady(String),
    #[error("the merge conflicts in {}; it was aborted and the main checkout is as it was", .0.join(", "))]
    Conflict(Vec<String>),
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// A new session in a worktree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Start {
    pub name: String,
    /// Any folder of the repository.
    pub dir: String,
    /// Default `navi/NAME`.
    pub branch: Option<String>,
    /// Default: the current branch of `dir`.
    pub base: Option<String>,
    /// Start in the branch (and its worktree) when they exist already.
    pub reuse: bool,
    pub skip_permissions: bool,
    /// The agent started in it.
    pub agent: crate::sessions::agent::Agent,
}

/// A session started in a worktree.
#[derive(Debug, Clone)]
pub struct Started {
    pub session: Session,
    pub created: Created,
    /// The setup command typed before the agent, if a rule matched.
    pub setup: Option<String>,
}

/// Checks what git and tmux would refuse, before anything is created.
pub fn check_start(s: &Start) -> Result<String, WorktreeError> {
    names::validate(&s.name)
        .map_err(|reason| WorktreeError::Invalid(format!("invalid name {:?}: {reason}", s.name)))?;
    let branch = s.branch.clone().unwrap_or_else(|| format!("navi/{}", s.name));
    names::validate_branch(&branch).map_err(WorktreeError::Invalid)?;
    if let Some(base) = &s.base
        && (base.is_empty() || base.starts_with('-') || base.chars().any(char::is_control))
    {
        return Err(WorktreeError::Invalid(format!("base {base:?} cannot be a git revision")));
    }
    Ok(branch)
}

/// Creates (or reuses) the worktree, copies the files of `.worktreeinclude`, then starts
/// the agent there after the setup command of `config`. When the session cannot start,
/// a worktree (and branch) made for it is removed again.
pub async fn start<B: SessionBackend + ?Sized>(
    b: &B,
    s: &Start,
    config: &WorktreesConfig,
) -> Result<Started, WorktreeError> {
    let branch = check_start(s)?;
    if b.has_session(&s.name).await? {
        return Err(BackendError::AlreadyExists(s.name.clone()).into());
    }
    let args = script::CreateArgs {
        dir: &s.dir,
        name: &s.name,
        branch: &branch,
        base: s.base.as_deref(),
        location: &config.location,
        reuse: s.reuse,
    };
    let out = b.run_ok(&script::create(&args)).await?;
    let created = parse::created(&out.stdout_str(), &s.dir)?;
    let setup = config.setup_for(&created.worktree.repo, &created.home).map(str::to_string);
    let new = NewSession {
        name: s.name.clone(),
        dir: created.worktree.path.clone(),
        skip_permissions: s.skip_permissions,
        setup: setup.clone(),
        worktree: Some(created.worktree.clone()),
        agent: s.agent,
    };
    match b.create(&new).await {
        Ok(session) => {
            if session.name() != s.name {
                b.run_ok(&script::mark(&created.worktree, session.name())).await?;
            }
            Ok(Started { session, created, setup })
        }
        Err(e) => {
            if created.new_worktree {
                let fate = if created.new_branch { BranchFate::Delete } else { BranchFate::Keep };
                let _ = b.exec(&script::remove(&created.worktree, true, fate), None).await;
            }
            Err(e.into())
        }
    }
}

/// How a worktree session ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// Merge the branch into the base in the main checkout.
    Merge,
    /// Push the branch and open a pull request.
    PullRequest,
    /// Only remove the worktree (and the branch, when merged or confirmed).
    Remove,
}

#[derive(Debug, Clone)]
pub struct Finished {
    pub worktree: Worktree,
    /// After a merge: whether it was a fast-forward.
    pub fast_forward: Option<bool>,
    pub pr_url: Option<String>,
    pub branch_deleted: bool,
}

/// The worktree of session `name` and whether the session is the one working there: from
/// its status file, else from navi's marker in a listed worktree (a session killed without
/// its worktree; a live session of that name now is another one).
pub async fn locate<B: SessionBackend + ?Sized>(b: &B, name: &str) -> Result<(Worktree, bool), WorktreeError> {
    if let Some(w) = b.read_status(name).await?.and_then(|f| f.worktree())
        && !w.repo.is_empty()
    {
        return Ok((w, true));
    }
    let listed = facts(b, &script::list()).await?;
    listed
        .into_iter()
        .find(|f| f.marker_session == name)
        .map(|f| (f.worktree(), false))
        .ok_or_else(|| WorktreeError::NotAWorktree(name.into()))
}

async fn facts<B: SessionBackend + ?Sized>(b: &B, script: &str) -> Result<Vec<Facts>, WorktreeError> {
    let out = b.run_ok(script).await?;
    Ok(parse::records(&out.stdout_str()))
}

/// What finishing `how` would lose: uncommitted changes always (nothing carries them),
/// the branch's own commits when it is only removed.
pub fn would_lose(f: &Facts, how: Finish) -> Vec<String> {
    let mut lost = Vec::new();
    if f.exists && (f.dirty_count > 0 || !f.dirty.is_empty()) {
        let n = f.dirty_count.max(f.dirty.len() as u32);
        lost.push(format!("{n} uncommitted change(s) in {}:", f.path));
        lost.extend(f.dirty.iter().map(|d| format!("  {d}")));
    }
    if how == Finish::Remove && f.branch_exists {
        if f.base_gone {
            lost.push(format!("branch {} (its base {} is gone, so whether it is merged is unknown)", f.branch, f.base));
        } else if !f.commits.is_empty() {
            let n = f.ahead.unwrap_or(f.commits.len() as u32);
            lost.push(format!("{n} commit(s) on {} that {} does not have:", f.branch, f.base));
            lost.extend(f.commits.iter().map(|c| format!("  {c}")));
        }
    }
    lost
}

/// Finishes session `name`: checks what would be lost (refused unless `force`), merges or
/// opens the pull request, ends the session (tmux and status file), then removes the
/// worktree and the branch (the branch only once the base has it, unless confirmed).
pub async fn finish<B: SessionBackend + ?Sized>(
    b: &B,
    name: &str,
    how: Finish,
    force: bool,
) -> Result<Finished, WorktreeError> {
    let (w, ours) = locate(b, name).await?;
    let f = facts(b, &script::inspect(&w))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| WorktreeError::Failed("the worktree could not be inspected".into()))?;
    let lost = would_lose(&f, how);
    if !lost.is_empty() && !force {
        return Err(WorktreeError::WouldLose(lost));
    }
    let mut done = Finished { worktree: w.clone(), fast_forward: None, pr_url: None, branch_deleted: false };
    if how != Finish::Remove && !f.branch_exists {
        return Err(WorktreeError::Failed(format!("branch {} no longer exists", w.branch)));
    }
    match how {
        Finish::Merge => done.fast_forward = Some(parse::merged(&b.run_ok(&script::merge(&w)).await?.stdout_str())?),
        Finish::PullRequest => {
            let url = parse::pushed(&b.run_ok(&script::push(&w)).await?.stdout_str())?;
            done.pr_url = Some(pr::create(&url, &f).await?);
        }
        Finish::Remove => {}
    }
    // The agent stops before its folder goes.
    if ours {
        match b.kill(name).await {
            Ok(()) | Err(BackendError::NoSuchSession(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let fate = if how == Finish::Remove && force { BranchFate::Delete } else { BranchFate::IfMerged };
    let out = b.run_ok(&script::remove(&w, force, fate)).await?;
    done.branch_deleted = parse::removed(&out.stdout_str());
    Ok(done)
}

/// A worktree of navi's and the session in it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Listed {
    #[serde(flatten)]
    pub facts: Facts,
    /// The live tmux session working there (`None`: no session).
    pub session: Option<String>,
}

/// navi's worktrees on the host, each with its live session if any.
pub async fn list<B: SessionBackend + ?Sized>(b: &B) -> Result<Vec<Listed>, WorktreeError> {
    let records = facts(b, &script::list()).await?;
    let snap = b.snapshot().await?;
    let alive: std::collections::HashSet<String> =
        snap.tmux_sessions.unwrap_or_default().into_iter().map(|s| s.name).collect();
    Ok(records
        .into_iter()
        .map(|f| {
            let by_file = snap.files.files.iter().find(|s| s.worktree().is_some_and(|w| w.path == f.path));
            let name = by_file.map(|s| s.tmux_session.clone()).unwrap_or_else(|| f.marker_session.clone());
            let session = alive.contains(&name).then_some(name);
            Listed { facts: f, session }
        })
        .collect())
}
