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

/// A live agent shell: what it typed (its command log) and the raw output it read.
struct Live {
    st: State,
    notes: Vec<String>,
    raw: Vec<u8>,
    writes: mpsc::UnboundedReceiver<Write>,
}

impl Live {
    fn new(ready: &str) -> Live {
        let mut st = State::new(1 << 16, None, ready);
        st.persistent = true;
        let (tx, writes) = mpsc::unbounded_channel();
        st.attach(tx);
        Live { st, notes: Vec::new(), raw: Vec::new(), writes }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.raw.extend_from_slice(bytes);
        // Chunks cut anywhere, markers included.
        for chunk in bytes.chunks(7) {
            self.st.absorb(chunk);
        }
        self.drain();
    }

    fn drain(&mut self) {
        while let Ok(w) = self.writes.try_recv() {
            if let Write::Note(line) = w {
                self.notes.push(line);
            }
        }
    }

    /// Types a command; the shell echoes junk, prints `out`, ends with `code`, then a
    /// background job prints `idle` before the next command.
    fn run(&mut self, out: &str, code: i32, idle: &str) {
        self.st.enqueue("cmd", None).unwrap();
        self.drain();
        let nonce = self.st.running.as_ref().unwrap().nonce.clone();
        let stream = format!("echoed junk\x1eNAVI{nonce}:S\x1e{out}\x1eNAVI{nonce}:E:{code}\x1e{idle}");
        self.feed(stream.as_bytes());
    }
}

fn reads(st: &State, offsets: &[u64]) -> Vec<(String, Option<u64>, Option<i32>, bool)> {
    offsets
        .iter()
        .map(|o| {
            let r = st.read(Some(*o), 1 << 16).unwrap();
            (r.data, r.command_id, r.exit_code, r.truncated)
        })
        .collect()
}

#[test]
fn taking_up_an_agent_shell_from_its_log_gives_the_same_offsets_ids_and_exit_codes() {
    let ready = protocol::nonce();
    let mut live = Live::new(&ready);
    live.feed(format!("motd\x1eNAVI{ready}:R:bash\x1e").as_bytes());
    live.run("one\n", 0, "bg\n");
    live.run("two\n", 3, "");
    live.run("three\n", 7, "late\n");
    let offsets: Vec<u64> = (0..=live.st.ring.end()).collect();
    let want = reads(&live.st, &offsets);
    assert_eq!(live.notes.first().map(String::as_str), Some("R bash"));

    // Everything still on the host: read again from the start.
    let header = super::super::host::Header { cmds: live.notes.clone(), ..Default::default() };
    let plan = super::super::persist::plan(&header);
    let mut again = State::resume(1 << 16, None, &ready, plan, Duration::ZERO);
    for chunk in live.raw.chunks(5) {
        again.absorb(chunk);
    }
    assert_eq!(reads(&again, &offsets), want);
    assert_eq!((again.next_id, again.shell_kind.as_str()), (4, "bash"));

    // Only the last two commands' output left on the host: those read the same.
    let second: super::super::persist::Typed = {
        let l = &live.notes[2];
        let w: Vec<&str> = l.split(' ').collect();
        super::super::persist::Typed {
            id: 2,
            nonce: w[2].into(),
            raw: w[3].parse().unwrap(),
            offset: w[4].parse().unwrap(),
        }
    };
    let header = super::super::host::Header { cmds: live.notes.clone(), kept: second.raw, ..Default::default() };
    let plan = super::super::persist::plan(&header);
    let mut later = State::resume(1 << 16, None, &ready, plan, Duration::ZERO);
    later.absorb(&live.raw[second.raw as usize..]);
    let tail: Vec<u64> = (second.offset..=live.st.ring.end()).collect();
    assert_eq!(reads(&later, &tail), reads(&live.st, &tail));
    assert!(later.read(Some(0), 64).unwrap().truncated);
}

#[test]
fn output_lost_in_a_flood_still_counts_and_reads_as_truncated() {
    let mut st = printed(1024, b"before");
    st.gap(st.raw() + 5000);
    assert_eq!((st.lost, st.ring.end()), (5000, 5006));
    st.absorb(b"after");
    let r = st.read(Some(0), 64).unwrap();
    assert_eq!((r.data.as_str(), r.offset, r.truncated), ("after", 5006, true));
}
