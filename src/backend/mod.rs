//! The per-session backend. [`SessionBackend`] has a few transport primitives (run a
//! script, read and write status files) that the local and remote implementations
//! provide; every action (list, preview, git, kill, rename, dismiss, create, send, answer) is
//! written once on top of them, with the shared tmux and git command builders.

pub mod agent_shells;
pub mod answer;
pub mod git;
pub mod local;
pub mod names;
pub mod pane;
pub mod panecheck;
pub mod process;
pub mod remote;
pub mod remote_files;
pub mod send;
pub mod shell;
pub mod tmux;
pub mod worktree;

use crate::sessions::stream::Parsed;
use crate::sessions::{Status, StatusFile};
use async_trait::async_trait;
pub use git::GitInfo;
pub use local::LocalBackend;
use serde::Serialize;
pub use tmux::Tmux;

/// A session as shown: its status file and the remote it lives on (`None`: local).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub file: StatusFile,
    pub remote: Option<String>,
}

/// The status file's fields with navi's own (`remote`) on top: a file's own `remote` field
/// is replaced, so the key appears once and always says where the session lives.
impl Serialize for Session {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = match serde_json::to_value(&self.file).map_err(serde::ser::Error::custom)? {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        map.insert("remote".into(), self.remote.clone().into());
        map.serialize(s)
    }
}

impl Session {
    pub fn name(&self) -> &str {
        &self.file.tmux_session
    }
}

/// What a host holds right now: its status files, and its tmux sessions when tmux
/// answered (`None`: unknown, so nothing may be cleaned up).
#[derive(Debug, Default)]
pub struct Snapshot {
    pub files: Parsed,
    pub tmux_sessions: Option<Vec<tmux::TmuxSession>>,
    /// Why tmux did not answer, when it did not.
    pub tmux_error: Option<String>,
}

/// The sessions of one host and the problems met while listing them.
#[derive(Debug, Default)]
pub struct Listing {
    pub sessions: Vec<Session>,
    pub warnings: Vec<String>,
    /// tmux answered the listing: without it, nothing about the panes can be known.
    pub tmux_answered: bool,
    /// The sessions a tmux client shows right now (the user is looking at them).
    pub attached: Vec<String>,
}

/// The result of a script run on a host.
#[derive(Debug, Clone, Default)]
pub struct ExecOutput {
    /// `None` when the command ended without an exit status (a dropped connection).
    pub status: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The failure as one line: stderr, else the exit status.
    pub fn error_text(&self) -> String {
        let err = String::from_utf8_lossy(&self.stderr).trim().to_string();
        match (err.is_empty(), self.status) {
            (false, _) => crate::text::sanitize_line(&err),
            (true, Some(c)) => format!("exit status {c}"),
            (true, None) => "ended without an exit status".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("no session named {0:?}")]
    NoSuchSession(String),
    #[error("session {0:?} has no status file")]
    NoStatusFile(String),
    #[error("a session named {0:?} already exists")]
    AlreadyExists(String),
    #[error("invalid name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("{0}")]
    Command(String),
    #[error("command timed out after {}s", .0.as_secs())]
    TimedOut(std::time::Duration),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Transport(String),
    /// A remote could not be reached or refused us; callers act on the variant (e.g. offer
    /// to accept an unknown host key).
    #[error(transparent)]
    Ssh(Box<crate::ssh::SshError>),
}

/// An edit of one status file, applied under the folder lock. A remote may apply it more
/// than once (to a fresh read when the file changed under it): it must depend only on
/// the file it is given.
pub type Edit = Box<dyn Fn(&mut StatusFile) + Send + Sync>;

/// A status file's name (`x.json`) as found in a sessions folder: one plain name that a
/// listing can have seen, never a path out of the folder.
fn check_file_name(file: &str) -> Result<(), String> {
    let plain = !file.contains('/') && !file.contains('\0') && !file.starts_with('.');
    if plain && file.len() > ".json".len() && file.ends_with(".json") {
        Ok(())
    } else {
        Err(format!("{file:?} is not a status file name"))
    }
}

/// The file a status file was read from: its real name when the reader said, else the
/// name its session would have (`None` when the session's name cannot be a file name).
fn file_of(file: &StatusFile) -> Option<String> {
    file.source.clone().or_else(|| crate::sessions::store::file_name_for(&file.tmux_session).ok())
}

/// The name tmux stored, as the script printed it on its last line; `asked` if it did not.
fn stored_name(out: &ExecOutput, asked: &str) -> String {
    let text = out.stdout_str();
    text.lines().last().filter(|l| !l.is_empty()).unwrap_or(asked).to_string()
}

/// Options for a new session.
#[derive(Debug, Clone, Default)]
pub struct NewSession {
    pub name: String,
    pub dir: String,
    pub skip_permissions: bool,
    /// A shell line typed before the agent (a worktree's setup): the agent starts once it
    /// succeeded, and its output stays in the pane.
    pub setup: Option<String>,
    /// The worktree the session runs in, recorded in its status file.
    pub worktree: Option<crate::sessions::worktree::Worktree>,
    /// The agent started in it.
    pub agent: crate::sessions::agent::Agent,
}

#[async_trait]
pub trait SessionBackend: Send + Sync {
    /// `None` for this machine, the remote's name otherwise.
    fn remote(&self) -> Option<&str>;

