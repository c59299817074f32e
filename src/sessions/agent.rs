//! Which agent CLI runs a session: the status file's optional `agent` field (`codex`,
//! `gemini`, `opencode`; absent means Claude Code, so files of the original navi and of
//! older navi versions read as they always did).

use super::model::StatusFile;
use serde::Serialize;

pub const AGENT_KEY: &str = "agent";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Agent {
    #[default]
    Claude,
    Codex,
    Gemini,
    OpenCode,
}

impl Agent {
    pub const ALL: [Agent; 4] = [Agent::Claude, Agent::Codex, Agent::Gemini, Agent::OpenCode];

    /// The name in status files, on the command line and on the row.
    pub fn name(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
            Agent::OpenCode => "opencode",
        }
    }

    pub fn parse(s: &str) -> Option<Agent> {
        Agent::ALL.into_iter().find(|a| a.name() == s)
    }

    /// The program that starts it in a pane.
    pub fn program(self) -> &'static str {
        self.name()
    }

    /// The command line that starts it, with its flag for running without asking for
    /// permissions when `skip_permissions` (OpenCode has none: its permissions live in its
    /// config).
    pub fn command(self, skip_permissions: bool) -> String {
        match self.skip_flag().filter(|_| skip_permissions) {
            Some(flag) => format!("{} {flag}", self.program()),
            None => self.program().to_string(),
        }
    }

    /// Its flag for running without permission prompts.
    pub fn skip_flag(self) -> Option<&'static str> {
        match self {
            Agent::Claude => Some("--dangerously-skip-permissions"),
            Agent::Codex => Some("--dangerously-bypass-approvals-and-sandbox"),
            Agent::Gemini => Some("--yolo"),
            Agent::OpenCode => None,
        }
    }

    /// The next agent in [`Agent::ALL`] (`back`: the previous), for a choice in a form.
    pub fn cycle(self, back: bool) -> Agent {
        let i = Agent::ALL.iter().position(|a| *a == self).unwrap_or(0);
        let n = Agent::ALL.len();
        Agent::ALL[if back { (i + n - 1) % n } else { (i + 1) % n }]
    }

    /// What the user reads: `Claude Code`, `Codex`, …
    pub fn title(self) -> &'static str {
        match self {
            Agent::Claude => "Claude Code",
            Agent::Codex => "Codex",
            Agent::Gemini => "Gemini CLI",
            Agent::OpenCode => "OpenCode",
        }
    }
}

/// The agent a status file names; an unknown name reads as its own text via [`agent_name`].
pub fn agent(f: &StatusFile) -> Agent {
    f.extra.get(AGENT_KEY).and_then(|a| a.as_str()).and_then(Agent::parse).unwrap_or_default()
}

/// The `agent` field as written (bounded), `claude` when absent: what the row shows and
/// search matches, including a name this version does not know.
pub fn agent_name(f: &StatusFile) -> String {
    match f.extra.get(AGENT_KEY).and_then(|a| a.as_str()).filter(|a| !a.is_empty()) {
        Some(a) => super::fields::cut_chars(a, 32),
        None => Agent::Claude.name().to_string(),
    }
}

/// Records `agent` on the file; Claude Code is written as no field at all.
pub fn set_agent(f: &mut StatusFile, agent: Agent) {
    match agent {
        Agent::Claude => {
            f.extra.shift_remove(AGENT_KEY);
        }
        other => {
            f.extra.insert(AGENT_KEY.into(), other.name().into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessions::Status;

    #[test]
    fn absent_is_claude_and_names_round_trip() {
        let mut f = StatusFile::new("s", Status::Idle);
        assert_eq!((agent(&f), agent_name(&f).as_str()), (Agent::Claude, "claude"));
        set_agent(&mut f, Agent::Gemini);
        assert!(String::from_utf8(f.to_json()).unwrap().contains("\"agent\": \"gemini\""));
        assert_eq!(agent(&f), Agent::Gemini);
        set_agent(&mut f, Agent::Claude);
        assert!(!f.extra.contains_key(AGENT_KEY));
        f.extra.insert(AGENT_KEY.into(), "aider".into());
        assert_eq!((agent(&f), agent_name(&f).as_str()), (Agent::Claude, "aider"));
        for a in Agent::ALL {
            assert_eq!(Agent::parse(a.name()), Some(a));
        }
    }
}
