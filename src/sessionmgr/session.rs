//! One session's state machine (opening → ready ⇄ busy → closing → closed), its command
//! queue, and how a read maps byte offsets back to commands and their exit codes.

use super::driver::Stop;
use super::output;
use super::persist::{Plan, Typed};
use super::protocol::{self, Piece, Scanner};
use super::ring::Ring;
use super::{ReadResult, SessionError, SessionState};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Finished commands remembered for reads (their exit codes); older ones are forgotten.
const KEEP_DONE: usize = 256;
/// Commands waiting behind a running one, at most.
const MAX_QUEUED: usize = 256;
/// Output held while the host has not answered a command, at most; beyond it, output is
/// counted as lost.
const HELD_MAX: usize = 16 << 20;
/// Nonces of commands met, remembered to tell a note seen again from a new command.
const KNOWN_MAX: usize = 1024;
/// The longest command accepted (it is typed into a terminal).
const MAX_COMMAND: usize = 1 << 20;
/// Bytes of commands waiting behind a running one, at most.
const MAX_QUEUED_BYTES: usize = 8 << 20;
/// Quiet time before the tail of the output is taken for a prompt.
pub const QUIET: Duration = Duration::from_millis(300);
/// An agent shell's host hears that it was used at most this often.
const USED_EVERY: Duration = Duration::from_secs(5);

/// What goes to the shell, in order.
#[derive(Debug)]
pub enum Write {
    /// Typed into its terminal.
    Type(Vec<u8>),
    /// Kept in the command log on an agent shell's host (see `persist`).
    Note(String),
    /// An agent shell's command, handed to its host: noted and typed there unless another
    /// process typed first (see `host::enter`).
    Command(Vec<u8>),
    /// An id asked of an agent shell's host for the queued command of this nonce.
    Reserve(String),
    /// The session was used.
    Used,
}

#[derive(Debug)]
pub struct Command {
    pub id: u64,
    nonce: String,
    /// The command as sent; typed (quoted, several times its size) only when it runs.
    text: String,
    pub timeout: Option<Duration>,
    /// Offset where its output starts (set when it leaves the queue).
    start: u64,
    end: Option<u64>,
    exit_code: Option<i32>,
    pub timed_out: bool,
    interrupted: bool,
    /// How many times it was asked to stop (each asks harder).
    pub stops: u8,
    /// When it was last asked to stop or given input (`write`): a prompt printed before
    /// then was already answered, so it no longer ends a waiting read.
    nudged_at: Option<Instant>,
    /// Its start marker was seen: the shell is past reading the line.
    started: bool,
    /// A stop asked for before it started. Ctrl-C while the shell still reads the line
    /// would discard the line, and with it the end marker, so it waits for the start.
    deferred: Option<Stop>,
    /// The command while its host has not said whether it was typed (it is typed again
    /// later if it was not).
    typed_text: Option<String>,
}

impl Command {
    fn new(id: u64, nonce: String, text: String, timeout: Option<Duration>) -> Self {
        Command {
            id,
            nonce,
            text,
            timeout,
            start: 0,
            end: None,
            exit_code: None,
            timed_out: false,
            interrupted: false,
            stops: 0,
            nudged_at: None,
            started: false,
            deferred: None,
            typed_text: None,
        }
    }
}

/// A command taken: its id (0 for an agent shell until its host said), its nonce, whether
/// it waits behind others, and what was typed now.
#[derive(Debug)]
pub struct Enqueued {
    pub id: u64,
    pub nonce: String,
    pub queued: bool,
    pub dispatched: Option<Dispatched>,
}

/// A command just typed: the manager arms its timeout.
#[derive(Debug)]
pub struct Dispatched {
    pub id: u64,
    pub timeout: Option<Duration>,
}

/// What the manager must do after output was absorbed.
#[derive(Default)]
pub struct Actions {
    pub dispatched: Option<Dispatched>,
    /// A stop deferred until the command started.
    pub stop: Option<Stop>,
}

