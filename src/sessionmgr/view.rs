//! What an agent shell's pane shows a person: the shell's output as a terminal would show
//! it, without navi's plumbing. Nothing before the shell said it is ready (the start-up
//! line's echo, a first prompt), no markers (`\x1eNAVI…\x1e`, with their nonces), and each
//! bare newline as CR LF (the shell's terminal has `-onlcr`, for exact offsets, and the
//! pane is raw), so lines start at the left edge instead of stepping down the screen.
//!
//! And in a flood, not all of it: tmux parses every byte it is given (keeping a screen costs
//! it more than the shell took to print them), so the pane gets at most [`BUDGET`] bytes per
//! [`WINDOW`], far more than anyone reads, then a note of what it skipped and the flood's
//! last lines once the pane may take more or the output went quiet. The agent reads every
//! byte: the segments on disk have them all.

use std::time::{Duration, Instant};

/// What the pane is given per [`WINDOW`], at most.
pub const BUDGET: usize = 256 << 10;
pub const WINDOW: Duration = Duration::from_millis(100);
/// The end of the skipped output that is shown after the note.
const TAIL: usize = 8 << 10;

/// A marker's text is far shorter: past this, a record separator was only output.
const MARKER_MAX: usize = 96;
const RS: u8 = 0x1e;

#[derive(Default)]
pub struct PaneView {
    /// The ready marker was seen: output is shown from there on.
    ready: bool,
    /// Inside a marker: what it holds so far.
    marker: Option<Vec<u8>>,
    last: u8,
    /// A command's end marker went by since [`PaneView::take_end`] was last asked.
    ended: bool,
}

impl PaneView {
    /// The bytes to show for `chunk` of the shell's output.
    pub fn filter(&mut self, mut chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(chunk.len() + chunk.len() / 16);
        while !chunk.is_empty() {
            // Plain output up to the next separator or newline goes as it is, in one copy.
            if self.ready && self.marker.is_none() {
                let run = memchr::memchr2(RS, b'\n', chunk).unwrap_or(chunk.len());
                if run > 0 {
                    out.extend_from_slice(&chunk[..run]);
                    self.last = chunk[run - 1];
                    chunk = &chunk[run..];
                    continue;
                }
            }
            let b = chunk[0];
            chunk = &chunk[1..];
            if let Some(m) = self.marker.as_mut() {
                if b == RS {
                    let m = self.marker.take().unwrap_or_default();
                    let kind = super::protocol::marker_kind(&m);
                    if matches!(kind, Some(super::protocol::Piece::Ready(_))) {
                        self.ready = true;
                    } else if matches!(kind, Some(super::protocol::Piece::Finished(_))) {
                        self.ended = true;
                    } else if !m.starts_with(b"NAVI") {
                        // Not ours: two separators around output.
                        self.show(&mut out, RS);
                        for &c in &m {
                            self.show(&mut out, c);
                        }
                        self.show(&mut out, RS);
                    }
                    continue;
                }
                m.push(b);
                if m.len() > MARKER_MAX {
                    let m = self.marker.take().unwrap_or_default();
                    self.show(&mut out, RS);
                    for &c in &m {
                        self.show(&mut out, c);
                    }
                }
                continue;
            }
            if b == RS {
                self.marker = Some(Vec::new());
                continue;
            }
            self.show(&mut out, b);
        }
        out
    }

    /// The shell said it is ready (its terminal's modes are then the ones it keeps).
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// Whether a command ended in the output filtered since the last call.
    pub fn take_end(&mut self) -> bool {
        std::mem::take(&mut self.ended)
    }

    fn show(&mut self, out: &mut Vec<u8>, b: u8) {
        if !self.ready {
            return;
        }
        if b == b'\n' && self.last != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        self.last = b;
    }
}

/// How much of the shown output goes to the pane now (see the module's text).
pub struct Budget {
    start: Instant,
    left: usize,
    skipped: u64,
    tail: Vec<u8>,
}

impl Budget {
    pub fn new(now: Instant) -> Budget {
        Budget { start: now, left: BUDGET, skipped: 0, tail: Vec::new() }
    }

    /// Output skipped and not yet told of: the pane wants a [`Budget::quiet`] call when the
    /// output stops.
    pub fn owed(&self) -> bool {
        self.skipped > 0
    }

    /// What to write to the pane for `shown` at `now`, when the pane has `room` for no
    /// more than that (what it has not taken yet counts against it). Once the pane may
    /// take more after a skip, the note and the skipped output's last lines come first.
    pub fn pass(&mut self, shown: &[u8], now: Instant, room: usize) -> Vec<u8> {
        // Nothing shown (a marker) says nothing of the flood: its tail stays owed.
        if shown.is_empty() {
            return Vec::new();
        }
        if now.duration_since(self.start) >= WINDOW {
            self.start = now;
            self.left = BUDGET;
        }
        if shown.len() <= self.left.min(room) {
            self.left -= shown.len();
            let mut out = if self.owed() { self.quiet() } else { Vec::new() };
            out.extend_from_slice(shown);
            return out;
        }
        self.left = 0;
        self.skipped += shown.len() as u64;
        // Only what may end up in the tail is kept.
        self.tail.extend_from_slice(&shown[shown.len().saturating_sub(TAIL)..]);
        if self.tail.len() > TAIL {
            self.tail.drain(..self.tail.len() - TAIL);
        }
        Vec::new()
    }

