//! Notices: a session entering a status the user wants to hear about (waiting, permission,
//! error, done), turned into one sanitised, bounded message and sent on the configured
//! channels — exactly once per transition, whichever navi processes saw it.
//!
//! - [`notice_for`] decides, from the file before and after a change, whether a change is a
//!   notice (pure).
//! - [`gate`] makes processes agree: a claim file per transition, a per-session cooldown and
//!   the user's mute, all under one lock in navi's state folder.
//! - [`channels`] sends: desktop (D-Bus / notification centre), terminal escape sequences,
//!   tmux `display-message`, and a command run with the notice in its environment.
//!
//! No UI imports: the hook, the dashboard and `navi watch` all come through [`dispatch`].

pub mod channels;
pub mod config;
pub mod follow;
pub mod gate;
pub mod tracker;

use crate::sessions::{Status, StatusFile};
pub use config::NotifyConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The longest message a notice carries, in characters.
pub const MESSAGE_MAX: usize = 200;
/// The longest session or remote name a notice shows, in characters.
pub(crate) const NAME_MAX: usize = 64;

/// Why a session wants the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    Permission,
    Question,
    Idle,
    Error,
    Done,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Permission => "permission",
            Reason::Question => "question",
            Reason::Idle => "idle",
            Reason::Error => "error",
            Reason::Done => "done",
        }
    }
}

/// One notice, ready to send: every text already sanitised and bounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub session: String,
    /// `None`: a session on this machine.
    pub remote: Option<String>,
    pub status: String,
    pub reason: Reason,
    pub message: String,
    /// The status file's timestamp of the transition: with the rest, what makes it unique.
    pub at: i64,
}

impl Notice {
    /// `api (prod)` or `api`.
    pub fn place(&self) -> String {
        match &self.remote {
            Some(r) => format!("{} ({r})", self.session),
            None => self.session.clone(),
        }
    }

    pub fn title(&self) -> String {
        let what = match self.reason {
            Reason::Permission => "needs permission",
            Reason::Question => "has a question",
            Reason::Idle => "is waiting",
            Reason::Error => "stopped with an error",
            Reason::Done => "is done",
        };
        format!("{} {what}", self.place())
    }

    /// One line: title and message.
    pub fn line(&self) -> String {
        if self.message.is_empty() { self.title() } else { format!("{}: {}", self.title(), self.message) }
    }

