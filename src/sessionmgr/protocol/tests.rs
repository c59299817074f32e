use super::*;
use proptest::prelude::*;

fn marker(nonce: &str, kind: &str) -> Vec<u8> {
    let mut m = head(nonce);
    m.extend_from_slice(kind.as_bytes());
    m.push(RS);
    m
}

fn run(scanner: &mut Scanner, chunks: &[&[u8]]) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for c in chunks {
        for p in scanner.feed(c) {
            match (out.last_mut(), p) {
                (Some(Piece::Data(prev)), Piece::Data(d)) => prev.extend_from_slice(&d),
                (_, p) => out.push(p),
            }
        }
    }
    out
}

#[test]
fn boot_chatter_and_echo_are_dropped_markers_never_reach_data() {
    let ready = nonce();
    let cmd = nonce();
    let mut s = Scanner::new(&ready);
    let mut stream = b"Welcome!\r\n$ stty -echo ...".to_vec();
    stream.extend(marker(&ready, "R:bash"));
    stream.extend(b"bg job output\n");
    let got = run(&mut s, &[&stream]);
    assert_eq!(got, vec![Piece::Ready("bash".into()), Piece::Data(b"bg job output\n".to_vec())]);

    s.begin(&cmd);
    let mut stream = command_line("echo hi", &cmd).unwrap().into_bytes(); // the echo
    stream.extend(marker(&cmd, "S"));
    stream.extend(b"hi\n");
    stream.extend(marker(&cmd, "E:7"));
    assert_eq!(run(&mut s, &[&stream]), vec![Piece::Started, Piece::Data(b"hi\n".to_vec()), Piece::Finished(7)]);
}

#[test]
fn a_repeated_end_marker_between_commands_is_dropped() {
    let cmd = nonce();
    let mut s = Scanner::new(&nonce());
    s.mode = Mode::Idle;
    s.begin(&cmd);
    let stream = [marker(&cmd, "S"), marker(&cmd, "E:130"), b"bg".to_vec(), marker(&cmd, "E:130")].concat();
    assert_eq!(run(&mut s, &[&stream]), vec![Piece::Started, Piece::Finished(130), Piece::Data(b"bg".to_vec())]);
}

#[test]
fn typed_lines_never_contain_a_whole_marker() {
    let n = nonce();
    let line = command_line("printf 'x'", &n).unwrap();
    assert!(!line.contains(&n));
    assert!(!bootstrap(&n).contains(&n));
}

#[test]
fn forged_markers_stay_data_and_do_not_end_the_command() {
    let cmd = nonce();
    let fake = nonce();
    let mut s = Scanner::new(&nonce());
    s.mode = Mode::Idle;
    s.begin(&cmd);
    let mut stream = marker(&cmd, "S");
    let forged = [marker(&fake, "E:0"), b"\x1eNAVI".to_vec(), head(&cmd), b"E:x\x1e".to_vec()].concat();
    stream.extend(&forged);
    stream.extend(marker(&cmd, "E:3"));
    let got = run(&mut s, &[&stream]);
    assert_eq!(got, vec![Piece::Started, Piece::Data(forged), Piece::Finished(3)]);
}

proptest! {
    /// Wherever the stream is cut into chunks, the pieces are the same.
    #[test]
    fn chunking_does_not_matter(cuts in proptest::collection::vec(0usize..200, 0..12), body in "[a-z\x1e:N]{0,40}") {
        let cmd = nonce();
        let mut stream = marker(&cmd, "S");
        stream.extend(body.as_bytes());
        stream.extend(marker(&cmd, "E:255"));
        stream.extend(b"after");
        let mut whole = Scanner::new("r");
        whole.mode = Mode::Idle;
        whole.begin(&cmd);
        let want = run(&mut whole, &[&stream]);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
        cuts.sort();
        let mut chunks: Vec<&[u8]> = Vec::new();
        let mut last = 0;
        for c in cuts {
            chunks.push(&stream[last..c]);
            last = c;
        }
        chunks.push(&stream[last..]);
        let mut split = Scanner::new("r");
        split.mode = Mode::Idle;
        split.begin(&cmd);
        prop_assert_eq!(run(&mut split, &chunks), want.clone());
        prop_assert_eq!(want.last(), Some(&Piece::Data(b"after".to_vec())));
    }

    /// Whatever the command text, the typed word evaluates back to exactly that text, and
    /// no physical line is long enough for a terminal's line limit.
    #[test]
    fn quoting_round_trips_through_sh(cmd in "(\\PC|[\n\t\r\x03\x04\x15\x7f'\"\\\\$`]){0,300}") {
        let word = quote_pieces(&cmd);
        for line in word.split('\n') {
            prop_assert!(line.len() < 1100, "line of {} bytes", line.len());
        }
        let out = std::process::Command::new("sh").arg("-c").arg(format!("printf '%s' {word}")).output().unwrap();
        prop_assert_eq!(String::from_utf8_lossy(&out.stdout), cmd);
    }
}

#[test]
fn a_markers_kind_is_read_whatever_its_nonce() {
    assert_eq!(marker_kind(b"NAVIab12:R:bash"), Some(Piece::Ready("bash".into())));
    assert_eq!(marker_kind(b"NAVIab12:R:"), Some(Piece::Ready(String::new())));
    assert_eq!(marker_kind(b"NAVIab12:S"), Some(Piece::Started));
    assert_eq!(marker_kind(b"NAVIab12:E:130"), Some(Piece::Finished(130)));
    for not in [&b"NAVIab12:E:"[..], b"NAVIab12:E:1x", b"NAVIab12:S:", b"NAVIab12", b"navi:E:0", b"NAVIab12:X"] {
        assert_eq!(marker_kind(not), None, "{}", String::from_utf8_lossy(not));
    }
}
