//! One parser for a stream of concatenated JSON status objects, as `cat dir/*.json` prints
//! it on a remote. A malformed, empty, truncated or non-UTF-8 object is skipped and
//! reported once (one message per broken stretch); every good object around it is kept.
//!
//! The work is linear in the input whatever it holds. Bracket matches found by one scan
//! are remembered, so resynchronising at a nested `{` costs nothing more, and a later scan
//! that meets a remembered `{` jumps over it. All scanning and parsing draws on one budget
//! (a few passes over the input); when it runs out, the rest of the input is one broken
//! stretch, reported once.

use super::model::StatusFile;

/// What a stream held: the good status files and one message per skipped stretch.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub files: Vec<StatusFile>,
    pub errors: Vec<String>,
}

/// Passes over the input the budget allows, plus a floor for small inputs.
const BUDGET_PER_BYTE: u64 = 8;
const BUDGET_FLOOR: u64 = 64 * 1024;

/// Parses concatenated JSON objects, resynchronising after anything broken.
pub fn parse_stream(bytes: &[u8]) -> Parsed {
    parse_stream_counted(bytes).0
}

/// [`parse_stream`], also returning the work it did (bytes examined or parsed), for the
/// linearity tests and benchmarks.
pub fn parse_stream_counted(bytes: &[u8]) -> (Parsed, u64) {
    let mut p = Parser {
        bytes,
        work: 0,
        limit: BUDGET_PER_BYTE.saturating_mul(bytes.len() as u64).saturating_add(BUDGET_FLOOR),
        ends: Vec::new(),
    };
    let mut out = Parsed::default();
    // The first failure of the stretch we are in, reported when the stretch ends.
    let mut failing: Option<String> = None;
    let mut pos = 0;
    loop {
        let step = match p.next_non_space(pos) {
            Ok(Some(start)) => p.object_at(start),
            Ok(None) => break,
            Err(OutOfWork) => Err(OutOfWork),
        };
        let step = step.and_then(|step| {
            Ok(match step {
                Step::Good(file, end) => {
                    if let Some(msg) = failing.take() {
                        out.errors.push(msg);
                    }
                    out.files.push(*file);
                    end
                }
                Step::Bad(msg, resume) => {
                    failing.get_or_insert(msg);
                    match resume {
                        Resume::After(end) => end,
                        Resume::Inside(start) => p.find_open(start + 1)?.unwrap_or(bytes.len()),
                    }
                }
            })
        });
        match step {
            Ok(next) => pos = next,
            Err(OutOfWork) => {
                failing.get_or_insert_with(|| format!("too damaged to read past byte {pos}"));
                break;
            }
        }
    }
    out.errors.extend(failing);
    (out, p.work)
}

/// The budget ran out.
struct OutOfWork;

/// Where to look for the next object after a broken one.
enum Resume {
    /// Past a well-formed JSON value of the wrong shape: nothing inside it is a file.
    After(usize),
    /// At the next `{` after this one: the damage may hide a good object.
    Inside(usize),
}

enum Step {
    Good(Box<StatusFile>, usize),
    Bad(String, Resume),
}

/// No match known for a bracket at this position yet.
const UNKNOWN: u32 = 0;
/// The bracket at this position is never closed.
const UNCLOSED: u32 = u32::MAX;

struct Parser<'a> {
    bytes: &'a [u8],
    work: u64,
    limit: u64,
    /// For each position holding a bracket outside a string: one past its match, or
    /// UNCLOSED, or UNKNOWN. Allocated on the first scan.
    ends: Vec<u32>,
}

impl Parser<'_> {
    fn spend(&mut self, n: u64) -> Result<(), OutOfWork> {
        if self.work + n > self.limit {
            self.work = self.limit;
            return Err(OutOfWork);
        }
        self.work += n;
        Ok(())
    }

    fn next_non_space(&mut self, from: usize) -> Result<Option<usize>, OutOfWork> {
        self.find(from, |b| !b.is_ascii_whitespace())
    }

    fn find_open(&mut self, from: usize) -> Result<Option<usize>, OutOfWork> {
        self.find(from, |b| b == b'{')
    }

    fn find(&mut self, from: usize, hit: impl Fn(u8) -> bool) -> Result<Option<usize>, OutOfWork> {
        let bytes = self.bytes;
        for (i, &b) in bytes.iter().enumerate().skip(from) {
            self.spend(1)?;
            if hit(b) {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// What the non-space byte at `start` begins.
    fn object_at(&mut self, start: usize) -> Result<Step, OutOfWork> {
        if self.bytes[start] != b'{' {
            return Ok(Step::Bad(format!("unexpected data at byte {start}"), Resume::Inside(start)));
        }
        let Some(end) = self.object_end(start)? else {
            return Ok(Step::Bad(format!("truncated object at byte {start}"), Resume::Inside(start)));
        };
        self.spend((end - start) as u64)?;
        Ok(match serde_json::from_slice::<serde_json::Value>(&self.bytes[start..end]) {
            Err(e) => Step::Bad(format!("malformed object at byte {start}: {e}"), Resume::Inside(start)),
            Ok(value) => match StatusFile::from_value(value) {
                Ok(file) => Step::Good(Box::new(file), end),
                Err(e) => Step::Bad(format!("malformed object at byte {start}: {e}"), Resume::After(end)),
            },
        })
    }

    /// The index just past the object that opens at `start`, by bracket depth outside
    /// strings. Every bracket match met on the way is remembered.
    fn object_end(&mut self, start: usize) -> Result<Option<usize>, OutOfWork> {
        let len = self.bytes.len();
        if self.ends.is_empty() {
            if len >= UNCLOSED as usize {
                // Past what the table can hold (never for a bounded status file): no memo.
                return self.scan(start, false);
            }
            self.ends = vec![UNKNOWN; len];
        }
        self.scan(start, true)
    }

    fn scan(&mut self, start: usize, memo: bool) -> Result<Option<usize>, OutOfWork> {
        if memo {
            match self.ends[start] {
                UNKNOWN => {}
                UNCLOSED => return Ok(None),
                end => return Ok(Some(end as usize)),
            }
        }
        let mut open: Vec<usize> = Vec::new();
        let (mut in_string, mut escaped) = (false, false);
        let mut i = start;
        let found = loop {
            let Some(&c) = self.bytes.get(i) else { break None };
            self.spend(1)?;
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                i += 1;
                continue;
            }
            match c {
                b'"' => in_string = true,
                b'{' | b'[' if memo && i != start && self.ends[i] != UNKNOWN => {
                    // Scanned before from this very state: its match is known.
                    match self.ends[i] {
                        UNCLOSED => break None,
                        end => {
                            i = end as usize;
                            continue;
                        }
                    }
                }
                b'{' | b'[' => open.push(i),
                b'}' | b']' => {
                    let Some(o) = open.pop() else { break None };
                    if memo {
                        self.ends[o] = (i + 1) as u32;
                    }
                    if open.is_empty() {
                        break Some(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        };
        if memo && found.is_none() {
            for o in open {
                self.ends[o] = UNCLOSED;
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests;
