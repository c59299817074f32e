//! What runs beside the operations: the handle each session is shared through, the task
//! that pumps a shell's output into its session, the writer task, stopping a command
//! (deferred, repeated, escalated on timeout) and closing a session.

use super::driver::{Shell, Stop};
use super::session::{Dispatched, State, Write};
use super::{Output, SessionState};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

pub(super) struct Session {
    pub id: String,
    pub hostname: String,
    pub state: Mutex<State>,
    pub changed: watch::Sender<()>,
    /// Dropped once the shell ended, so its terminal or channel is not held open.
    pub shell: Mutex<Option<Arc<dyn Shell>>>,
}

impl Session {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the state usable: take it anyway.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn shell(&self) -> Option<Arc<dyn Shell>> {
        self.shell.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Lets go of the shell: its terminal or channel closes with the last handle.
    pub(super) fn take_shell(&self) -> Option<Arc<dyn Shell>> {
        self.shell.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    pub(super) fn touch(&self) {
        self.lock().touch();
    }

    /// Waits until `done` holds or `within` passes; true when it holds.
    pub(super) async fn wait_until(&self, within: Duration, done: impl Fn(&State) -> bool) -> bool {
        let mut rx = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if done(&self.lock()) {
                return true;
            }
            if tokio::time::timeout_at(deadline, rx.changed()).await.is_err() {
                return done(&self.lock());
            }
        }
    }
}

pub(super) fn stop_for(times: u8) -> Stop {
    match times {
        0 | 1 => Stop::Interrupt,
        2 => Stop::Terminate,
        _ => Stop::Kill,
    }
}

pub(super) fn stop_name(s: Stop) -> &'static str {
    match s {
        Stop::Interrupt => "interrupt",
        Stop::Terminate => "terminate",
        Stop::Kill => "kill",
    }
}

pub(super) async fn close_session(s: &Arc<Session>) {
    close_session_if(s, |_| true).await;
}

/// Closes the session if `now` holds, checked under the same lock that starts the close;
/// true when it did.
pub(super) async fn close_session_if(s: &Arc<Session>, now: impl Fn(&State) -> bool) -> bool {
    let was = {
        let mut st = s.lock();
        if !now(&st) {
            return false;
        }
        let was = st.phase;
        if was != SessionState::Closed {
            st.phase = SessionState::Closing;
            st.cancel_queue();
            if let Some(id) = st.running.as_ref().map(|c| c.id) {
                st.stop(id, Stop::Kill);
            }
        }
        was
    };
    let _ = s.changed.send(());
    if was != SessionState::Closed
        && let Some(shell) = s.take_shell()
    {
        shell.close().await;
    }
    s.lock().ended(None);
    let _ = s.changed.send(());
    true
}

pub(super) async fn write_loop(shell: Arc<dyn Shell>, mut rx: mpsc::UnboundedReceiver<Write>) {
    while let Some(w) = rx.recv().await {
        match w {
            Write::Type(bytes) => {
                if shell.write(&bytes).await.is_err() {
                    break;
                }
            }
            Write::Note(line) => shell.note(line).await,
            Write::Command(payload) => shell.command(payload).await,
            Write::Reserve(nonce) => shell.reserve(nonce).await,
            Write::Used => shell.used().await,
        }
    }
}

/// Moves a shell's output into its session until the shell ends.
pub(super) async fn pump(s: Arc<Session>, mut output: mpsc::Receiver<Output>, grace: Duration) {
    let mut reason = "the shell's output ended".to_string();
    while let Some(o) = output.recv().await {
        let actions = match o {
            Output::Data(d) => s.lock().absorb(&d),
            Output::Noted(line) => s.lock().learn(&line),
            Output::Acked(ack) => s.lock().acked(ack),
            Output::Gap(at) => {
                s.lock().gap(at);
                continue;
            }
            Output::Link(why) => {
                let mut st = s.lock();
                if why.is_none() {
                    st.relinked();
                }
                st.reconnecting = why;
                drop(st);
                let _ = s.changed.send(());
                continue;
            }
            Output::Closed(why) => {
                reason = why;
                break;
            }
        };
        let _ = s.changed.send(());
        if let Some(d) = actions.dispatched {
            arm(&s, d, grace);
        }
        let running = s.lock().running.as_ref().map(|c| c.id);
        if let (Some(how), Some(id)) = (actions.stop, running) {
            let _ = deliver(&s, id, how).await;
        }
    }
    s.lock().ended(Some(reason));
    let _ = s.changed.send(());
    // It ended by itself: nothing to stop (its process id may already be someone else's).
    drop(s.take_shell());
}