    fn tmux(&self) -> &Tmux;

    /// Starts following this host's pushed changes (a remote with navi installed, see
    /// `crate::push`), waking `wake` on each; `None`: it is only polled.
    fn start_push(&self, _wake: std::sync::Arc<tokio::sync::Notify>) -> Option<tokio::task::JoinHandle<()>> {
        None
    }

    /// Listings come from pushed changes now (the remote checks its own panes then).
    fn pushed(&self) -> bool {
        false
    }

    /// How a remote's sessions reach us (`None`: this machine).
    fn push_mode(&self) -> Option<crate::push::link::Mode> {
        None
    }

    /// Tries a remote's stream again now (navi was just set up there).
    fn retry_push(&self) {}

    /// The host's agent shells as its stream pushed them; `None`: ask the host.
    fn pushed_shells(&self) -> Option<Result<Vec<agent_shells::AgentShell>, String>> {
        None
    }

    /// Returns when the stream pushes a change of the host's agent shells (never, without
    /// a stream that carries them).
    async fn shells_changed(&self) {
        std::future::pending::<()>().await
    }

    /// Runs a POSIX `sh` script on the host, with `stdin` fed to it.
    async fn exec(&self, script: &str, stdin: Option<&[u8]>) -> Result<ExecOutput, BackendError>;

    /// Status files and tmux sessions, in one round trip where the transport allows.
    async fn snapshot(&self) -> Result<Snapshot, BackendError>;

    /// The status file of one session, `None` when it has none (or its name cannot be a
    /// file name: a `/` in it).
    async fn read_status(&self, name: &str) -> Result<Option<StatusFile>, BackendError>;

    /// Writes a status file atomically (temp file in the same folder, then rename), under
    /// the folder lock.
    async fn write_status(&self, file: &StatusFile) -> Result<(), BackendError>;

    /// Reads, edits and writes back one session's status file with no other writer (a
    /// hook) in between: every read-modify-write goes through here. `None`, and nothing
    /// written, when the session has no file.
    async fn update_status(&self, name: &str, edit: Edit) -> Result<Option<StatusFile>, BackendError>;

    /// Renames the tmux session `old` to `new` and moves its status file (if any) to the
    /// name tmux stored, in one hold of the folder lock, so no hook update is lost; the
    /// tmux rename is undone when the new file cannot be written.
    async fn rename_moving_status(&self, old: &str, new: &str) -> Result<(), BackendError>;

    /// Removes status files by their file name in the sessions folder (`x.json`); one
    /// already gone is fine. Each failure is its own: the others are still removed, and
    /// the error names every file that failed.
    async fn remove_files(&self, files: &[String]) -> Result<(), BackendError>;

    /// The program and arguments that attach a terminal to the session.
    fn attach_command(&self, name: &str, inside_tmux: bool) -> std::process::Command;

    /// The program and arguments that attach a terminal to the agent shell `name` (on the
    /// agent-shell server, see [`agent_shells`]). A tmux client cannot switch to a session
    /// of another server, so inside tmux this is a tmux client nested in the current pane.
    fn attach_agent_shell_command(&self, name: &str) -> std::process::Command;

