//! The stdio transport in front of rmcp: one JSON-RPC message per line. rmcp silently drops
//! a line it cannot parse; here such a line gets the JSON-RPC answer it is owed (-32700 parse
//! error, -32600 invalid request) instead, and every line written to stdout, rmcp's or
//! ours, goes through one writer so messages never interleave.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Room for large commands and outputs in flight between the two sides.
const PIPE_BYTES: usize = 4 << 20;

/// The end rmcp serves on, and the task that ends once everything was written to stdout.
pub fn start() -> (DuplexStream, JoinHandle<()>) {
    let (ours, theirs) = tokio::io::duplex(PIPE_BYTES);
    let (from_rmcp, mut to_rmcp) = tokio::io::split(ours);
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();

    let errors = out_tx.clone();
    tokio::spawn(async move {
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim().is_empty() {
                continue;
            }
            match check(&line) {
                Ok(()) => {
                    if to_rmcp.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                        break;
                    }
                }
                Err(reply) => {
                    let _ = errors.send(reply);
                }
            }
        }
        // End of stdin: rmcp sees end of input and stops.
        let _ = to_rmcp.shutdown().await;
    });

    tokio::spawn(async move {
        let mut lines = BufReader::new(from_rmcp).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if out_tx.send(line).is_err() {
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
    let error = |id: Value, code: i64, message: &str| {
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
    };
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
    use super::check;

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