pub struct State {
    pub phase: SessionState,
    pub ring: Ring,
    scanner: Scanner,
    pub shell_kind: String,
    pub running: Option<Command>,
    pub queue: VecDeque<Command>,
    done: VecDeque<Command>,
    next_id: u64,
    pub last_used: Instant,
    pub idle_ttl: Option<Duration>,
    /// Why the session ended when it ended by itself.
    pub error: Option<String>,
    last_output: Instant,
    /// Pieces of output with a non-blank byte so far (it only grows): whether a command
    /// reacted to a signal (the shell answers Ctrl-C with a bare newline).
    pub visible: u64,
    writes: Option<mpsc::UnboundedSender<Write>>,
    /// Raw bytes of output read so far (agent shells: the position in the host's files).
    raw: u64,
    /// Bytes of output the host no longer had when this process came to read them.
    pub lost: u64,
    /// Commands an earlier process typed, met again while its output is read again.
    replay: VecDeque<Typed>,
    /// The nonces of the latest commands met (typed here, replayed or learnt): a note
    /// seen again is not another command.
    known: VecDeque<String>,
    /// An agent shell: what is typed is noted on its host first, and command ids come
    /// from the host (0 until it answered).
    pub persistent: bool,
    /// An agent shell's command handed to its host, not answered yet, and the frame that
    /// carried it (sent again if the link is lost meanwhile).
    pending: Option<(Command, Vec<u8>)>,
    /// Output that arrived meanwhile: whose it is depends on the answer.
    held: Vec<u8>,
    /// Output beyond [`HELD_MAX`] that arrived meanwhile.
    held_lost: u64,
    /// Its host cannot be reached right now: why.
    pub reconnecting: Option<String>,
    used_told: Option<Instant>,
}

impl State {
    pub fn new(ring_bytes: usize, idle_ttl: Option<Duration>, ready_nonce: &str) -> Self {
        let now = Instant::now();
        State {
            phase: SessionState::Opening,
            ring: Ring::new(ring_bytes),
            scanner: Scanner::new(ready_nonce),
            shell_kind: String::new(),
            running: None,
            queue: VecDeque::new(),
            done: VecDeque::new(),
            next_id: 1,
            last_used: now,
            idle_ttl,
            error: None,
            last_output: now,
            visible: 0,
            writes: None,
            raw: 0,
            lost: 0,
            replay: VecDeque::new(),
            known: VecDeque::new(),
            persistent: false,
            pending: None,
            held: Vec::new(),
            held_lost: 0,
            reconnecting: None,
            used_told: None,
        }
    }

    /// An agent shell taken up from its host: reading its output from `plan.from` on
    /// brings it to where the process that typed into it was.
    pub fn resume(
        ring_bytes: usize,
        idle_ttl: Option<Duration>,
        ready_nonce: &str,
        plan: Plan,
        idle: Duration,
    ) -> Self {
        let mut st = State::new(ring_bytes, idle_ttl, ready_nonce);
        st.persistent = true;
        st.raw = plan.from;
        st.next_id = plan.next_id;
        st.last_used = Instant::now().checked_sub(idle).unwrap_or_else(Instant::now);
        if !plan.shell.is_empty() {
            st.shell_kind = plan.shell.clone();
        }
        st.replay = plan.then.into();
        if let Some(first) = plan.first {
            st.replay_dispatch(first);
            // Its start is gone from the host: pick up inside its output.
            if let (Some(at), Some(c)) = (plan.mid_command, st.running.as_mut()) {
                c.started = true;
                st.scanner.running(&c.nonce);
                st.ring.skip_to(at);
            }
        }
        st
    }

    /// A line of the host's command log, met while following it: a command another
    /// process typed (or is about to) starts at the raw offset it gives. Notes of commands
    /// already met, and old ones (the output past them was read already), are not news.
    pub fn learn(&mut self, line: &str) -> Actions {
        self.note_met(line);
        self.absorb(&[])
    }

    fn note_met(&mut self, line: &str) {
        if let Some(t) = Typed::parse(line)
            && t.raw >= self.raw
            && !self.knows(&t.nonce)
        {
            self.next_id = self.next_id.max(t.id + 1);
            self.met(&t.nonce);
            let at = self.replay.iter().position(|r| r.raw > t.raw).unwrap_or(self.replay.len());
            self.replay.insert(at, t);
        }
    }

