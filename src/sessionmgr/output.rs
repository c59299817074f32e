//! Turning raw terminal output into what a reader gets: cuts that never split a UTF-8
//! character or an escape sequence, text without escape sequences, and the hint that the
//! output's tail looks like a prompt waiting for input.

use crate::escapes::{self, Sequence};

const ESC: u8 = 0x1b;

/// How many leading bytes of `data` to return. With `more_follows`, an incomplete UTF-8
/// character or escape sequence at the end is left for the next read, and so is a last
/// carriage return (a CR LF becomes LF in the text however the reads fall).
pub fn cut(data: &[u8], more_follows: bool) -> usize {
    if !more_follows {
        return data.len();
    }
    let mut n = data.len();
    // An unfinished UTF-8 character: a lead byte in the last three whose length runs past.
    for back in 1..=3.min(n) {
        let b = data[n - back];
        if b & 0xC0 == 0x80 {
            continue;
        }
        let need = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        if need > back {
            n -= back;
        }
        break;
    }
    if let Some(at) = unfinished_escape(&data[..n]) {
        n = at;
    }
    if n > 0 && data[n - 1] == b'\r' {
        n -= 1;
    }
    n
}

/// Where an escape sequence starts that the end of `data` leaves open. Never further back
/// than a sequence's bound, so an unterminated one holds back nothing for long.
fn unfinished_escape(data: &[u8]) -> Option<usize> {
    let from = data.len().saturating_sub(escapes::STRING_MAX);
    let mut held = None;
    let mut end = data.len();
    // A string whose body ends in a lone ESC is open from its own ESC, not the last one.
    while let Some(at) = data[from..end].iter().rposition(|&b| b == ESC).map(|p| from + p) {
        if !matches!(escapes::sequence(&data[at..]), Sequence::Open(_)) {
            break;
        }
        held = Some(at);
        end = at;
    }
    held
}

/// Output as text for an agent: invalid UTF-8 becomes U+FFFD, escape sequences and control
/// characters go (newline, tab and a lone carriage return stay; CR LF becomes LF).
pub fn clean(data: &[u8]) -> String {
    let text = escapes::strip_escapes(data, b"\n\t\r");
    if memchr::memchr(b'\r', text.as_bytes()).is_some() { text.replace("\r\n", "\n") } else { text }
}

/// The text of the first `n` bytes of `data` (a `cut`), cut further on the same boundaries
/// until the text holds at most `max` bytes: an invalid byte becomes a three-byte U+FFFD, so
/// the text can be longer than the bytes it comes from. Returns the text and how many bytes
/// of `data` it covers.
pub fn fit(data: &[u8], n: usize, max: usize) -> (String, usize) {
    let text = clean(&data[..n]);
    if text.len() <= max {
        return (text, n);
    }
    // The longest prefix whose text fits: `lo` fits, `hi` does not.
    let fits = |k: usize| clean(&data[..cut(&data[..k], true)]).len() <= max;
    let (mut lo, mut hi) = (0, n);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) { lo = mid } else { hi = mid }
    }
    let k = cut(&data[..lo], true);
    (clean(&data[..k]), k)
}

