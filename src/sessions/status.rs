//! The status enum, its icons and the default ordering of sessions.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What a Claude Code session is doing, as written by the hook.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Status {
    Waiting,
    Permission,
    #[default]
    Working,
    Done,
    Idle,
    Stopped,
    Error,
    Offline,
    /// A status this version does not know; kept verbatim.
    Other(String),
}

impl Status {
    pub fn as_str(&self) -> &str {
        match self {
            Status::Waiting => "waiting",
            Status::Permission => "permission",
            Status::Working => "working",
            Status::Done => "done",
            Status::Idle => "idle",
            Status::Stopped => "stopped",
            Status::Error => "error",
            Status::Offline => "offline",
            Status::Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> Status {
        match s {
            "waiting" => Status::Waiting,
            "permission" => Status::Permission,
            "working" => Status::Working,
            "done" => Status::Done,
            "idle" => Status::Idle,
            "stopped" => Status::Stopped,
            "error" => Status::Error,
            "offline" => Status::Offline,
            other => Status::Other(other.to_string()),
        }
    }

    pub fn icon(&self) -> &'static str {
        match self {
            Status::Waiting => "⏳",
            Status::Permission => "❓",
            Status::Working => "⚙️",
            Status::Done => "✅",
            Status::Idle => "⏸",
            Status::Stopped => "⏹",
            Status::Error => "❌",
            Status::Offline => "⏹️",
            Status::Other(_) => "○",
        }
    }

    /// Sort group: sessions that need the user first, then running ones, then the rest.
    pub fn priority(&self) -> u8 {
        match self {
            Status::Waiting | Status::Permission => 0,
            Status::Working => 1,
            _ => 2,
        }
    }

    /// True when the session is blocked on the user.
    pub fn needs_attention(&self) -> bool {
        self.priority() == 0
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Status::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_and_unknown() {
        for s in ["waiting", "permission", "working", "done", "idle", "stopped", "error", "offline", "zzz"] {
            assert_eq!(Status::parse(s).as_str(), s);
        }
        assert_eq!(Status::parse("zzz").icon(), "○");
        assert_eq!(Status::Offline.icon(), "⏹️");
    }

    #[test]
    fn priority_groups() {
        assert_eq!(Status::Waiting.priority(), Status::Permission.priority());
        assert!(Status::Permission.priority() < Status::Working.priority());
        assert!(Status::Working.priority() < Status::Done.priority());
        assert_eq!(Status::Done.priority(), Status::Other("x".into()).priority());
    }
}
