//! The stdio transport in front of rmcp: one JSON-RPC message per line. rmcp silently drops
//! a line it cannot parse; here such a line gets the JSON-RPC answer it is owed (-32700 parse
//! error, -32600 invalid request) instead, and every line written to stdout, rmcp's or
//! ours, goes through one writer so messages never interleave. Only the end of stdin (or an
//! I/O error on it) stops the server: a line that is not UTF-8 or is too long is answered
//! and skipped, because stopping would kill every open session.

use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Room for large commands and outputs in flight between the two sides.
const PIPE_BYTES: usize = 4 << 20;
/// The longest request line accepted; a longer one is answered with an error and skipped.
const MAX_LINE: usize = 16 << 20;
/// Messages waiting for stdout at most: a client that stops reading slows the server down
/// instead of growing its memory.
const OUT_QUEUE: usize = 64;

/// One line of input, without its newline.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    Data(Vec<u8>),
    TooLong,
    Eof,
}

/// Reads one line of at most `max` bytes; the rest of a longer one is read and dropped.
async fn next_line<R: AsyncBufRead + Unpin>(r: &mut R, max: usize) -> std::io::Result<Line> {
    let mut buf = Vec::new();
    let mut too_long = false;
    loop {
        let avail = r.fill_buf().await?;
        if avail.is_empty() {
            return Ok(match (too_long, buf.is_empty()) {
                (true, _) => Line::TooLong,
                (false, true) => Line::Eof,
                (false, false) => Line::Data(buf),
            });
        }
        let (n, found) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        let body = if found { &avail[..n - 1] } else { &avail[..n] };
        if !too_long {
            if buf.len() + body.len() > max {
                too_long = true;
                buf = Vec::new();
            } else {
                buf.extend_from_slice(body);
            }
        }
        r.consume(n);
        if found {
            return Ok(if too_long { Line::TooLong } else { Line::Data(buf) });
        }
    }
}

fn error(id: Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

/// The end rmcp serves on, and the task that ends once everything was written to stdout.
pub fn start() -> (DuplexStream, JoinHandle<()>) {
    let (ours, theirs) = tokio::io::duplex(PIPE_BYTES);
    let (from_rmcp, mut to_rmcp) = tokio::io::split(ours);
    let (out_tx, mut out_rx) = mpsc::channel::<String>(OUT_QUEUE);

    let errors = out_tx.clone();
    tokio::spawn(async move {
        let mut input = BufReader::new(tokio::io::stdin());
        while let Ok(line) = next_line(&mut input, MAX_LINE).await {
            let reply = match line {
                Line::Eof => break,
                Line::TooLong => {
                    Err(error(Value::Null, -32600, &format!("invalid request: longer than {MAX_LINE} bytes")))
                }
                Line::Data(bytes) => match String::from_utf8(bytes) {
                    Err(_) => Err(error(Value::Null, -32700, "parse error: the line is not valid UTF-8")),
                    Ok(line) if line.trim().is_empty() => continue,
                    Ok(line) => check(&line).map(|()| line),
                },
            };
            match reply {
                Ok(line) => {
                    if to_rmcp.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                        break;
                    }
                }
                Err(reply) => {
                    if errors.send(reply).await.is_err() {
                        break;
                    }
                }
            }
        }
        // End of stdin: rmcp sees end of input and stops.
        let _ = to_rmcp.shutdown().await;
    });

    tokio::spawn(async move {
        let mut lines = BufReader::new(from_rmcp).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if out_tx.send(line).await.is_err() {
                break;
            }
        }
    });

    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(line) = out_rx.recv().await {
            if stdout.write_all(format!("{line}\n").as_bytes()).await.is_err() || stdout.flush().await.is_err() {
                break;
            }
        }
    });
    (theirs, writer)
}

/// `Ok` for a line rmcp should see (a request, notification or response); otherwise the
/// error message to answer with.
fn check(line: &str) -> Result<(), String> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| error(Value::Null, -32700, &format!("parse error: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(error(Value::Null, -32600, "invalid request: expected one JSON-RPC object per line"));
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    let is_response = obj.contains_key("result") || obj.contains_key("error");
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(error(id, -32600, "invalid request: \"jsonrpc\" must be \"2.0\""));
    }
    if !is_response && !obj.get("method").is_some_and(Value::is_string) {
        return Err(error(id, -32600, "invalid request: \"method\" must be a string"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Line, check, next_line};

    #[tokio::test]
    async fn long_lines_are_skipped_and_bytes_kept_raw() {
        let input: &[u8] = b"0123456789\nabc\n\xff\xfe\nlast";
        let mut r = tokio::io::BufReader::with_capacity(4, input);
        assert_eq!(next_line(&mut r, 5).await.unwrap(), Line::TooLong);
        assert_eq!(next_line(&mut r, 5).await.unwrap(), Line::Data(b"abc".to_vec()));
        assert_eq!(next_line(&mut r, 5).await.unwrap(), Line::Data(vec![0xff, 0xfe]));
        assert_eq!(next_line(&mut r, 5).await.unwrap(), Line::Data(b"last".to_vec()));
        assert_eq!(next_line(&mut r, 5).await.unwrap(), Line::Eof);
    }

    #[test]
    fn only_well_formed_messages_pass() {
        assert!(check(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).is_ok());
        assert!(check(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).is_ok());
        assert!(check(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#).is_ok());
        assert!(check("not json").unwrap_err().contains("-32700"));
        assert!(check("[1,2]").unwrap_err().contains("-32600"));
        let e = check(r#"{"jsonrpc":"2.0","id":5,"params":{}}"#).unwrap_err();
        assert!(e.contains("-32600") && e.contains(r#""id":5"#), "{e}");
        assert!(check(r#"{"id":5,"method":"x"}"#).unwrap_err().contains("-32600"));
    }
}