/// `password`, `yes_no` or `pager` when the last line of `tail` looks like such a prompt.
pub fn prompt_hint(tail: &[u8]) -> Option<&'static str> {
    let text = clean(tail);
    let line = text.rsplit(['\n', '\r']).find(|l| !l.trim().is_empty())?.trim_end().to_lowercase();
    let ends_with_newline = text.trim_end_matches([' ', '\t']).ends_with(['\n', '\r']);
    if ends_with_newline {
        return None;
    }
    let asks = line.ends_with(':') || line.ends_with('?') || line.ends_with('>') || line.ends_with(']');
    if asks && ["password", "passphrase", "passcode", "pin for", "token"].iter().any(|w| line.contains(w)) {
        return Some("password");
    }
    if ["(y/n)", "[y/n]", "(yes/no", "[yes/no]", "y/n?", "(y/n/", "[y,n"].iter().any(|w| line.contains(w)) {
        return Some("yes_no");
    }
    if line == ":" || line.contains("(end)") || line.starts_with("--more--") || line.starts_with("lines ") {
        return Some("pager");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_keep_characters_and_sequences_whole() {
        let s = "aé€😀".as_bytes();
        for n in 0..=s.len() {
            let k = cut(&s[..n], true);
            assert!(std::str::from_utf8(&s[..k]).is_ok(), "{n}");
            assert!(n - k < 4);
        }
        assert_eq!(cut(b"ab\x1b[31", true), 2);
        assert_eq!(cut(b"ab\x1b[31m", true), 7);
        assert_eq!(cut(b"ab\x1b]0;title", true), 2);
        assert_eq!(cut(b"ab\x1b[31", false), 6);
        assert_eq!(cut(b"ab\x1b]0;title\x1b", true), 2);
        assert_eq!(cut(b"ab\x1b]0;title\x1b\\", true), 13);
        assert_eq!(cut(b"ab\r", true), 2);
        assert_eq!(cut(b"ab\r", false), 3);
    }

    #[test]
    fn the_text_is_the_same_however_the_reads_fall() {
        let s = b"a\tb\r\nc\rd\n\x1b[1m\r\n\xc3\xa9\r\r\nend\r";
        let whole = clean(s);
        assert_eq!(whole, "a\tb\nc\rd\n\n\u{e9}\r\nend\r");
        for at in 0..=s.len() {
            let k = cut(&s[..at], true);
            assert_eq!(clean(&s[..k]) + &clean(&s[k..]), whole, "split at {at}");
        }
    }

    #[test]
    fn an_unterminated_string_is_held_back_only_within_its_bound() {
        // A newline ends it: nothing is held back, and the text after it is read.
        let s = b"ab\x1b]0;never-ends\r\nvisible";
        assert_eq!(cut(s, true), s.len());
        assert_eq!(clean(s), "ab0;never-ends\nvisible");
        let mut long = b"ab\x1b]".to_vec();
        long.extend(std::iter::repeat_n(b'x', escapes::STRING_MAX - 3));
        assert_eq!(cut(&long, true), 2);
        long.extend_from_slice(b"xyz");
        assert_eq!(cut(&long, true), long.len());
        assert!(clean(&long).ends_with("xxyz"));
    }

    #[test]
    fn the_budget_holds_for_the_text_not_the_bytes() {
        let data = [0xffu8; 100];
        let (text, n) = fit(&data, 100, 64);
        assert!(text.len() <= 64 && n == 21, "{} {n}", text.len());
        assert_eq!(text, "\u{fffd}".repeat(21));
        let (text, n) = fit(b"plain", 5, 64);
        assert_eq!((text.as_str(), n), ("plain", 5));
    }

    #[test]
    fn clean_strips_sequences_keeps_layout() {
        assert_eq!(clean(b"\x1b[31mred\x1b[0m\tx\r\ny\rz\x07\xff"), "red\tx\ny\rz\u{fffd}");
    }

    #[test]
    fn prompts_are_recognised() {
        assert_eq!(prompt_hint(b"build ok\n[sudo] password for ann: "), Some("password"));
        assert_eq!(prompt_hint(b"Enter passphrase for key '/k': "), Some("password"));
        assert_eq!(prompt_hint(b"Do you want to continue? [Y/n] "), Some("yes_no"));
        assert_eq!(prompt_hint(b"Are you sure (yes/no/[fingerprint])? "), Some("yes_no"));
        assert_eq!(prompt_hint(b"line\n:"), Some("pager"));
        assert_eq!(prompt_hint(b"compiling\n"), None);
        assert_eq!(prompt_hint(b"password: ok\n"), None);
    }
}