    /// The sessions: status files joined with tmux. Files whose tmux session is gone are
    /// removed, but only after tmux answered.
    async fn list(&self) -> Result<Listing, BackendError> {
        let snap = self.snapshot().await?;
        let mut listing =
            Listing { sessions: Vec::new(), warnings: snap.files.errors, tmux_answered: false, attached: Vec::new() };
        let Some(alive) = snap.tmux_sessions else {
            listing.warnings.extend(snap.tmux_error);
            listing.sessions = snap.files.files.into_iter().map(|file| self.tag(file)).collect();
            return Ok(listing);
        };
        listing.tmux_answered = true;
        listing.attached = alive.iter().filter(|s| s.attached).map(|s| s.name.clone()).collect();
        let alive: std::collections::HashSet<String> = alive.into_iter().map(|s| s.name).collect();
        let (live, stale): (Vec<_>, Vec<_>) =
            snap.files.files.into_iter().partition(|f| alive.contains(&f.tmux_session));
        if !stale.is_empty() {
            let files: Vec<String> = stale.iter().filter_map(file_of).collect();
            if let Err(e) = self.remove_files(&files).await {
                listing.warnings.push(format!("removing stale status files: {e}"));
            }
        }
        listing.sessions = live.into_iter().map(|file| self.tag(file)).collect();
        Ok(listing)
    }

    fn tag(&self, file: StatusFile) -> Session {
        Session { file, remote: self.remote().map(str::to_string) }
    }

    /// Runs a script and turns a non-zero exit into an error carrying its stderr.
    async fn run_ok(&self, script: &str) -> Result<ExecOutput, BackendError> {
        let out = self.exec(script, None).await?;
        if out.success() { Ok(out) } else { Err(BackendError::Command(out.error_text())) }
    }

    /// Runs a script built on a session target: its "no such session" exit becomes
    /// [`BackendError::NoSuchSession`].
    async fn run_on(&self, name: &str, script: &str) -> Result<ExecOutput, BackendError> {
        let out = self.exec(script, None).await?;
        match out.status {
            Some(0) => Ok(out),
            Some(tmux::NO_SESSION) => Err(BackendError::NoSuchSession(name.into())),
            _ => Err(BackendError::Command(out.error_text())),
        }
    }

