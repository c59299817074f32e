//! The terminal: raw mode, alternate screen and mouse on entry, all undone on exit, on
//! drop and by a panic hook that runs before the panic message is printed.

use anyhow::{Context as _, Result};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::crossterm::{cursor, execute};
use std::io::{Stdout, stdout};

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
        enable_raw_mode().context("raw mode")?;
        execute!(stdout(), EnterAlternateScreen, EnableMouseCapture, cursor::Hide).context("alternate screen")?;
        self.active = true;
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
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = restore();
            previous(info);
        }));
    });
}
