use super::*;
use proptest::prelude::*;

fn strip(s: &[u8]) -> String {
    strip_escapes(s, b"\n\t")
}

#[test]
fn strips_csi_osc_and_controls() {
    let hostile = "a\x1b[31mred\x1b[0m\x1b]0;title\x07b\x1b]8;;http://x\x1b\\link\rc\x08d\x00e\x7ff\u{9b}2Jg";
    // A UTF-8 encoded C1 control is dropped; what follows it is plain text.
    assert_eq!(strip(hostile.as_bytes()), "aredblinkcdef2Jg");
    assert_eq!(strip(b"a\x1b(Bb\x1b7c\x1b#8d\x1b\x1b[1me"), "abcde");
}

#[test]
fn strips_bidi_and_invisible_format_characters() {
    let hostile = "ab\u{202E}cd\u{2066}e\u{2069}f\u{200B}g\u{200F}h\u{FEFF}i\u{00AD}é世界";
    assert_eq!(strip(hostile.as_bytes()), "abcdefghi\u{00AD}é世界");
}

#[test]
fn keeps_what_it_is_asked_to_and_replaces_invalid_utf8() {
    assert_eq!(strip_escapes(b"a\nb\tc\rd", b"\n\t\r"), "a\nb\tc\rd");
    assert_eq!(strip_escapes(b"a\nb\tc\rd", b""), "abcd");
    assert_eq!(strip(b"ok\xff\xfeok"), "ok\u{fffd}\u{fffd}ok");
}

#[test]
fn every_string_kind_is_hidden_when_terminated() {
    for intro in [b']', b'P', b'X', b'^', b'_'] {
        for end in [&b"\x07"[..], b"\x1b\\", b"\x18", b"\x1a"] {
            let mut s = vec![b'a', 0x1b, intro];
            s.extend_from_slice(&[b'q'; 4000]);
            s.extend_from_slice(end);
            s.push(b'b');
            assert_eq!(strip(&s), "ab", "{intro} {end:?}");
        }
    }
    // Another ESC ends the string and starts the next sequence.
    assert_eq!(strip(b"a\x1b]0;t\x1b[1mb"), "ab");
}

#[test]
fn an_unterminated_string_hides_nothing_after_a_newline() {
    assert_eq!(strip(b"\x1b]0;never-ends\nvisible\n"), "0;never-ends\nvisible\n");
    assert_eq!(strip(b"\x1bPq#0;2;0;0;0\r\nvisible"), "q#0;2;0;0;0\nvisible");
    // At the end of the input, the introducer goes and the rest is text.
    assert_eq!(strip(b"a\x1b_never-ends"), "anever-ends");
    assert_eq!(strip(b"a\x1b]x\x1b"), "ax");
}

#[test]
fn an_unterminated_string_hides_nothing_past_its_bound() {
    let mut s = b"\x1b]".to_vec();
    s.extend(std::iter::repeat_n(b'x', STRING_MAX));
    s.extend_from_slice(b"visible\x07after");
    assert_eq!(sequence(&s), Sequence::Unfinished(2));
    assert_eq!(strip(&s), format!("{}visibleafter", "x".repeat(STRING_MAX)));
}

#[test]
fn short_sequences_are_bounded_and_cancelled_by_other_bytes() {
    assert_eq!(strip(b"a\x1b[31\nb"), "a\nb");
    let mut s = b"\x1b[".to_vec();
    s.extend(std::iter::repeat_n(b'1', CONTROL_MAX));
    s.extend_from_slice(b"m");
    assert_eq!(sequence(&s), Sequence::Unfinished(2));
    assert_eq!(strip(&s), format!("{}m", "1".repeat(CONTROL_MAX)));
    assert_eq!(strip(b"a\x1b[31"), "a");
    assert_eq!(strip(b"a\x1b"), "a");
    assert_eq!(sequence(b"\x1b[31"), Sequence::Open(4));
    assert_eq!(sequence(b"\x1b]0;t"), Sequence::Open(2));
    assert_eq!(sequence(b"\x1b"), Sequence::Open(1));
}

proptest! {
    // No sequence ever swallows a newline, whatever surrounds it.
    #[test]
    fn every_newline_survives(parts in prop::collection::vec(prop_oneof![
        Just(b"\x1b".to_vec()), Just(b"\x1b]".to_vec()), Just(b"\x1bP".to_vec()), Just(b"\x1b[".to_vec()),
        Just(b"\x07".to_vec()), Just(b"\x1b\\".to_vec()), Just(b"\n".to_vec()), Just(b"\x18".to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ], 0..40)) {
        let input = parts.concat();
        let out = strip(&input);
        prop_assert_eq!(out.matches('\n').count(), input.iter().filter(|&&b| b == b'\n').count());
        prop_assert!(!out.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
    }

    // Text (no ESC) is kept char by char as the rules say, the printable ASCII runs too.
    #[test]
    fn text_keeps_what_a_char_by_char_filter_keeps(parts in prop::collection::vec(prop_oneof![
        Just("plain text ".as_bytes().to_vec()), Just("é\u{202E}\u{200B}\u{85}\u{FEFF}€".as_bytes().to_vec()),
        Just(b"\n\t\r\x7f\x00".to_vec()), prop::collection::vec(any::<u8>(), 0..8),
    ], 0..40)) {
        let input: Vec<u8> = parts.concat().into_iter().filter(|&b| b != ESC).collect();
        let by_char: String = String::from_utf8_lossy(&input)
            .chars()
            .filter(|&c| if c.is_control() { c == '\n' || c == '\t' } else { !is_format(c) })
            .collect();
        prop_assert_eq!(strip(&input), by_char);
    }
}

#[test]
fn a_status_line_keeps_its_colours_and_nothing_else() {
    let hostile =
        b"\x1b[1;38;5;208mOpus\x1b[0m \x1b[2J\x1b[H\x1b]52;c;cGF3bmVk\x07ctx\r 42%\x1b]0;pwned\x07\n2nd\x1b[?1049h";
    assert_eq!(keep_colours(hostile), "\x1b[1;38;5;208mOpus\x1b[0m ctx 42%\n2nd");
    assert_eq!(keep_colours(b"\xff plain \xe4\xb8\x96"), "\u{FFFD} plain \u{4e16}");
}

#[test]
fn a_printable_run_ends_at_the_first_other_byte_wherever_it_is() {
    for v in 0..=255u8 {
        for at in 0..20 {
            let mut b = [b'a'; 20];
            b[at] = v;
            let want = if (0x20..0x7f).contains(&v) { 20 } else { at };
            assert_eq!(printable_run(&b), want, "byte {v:#x} at {at}");
            // Off the word boundary too.
            let shifted = if at == 0 { 19 } else { want - 1 };
            assert_eq!(printable_run(&b[1..]), shifted, "byte {v:#x} at {at}, shifted");
        }
    }
    assert_eq!(printable_run(b""), 0);
}
