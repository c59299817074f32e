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
    let r = st.read(Some(0), 64, None).unwrap();
    assert!(r.truncated);
    assert_eq!((r.data.as_str(), r.offset, r.next_cursor), ("€€€", 4, 13));
}

#[test]
fn invalid_bytes_never_push_the_text_past_max_bytes() {
    let st = printed(1 << 16, &[0xff; 1000]);
    let r = st.read(Some(0), 64, None).unwrap();
    assert!(r.data.len() <= 64, "{}", r.data.len());
    assert_eq!(r.next_cursor, 21);
}

#[test]
fn the_queue_holds_at_most_eight_mib_of_commands() {
    let mut st = printed(1024, b"");
    let e = st.enqueue("sleep 1000", None).unwrap();
    let (queued, typed) = (e.queued, e.dispatched);
    assert!(!queued && typed.is_some());
    let big = "x".repeat(1 << 20);
    for _ in 0..8 {
        assert!(st.enqueue(&big, None).unwrap().queued);
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
    let r = st.read(None, 1024, None).unwrap();
    assert!(r.truncated, "{r:?}");
    assert_eq!((r.offset, r.next_cursor, r.exit_code), (206 - 64, 206, Some(3)));
    // A command whose output all fits is not truncated.
    ran(&mut st, b"short\n", 0);
    assert!(!st.read(None, 1024, None).unwrap().truncated);
}

/// A live agent shell: its host's folder (the command log, what the host's own logic
/// noted), the raw output it read, and what the host typed.
struct Live {
    st: State,
    host: std::sync::Arc<tempfile::TempDir>,
    raw: Vec<u8>,
    writes: mpsc::UnboundedReceiver<Write>,
    typed: Vec<Vec<u8>>,
}

impl Live {
    fn new(ready: &str) -> Live {
        Live::on(ready, std::sync::Arc::new(tempfile::tempdir().unwrap()))
    }

    /// Another process using the same host folder.
    fn on(ready: &str, host: std::sync::Arc<tempfile::TempDir>) -> Live {
        let mut st = State::new(1 << 16, None, ready);
        st.persistent = true;
        let (tx, writes) = mpsc::unbounded_channel();
        st.attach(tx);
        Live { st, host, raw: Vec::new(), writes, typed: Vec::new() }
    }

    fn notes(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.host.path().join("cmds")).unwrap_or_default();
        text.lines().map(String::from).collect()
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.raw.extend_from_slice(bytes);
        // Chunks cut anywhere, markers included.
        for chunk in bytes.chunks(7) {
            self.st.absorb(chunk);
        }
        self.drain();
    }

    /// Hands what the process wrote to the host, and the host's answers back.
    fn drain(&mut self) {
        let dir = self.host.path().to_path_buf();
        while let Ok(w) = self.writes.try_recv() {
            match w {
                Write::Note(line) => super::super::host::note(&dir, line.as_bytes()).unwrap(),
                Write::Command(frame) => {
                    let ack = super::super::host::enter(&dir, &frame, |b| self.typed.push(b.to_vec())).unwrap();
                    self.st.acked(ack);
                }
                Write::Reserve(nonce) => {
                    let ack = super::super::host::reserve(&dir, nonce.as_bytes()).unwrap();
                    self.st.acked(ack);
                }
                _ => {}
            }
        }
    }

    /// The stream the shell prints for the command typed last: junk echo, `out`, the exit
    /// `code`, then `idle` (a background job) before the next command.
    fn output_of(&self, out: &str, code: i32, idle: &str) -> String {
        let nonce = self.st.running.as_ref().unwrap().nonce.clone();
        format!("echoed junk\x1eNAVI{nonce}:S\x1e{out}\x1eNAVI{nonce}:E:{code}\x1e{idle}")
    }

    /// Types a command; the shell echoes junk, prints `out`, ends with `code`, then a
    /// background job prints `idle` before the next command.
    fn run(&mut self, out: &str, code: i32, idle: &str) {
        self.st.enqueue("cmd", None).unwrap();
        self.drain();
        let stream = self.output_of(out, code, idle);
        self.feed(stream.as_bytes());
    }
}

