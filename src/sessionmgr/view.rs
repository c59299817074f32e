//! What an agent shell's pane shows a person: the shell's output as a terminal would show
//! it, without navi's plumbing. Nothing before the shell said it is ready (the start-up
//! line's echo, a first prompt), no markers (`\x1eNAVI…\x1e`, with their nonces), and each
//! bare newline as CR LF (the shell's terminal has `-onlcr`, for exact offsets, and the
//! pane is raw), so lines start at the left edge instead of stepping down the screen.

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
}

impl PaneView {
    /// The bytes to show for `chunk` of the shell's output.
    pub fn filter(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(chunk.len() + chunk.len() / 16);
        for &b in chunk {
            if let Some(m) = self.marker.as_mut() {
                if b == RS {
                    let m = self.marker.take().unwrap_or_default();
                    if m.starts_with(b"NAVI") && m.windows(3).any(|w| w == b":R:") {
                        self.ready = true;
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_separator_in_output_is_shown_and_never_swallows_it() {
        let ready = b"\x1eNAVIx:R:bash\x1e";
        assert_eq!(show(&[ready, b"a\x1eb\x1ec\n"]), b"a\x1eb\x1ec\r\n");
        let long = [&b"a\x1e"[..], &[b'x'; 200]].concat();
        let shown = show(&[ready, &long]);
        assert_eq!(shown.len(), 202, "everything past the longest marker is shown");
    }
}
