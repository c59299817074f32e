//! The terminal: raw mode, alternate screen and mouse on entry, all undone on exit, on
//! drop and by a panic hook that runs before the panic message is printed (only while the
//! dashboard holds the terminal: during an attach it belongs to tmux). Any panic, also in
//! a background task, is recorded so the event loop quits instead of running on.

use anyhow::{Context as _, Result};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::crossterm::{cursor, execute};
use std::io::{Stdout, stdout};
use std::sync::atomic::{AtomicBool, Ordering};

/// The dashboard holds the terminal (raw mode may be on): what the panic hook restores.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Some thread or task panicked: the loop ends (cleanup runs) instead of running on.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// True once anything in the process panicked (after the dashboard started).
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

pub type Term = Terminal<CrosstermBackend<Stdout>>;

pub struct Tui {
    pub terminal: Term,
    active: bool,
}

impl Tui {
    pub fn new() -> Result<Self> {
        install_panic_hook();
        let terminal = Terminal::new(CrosstermBackend::new(stdout())).context("opening the terminal")?;
        let mut tui = Tui { terminal, active: false };
        tui.enter()?;
        Ok(tui)
    }

    /// Takes the terminal over (again, after an attach) and clears it for a full redraw.
    pub fn enter(&mut self) -> Result<()> {
        // Active before anything is switched on, so a failure half-way is still undone.
        self.active = true;
        ACTIVE.store(true, Ordering::SeqCst);
        enable_raw_mode().context("raw mode")?;
        execute!(stdout(), EnterAlternateScreen, EnableMouseCapture, cursor::Hide).context("alternate screen")?;
        // `Terminal::clear` asks the terminal for the cursor position, which races with the
        // input reader for the reply; a resize to the current size clears and resets the
        // back buffer (the next draw is complete) without asking anything.
        let size = self.terminal.size().context("terminal size")?;
        self.terminal
            .resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
            .context("clearing the terminal")?;
        Ok(())
    }

    /// Gives the terminal back as it was found.
    pub fn exit(&mut self) -> Result<()> {
        if self.active {
            self.active = false;
            ACTIVE.store(false, Ordering::SeqCst);
            restore().context("restoring the terminal")?;
        }
        Ok(())
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.exit();
    }
}

pub fn restore() -> std::io::Result<()> {
    let r = execute!(stdout(), DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
    disable_raw_mode()?;
    r
}

/// Restores the terminal before the default hook prints the panic, so the message is
/// readable and the shell is usable.
pub(crate) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            if ACTIVE.swap(false, Ordering::SeqCst) {
                let _ = restore();
            }
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_anywhere_is_recorded_and_leaves_a_terminal_it_does_not_hold_alone() {
        install_panic_hook();
        assert!(!ACTIVE.load(Ordering::SeqCst));
        let _ = std::thread::spawn(|| panic!("background task")).join();
        assert!(panicked(), "the loop must learn that a task panicked");
        assert!(!ACTIVE.load(Ordering::SeqCst));
    }
}
