//! The framing between `navi mcp` and `navi agent-shell attach` on the host of an agent
//! shell (through a pipe locally, an SSH channel on a remote). A frame is a header line
//! `<letter> <numbers…>\n`, followed by a payload when the letter has one (its length is
//! the last number). Both sides read untrusted bytes: headers and payloads are bounded.
//!
//! To the host: `F off` follow the output from raw offset `off`; `T len` type the payload;
//! `Z rows cols` resize; `K` kill the session; `N len` note the payload in the session's
//! command log; `U` the session was used (its idle clock restarts); `C len` a command: its
//! note line, a newline, the bytes to type (see `host::enter`); `I len` reserve an id for
//! the command of the nonce in the payload.
//! From the host: `M len` the session's state (JSON, first); `D off len` output bytes at
//! raw offset `off`; `G off` output before `off` is gone; `X len` the session ended (why);
//! `A len` the answer to a `C` or `I` frame (JSON, see `host::Ack`).

/// The longest header line.
const HEADER_MAX: usize = 64;
/// The largest payload accepted.
pub const PAYLOAD_MAX: usize = 16 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Follow(u64),
    Type(Vec<u8>),
    Resize(u16, u16),
    /// Stop the running command: SIGTERM to the terminal's foreground process group, or
    /// Ctrl-C when the shell itself is in front (a builtin loop).
    Term,
    /// SIGKILL to the foreground process group, or the session when the shell is in front.
    Kill,
    Note(Vec<u8>),
    Used,
    /// A command's note line and, after a newline, the bytes that type it.
    Command(Vec<u8>),
    /// An id for the command of this nonce (queued in the process).
    Reserve(Vec<u8>),
    /// The host's answer to `Command` or `Reserve`.
    Ack(Vec<u8>),
    Meta(Vec<u8>),
    Data(u64, Vec<u8>),
    Gone(u64),
    Ended(Vec<u8>),
}

impl Frame {
    pub fn encode(&self) -> Vec<u8> {
        let with = |head: String, payload: &[u8]| {
            let mut v = head.into_bytes();
            v.extend_from_slice(payload);
            v
        };
        match self {
            Frame::Follow(o) => format!("F {o}\n").into_bytes(),
            Frame::Type(b) => with(format!("T {}\n", b.len()), b),
            Frame::Resize(r, c) => format!("Z {r} {c}\n").into_bytes(),
            Frame::Term => b"Q\n".to_vec(),
            Frame::Kill => b"K\n".to_vec(),
            Frame::Note(b) => with(format!("N {}\n", b.len()), b),
            Frame::Used => b"U\n".to_vec(),
            Frame::Command(b) => with(format!("C {}\n", b.len()), b),
            Frame::Reserve(b) => with(format!("I {}\n", b.len()), b),
            Frame::Ack(b) => with(format!("A {}\n", b.len()), b),
            Frame::Meta(b) => with(format!("M {}\n", b.len()), b),
            Frame::Data(o, b) => {
                let mut v = Vec::new();
                encode_data(*o, b, &mut v);
                v
            }
            Frame::Gone(o) => format!("G {o}\n").into_bytes(),
            Frame::Ended(b) => with(format!("X {}\n", b.len()), b),
        }
    }
}

/// Puts the `Data` frame of `bytes` at raw offset `at` into `into` (emptied first) without
/// a copy of its own: the bridge sends every byte of output this way.
pub fn encode_data(at: u64, bytes: &[u8], into: &mut Vec<u8>) {
    use std::io::Write;
    into.clear();
    into.reserve(bytes.len() + 32);
    let _ = writeln!(into, "D {at} {}", bytes.len());
    into.extend_from_slice(bytes);
}

/// Splits a byte stream into frames; fed in chunks of any size.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    at: usize,
}