/// Sends `how` to the running command `id`. Ctrl-C can land in the instant between the
/// shell printing the start marker and handing the terminal to the command; the shell then
/// takes it (answering with a bare newline) and the command never sees it. So while the
/// command still runs and has printed nothing visible since, Ctrl-C is sent again a few times.
pub(super) async fn deliver(s: &Arc<Session>, id: u64, how: Stop) -> Result<(), super::DriverError> {
    let Some(shell) = s.shell() else { return Ok(()) };
    let mark = s.lock().visible;
    shell.stop(how).await?;
    if how == Stop::Interrupt {
        let s = s.clone();
        tokio::spawn(async move {
            for ms in [300, 700, 1500] {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                let typed = {
                    let st = s.lock();
                    if !(st.running.as_ref().is_some_and(|c| c.id == id) && st.visible == mark) {
                        return;
                    }
                    // Queued under the lock that dispatches the next command: it lands
                    // before that command's line, never on it.
                    shell.typed_interrupt().map(|bytes| st.type_in_order(bytes))
                };
                let sent = match typed {
                    Some(ok) => ok,
                    None => shell.stop(Stop::Interrupt).await.is_ok(),
                };
                if !sent {
                    return;
                }
            }
        });
    }
    Ok(())
}

/// How long a stop waits for its command's start marker before it is sent anyway. Long:
/// sent while the shell still reads the line, Ctrl-C discards the line and its end marker.
const START_GRACE: Duration = Duration::from_secs(10);

/// A stop that waits for command `id` to start is sent anyway after `START_GRACE`: a shell
/// that never prints the start marker must not make the stop wait forever.
pub(super) fn defer(s: &Arc<Session>, id: u64) {
    let weak = Arc::downgrade(s);
    tokio::spawn(async move {
        tokio::time::sleep(START_GRACE).await;
        let Some(s) = weak.upgrade() else { return };
        let late = s.lock().take_deferred(id);
        if let Some(how) = late {
            let _ = deliver(&s, id, how).await;
        }
    });
}

/// Starts the timeout of a command just typed, if it has one.
pub(super) fn arm(s: &Arc<Session>, d: Dispatched, grace: Duration) {
    let Some(limit) = d.timeout else { return };
    // Weak: a closed session must not stay in memory for the rest of a long timeout.
    let weak = Arc::downgrade(s);
    tokio::spawn(async move {
        tokio::time::sleep(limit).await;
        let Some(s) = weak.upgrade() else { return };
        {
            let mut st = s.lock();
            match st.running.as_mut() {
                Some(c) if c.id == d.id => c.timed_out = true,
                _ => return,
            }
        }
        let _ = s.changed.send(());
        escalate(&s, d.id, grace).await;
    });
}

/// Ctrl-C, then SIGTERM, then SIGKILL, each after `grace`; a shell that still does not
/// come back is closed, with the reason kept for readers.
pub(super) async fn escalate(s: &Arc<Session>, id: u64, grace: Duration) {
    let Some(shell) = s.shell() else { return };
    for how in [Stop::Interrupt, Stop::Terminate, Stop::Kill] {
        let now = {
            let mut st = s.lock();
            if st.running.as_ref().map(|c| c.id) != Some(id) {
                return;
            }
            st.stop(id, how)
        };
        match now {
            Some(how) => {
                let _ = deliver(s, id, how).await;
            }
            None => defer(s, id),
        }
        if s.wait_until(grace, |st| st.running.as_ref().map(|c| c.id) != Some(id)).await {
            return;
        }
    }
    shell.close().await;
    s.lock().ended(Some("the command did not stop when killed; the session was closed".into()));
    let _ = s.changed.send(());
}
