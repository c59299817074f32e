//! Dialog state: confirmations carrying the effect they will run, forms with a text
//! input and inline validation, and the read-only panels (git, metrics, help).

use super::model::SessionKey;
use super::msg::Effect;
use super::remotes::HostKeyPrompt;
use crate::backend::GitInfo;
use crate::backend::answer::Dialog as PermissionDialog;
use crate::backend::pane::Answer;

/// A session's permission dialog as read before asking the user, or why it has none.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub key: SessionKey,
    pub dialog: Result<PermissionDialog, String>,
}

/// A one-line text input with a cursor (in characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    pub value: String,
    pub cursor: usize,
}

impl TextInput {
    pub fn new(value: &str) -> Self {
        TextInput { value: value.to_string(), cursor: value.chars().count() }
    }

    fn byte(&self, char_idx: usize) -> usize {
        self.value.char_indices().nth(char_idx).map_or(self.value.len(), |(i, _)| i)
    }

    pub fn insert(&mut self, c: char) {
        let at = self.byte(self.cursor);
        self.value.insert(at, c);
        self.cursor += 1;
    }

    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte(self.cursor);
            self.value.remove(at);
        }
    }

    pub fn delete(&mut self) {
        if self.cursor < self.value.chars().count() {
            let at = self.byte(self.cursor);
            self.value.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.value.chars().count());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.value.chars().count();
    }

    pub fn clear(&mut self) {
        *self = TextInput::default();
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewForm {
    /// Where the session starts (`None`: this machine); field 3 cycles through `hosts`.
    pub remote: Option<String>,
    pub hosts: Vec<Option<String>>,
    pub name: TextInput,
    pub dir: TextInput,
    pub skip_permissions: bool,
    /// Start in a new git worktree (a checkbox after the host; while checked, the branch
    /// and base inputs follow it; empty: the defaults).
    pub worktree: bool,
    pub branch: TextInput,
    pub base: TextInput,
    pub branch_error: Option<String>,
    /// The agent to start; the last field cycles through them.
    pub agent: crate::sessions::agent::Agent,
    /// 0 name, 1 directory, 2 skip-permissions checkbox, 3 host (when remotes exist), then
    /// the worktree checkbox, branch and base, then the agent.
    pub field: usize,
    pub name_error: Option<String>,
    pub dir_error: Option<String>,
    /// The last directory checked and whether it exists.
    pub dir_checked: Option<(String, bool)>,
}

impl NewForm {
    pub fn fields(&self) -> usize {
        self.worktree_field() + if self.worktree { 3 } else { 1 } + 1
    }

    pub fn host_field(&self) -> Option<usize> {
        (self.hosts.len() > 1).then_some(3)
    }

    pub fn worktree_field(&self) -> usize {
        if self.hosts.len() > 1 { 4 } else { 3 }
    }

    /// The agent choice: always the last field.
    pub fn agent_field(&self) -> usize {
        self.fields() - 1
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// `text` may hold several lines (a list of the sessions it acts on).
    Confirm {
        title: String,
        text: String,
        effect: Effect,
    },
    /// Approve or deny: what each session's dialog asks, before anything is typed.
    Answer {
        answer: Answer,
        found: Vec<Found>,
    },
    Rename {
        key: SessionKey,
        input: TextInput,
        error: Option<String>,
    },
    New(NewForm),
    Send {
        key: SessionKey,
        input: TextInput,
        error: Option<String>,
    },
    Git {
        key: SessionKey,
        info: Option<Result<GitInfo, String>>,
        scroll: usize,
    },
    Metrics {
        key: SessionKey,
        scroll: usize,
    },
    Help {
        scroll: usize,
    },
    HostKey(HostKeyPrompt),
    /// How to finish a worktree session (see [`super::worktree`]).
    Finish {
        key: SessionKey,
        worktree: crate::sessions::worktree::Worktree,
    },
    /// Kill a worktree session: keep its worktree (the default) or remove it too.
    KillWorktree {
        key: SessionKey,
        worktree: crate::sessions::worktree::Worktree,
    },
}