    fn knows(&self, nonce: &str) -> bool {
        self.known.iter().any(|k| k == nonce)
            || self.pending.as_ref().is_some_and(|p| p.0.nonce == nonce)
            || self.replay.iter().any(|t| t.nonce == nonce)
            || self.queue.iter().any(|c| c.nonce == nonce)
    }

    fn met(&mut self, nonce: &str) {
        if self.known.len() >= KNOWN_MAX {
            self.known.pop_front();
        }
        self.known.push_back(nonce.to_string());
    }

    /// Command `t`, typed by an earlier process, starts here.
    fn replay_dispatch(&mut self, t: Typed) {
        if let Some(mut cmd) = self.running.take() {
            // Its end never showed in the output.
            cmd.end = Some(self.ring.end());
            self.remember(cmd);
        }
        self.ring.skip_to(t.offset);
        self.scanner.begin(&t.nonce);
        self.met(&t.nonce);
        self.phase = SessionState::Busy;
        let mut cmd = Command::new(t.id, t.nonce, String::new(), None);
        cmd.start = self.ring.end();
        self.running = Some(cmd);
    }

    pub fn attach(&mut self, writes: mpsc::UnboundedSender<Write>) {
        self.writes = Some(writes);
    }

    /// The session was used now (its idle clock, here and on an agent shell's host).
    pub fn touch(&mut self) {
        let now = Instant::now();
        self.last_used = now;
        if self.persistent && self.used_told.is_none_or(|t| now.duration_since(t) >= USED_EVERY) {
            self.used_told = Some(now);
            if let Some(w) = &self.writes {
                let _ = w.send(Write::Used);
            }
        }
    }

    /// Raw bytes of output read so far.
    pub fn raw(&self) -> u64 {
        self.raw
    }

    /// The output up to raw offset `at` is lost (a reader that fell more than the host
    /// keeps behind a flood): it still counts, so offsets go on counting every byte, and a
    /// read of that stretch says `truncated`.
    pub fn gap(&mut self, at: u64) {
        if at > self.raw {
            let lost = at - self.raw;
            self.lost += lost;
            self.raw = at;
            self.ring.skip_to(self.ring.end() + lost);
        }
    }

    pub fn check_usable(&self) -> Result<(), SessionError> {
        match self.phase {
            SessionState::Closing => Err(SessionError::Closing),
            SessionState::Closed => Err(SessionError::Gone(self.end_reason())),
            _ => Ok(()),
        }
    }

    /// Why the session ended, for the callers that find it gone.
    pub fn end_reason(&self) -> String {
        self.error.clone().unwrap_or_else(|| "the shell ended".into())
    }

    /// Queues `text`; types it at once when the shell is free. Returns its id, whether it
    /// waits behind others, and what was typed now.
    pub fn enqueue(&mut self, text: &str, timeout: Option<Duration>) -> Result<Enqueued, SessionError> {
        self.check_usable()?;
        if self.queue.len() >= MAX_QUEUED {
            return Err(SessionError::BadCommand(format!("too many commands queued ({MAX_QUEUED})")));
        }
        if text.len() > MAX_COMMAND {
            return Err(SessionError::BadCommand(format!("the command is longer than {MAX_COMMAND} bytes")));
        }
        if text.contains('\0') {
            return Err(SessionError::BadCommand("the command contains a NUL byte".into()));
        }
        let waiting: usize = self.queue.iter().map(|c| c.text.len()).sum();
        if waiting + text.len() > MAX_QUEUED_BYTES {
            return Err(SessionError::BadCommand(format!(
                "queue full: the commands waiting hold {waiting} bytes (at most {MAX_QUEUED_BYTES})"
            )));
        }
        let nonce = protocol::nonce();
        // An agent shell's ids come from its host, unique among every process using it.
        let id = if self.persistent { 0 } else { self.next_id };
        self.next_id += 1;
        let cmd = Command::new(id, nonce.clone(), text.to_string(), timeout);
        self.queue.push_back(cmd);
        let queued = self.phase != SessionState::Ready || self.queue.len() > 1;
        let dispatched = self.dispatch_next();
        if self.persistent
            && self.queue.back().is_some_and(|c| c.nonce == nonce)
            && let Some(w) = &self.writes
        {
            let _ = w.send(Write::Reserve(nonce.clone()));
        }
        Ok(Enqueued { id, nonce, queued, dispatched })
    }

