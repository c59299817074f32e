//! Connection state of each remote, for the footer. Filled from listing results today;
//! the SSH pool's `statuses()` feeds the same type through `Msg::RemoteStatuses`.

/// What the dashboard needs to know about a remote's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Connected,
    Disconnected,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStatus {
    pub name: String,
    pub state: LinkState,
    pub last_error: Option<String>,
    /// Polled because navi is missing or too old there: `navi setup` would let it stream.
    pub setup: bool,
}

impl RemoteStatus {
    pub fn connecting(name: &str) -> Self {
        RemoteStatus { name: name.to_string(), state: LinkState::Connecting, last_error: None, setup: false }
    }
}

/// A remote's host key is not in known_hosts: what the user needs to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyPrompt {
    pub remote: String,
    /// "remote NAME" or "jump host H".
    pub hop: String,
    pub host: String,
    pub port: u16,
    pub algorithm: String,
    pub fingerprint: String,
    /// The offered key itself (`type base64`): exactly this one is trusted on "yes".
    pub key: String,
    pub known_hosts: String,
}

/// Anything that can report remote connection states (the SSH pool implements it).
pub trait RemoteStatusSource: Send + Sync {
    fn statuses(&self) -> Vec<RemoteStatus>;
}

/// `remotes 2/3 up · db: connection refused`, or `None` when there are no remotes.
pub fn summary(remotes: &[RemoteStatus]) -> Option<String> {
    if remotes.is_empty() {
        return None;
    }
    let up = remotes.iter().filter(|r| r.state == LinkState::Connected).count();
    let mut s = format!("remotes {up}/{} up", remotes.len());
    if let Some(bad) = remotes.iter().find(|r| matches!(r.state, LinkState::Error | LinkState::Disconnected)) {
        let why = bad.last_error.as_deref().unwrap_or("disconnected");
        s.push_str(&format!(" · {}: {}", bad.name, why));
    }
    let polled: Vec<&str> = remotes.iter().filter(|r| r.setup).map(|r| r.name.as_str()).collect();
    if let Some(first) = polled.first() {
        let more = if polled.len() > 1 { format!(" (+{})", polled.len() - 1) } else { String::new() };
        s.push_str(&format!(" · no navi on {first}{more}: S sets it up"));
    }
    Some(crate::text::sanitize_line(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_the_first_failure() {
        assert_eq!(summary(&[]), None);
        let ok = RemoteStatus { name: "a".into(), state: LinkState::Connected, last_error: None, setup: false };
        let bad = RemoteStatus {
            name: "b".into(),
            state: LinkState::Error,
            last_error: Some("refused".into()),
            setup: false,
        };
        assert_eq!(summary(&[ok, bad]).unwrap(), "remotes 1/2 up · b: refused");
    }
}
