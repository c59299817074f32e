//! The input reader: crossterm's `EventStream` in a task, converted to app messages. It
//! is stopped (the stream dropped) before a child program gets the terminal, so the two
//! never compete for keystrokes.

use crate::app::Msg;
use crate::app::input::{Key, KeyCode, Mouse, MouseKind};
use futures::StreamExt;
use ratatui::crossterm::event::{
    Event, EventStream, KeyCode as CKey, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub struct InputReader {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl InputReader {
    pub fn start(tx: mpsc::UnboundedSender<Msg>, epoch: Instant) -> Self {
        let (stop, mut stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut events = EventStream::new();
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    ev = events.next() => match ev {
                        Some(Ok(ev)) => {
                            if let Some(msg) = convert(ev, epoch) && tx.send(msg).is_err() {
                                break;
                            }
                        }
                        Some(Err(_)) | None => break,
                    },
                }
            }
        });
        InputReader { stop: Some(stop), task: Some(task) }
    }

    /// Stops reading and waits until the stream is gone.
    pub async fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

pub fn convert(ev: Event, epoch: Instant) -> Option<Msg> {
    match ev {
        Event::Key(k) => convert_key(k).map(Msg::Key),
        Event::Mouse(m) => {
            let kind = match m.kind {
                MouseEventKind::Down(MouseButton::Left) => MouseKind::Click,
                MouseEventKind::ScrollUp => MouseKind::ScrollUp,
                MouseEventKind::ScrollDown => MouseKind::ScrollDown,
                _ => return None,
            };
            let at_ms = u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
            Some(Msg::Mouse(Mouse { kind, col: m.column, row: m.row, at_ms }))
        }
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

fn convert_key(k: KeyEvent) -> Option<Key> {
    if k.kind == KeyEventKind::Release {
        return None;
    }
    let code = match k.code {
        CKey::Char(c) => KeyCode::Char(c),
        CKey::Enter => KeyCode::Enter,
        CKey::Esc => KeyCode::Esc,
        CKey::Tab => KeyCode::Tab,
        CKey::BackTab => KeyCode::BackTab,
        CKey::Backspace => KeyCode::Backspace,
        CKey::Delete => KeyCode::Delete,
        CKey::Up => KeyCode::Up,
        CKey::Down => KeyCode::Down,
        CKey::Left => KeyCode::Left,
        CKey::Right => KeyCode::Right,
        CKey::Home => KeyCode::Home,
        CKey::End => KeyCode::End,
        CKey::PageUp => KeyCode::PageUp,
        CKey::PageDown => KeyCode::PageDown,
        CKey::F(n) => KeyCode::F(n),
        _ => return None,
    };
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    // Shift-Enter (reported only by terminals with keyboard enhancement) means what
    // Alt-Enter means: a new line in a text input.
    let alt = k.modifiers.contains(KeyModifiers::ALT)
        || (code == KeyCode::Enter && k.modifiers.contains(KeyModifiers::SHIFT));
    let code = match code {
        KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
        other => other,
    };
    Some(Key { code, ctrl, alt })
}
