//! Agent shells (the `connect_session` tool's sessions) live on a tmux server of navi's own
//! on each host, `tmux -L navi-agents`, so `kill-server` on the user's tmux never touches
//! them and they outlive any `navi mcp` process. This is the one home of that server's name
//! and of the session names on it (`a-` and 8 lowercase hex digits).

use super::tmux::Tmux;

/// The `-L` socket name of the agent-shell server.
pub const SOCKET: &str = "navi-agents";

/// Whether `name` is an agent shell's tmux session name (`a-3f9a1c07`).
pub fn is_name(name: &str) -> bool {
    name.len() == 10
        && name.starts_with("a-")
        && name[2..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A fresh session name.
pub fn new_name() -> String {
    format!("a-{:08x}", rand::random::<u32>())
}

impl Tmux {
    /// The agent-shell server on this host (`tmux -u -L navi-agents`).
    pub fn agents() -> Self {
        Tmux::with_prefix(format!("tmux -u -L {SOCKET}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_name(&new_name()));
        assert!(is_name("a-0123abcd"));
        assert!(!is_name("a-0123ABCD") && !is_name("a-0123abc") && !is_name("b-0123abcd") && !is_name("a-0123abcg"));
    }
}