impl Decoder {
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.at > 0 {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next whole frame; `Ok(None)` when more bytes are needed; `Err` when the stream
    /// is not frames (the caller drops it).
    pub fn next_frame(&mut self) -> Result<Option<Frame>, String> {
        let rest = &self.buf[self.at..];
        let Some(nl) = rest.iter().take(HEADER_MAX + 1).position(|&b| b == b'\n') else {
            if rest.len() > HEADER_MAX {
                return Err("a frame header is too long".into());
            }
            return Ok(None);
        };
        let head = std::str::from_utf8(&rest[..nl]).map_err(|_| "a frame header is not text".to_string())?;
        let mut parts = head.split(' ');
        let letter = parts.next().unwrap_or_default();
        let nums: Vec<u64> = parts
            .map(|p| p.parse::<u64>().map_err(|_| format!("a bad number in frame header {head:?}")))
            .collect::<Result<_, _>>()?;
        let want = |n: usize| {
            if nums.len() == n { Ok(()) } else { Err(format!("frame header {head:?}: expected {n} numbers")) }
        };
        let count = match letter {
            "K" | "Q" | "U" => 0,
            "F" | "G" | "T" | "N" | "M" | "X" | "C" | "I" | "A" => 1,
            "Z" | "D" => 2,
            _ => return Err(format!("an unknown frame {head:?}")),
        };
        want(count)?;
        let has_payload = matches!(letter, "T" | "N" | "M" | "D" | "X" | "C" | "I" | "A");
        let len = if has_payload {
            let len = *nums.last().ok_or_else(|| format!("frame header {head:?} has no length"))? as usize;
            if len > PAYLOAD_MAX {
                return Err(format!("a frame of {len} bytes is larger than {PAYLOAD_MAX}"));
            }
            len
        } else {
            0
        };
        let body = nl + 1;
        if rest.len() < body + len {
            return Ok(None);
        }
        let payload = rest[body..body + len].to_vec();
        let small = |n: u64| u16::try_from(n).map_err(|_| format!("frame header {head:?}: {n} is too large"));
        let frame = match letter {
            "F" => want(1).map(|_| Frame::Follow(nums[0]))?,
            "G" => want(1).map(|_| Frame::Gone(nums[0]))?,
            "Z" => {
                want(2)?;
                Frame::Resize(small(nums[0])?, small(nums[1])?)
            }
            "K" => want(0).map(|_| Frame::Kill)?,
            "Q" => want(0).map(|_| Frame::Term)?,
            "U" => want(0).map(|_| Frame::Used)?,
            "T" => want(1).map(|_| Frame::Type(payload))?,
            "N" => want(1).map(|_| Frame::Note(payload))?,
            "M" => want(1).map(|_| Frame::Meta(payload))?,
            "X" => want(1).map(|_| Frame::Ended(payload))?,
            "C" => want(1).map(|_| Frame::Command(payload))?,
            "I" => want(1).map(|_| Frame::Reserve(payload))?,
            "A" => want(1).map(|_| Frame::Ack(payload))?,
            "D" => want(2).map(|_| Frame::Data(nums[0], payload))?,
            _ => return Err(format!("an unknown frame {head:?}")),
        };
        self.at += body + len;
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_in_any_chunking() {
        let frames = vec![
            Frame::Meta(b"{\"a\":1}".to_vec()),
            Frame::Follow(42),
            Frame::Type(b"echo hi\n\x03".to_vec()),
            Frame::Resize(50, 200),
            Frame::Kill,
            Frame::Term,
            Frame::Note(b"C 1 abc 0 0".to_vec()),
            Frame::Used,
            Frame::Command(b"C 0 abc 10 5\necho hi\n".to_vec()),
            Frame::Reserve(b"abc".to_vec()),
            Frame::Ack(b"{}".to_vec()),
            Frame::Data(1 << 40, vec![0, 10, 255, b'\n']),
            Frame::Gone(7),
            Frame::Ended(b"the shell exited".to_vec()),
            Frame::Data(0, vec![]),
        ];
        let bytes: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        for step in [1, 2, 3, 7, 64, bytes.len()] {
            let mut d = Decoder::default();
            let mut got = Vec::new();
            for chunk in bytes.chunks(step) {
                d.feed(chunk);
                while let Some(f) = d.next_frame().expect("frames") {
                    got.push(f);
                }
            }
            assert_eq!(got, frames, "step {step}");
        }
    }

    #[test]
    fn garbage_is_refused_not_buffered() {
        for bad in [&b"Q 1\n"[..], b"D 1\n", b"T x\n", b"Z 70000 1\n", b"T 99999999999\n"] {
            let mut d = Decoder::default();
            d.feed(bad);
            assert!(d.next_frame().is_err(), "{bad:?}");
        }
        let mut d = Decoder::default();
        d.feed(&[b'x'; 100]);
        assert!(d.next_frame().is_err());
    }
}