    /// The id of the command sent under `nonce`: 0 while its host has not said, `None`
    /// when it is not known (the session ended before).
    pub fn id_of(&self, nonce: &str) -> Option<(u64, bool)> {
        let typed = self.commands().chain(self.pending.iter().map(|p| &p.0)).find(|c| c.nonce == nonce);
        match typed {
            Some(c) => Some((c.id, self.pending.as_ref().is_some_and(|p| p.0.nonce == nonce))),
            None => self.queue.iter().find(|c| c.nonce == nonce).map(|c| (c.id, true)),
        }
    }

    /// The host's answer about a command of this process: the id it handed out; for the
    /// command handed over last, whether it was typed. One that was not waits at the head
    /// of the queue behind the other process's command the answer names, and the output
    /// held meanwhile is read as that command's.
    pub fn acked(&mut self, ack: super::host::Ack) -> Actions {
        if let Some(c) = self.queue.iter_mut().find(|c| c.nonce == ack.nonce && c.id == 0) {
            c.id = ack.id;
        }
        // An id reserved for a queued command (never typed, naming no other command): only
        // an id. It can come after the command was handed over, and says nothing of that.
        if !ack.typed && ack.last.is_none() {
            if let Some(p) = self.pending.as_mut().filter(|p| p.0.nonce == ack.nonce && p.0.id == 0) {
                p.0.id = ack.id;
            }
            return Actions::default();
        }
        if self.pending.as_ref().is_none_or(|p| p.0.nonce != ack.nonce) {
            return Actions::default();
        }
        let Some((mut cmd, _)) = self.pending.take() else { return Actions::default() };
        if cmd.id == 0 {
            cmd.id = ack.id;
        }
        let mut acts = Actions::default();
        if ack.typed {
            acts.dispatched = Some(self.start(cmd));
        } else {
            cmd.text = cmd.typed_text.take().unwrap_or_default();
            self.queue.push_front(cmd);
            self.phase = SessionState::Ready;
            if let Some(line) = ack.last {
                self.note_met(&line);
            }
        }
        let held = std::mem::take(&mut self.held);
        let lost = std::mem::take(&mut self.held_lost);
        let more = self.absorb(&held);
        if lost > 0 {
            self.gap(self.raw + lost);
        }
        acts.dispatched = more.dispatched.or(acts.dispatched);
        acts.stop = more.stop.or(acts.stop);
        acts
    }

    /// The link to an agent shell's host is back: what it may not have heard is sent again
    /// (it answers a command it had already typed without typing it again).
    pub fn relinked(&mut self) {
        let Some(w) = &self.writes else { return };
        if let Some((_, frame)) = &self.pending {
            let _ = w.send(Write::Command(frame.clone()));
        }
        for c in self.queue.iter().filter(|c| c.id == 0) {
            let _ = w.send(Write::Reserve(c.nonce.clone()));
        }
    }

    fn dispatch_next(&mut self) -> Option<Dispatched> {
        if self.phase != SessionState::Ready || self.running.is_some() || self.pending.is_some() {
            return None;
        }
        // A command another process typed (or an earlier one) starts further on: this one
        // waits its turn behind it.
        if !self.replay.is_empty() {
            return None;
        }
        let mut cmd = self.queue.pop_front()?;
        // NUL was refused at enqueue, so there is always a line.
        let text = std::mem::take(&mut cmd.text);
        let line = protocol::command_line(&text, &cmd.nonce).unwrap_or_default();
        if !self.persistent || self.writes.is_none() {
            if let Some(w) = &self.writes {
                let _ = w.send(Write::Type(line.into_bytes()));
            }
            return Some(self.start(cmd));
        }
        // An agent shell: the host notes and types it, or says another process was first.
        // Until it answered, the output is held: it is this command's only if it was typed.
        let t = Typed { id: cmd.id, nonce: cmd.nonce.clone(), raw: self.raw, offset: self.ring.end() };
        let mut frame = t.line().into_bytes();
        frame.push(b'\n');
        frame.extend_from_slice(line.as_bytes());
        if let Some(w) = &self.writes {
            let _ = w.send(Write::Command(frame.clone()));
        }
        cmd.typed_text = Some(text);
        self.phase = SessionState::Busy;
        self.pending = Some((cmd, frame));
        None
    }