    async fn has_session(&self, name: &str) -> Result<bool, BackendError> {
        match self.run_on(name, &self.tmux().has_session(name)).await {
            Ok(_) => Ok(true),
            Err(BackendError::NoSuchSession(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The last `lines` lines of the session's pane, sanitized.
    async fn preview(&self, name: &str, lines: usize) -> Result<String, BackendError> {
        let out = self.run_on(name, &self.tmux().capture(name, lines)).await?;
        let text = crate::text::sanitize_bytes(&out.stdout);
        Ok(tmux::tail_lines(&text, lines))
    }

    /// Git facts for the session's directory (its status file's cwd, else its pane's).
    async fn git(&self, name: &str, with_diff: bool) -> Result<GitInfo, BackendError> {
        let mut info = self.git_facts(name, with_diff).await?;
        if let Some(url) = info.remote_url.clone() {
            info.pr = git::lookup_pr(&url, &info.branch).await;
        }
        Ok(info)
    }

    /// [`SessionBackend::git`] without the pull request (a network call the dashboard
    /// caches on its own).
    async fn git_facts(&self, name: &str, with_diff: bool) -> Result<GitInfo, BackendError> {
        let file = self.read_status(name).await?;
        let base = file.as_ref().and_then(|f| f.worktree()).map(|w| w.base);
        let cwd = match file.and_then(|f| f.cwd) {
            Some(cwd) => cwd,
            None => {
                let out = self.run_on(name, &self.tmux().pane_path(name)).await?;
                out.stdout_str().trim_end_matches('\n').to_string()
            }
        };
        let out = self.run_ok(&git::command(&cwd, with_diff, base.as_deref())).await?;
        git::parse(&out.stdout_str()).map_err(BackendError::Command)
    }

    /// Kills the tmux session and removes its status file.
    async fn kill(&self, name: &str) -> Result<(), BackendError> {
        let alive = self.has_session(name).await?;
        let has_file = self.read_status(name).await.ok().flatten().is_some();
        if !alive && !has_file {
            return Err(BackendError::NoSuchSession(name.into()));
        }
        if alive {
            self.run_on(name, &self.tmux().kill(name)).await?;
        }
        // A name that cannot be a file name (a `/` in it) has no file to remove.
        match crate::sessions::store::file_name_for(name) {
            Ok(file) => self.remove_files(&[file]).await,
            Err(_) => Ok(()),
        }
    }

    /// Renames the tmux session and moves its status file. Nothing is lost if a step
    /// fails: the tmux rename is undone when the new file cannot be written, and a left-
    /// over old file is cleaned as stale on the next list.
    async fn rename(&self, old: &str, new: &str) -> Result<(), BackendError> {
        names::validate(new).map_err(|reason| BackendError::InvalidName { name: new.into(), reason })?;
        if !self.has_session(old).await? {
            return Err(BackendError::NoSuchSession(old.into()));
        }
        if old == new {
            return Ok(());
        }
        if self.has_session(new).await? {
            return Err(BackendError::AlreadyExists(new.into()));
        }
        self.rename_moving_status(old, new).await
    }

    /// Clears the session's message: status working, timestamp now.
    async fn dismiss(&self, name: &str) -> Result<(), BackendError> {
        let now = crate::text::now_unix();
        let edit: Edit = Box::new(move |file| {
            file.status = Status::Working;
            file.message = None;
            file.extra.remove(crate::hook::mapping::PROMPT_KEY);
            file.timestamp = Some(now);
        });
        match self.update_status(name, edit).await? {
            Some(_) => Ok(()),
            None if self.has_session(name).await? => Err(BackendError::NoStatusFile(name.into())),
            None => Err(BackendError::NoSuchSession(name.into())),
        }
    }

    /// Starts the agent (`claude` unless told) in a new detached tmux session and writes its
    /// first status file.
    async fn create(&self, new: &NewSession) -> Result<Session, BackendError> {
        names::validate(&new.name).map_err(|reason| BackendError::InvalidName { name: new.name.clone(), reason })?;
        if self.has_session(&new.name).await? {
            return Err(BackendError::AlreadyExists(new.name.clone()));
        }
        let command = new.agent.command(new.skip_permissions);
        let command = match &new.setup {
            Some(setup) => format!("{setup} && {command}"),
            None => command,
        };
        let out = self.run_ok(&self.tmux().create(&new.name, &new.dir, &command)).await?;
        let (cwd, name) = tmux::parse_created(&out.stdout_str()).unwrap_or_else(|| (new.dir.clone(), new.name.clone()));
        let now = crate::text::now_unix();
        let mut file = StatusFile::new(&name, Status::Working);
        file.cwd = Some(cwd);
        file.timestamp = Some(now);
        file.message = Some(pane::STARTING.into());
        if let Some(w) = &new.worktree {
            file.set_worktree(w);
        }
        crate::sessions::agent::set_agent(&mut file, new.agent);
        if let Err(e) = self.write_status(&file).await {
            // Undone, as a failed rename is: no session left running with `claude` in it.
            let _ = self.run_on(&name, &self.tmux().kill(&name)).await;
            return Err(e);
        }
        Ok(self.tag(file))
    }

    /// Pastes `text` (newlines and all) into the session and presses Enter; with Claude
    /// Code in the pane, returns once it submitted the text (see [`send::submit`]). Then
    /// checks the pane at once: an answer to a dialog sends no hook event.
    async fn send(&self, name: &str, text: &str) -> Result<(), BackendError> {
        send::submit(self, name, text).await?;
        // Best effort: the text is sent; a failed check is retried by the next listing's.
        if let Ok(Some(file)) = self.read_status(name).await {
            self.check_panes(&[file], crate::text::now_unix()).await;
        }
        Ok(())
    }

    /// Corrects the statuses among `files` that may be stale from what their panes show
    /// (see [`panecheck`]); returns the files it corrected and per-session warnings.
    async fn check_panes(&self, files: &[StatusFile], now: i64) -> panecheck::Checked {
        panecheck::check(self, files, now).await
    }

    /// [`SessionBackend::list`] with the pane check applied to what it found (when tmux
    /// answered: a stopped tmux would make every look wait out its timeout).
    async fn list_checked(&self) -> Result<Listing, BackendError> {
        let mut listing = self.list().await?;
        if listing.tmux_answered {
            panecheck::apply(self, &mut listing, crate::text::now_unix()).await;
        }
        Ok(listing)
    }
}

#[cfg(test)]
mod list_tests;

#[cfg(test)]
mod session_tests {
    use super::*;

    #[test]
    fn navis_remote_key_wins_and_appears_once() {
        let mut file = StatusFile::new("a", Status::Done);
        file.extra.insert("remote".into(), "elsewhere".into());
        let text = serde_json::to_string(&Session { file, remote: None }).unwrap();
        assert_eq!(text.matches("\"remote\"").count(), 1, "{text}");
        assert!(text.contains("\"remote\":null"), "{text}");
    }
}