    /// What identifies this transition across processes: the same file content seen by the
    /// hook, the dashboard and `navi watch` gives the same key.
    pub fn key(&self) -> String {
        let text = format!(
            "{}\0{}\0{}\0{}\0{}",
            self.remote.as_deref().unwrap_or(""),
            self.session,
            self.status,
            self.at,
            self.message
        );
        hex(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
    }

    /// What identifies the session, for its cooldown.
    pub fn session_key(&self) -> String {
        let text = format!("{}\0{}", self.remote.as_deref().unwrap_or(""), self.session);
        hex(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The reason a status is worth a notice, when the configuration wants that status.
fn reason_of(file: &StatusFile, config: &NotifyConfig) -> Option<Reason> {
    let asks = |kind: &str| {
        file.extra.get("prompt").and_then(|p| p.get("kind")).and_then(|k| k.as_str()).is_some_and(|k| k == kind)
    };
    match file.status {
        Status::Permission if config.on.permission => Some(Reason::Permission),
        Status::Waiting if config.on.waiting => {
            Some(if asks("question") || asks("plan") { Reason::Question } else { Reason::Idle })
        }
        Status::Error if config.on.error => Some(Reason::Error),
        Status::Done if config.on.done => Some(Reason::Done),
        _ => None,
    }
}

/// The notice a change from `prev` to `next` makes, if any: `next` is a status the user
/// wants to hear about, and it is new (another status before, or another question).
pub fn notice_for(
    prev: Option<&StatusFile>,
    next: &StatusFile,
    remote: Option<&str>,
    config: &NotifyConfig,
) -> Option<Notice> {
    let reason = reason_of(next, config)?;
    if let Some(p) = prev {
        let same_question = p.message == next.message && p.extra.get("prompt") == next.extra.get("prompt");
        if p.status == next.status && (same_question || p.timestamp == next.timestamp) {
            return None;
        }
    }
    Some(Notice {
        session: bounded(&next.tmux_session, NAME_MAX),
        remote: remote.map(|r| bounded(r, NAME_MAX)),
        status: bounded(next.status.as_str(), 32),
        reason,
        message: bounded(next.message.as_deref().unwrap_or(""), MESSAGE_MAX),
        at: next.timestamp(),
    })
}

/// `90s`, `30m`, `1h`, `2d` (or a plain number of seconds) as seconds; at most a year.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: i64 = digits.parse().ok()?;
    let per = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(per).filter(|&s| s > 0 && s <= 366 * 86_400)
}

/// One line of clean text of at most `max` characters.
pub(crate) fn bounded(s: &str, max: usize) -> String {
    let clean = crate::text::sanitize_line(s);
    let clean = clean.trim();
    if clean.chars().count() <= max {
        return clean.to_string();
    }
    let mut out: String = clean.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Whether a tmux client shows the session of `pane` right now (the user is looking). A
/// tmux that does not answer in time counts as nobody looking.
pub async fn watched(pane: &str) -> bool {
    // The server of the pane the hook runs in: tmux finds it through $TMUX.
    let script = crate::backend::tmux::Tmux::default().pane_session_attached(pane);
    let wait = std::time::Duration::from_secs(2);
    match crate::backend::process::run_sh(&script, None, wait, 4096).await {
        Ok(out) if out.success() => out.stdout_str().trim().parse::<u32>().is_ok_and(|n| n > 0),
        _ => false,
    }
}

/// Sends `notice` on every configured channel unless the gate says no (already decided by
/// another process, the user is looking — `attached`: a tmux client shows the session —,
/// cooling down, muted). Failures are logged under `state_dir`, never printed. Returns
/// what the gate said (`None`: it could not be asked; logged).
pub async fn dispatch(
    notice: &Notice,
    config: &NotifyConfig,
    state_dir: &Path,
    out: channels::Outputs<'_>,
    attached: bool,
) -> Option<gate::Admission> {
    let now = crate::text::now_unix();
    let gate = gate::Gate::new(state_dir);
    let state = gate.clone();
    let (n, c) = (notice.clone(), config.cooldown_seconds);
    let admitted = tokio::task::spawn_blocking(move || state.admit(&n, c, now, attached))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r);
    match admitted {
        Ok(gate::Admission::Send) => {}
        Ok(dup @ gate::Admission::Duplicate { .. }) => return Some(dup),
        Ok(why) => {
            gate.log(&format!("not sent ({why:?}): {}", notice.line()));
            return Some(why);
        }
        Err(e) => {
            gate.log(&format!("notice for {}: {e}", notice.place()));
            return None;
        }
    }
    for problem in channels::send_all(notice, config, out).await {
        gate.log(&problem);
    }
    Some(gate::Admission::Send)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(status: Status, message: &str, at: i64) -> StatusFile {
        let mut f = StatusFile::new("api", status);
        f.message = (!message.is_empty()).then(|| message.to_string());
        f.timestamp = Some(at);
        f
    }

    #[test]
    fn entering_an_attention_status_is_a_notice() {
        let c = NotifyConfig::default();
        let working = file(Status::Working, "", 1);
        let perm = file(Status::Permission, "Permission needed: Bash (terraform plan)", 2);
        let n = notice_for(Some(&working), &perm, Some("prod"), &c).unwrap();
        assert_eq!(n.reason, Reason::Permission);
        assert_eq!(n.place(), "api (prod)");
        assert_eq!(n.line(), "api (prod) needs permission: Permission needed: Bash (terraform plan)");
        assert!(notice_for(None, &perm, None, &c).is_some(), "a new file in an attention status");
        assert!(notice_for(Some(&perm), &working, None, &c).is_none(), "working is no notice");
    }

    #[test]
    fn the_same_state_again_is_not_a_notice_but_a_new_question_is() {
        let c = NotifyConfig::default();
        let a = file(Status::Permission, "Permission needed: Bash (ls)", 2);
        let mut again = a.clone();
        again.timestamp = Some(8); // Claude Code's 6 s reminder rewrote the file.
        assert!(notice_for(Some(&a), &again, None, &c).is_none());
        let other = file(Status::Permission, "Permission needed: Bash (rm x)", 9);
        assert!(notice_for(Some(&a), &other, None, &c).is_some());
        let done = file(Status::Done, "All tests pass", 10);
        let mut idle_later = done.clone();
        idle_later.timestamp = Some(70);
        assert!(notice_for(Some(&done), &idle_later, None, &c).is_none());
    }

    #[test]
    fn questions_and_plans_are_questions() {
        let c = NotifyConfig::default();
        let mut q = file(Status::Waiting, "Which colour? [Red / Blue]", 3);
        q.extra.insert("prompt".into(), json!({"kind": "question"}));
        assert_eq!(notice_for(None, &q, None, &c).unwrap().reason, Reason::Question);
        let idle = file(Status::Waiting, "Claude is waiting for your input", 3);
        assert_eq!(notice_for(None, &idle, None, &c).unwrap().reason, Reason::Idle);
    }

    #[test]
    fn statuses_can_be_switched_off() {
        let mut c = NotifyConfig::default();
        c.on.done = false;
        assert!(notice_for(None, &file(Status::Done, "x", 1), None, &c).is_none());
        assert!(notice_for(None, &file(Status::Error, "x", 1), None, &c).is_some());
    }

    #[test]
    fn texts_are_clean_and_bounded() {
        let c = NotifyConfig::default();
        let mut f = file(Status::Error, &format!("\x1b]0;evil\x07bad\u{202e}txt\n{}", "x".repeat(1000)), 1);
        f.tmux_session = format!("s\x1b[31m{}", "n".repeat(500));
        let n = notice_for(None, &f, Some("r\u{7}"), &c).unwrap();
        assert!(n.message.starts_with("badtxt x"), "{:?}", n.message);
        assert_eq!(n.message.chars().count(), MESSAGE_MAX);
        assert_eq!(n.session.chars().count(), NAME_MAX);
        assert!(!n.session.contains('\x1b') && n.remote.as_deref() == Some("r"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("30m"), Some(1800));
        assert_eq!(parse_duration("1h"), Some(3600));
        assert_eq!(parse_duration("2d"), Some(172_800));
        assert_eq!(parse_duration("45"), Some(45));
        for bad in ["", "h", "1y", "0m", "-1h", "1h30m", "9999999999999999999d", "400d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_differ_by_transition_and_agree_across_processes() {
        let c = NotifyConfig::default();
        let a = notice_for(None, &file(Status::Done, "x", 1), None, &c).unwrap();
        let b = notice_for(None, &file(Status::Done, "x", 1), None, &c).unwrap();
        let later = notice_for(None, &file(Status::Done, "x", 2), None, &c).unwrap();
        let remote = notice_for(None, &file(Status::Done, "x", 1), Some("r"), &c).unwrap();
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), later.key());
        assert_ne!(a.key(), remote.key());
        assert_eq!(a.session_key(), later.session_key());
    }
}
