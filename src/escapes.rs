//! Escape sequences in untrusted output, with bounds. A sequence that never finishes must
//! not hide the output after it (a terminal parser keeps eating until BEL or ST), so every
//! sequence either finishes within its bound or loses only its introducer, and the bytes
//! after it are text again. One scanner serves stripping and the read cut of agent shells.
//!
//! The rules:
//! - OSC, DCS, SOS, PM and APC (`ESC ]`, `ESC P`, `ESC X`, `ESC ^`, `ESC _`) end at BEL, at
//!   ST (`ESC \`) or any other ESC (which starts the next sequence), or are cancelled by CAN
//!   or SUB. A newline, or [`STRING_MAX`] bytes, before that ends them unfinished: the
//!   introducer goes, the rest is text. (Titles, hyperlinks and clipboard writes never hold
//!   a newline; an image larger than the bound shows as text rather than hiding output.)
//! - CSI (`ESC [`) is parameter and intermediate bytes, then one final byte. Any other byte
//!   cancels it (the partial sequence goes, the byte is processed); more than
//!   [`CONTROL_MAX`] bytes ends it unfinished.
//! - Other sequences are ESC, intermediate bytes, then one final byte, with the same rules.
//! - At the end of the input a string still open ends unfinished too; a short sequence
//!   still open goes.

/// The longest OSC, DCS, SOS, PM or APC string, introducer and terminator included.
pub const STRING_MAX: usize = 4096;
/// The longest CSI or other short sequence.
pub const CONTROL_MAX: usize = 256;

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;
const CAN: u8 = 0x18;
const SUB: u8 = 0x1a;

/// The escape sequence that starts at an ESC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sequence {
    /// A finished (or cancelled) sequence of this many bytes: all of it goes.
    Done(usize),
    /// It does not finish within its bound: only the introducer of this many bytes goes.
    Unfinished(usize),
    /// The input ends inside it, within its bound: more input may finish it. If the input
    /// really ends there, this many bytes go (a short sequence, or a string's introducer).
    Open(usize),
}

/// What the sequence at the start of `data` (which starts with ESC) is.
pub fn sequence(data: &[u8]) -> Sequence {
    match data.get(1) {
        None => Sequence::Open(1),
        Some(b'[') => short(data, 2),
        Some(b']' | b'P' | b'X' | b'^' | b'_') => string(data),
        Some(0x20..=0x2f) => short(data, 1),
        Some(0x30..=0x7e) => Sequence::Done(2),
        // A control, DEL or a non-ASCII byte: a lone ESC, and the byte is processed.
        Some(_) => Sequence::Done(1),
    }
}

/// CSI (`from` = 2) or ESC with intermediates (`from` = 1): bytes 0x20–0x3F (0x20–0x2F
/// after a bare ESC), then a final byte.
fn short(data: &[u8], from: usize) -> Sequence {
    let (body, last) = if from == 2 { (0x20..=0x3f, 0x40..=0x7e) } else { (0x20..=0x2f, 0x30..=0x7e) };
    for (i, &b) in data.iter().enumerate().take(CONTROL_MAX).skip(from) {
        if !body.contains(&b) {
            // A final byte finishes it; any other byte cancels it and is processed.
            return Sequence::Done(if last.contains(&b) { i + 1 } else { i });
        }
    }
    if data.len() >= CONTROL_MAX { Sequence::Unfinished(from) } else { Sequence::Open(data.len()) }
}

fn string(data: &[u8]) -> Sequence {
    for (i, &b) in data.iter().enumerate().take(STRING_MAX).skip(2) {
        match b {
            BEL | CAN | SUB => return Sequence::Done(i + 1),
            ESC => {
                return match data.get(i + 1) {
                    Some(b'\\') if i + 2 <= STRING_MAX => Sequence::Done(i + 2),
                    Some(b'\\') => Sequence::Unfinished(2),
                    Some(_) => Sequence::Done(i),
                    None => Sequence::Open(2),
                };
            }
            b'\n' => return Sequence::Unfinished(2),
            _ => {}
        }
    }
    if data.len() >= STRING_MAX { Sequence::Unfinished(2) } else { Sequence::Open(2) }
}