    /// The output went quiet: the note of what was skipped, then its last lines (all of
    /// it, without a note, when it was short).
    pub fn quiet(&mut self) -> Vec<u8> {
        let tail = std::mem::take(&mut self.tail);
        let skipped = std::mem::take(&mut self.skipped);
        // All of it kept: shown as it is, no note.
        if skipped == tail.len() as u64 {
            return tail;
        }
        // From the tail's first whole line.
        let from = memchr::memchr(b'\n', &tail).map_or(0, |i| i + 1);
        let n = skipped.saturating_sub((tail.len() - from) as u64);
        let mut out = format!("\r\n\x1b[0m[navi: {n} bytes of output not shown here; the agent reads all of it]\r\n")
            .into_bytes();
        out.extend_from_slice(&tail[from..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_cut_to_the_budget_with_a_note_and_its_last_lines() {
        let t0 = Instant::now();
        let mut b = Budget::new(t0);
        let line = [&[b'x'; 99][..], b"\n"].concat();
        let mut shown = 0;
        // 10 MB within one window: the budget's worth is shown, the rest skipped.
        for _ in 0..100_000 {
            shown += b.pass(&line, t0, usize::MAX).len();
        }
        assert!(shown <= BUDGET && shown > BUDGET - 100, "{shown}");
        assert!(b.owed());
        // A marker between the flood and the quiet (nothing shown) keeps the tail owed.
        assert!(b.pass(b"", t0 + WINDOW, usize::MAX).is_empty() && b.owed());
        let end = b.quiet();
        let text = String::from_utf8_lossy(&end);
        assert!(text.contains("bytes of output not shown here"), "{text}");
        assert!(text.ends_with(&format!("\n{}\n", "x".repeat(99))), "{text}");
        assert!(end.len() < TAIL + 200);
        assert!(!b.owed() && b.quiet().is_empty());
        // A later window shows again: first the note and what the skip ended with.
        b.pass(&[b'y'; BUDGET], t0, usize::MAX);
        assert!(b.pass(b"\nlast\n", t0, usize::MAX).is_empty());
        let again = b.pass(b"next\n", t0 + WINDOW, usize::MAX);
        assert!(String::from_utf8_lossy(&again).ends_with("shown here; the agent reads all of it]\r\nlast\nnext\n"));
        // A pane that has not taken what it was given gets no more: that is skipped too.
        let t1 = t0 + 3 * WINDOW;
        assert!(b.pass(b"slow\n", t1, 4).is_empty() && b.owed());
        // All of it kept: it goes as it is, without a note.
        assert_eq!(b.pass(b"fast\n", t1 + WINDOW, 64), b"slow\nfast\n");
    }

    fn show(chunks: &[&[u8]]) -> Vec<u8> {
        let mut v = PaneView::default();
        chunks.iter().flat_map(|c| v.filter(c)).collect()
    }

    #[test]
    fn the_start_up_and_markers_are_hidden_and_lines_start_at_the_left() {
        let nonce = "NAVI0123456789abcdef0123456789abcdef";
        let stream = format!(
            "bash-5.2# stty -echo; __navi_b() {{ … }}\n\x1e{nonce}:R:bash\x1e\x1e{nonce}:S\x1eone\ntwo\r\n\x1e{nonce}:E:0\x1e"
        );
        assert_eq!(show(&[stream.as_bytes()]), b"one\r\ntwo\r\n");
        // Split anywhere, the same.
        let bytes = stream.as_bytes();
        for cut in 0..bytes.len() {
            assert_eq!(show(&[&bytes[..cut], &bytes[cut..]]), b"one\r\ntwo\r\n", "cut at {cut}");
        }
    }

    #[test]
    fn a_commands_end_is_told_once_wherever_the_output_is_cut() {
        let stream = b"\x1eNAVIab:R:bash\x1e\x1eNAVIab:S\x1eout\n\x1eNAVIab:E:0\x1e";
        for cut in 0..stream.len() {
            let mut v = PaneView::default();
            v.filter(&stream[..cut]);
            // The marker's last byte is the stream's last: it has not ended before.
            assert!(!v.take_end(), "cut at {cut}");
            v.filter(&stream[cut..]);
            assert!(v.is_ready());
            assert!(v.take_end(), "cut at {cut}");
            assert!(!v.take_end());
        }
        // A start marker, or output that looks like one, is no end.
        let mut v = PaneView::default();
        v.filter(b"\x1eNAVIab:R:bash\x1e\x1eNAVIab:S\x1e:E:1\n\x1e:E:2\x1e");
        assert!(!v.take_end());
    }

    #[test]
    fn a_separator_in_output_is_shown_and_never_swallows_it() {
        let ready = b"\x1eNAVIx:R:bash\x1e";
        assert_eq!(show(&[ready, b"a\x1eb\x1ec\n"]), b"a\x1eb\x1ec\r\n");
        let long = [&b"a\x1e"[..], &[b'x'; 200]].concat();
        let shown = show(&[ready, &long]);
        assert_eq!(shown.len(), 202, "everything past the longest marker is shown");
    }
}