    /// Command `cmd` was typed: its output starts here.
    fn start(&mut self, mut cmd: Command) -> Dispatched {
        cmd.typed_text = None;
        cmd.start = self.ring.end();
        self.scanner.begin(&cmd.nonce);
        self.met(&cmd.nonce);
        self.phase = SessionState::Busy;
        let d = Dispatched { id: cmd.id, timeout: cmd.timeout };
        self.running = Some(cmd);
        d
    }

    /// Types `bytes` after everything typed so far; false when the shell is gone.
    pub fn type_in_order(&self, bytes: &[u8]) -> bool {
        self.writes.as_ref().is_some_and(|w| w.send(Write::Type(bytes.to_vec())).is_ok())
    }

    /// Takes back a stop still waiting for command `id` to start (it never did).
    pub fn take_deferred(&mut self, id: u64) -> Option<Stop> {
        self.running.as_mut().filter(|c| c.id == id && !c.started)?.deferred.take()
    }

    /// Asks the running command `id` to stop: `Some` when the signal is to be sent now,
    /// `None` when there is no such command or the stop waits for its start.
    pub fn stop(&mut self, id: u64, how: Stop) -> Option<Stop> {
        let pending = self.pending.as_mut().map(|p| &mut p.0);
        let c = self.running.as_mut().or(pending).filter(|c| c.id == id)?;
        c.interrupted = true;
        c.nudged_at = Some(Instant::now());
        if c.started {
            Some(how)
        } else {
            c.deferred = Some(how);
            None
        }
    }

    /// Types `bytes` into the running command (an answer to its prompt); returns its id.
    /// Refused while no command runs: the shell would read them as a command line.
    pub fn give_input(&mut self, bytes: &[u8]) -> Result<u64, SessionError> {
        self.check_usable()?;
        let c = self.running.as_mut().filter(|c| c.started).ok_or_else(|| {
            SessionError::BadCommand("no command is running: `write` is input for a running program; use `send`".into())
        })?;
        c.nudged_at = Some(Instant::now());
        let id = c.id;
        if !self.type_in_order(bytes) {
            return Err(SessionError::Gone(self.end_reason()));
        }
        Ok(id)
    }

    /// Takes a chunk of shell output; says what the manager has to do next. Commands an
    /// earlier process typed start where its log says.
    pub fn absorb(&mut self, mut chunk: &[u8]) -> Actions {
        let mut acts = Actions::default();
        if self.pending.is_some() {
            let room = HELD_MAX.saturating_sub(self.held.len()).min(chunk.len());
            self.held.extend_from_slice(&chunk[..room]);
            self.held_lost += (chunk.len() - room) as u64;
            return acts;
        }
        loop {
            while let Some(t) = self.replay.front()
                && t.raw <= self.raw
            {
                if let Some(t) = self.replay.pop_front() {
                    self.replay_dispatch(t);
                }
            }
            if chunk.is_empty() {
                return acts;
            }
            let k = self.replay.front().map_or(chunk.len(), |t| ((t.raw - self.raw) as usize).min(chunk.len()));
            let stop = self.absorb_here(&chunk[..k]);
            self.raw += k as u64;
            chunk = &chunk[k..];
            // A queued command is typed once the piece that freed the shell is all read, so
            // the raw position its note gives is exact (a reader taking the session up
            // switches there), and what followed the end marker in that piece was idle.
            let next = self.dispatch_next();
            acts.dispatched = next.or(acts.dispatched);
            acts.stop = stop.or(acts.stop);
        }
    }