/// Removes every escape sequence (within the bounds above) and every control character
/// except the bytes in `keep` (some of `\n`, `\t`, `\r`), bidi overrides and invisible
/// format characters. Invalid UTF-8 becomes U+FFFD.
pub fn strip_escapes(input: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(input.len());
    let mut at = 0;
    while at < input.len() {
        let esc = memchr::memchr(ESC, &input[at..]).map_or(input.len(), |p| at + p);
        // ESC never occurs inside a UTF-8 character, so a split here splits none.
        push_text(&mut out, &input[at..esc], keep);
        if esc == input.len() {
            break;
        }
        at = esc
            + match sequence(&input[esc..]) {
                Sequence::Done(n) | Sequence::Unfinished(n) | Sequence::Open(n) => n,
            };
    }
    out
}

/// Like [`strip_escapes`] keeping newlines, but colours and text attributes (SGR: `ESC [`
/// digits and `;`/`:`, then `m`) stay: what a status line may print. Cursor moves, screen
/// clears, titles, clipboard writes and the rest go.
pub fn keep_colours(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len());
    let mut at = 0;
    while at < input.len() {
        let esc = memchr::memchr(ESC, &input[at..]).map_or(input.len(), |p| at + p);
        push_text(&mut out, &input[at..esc], b"\n");
        if esc == input.len() {
            break;
        }
        let n = match sequence(&input[esc..]) {
            Sequence::Done(n) => {
                let seq = &input[esc..esc + n];
                let sgr = seq.len() >= 3
                    && seq[1] == b'['
                    && seq[n - 1] == b'm'
                    && seq[2..n - 1].iter().all(|b| b.is_ascii_digit() || *b == b';' || *b == b':');
                if sgr {
                    // Only ASCII: pushing it as text keeps the String valid.
                    out.push_str(&String::from_utf8_lossy(seq));
                }
                n
            }
            Sequence::Unfinished(n) | Sequence::Open(n) => n,
        };
        at = esc + n;
    }
    out
}

fn push_text(out: &mut String, bytes: &[u8], keep: &[u8]) {
    // Valid UTF-8 (nearly all output) is checked at the standard library's ASCII speed.
    if let Ok(text) = std::str::from_utf8(bytes) {
        return push_valid(out, text, keep);
    }
    for chunk in bytes.utf8_chunks() {
        push_valid(out, chunk.valid(), keep);
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

fn push_valid(out: &mut String, text: &str, keep: &[u8]) {
    let b = text.as_bytes();
    // Printable ASCII goes in runs; only controls and non-ASCII are looked at one by one.
    let (mut run, mut i) = (0, 0);
    loop {
        i += printable_run(&b[i..]);
        if i >= b.len() {
            break;
        }
        out.push_str(&text[run..i]);
        let Some(c) = text[i..].chars().next() else { break };
        let kept = if c.is_control() { c.is_ascii() && keep.contains(&b[i]) } else { !is_format(c) };
        if kept {
            out.push(c);
        }
        i += c.len_utf8();
        run = i;
    }
    out.push_str(&text[run..]);
}

/// How many bytes at the start of `b` are printable ASCII (`0x20..0x7f`): eight at a time
/// while all eight are (an agent shell's output is mostly such runs, megabytes of them).
fn printable_run(b: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    let mut n = 0;
    for w in b.chunks_exact(8) {
        let x = u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        // Some byte is below 0x20; some byte is 0x7f or above (exact as "any" tests).
        let below = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let above = (x.wrapping_add(ONES) | x) & HIGH;
        if below | above != 0 {
            break;
        }
        n += 8;
    }
    n + b[n..].iter().take_while(|c| (0x20..0x7f).contains(*c)).count()
}

/// Invisible characters that change how text reads: bidi marks, embeddings, overrides and
/// isolates, zero-width characters, line and paragraph separators, invisible operators,
/// deprecated format controls, interlinear annotations, tag characters and the BOM. They
/// could make text read differently from what it is (a name shown reversed, a fingerprint
/// with hidden parts). A soft hyphen is harmless and kept.
pub fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

#[cfg(test)]
mod tests;