fn reads(st: &State, offsets: &[u64]) -> Vec<(String, Option<u64>, Option<i32>, bool)> {
    offsets
        .iter()
        .map(|o| {
            let r = st.read(Some(*o), 1 << 16, None).unwrap();
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
    let notes = live.notes();
    assert_eq!(notes.first().map(String::as_str), Some("R bash"));

    // Everything still on the host: read again from the start.
    let header = super::super::host::Header { cmds: notes.clone(), ..Default::default() };
    let plan = super::super::persist::plan(&header);
    let mut again = State::resume(1 << 16, None, &ready, plan, Duration::ZERO);
    for chunk in live.raw.chunks(5) {
        again.absorb(chunk);
    }
    assert_eq!(reads(&again, &offsets), want);
    assert_eq!((again.next_id, again.shell_kind.as_str()), (4, "bash"));

    // Only the last two commands' output left on the host: those read the same.
    let second: super::super::persist::Typed = {
        let l = &notes[2];
        let w: Vec<&str> = l.split(' ').collect();
        super::super::persist::Typed {
            id: 2,
            nonce: w[2].into(),
            raw: w[3].parse().unwrap(),
            offset: w[4].parse().unwrap(),
        }
    };
    let header = super::super::host::Header { cmds: notes.clone(), kept: second.raw, ..Default::default() };
    let plan = super::super::persist::plan(&header);
    let mut later = State::resume(1 << 16, None, &ready, plan, Duration::ZERO);
    later.absorb(&live.raw[second.raw as usize..]);
    let tail: Vec<u64> = (second.offset..=live.st.ring.end()).collect();
    assert_eq!(reads(&later, &tail), reads(&live.st, &tail));
    assert!(later.read(Some(0), 64, None).unwrap().truncated);
}

#[test]
fn the_id_reserved_for_a_queued_command_may_come_after_it_was_typed_and_it_runs_on() {
    let ready = protocol::nonce();
    let mut live = Live::new(&ready);
    live.feed(format!("\x1eNAVI{ready}:R:bash\x1e").as_bytes());
    live.st.enqueue("first", None).unwrap();
    live.drain();
    let first = live.output_of("one\n", 0, "");
    // Queued behind the first: its id is asked for, and the answer is still on its way
    // when the first ends and this one is handed over to be typed.
    live.st.enqueue("second", None).unwrap();
    live.feed(first.as_bytes());
    let running = live.st.running.as_ref().map(|c| c.id);
    assert_eq!(running, Some(2), "the second command runs once both answers came");
    assert_eq!(live.typed.len(), 2);
    let second = live.output_of("two\n", 5, "");
    live.feed(second.as_bytes());
    let r = live.st.read(None, 1 << 16, None).unwrap();
    assert_eq!((r.data.as_str(), r.command_id, r.exit_code), ("two\n", Some(2), Some(5)));
    let all = live.st.read(Some(0), 1 << 16, None).unwrap();
    assert!(!all.data.contains("NAVI"), "{all:?}");
}

#[test]
fn output_lost_in_a_flood_still_counts_and_reads_as_truncated() {
    let mut st = printed(1024, b"before");
    st.gap(st.raw() + 5000);
    assert_eq!((st.lost, st.ring.end()), (5000, 5006));
    st.absorb(b"after");
    let r = st.read(Some(0), 64, None).unwrap();
    assert_eq!((r.data.as_str(), r.offset, r.truncated), ("after", 5006, true));
}

#[test]
fn two_processes_sending_at_the_same_instant_get_distinct_ids_and_read_the_same() {
    let ready = protocol::nonce();
    let boot = format!("motd\x1eNAVI{ready}:R:bash\x1e");
    let mut a = Live::new(&ready);
    let mut b = Live::on(&ready, a.host.clone());
    a.feed(boot.as_bytes());
    b.feed(boot.as_bytes());
    // Both send before either heard of the other's command: both hand it to the host at
    // the same output position.
    let sent_a = a.st.enqueue("echo a", None).unwrap();
    let sent_b = b.st.enqueue("echo b", None).unwrap();
    assert_eq!((sent_a.id, sent_b.id), (0, 0), "ids come from the host");
    a.drain();
    b.drain();
    let (id_a, id_b) = (a.st.id_of(&sent_a.nonce).unwrap(), b.st.id_of(&sent_b.nonce).unwrap());
    assert_eq!((id_a, id_b), ((1, false), (2, true)), "a typed with id 1; b waits with id 2");
    assert_eq!(a.typed.len() + b.typed.len(), 1, "only one command typed");
    assert_eq!(b.st.queue.len(), 1);

    // a's command runs; b follows it from the note the host refused it with.
    let out_a = a.output_of("from a\n", 0, "");
    a.feed(out_a.as_bytes());
    b.feed(out_a.as_bytes());
    assert_eq!(b.typed.len(), 1, "b typed its command once a's ended");
    let note_b = a.notes().into_iter().rfind(|l| l.starts_with("C 2 ")).expect("b's command noted");
    a.st.learn(&note_b);
    let out_b = b.output_of("from b\n", 4, "");
    a.feed(out_b.as_bytes());
    b.feed(out_b.as_bytes());

    let offsets: Vec<u64> = (0..=a.st.ring.end()).collect();
    assert_eq!(reads(&a.st, &offsets), reads(&b.st, &offsets));
    let ends: Vec<_> = reads(&a.st, &[0, a.st.ring.end() - 1]).into_iter().map(|r| (r.0, r.1, r.2)).collect();
    assert_eq!(ends, vec![("from a\n".to_string(), Some(1), Some(0)), ("\n".to_string(), Some(2), Some(4))]);
    let typed: Vec<String> = a.typed.iter().chain(&b.typed).map(|t| String::from_utf8_lossy(t).into_owned()).collect();
    assert!(typed[0].contains("echo a") && typed[1].contains("echo b"), "{typed:?}");
}

#[test]
fn a_command_queued_in_a_process_has_its_id_at_once_and_keeps_it() {
    let ready = protocol::nonce();
    let mut a = Live::new(&ready);
    a.feed(format!("\x1eNAVI{ready}:R:bash\x1e").as_bytes());
    let first = a.st.enqueue("sleep 1", None).unwrap();
    let second = a.st.enqueue("echo two", None).unwrap();
    a.drain();
    assert_eq!(a.st.id_of(&first.nonce), Some((1, false)));
    assert_eq!(a.st.id_of(&second.nonce), Some((2, true)), "reserved while queued");
    let out = a.output_of("", 0, "");
    a.feed(out.as_bytes());
    assert_eq!(a.st.id_of(&second.nonce), Some((2, false)), "typed under the id it was given");
    assert!(a.notes().iter().any(|l| l.starts_with("C 2 ")), "{:?}", a.notes());
    // The host answers a command sent again (a lost link) without typing it twice.
    let frame = a.typed.len();
    let again = format!("C 0 {} 1 1\necho two\n", second.nonce);
    let ack = super::super::host::enter(a.host.path(), again.as_bytes(), |_| panic!("typed twice")).unwrap();
    assert_eq!((ack.id, ack.typed, a.typed.len()), (2, true, frame));
}

#[test]
fn output_while_no_command_runs_belongs_to_none() {
    let mut st = printed(1 << 16, b"");
    ran(&mut st, b"one\n", 3);
    st.absorb(b"from a background job\n");
    ran(&mut st, b"", 0);
    let first = st.read(Some(0), 1024, None).unwrap();
    assert_eq!((first.data.as_str(), first.command_id, first.exit_code), ("one\n", Some(1), Some(3)));
    let idle = st.read(Some(first.next_cursor), 1024, None).unwrap();
    assert_eq!((idle.data.as_str(), idle.command_id, idle.finished), ("from a background job\n", None, false));
    // A command that printed nothing still reads from its start, with its exit code.
    let second = st.read(Some(idle.next_cursor), 1024, None).unwrap();
    assert_eq!((second.data.as_str(), second.command_id, second.exit_code), ("", Some(2), Some(0)));
    assert!(second.finished);
}

/// A session running a command that has printed `out` so far; and its nonce.
fn started(out: &[u8]) -> (State, String) {
    let mut st = printed(1 << 16, b"");
    st.enqueue("cmd", None).unwrap();
    let nonce = st.running.as_ref().unwrap().nonce.clone();
    st.absorb(format!("\x1eNAVI{nonce}:S\x1e").as_bytes());
    st.absorb(out);
    (st, nonce)
}

#[test]
fn a_reader_that_had_all_the_output_before_the_end_marker_gets_the_exit_code_at_its_cursor() {
    let (mut st, nonce) = started(b"start\n");
    let r = st.read(None, 1024, None).unwrap();
    assert_eq!((r.data.as_str(), r.finished), ("start\n", false));
    // The end comes alone, after the reader took every byte: a read (or a waiting one)
    // from its cursor is told the exit code.
    st.absorb(format!("\x1eNAVI{nonce}:E:7\x1e").as_bytes());
    assert!(st.worth_answering(r.next_cursor, 1024, None));
    let end = st.read(Some(r.next_cursor), 1024, None).unwrap();
    assert_eq!((end.data.as_str(), end.command_id, end.exit_code, end.finished), ("", Some(1), Some(7), true));
    assert_eq!(end.next_cursor, r.next_cursor);
    // Output printed after it, while no command runs, reads from there on.
    st.absorb(b"from a background job\n");
    let idle = st.read(Some(end.next_cursor), 1024, None).unwrap();
    assert_eq!((idle.data.as_str(), idle.command_id), ("from a background job\n", None));
}

#[test]
fn a_read_waiting_at_a_commands_end_is_told_its_exit_code_though_output_follows_at_once() {
    let (mut st, nonce) = started(b"start\n");
    let cursor = st.read(None, 1024, None).unwrap().next_cursor;
    // A read waits there on the running command; its end and a background job's line
    // come in one piece.
    let awaited = st.running_at(cursor);
    assert_eq!(awaited, Some(1));
    st.absorb(format!("\x1eNAVI{nonce}:E:4\x1efrom a background job\n").as_bytes());
    assert!(st.worth_answering(cursor, 1024, awaited));
    let end = st.read(Some(cursor), 1024, awaited).unwrap();
    assert_eq!((end.data.as_str(), end.command_id, end.exit_code, end.finished), ("", Some(1), Some(4), true));
    // A reader that did not wait there reads the line from the same cursor.
    let idle = st.read(Some(cursor), 1024, None).unwrap();
    assert_eq!((idle.data.as_str(), idle.command_id), ("from a background job\n", None));
}
