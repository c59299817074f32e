//! Messages into the update (input, background results, timers) and the effects it asks
//! the event loop to carry out. Background results are owned snapshots.

use super::input::{Key, Mouse};
use super::model::{GitKey, SessionKey};
use super::remotes::{HostKeyPrompt, RemoteStatus};
use crate::backend::answer::Dialog as PermissionDialog;
use crate::backend::pane::Answer;
use crate::backend::{GitInfo, Session};

#[derive(Debug, Clone)]
pub enum Msg {
    Key(Key),
    Mouse(Mouse),
    Resize(u16, u16),
    /// Once a second, with the time in Unix seconds.
    Tick(i64),
    /// A backend's listing: `Err` is the reason it could not be listed.
    Listing {
        remote: Option<String>,
        result: Result<(Vec<Session>, Vec<String>), String>,
    },
    /// A host's agent shells: `Err` is why they could not be listed.
    Shells {
        remote: Option<String>,
        result: Result<Vec<crate::backend::agent_shells::AgentShell>, String>,
    },
    Preview {
        key: SessionKey,
        result: Result<String, String>,
    },
    /// The preview timer fired.
    PreviewDue,
    Git {
        key: GitKey,
        result: Result<GitInfo, String>,
    },
    /// A queued git fetch was dropped because its row left the screen before its turn.
    GitSkipped(GitKey),
    GitDetail {
        key: SessionKey,
        result: Result<GitInfo, String>,
    },
    /// An action finished: `done` is what to say on success.
    ActionDone {
        done: String,
        result: Result<(), String>,
    },
    DirChecked {
        dir: String,
        exists: bool,
    },
    /// Connection states from the SSH pool (they replace those derived from listings).
    RemoteStatuses(Vec<RemoteStatus>),
    /// A remote (or its jump host) offered a key that is not in known_hosts.
    UnknownHostKey(HostKeyPrompt),
    /// The permission dialogs read for an approve or deny, in the order asked.
    DialogsRead {
        answer: Answer,
        found: Vec<super::dialog::Found>,
    },
    /// Finishing a worktree session would lose this work (nothing was changed).
    FinishRefused {
        key: SessionKey,
        how: crate::backend::worktree::Finish,
        lost: Vec<String>,
    },
    /// A worktree session was not started: its branch exists (nothing was created).
    BranchExists {
        remote: Option<String>,
        start: crate::backend::worktree::Start,
    },
    /// Came back from an attached session.
    Attached(Result<(), String>),
    Warning(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// `navi setup` on this remote.
    Setup(String),
    /// `None`: every backend; `Some(r)`: one (`Some(None)` is local).
    Refresh(Option<Option<String>>),
    Attach(SessionKey),
    Kill(SessionKey),
    /// Attach to / kill the agent shell `name` on `remote`'s agent-shell server.
    AttachShell(SessionKey),
    KillShell(SessionKey),
    Rename(SessionKey, String),
    Dismiss(SessionKey),
    /// Mute notices for an hour, or unmute when they are muted.
    ToggleMute,
    Create {
        remote: Option<String>,
        name: String,
        dir: String,
        skip_permissions: bool,
        agent: crate::sessions::agent::Agent,
    },
    /// Start a session in a new git worktree (the form's worktree box; or, confirmed, in
    /// an existing branch).
    CreateWorktree {
        remote: Option<String>,
        start: crate::backend::worktree::Start,
    },
    /// Finish a worktree session (`force`: the user confirmed losing work).
    Finish {
        key: SessionKey,
        how: crate::backend::worktree::Finish,
        force: bool,
    },
    Send(SessionKey, String),
    /// Read these sessions' permission dialogs (answered with `Msg::DialogsRead`).
    ReadDialogs {
        keys: Vec<SessionKey>,
        answer: Answer,
    },
    /// Answer the permission dialog the user was shown (refused when it changed).
    Answer {
        key: SessionKey,
        answer: Answer,
        dialog: PermissionDialog,
    },
    /// Several effects confirmed at once (an action on the marked rows).
    Batch(Vec<Effect>),
    /// Capture the pane of a session, or of an agent shell when the key is its row's (see
    /// [`SessionKey::shell_name`]).
    FetchPreview(SessionKey),
    /// Fire `Msg::PreviewDue` after this many milliseconds (replaces a pending timer).
    SchedulePreview(u64),
    FetchGit {
        key: SessionKey,
        git: GitKey,
    },
    FetchGitDetail(SessionKey),
    CheckDir(String),
    /// Add exactly the key shown in the dialog to known_hosts (refused when the remote now
    /// offers another one), then list it again.
    AcceptHostKey(HostKeyPrompt),
    Quit,
}