    /// Scans `chunk`; returns a stop deferred until its command started.
    fn absorb_here(&mut self, chunk: &[u8]) -> Option<Stop> {
        let mut stop = None;
        for piece in self.scanner.feed(chunk) {
            match piece {
                Piece::Data(d) => {
                    self.visible += u64::from(d.iter().any(|b| !b.is_ascii_whitespace()));
                    self.ring.push(&d);
                    self.last_output = Instant::now();
                }
                Piece::Ready(kind) => {
                    self.shell_kind = if kind.is_empty() { "sh".into() } else { kind };
                    if self.persistent
                        && let Some(w) = &self.writes
                    {
                        let _ = w.send(Write::Note(format!("R {}", self.shell_kind)));
                    }
                    if self.phase == SessionState::Opening {
                        self.phase = SessionState::Ready;
                    }
                }
                Piece::Started => {
                    if let Some(c) = self.running.as_mut() {
                        c.started = true;
                        stop = c.deferred.take();
                    }
                }
                Piece::Finished(code) => {
                    if let Some(mut cmd) = self.running.take() {
                        cmd.end = Some(self.ring.end());
                        cmd.exit_code = Some(code);
                        self.remember(cmd);
                    }
                    if self.phase == SessionState::Busy {
                        self.phase = SessionState::Ready;
                    }
                }
            }
        }
        stop
    }

    fn remember(&mut self, cmd: Command) {
        self.done.push_back(cmd);
        while self.done.len() > KEEP_DONE {
            self.done.pop_front();
        }
    }

    /// Drops the queued commands (they never ran); returns how many.
    pub fn cancel_queue(&mut self) -> usize {
        let n = self.queue.len();
        self.queue.clear();
        n
    }

    /// The shell or its connection is gone.
    pub fn ended(&mut self, reason: Option<String>) {
        if let Some((mut cmd, _)) = self.pending.take() {
            cmd.start = self.ring.end();
            cmd.end = Some(self.ring.end());
            self.remember(cmd);
        }
        if let Some(mut cmd) = self.running.take() {
            cmd.end = Some(self.ring.end());
            self.remember(cmd);
        }
        self.queue.clear();
        if self.phase != SessionState::Closing && self.error.is_none() {
            self.error = reason;
        }
        self.phase = SessionState::Closed;
        self.writes = None;
    }

    /// Where the latest command's output starts (or the oldest byte held). Not clamped to
    /// the ring: a read from there must say `truncated` when that output was overwritten.
    pub fn default_offset(&self) -> u64 {
        self.commands().last().map_or(self.ring.start(), |c| c.start)
    }

    fn commands(&self) -> impl Iterator<Item = &Command> {
        self.done.iter().chain(self.running.iter())
    }

    /// The command whose output holds `offset`, and where that output ends (its end, or
    /// the next command's start). Output printed while no command ran (a background job,
    /// a line a person typed) belongs to none: `None`, up to the next command's start.
    /// A command's end belongs to it while nothing follows it: a reader that took all of
    /// its output before the end marker came (which adds no bytes) is told the exit code
    /// at its cursor, rather than waiting there for output that never comes.
    /// `awaited`: the command a waiting read saw running at `offset` when it began; its end
    /// there is the answer even when output followed it at once.
    fn locate(&self, offset: u64, awaited: Option<u64>) -> (Option<&Command>, u64) {
        let at = offset.max(self.ring.start());
        // Commands in the order they were typed (an agent shell's ids need not be).
        let owner = self.commands().enumerate().filter(|(_, c)| c.start <= at).last();
        match owner {
            Some((i, c)) => {
                let next = self.commands().nth(i + 1).map_or(u64::MAX, |n| n.start);
                match c.end.filter(|e| *e < next) {
                    // Past its end, or at it with output after (a read from its start
                    // still gets it, output or not).
                    Some(end)
                        if at > end
                            || (at == end && at > c.start && self.ring.end() > end && awaited != Some(c.id)) =>
                    {
                        (None, next)
                    }
                    Some(end) => (Some(c), end),
                    None => (Some(c), next),
                }
            }
            None => (None, self.commands().next().map_or(u64::MAX, |c| c.start)),
        }
    }

