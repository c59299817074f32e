//! How a `navi mcp` takes up an agent shell that another (or an earlier) process opened:
//! the command log on the host says where each command was typed, and the raw output on
//! the host is read again from there through the same scanner, so offsets, command ids and
//! exit codes come out exactly as the first process saw them.
//!
//! Offsets given to agents count the bytes of output kept (markers and the echo of typed
//! lines left out); the host's files count raw bytes. The log ties the two together: a
//! line `C <id> <nonce> <raw> <offset>` is written before command `id` is typed, when the
//! output read so far ends at raw byte `raw` and offset `offset`. Everything read before
//! that point was taken as the shell being idle, everything after it as the command's, in
//! both processes, so the replay cannot differ. `R <shell>` says which shell answered.

use super::host::Header;

/// A command as the log has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    pub id: u64,
    pub nonce: String,
    pub raw: u64,
    pub offset: u64,
}

impl Typed {
    pub fn line(&self) -> String {
        format!("C {} {} {} {}", self.id, self.nonce, self.raw, self.offset)
    }
}

/// Where a replay starts and what it replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The raw offset to read from.
    pub from: u64,
    /// `None`: from the start-up line (the shell's first bytes are still there).
    pub first: Option<Typed>,
    /// The commands typed after `first`, oldest first.
    pub then: Vec<Typed>,
    /// The output from `from` on belongs to the running `first` command, whose own start
    /// is gone: `from` maps to this offset (approximately: its echo is counted as output).
    pub mid_command: Option<u64>,
    pub shell: String,
    pub next_id: u64,
}

impl Typed {
    /// A log line `C <id> <nonce> <raw> <offset>`; `None` for any other line.
    pub fn parse(line: &str) -> Option<Typed> {
        let mut w = line.split(' ');
        let (Some("C"), Some(id), Some(nonce), Some(raw), Some(offset), None) =
            (w.next(), w.next(), w.next(), w.next(), w.next(), w.next())
        else {
            return None;
        };
        let ok = is_nonce(nonce);
        let t = Typed {
            id: id.parse().ok()?,
            nonce: nonce.to_string(),
            raw: raw.parse().ok()?,
            offset: offset.parse().ok()?,
        };
        ok.then_some(t)
    }
}

/// A command's nonce: 32 hex digits.
pub fn is_nonce(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn parse(lines: &[String]) -> (Vec<Typed>, String) {
    let mut typed: Vec<Typed> = Vec::new();
    let mut shell = String::new();
    for l in lines {
        if let Some(t) = Typed::parse(l) {
            // Positions only grow (each command prints its markers), and the host notes
            // one command at a time: anything else is not ours. Ids are unique but a
            // command queued in a process may type after a later-numbered one.
            if typed.last().is_none_or(|p| p.raw < t.raw && p.offset <= t.offset && p.id != t.id) {
                typed.push(t);
            }
        } else if let Some(kind) = l.strip_prefix("R ") {
            shell = kind.split(' ').next().unwrap_or_default().to_string();
        }
    }
    (typed, shell)
}

/// The replay for what `attach` said.
pub fn plan(h: &Header) -> Plan {
    let (typed, shell) = parse(&h.cmds);
    let next_id = typed.last().map_or(1, |t| t.id + 1);
    if h.kept == 0 {
        return Plan { from: 0, first: None, then: typed, mid_command: None, shell, next_id };
    }
    match typed.iter().position(|t| t.raw >= h.kept) {
        Some(i) => Plan {
            from: typed[i].raw,
            first: Some(typed[i].clone()),
            then: typed[i + 1..].to_vec(),
            mid_command: None,
            shell,
            next_id,
        },
        // Only the latest command's output is left, and not all of it.
        None => {
            let last = typed.last().cloned();
            let mid = last.as_ref().map(|t| t.offset + (h.kept - t.raw));
            Plan { from: h.kept, first: last, then: Vec::new(), mid_command: mid, shell, next_id }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: u64, raw: u64, offset: u64) -> Typed {
        Typed { id, nonce: format!("{id:032x}"), raw, offset }
    }

    fn header(kept: u64, typed: &[Typed]) -> Header {
        let mut cmds: Vec<String> = vec!["R bash".into()];
        cmds.extend(typed.iter().map(Typed::line));
        Header { cmds, kept, ..Header::default() }
    }

    #[test]
    fn from_the_start_while_it_is_all_there() {
        let p = plan(&header(0, &[t(1, 100, 0), t(2, 300, 50)]));
        assert_eq!((p.from, p.first.is_none(), p.then.len(), p.next_id), (0, true, 2, 3));
        assert_eq!(p.shell, "bash");
    }

    #[test]
    fn from_the_oldest_command_still_there() {
        let p = plan(&header(200, &[t(1, 100, 0), t(2, 300, 50), t(3, 900, 400)]));
        assert_eq!(p.from, 300);
        assert_eq!(p.first.map(|f| f.id), Some(2));
        assert_eq!(p.then, vec![t(3, 900, 400)]);
        assert_eq!(p.mid_command, None);
    }

    #[test]
    fn mid_command_when_even_the_latest_start_is_gone() {
        let p = plan(&header(5000, &[t(1, 100, 0), t(2, 300, 50)]));
        assert_eq!((p.from, p.first.map(|f| f.id), p.mid_command), (5000, Some(2), Some(4750)));
    }

    #[test]
    fn lines_that_are_not_ours_are_skipped() {
        let mut h = header(0, &[t(1, 100, 0)]);
        h.cmds.extend([
            "C x y z w".into(),
            "C 1 abc 1 1".into(),
            "C 0 00000000000000000000000000000000 5 5".into(),
            "junk".into(),
        ]);
        h.cmds.push(t(2, 50, 10).line());
        let p = plan(&h);
        assert_eq!(p.then, vec![t(1, 100, 0)]);
    }
}
