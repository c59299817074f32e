//! Notices from the processes that follow listings (the dashboard, `navi watch`): each
//! place's poller keeps a [`Tracker`], and every transition it finds goes through
//! [`dispatch`](super::dispatch) on a task of its own, so a slow notification service
//! never delays a listing.

use super::gate::Admission;
use super::tracker::Tracker;
use super::{NotifyConfig, channels::Outputs, dispatch};
use crate::sessions::StatusFile;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

/// Where notices found in listings go. Shared by every poller of a process.
#[derive(Debug)]
pub struct Follow {
    pub config: NotifyConfig,
    pub state_dir: PathBuf,
    /// The local tmux server (its clients get `display-message`).
    pub tmux_socket: Option<PathBuf>,
    /// The dashboard's terminal: the escape sequences of each notice sent are handed to
    /// the event loop, which writes them between frames. `None` for `navi watch`.
    pub terminal: Option<mpsc::UnboundedSender<Vec<u8>>>,
    /// The terminal is inside tmux: sequences go through its passthrough.
    pub inside_tmux: bool,
}

/// One poller's view: the shared [`Follow`] and the poller's own tracker.
#[derive(Debug)]
pub struct Follower {
    follow: Arc<Follow>,
    tracker: Tracker,
}

impl Follower {
    pub fn new(follow: Arc<Follow>) -> Self {
        Follower { follow, tracker: Tracker::default() }
    }

    /// A successful listing of `remote`: sends the notices of its transitions, except for
    /// sessions in `attached` (a tmux client shows them), which are claimed unsent.
    pub fn listing(&mut self, remote: Option<&str>, files: &[StatusFile], attached: &[String]) {
        for notice in self.tracker.observe(remote, files, &self.follow.config) {
            let looking = attached.iter().any(|a| super::bounded(a, super::NAME_MAX) == notice.session);
            let follow = self.follow.clone();
            tokio::spawn(async move {
                let out = Outputs { terminal: None, inside_tmux: false, tmux_socket: follow.tmux_socket.clone() };
                let said = dispatch(&notice, &follow.config, &follow.state_dir, out, looking).await;
                // This terminal hears of every notice sent, whichever process sent it.
                let sent = matches!(said, Some(Admission::Send | Admission::Duplicate { sent: true }));
                if sent
                    && follow.config.terminal
                    && let Some(term) = &follow.terminal
                {
                    let _ = term.send(super::channels::terminal_bytes(&notice, follow.inside_tmux));
                }
            });
        }
    }
}
