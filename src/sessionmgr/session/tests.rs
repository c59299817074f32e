//! Reads against a ring that already dropped bytes, without a shell.

use super::*;

/// A ready session of `ring` bytes that printed `data` while idle.
fn printed(ring: usize, data: &[u8]) -> State {
    let ready = protocol::nonce();
    let mut st = State::new(ring, None, &ready);
    let mut boot = format!("\x1eNAVI{ready}:R:bash\x1e").into_bytes();
    boot.extend_from_slice(data);
    st.absorb(&boot);
    st
}

#[test]
fn a_read_from_an_overwritten_offset_starts_on_a_whole_character() {
    // 10 bytes kept of "a€€€€": the oldest byte held is the last byte of a "€".
    let st = printed(10, "a€€€€".as_bytes());
    let r = st.read(Some(0), 64).unwrap();
    assert!(r.truncated);
    assert_eq!((r.data.as_str(), r.offset, r.next_cursor), ("€€€", 4, 13));
}

#[test]
fn invalid_bytes_never_push_the_text_past_max_bytes() {
    let st = printed(1 << 16, &[0xff; 1000]);
    let r = st.read(Some(0), 64).unwrap();
    assert!(r.data.len() <= 64, "{}", r.data.len());
    assert_eq!(r.next_cursor, 21);
}

#[test]
fn the_queue_holds_at_most_eight_mib_of_commands() {
    let mut st = printed(1024, b"");
    let (_, queued, typed) = st.enqueue("sleep 1000", None).unwrap();
    assert!(!queued && typed.is_some());
    let big = "x".repeat(1 << 20);
    for _ in 0..8 {
        assert!(st.enqueue(&big, None).unwrap().1);
    }
    let e = st.enqueue(&big, None).unwrap_err().to_string();
    assert!(e.starts_with("queue full"), "{e}");
    assert!(st.enqueue("echo small", None).unwrap_err().to_string().starts_with("queue full"));
    st.cancel_queue();
    assert!(st.enqueue(&big, None).is_ok());
}

/// Runs one command that prints `out` and exits with `code`.
fn ran(st: &mut State, out: &[u8], code: i32) {
    st.enqueue("cmd", None).unwrap();
    let nonce = st.running.as_ref().unwrap().nonce.clone();
    let mut stream = format!("\x1eNAVI{nonce}:S\x1e").into_bytes();
    stream.extend_from_slice(out);
    stream.extend_from_slice(format!("\x1eNAVI{nonce}:E:{code}\x1e").as_bytes());
    st.absorb(&stream);
}

#[test]
fn a_default_read_after_output_overflowed_the_ring_says_truncated() {
    let mut st = printed(64, b"");
    ran(&mut st, b"early\n", 0);
    ran(&mut st, &[b'y'; 200], 3);
    let r = st.read(None, 1024).unwrap();
    assert!(r.truncated, "{r:?}");
    assert_eq!((r.offset, r.next_cursor, r.exit_code), (206 - 64, 206, Some(3)));
    // A command whose output all fits is not truncated.
    ran(&mut st, b"short\n", 0);
    assert!(!st.read(None, 1024).unwrap().truncated);
}