    fn prompt(&self, owner: Option<&Command>) -> Option<&'static str> {
        match (&self.running, owner) {
            (Some(r), Some(o)) if r.id == o.id && self.last_output.elapsed() >= QUIET => {
                output::prompt_hint(&self.ring.tail(256))
            }
            _ => None,
        }
    }

    /// Whether a read from `offset` has something to answer a waiting caller with: the
    /// command's end, `max` bytes, a prompt, or the end of the session. Copies nothing, so
    /// a waiting read can ask on every chunk of output.
    pub fn worth_answering(&self, offset: u64, max: usize, awaited: Option<u64>) -> bool {
        let (owner, region_end) = self.locate(offset, awaited);
        let from = offset.max(self.ring.start());
        let avail = region_end.min(self.ring.end()).saturating_sub(from);
        self.phase == SessionState::Closed
            || avail >= max as u64
            || owner.is_some_and(|o| o.end.is_some())
            || (owner.is_none() && avail > 0)
            || (self.prompt(owner).is_some() && !self.prompt_was_interrupted())
    }

    /// The running command was interrupted or given input and has printed nothing since: the prompt on
    /// screen is the one the caller was already told about.
    fn prompt_was_interrupted(&self) -> bool {
        self.running.as_ref().and_then(|c| c.nudged_at).is_some_and(|t| self.last_output <= t)
    }

    /// The command running at `offset`, if one is: what a read that waits there awaits.
    pub fn running_at(&self, offset: u64) -> Option<u64> {
        self.locate(offset, None).0.filter(|c| c.end.is_none()).map(|c| c.id)
    }

    /// Reads up to `max` bytes from `offset` (default: where the latest command's output
    /// starts). A read never crosses from one command's output into the next one's, so an
    /// exit code always belongs to the data it comes with. `awaited`: the command a waiting
    /// read saw running at `offset` (see [`State::running_at`]).
    pub fn read(&self, offset: Option<u64>, max: usize, awaited: Option<u64>) -> Result<ReadResult, SessionError> {
        let offset = offset.unwrap_or_else(|| self.default_offset());
        if offset > self.ring.end() {
            return Err(SessionError::OffsetPastEnd { offset, end: self.ring.end() });
        }
        let (owner, region_end) = self.locate(offset, awaited);
        let mut slice = self.ring.read(offset, max, region_end);
        if slice.truncated {
            // The oldest byte kept may be the middle of a character: start at the next one.
            let skip = slice.data.iter().take(3).take_while(|&&b| b & 0xC0 == 0x80).count();
            slice.data.drain(..skip);
            slice.start += skip as u64;
        }
        let owner_done = owner.is_some_and(|o| o.end.is_some());
        let hard_stop = slice.end() == region_end
            || self.phase == SessionState::Closed
            || (owner_done && slice.end() == self.ring.end() && self.running.is_none());
        let mut n = output::cut(&slice.data, !hard_stop);
        if n == 0 && slice.data.len() >= max {
            n = slice.data.len();
        }
        let (data, n) = output::fit(&slice.data, n, max);
        let next_cursor = slice.start + n as u64;
        let finished = owner.filter(|o| o.end.is_some_and(|e| next_cursor >= e));
        let waiting = self.prompt(owner);
        Ok(ReadResult {
            session_id: String::new(),
            data,
            offset: slice.start,
            next_cursor,
            truncated: slice.truncated,
            state: self.phase,
            command_id: owner.map(|o| o.id),
            exit_code: finished.and_then(|o| o.exit_code),
            finished: finished.is_some(),
            timed_out: owner.is_some_and(|o| o.timed_out),
            interrupted: owner.is_some_and(|o| o.interrupted),
            waiting_for_input: waiting,
            queued: self.queue.len(),
            error: self.error.clone(),
            reconnecting: self.reconnecting.clone(),
        })
    }
}

#[cfg(test)]
mod tests;
