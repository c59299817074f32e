//! A stand-in for the Anthropic Messages API on 127.0.0.1, one per test binary: it streams
//! canned replies (server-sent events) chosen by the prompt and records every prompt the
//! main loop sent. Prompts that steer it:
//! - `RUN-TOOL: CMD` → a `Bash` tool call running CMD;
//! - `RUN-JSON: TOOL {INPUT}` → a call of TOOL with that input (AskUserQuestion, ExitPlanMode…);
//! - `API-FAIL` anywhere → an HTTP 500 error;
//! - anything else → the text `Received N characters.` (N: the prompt's characters).
//!
//! After a tool result (recorded, see [`Api::tool_results`]) the reply is `Tool finished.`. A prompt given to [`Api::gate`] gets
//! the start of its reply at once and the rest only when the gate opens.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

/// The longest request body read (Claude Code sends its whole context each time).
const MAX_BODY: usize = 64 << 20;
/// A gated reply is finished anyway after this long.
const GATE_LIMIT: Duration = Duration::from_secs(120);

pub struct Api {
    pub port: u16,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    prompts: Mutex<Vec<String>>,
    tool_results: Mutex<Vec<String>>,
    gates: Mutex<HashMap<String, Gate>>,
    ids: AtomicU64,
}

/// Holds back the end of the reply to one prompt until [`Gate::open`].
#[derive(Clone, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    pub fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }

    fn wait(&self) {
        let guard = self.0.0.lock().unwrap();
        let _ = self.0.1.wait_timeout_while(guard, GATE_LIMIT, |open| !*open).unwrap();
    }
}

static API: OnceLock<Api> = OnceLock::new();

/// The stand-in of this test binary, started on first use.
pub fn api() -> &'static Api {
    API.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the stand-in API");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Api { port, state }
    })
}

impl Api {
    /// Every prompt received so far, oldest first.
    pub fn prompts(&self) -> Vec<String> {
        self.state.prompts.lock().unwrap().clone()
    }

    /// The content of every tool result sent back (as JSON text), oldest first.
    pub fn tool_results(&self) -> Vec<String> {
        self.state.tool_results.lock().unwrap().clone()
    }

    /// How many times `prompt` was received.
    pub fn count(&self, prompt: &str) -> usize {
        self.state.prompts.lock().unwrap().iter().filter(|p| *p == prompt).count()
    }

    /// The reply to `prompt` stops after its first words until the returned gate opens.
    pub fn gate(&self, prompt: &str) -> Gate {
        let gate = Gate::default();
        self.state.gates.lock().unwrap().insert(prompt.to_string(), gate.clone());
        gate
    }
}

struct Request {
    path: String,
    body: Vec<u8>,
}

fn serve(stream: TcpStream, state: &State) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(300)));
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    while let Some(req) = read_request(&mut reader) {
        match respond(&mut out, &req, state) {
            Ok(true) => {}
            _ => return,
        }
    }
}

fn read_request(r: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    r.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let (mut length, mut chunked) = (0, false);
    for _ in 0..200 {
        line.clear();
        r.read_line(&mut line).ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line).ok()?;
            let size = usize::from_str_radix(line.trim().split(';').next()?, 16).ok()?;
            if size == 0 || body.len() + size > MAX_BODY {
                r.read_line(&mut line).ok()?;
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..]).ok()?;
            line.clear();
            r.read_line(&mut line).ok()?;
        }
    } else {
        body.resize(length.min(MAX_BODY), 0);
        r.read_exact(&mut body).ok()?;
    }
    Some(Request { path, body })
}

/// Answers one request; false when the connection must close.
fn respond(out: &mut TcpStream, req: &Request, state: &State) -> std::io::Result<bool> {
    if !req.path.starts_with("/v1/messages") {
        write_whole(out, "404 Not Found", "application/json", b"{}")?;
        return Ok(true);
    }
    if req.path.contains("count_tokens") {
        write_whole(out, "200 OK", "application/json", br#"{"input_tokens":10}"#)?;
        return Ok(true);
    }
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let model = body["model"].as_str().unwrap_or("claude-test").to_string();
    let main_loop = body["tools"].as_array().is_some_and(|t| !t.is_empty());
    let (content, gate) = if !main_loop {
        // A side request (the session title): text in the shape it asks for.
        (vec![text(r#"{"title":"navi test"}"#)], None)
    } else {
        match last_prompt(&body) {
            Turn::ToolResult(content) => {
                state.tool_results.lock().unwrap().push(content);
                (vec![text("Tool finished.")], None)
            }
            Turn::Prompt(p) => {
                state.prompts.lock().unwrap().push(p.clone());
                if p.contains("API-FAIL") {
                    let err = json!({"type": "error", "error": {"type": "api_error", "message": "The stand-in failed on purpose"}});
                    write_whole(out, "500 Internal Server Error", "application/json", err.to_string().as_bytes())?;
                    return Ok(true);
                }
                let gate = state.gates.lock().unwrap().remove(&p);
                (reply_to(&p, &state.ids), gate)
            }
        }
    };
    let tool = content.iter().any(|c| c["type"] == "tool_use");
    if body["stream"] != true {
        let mut msg = message(&model);
        msg["content"] = Value::Array(content);
        msg["stop_reason"] = json!(if tool { "tool_use" } else { "end_turn" });
        write_whole(out, "200 OK", "application/json", msg.to_string().as_bytes())?;
        return Ok(true);
    }
    let events = stream_events(&model, content, tool);
    let Some(gate) = gate else {
        write_whole(out, "200 OK", "text/event-stream", events.concat().as_bytes())?;
        return Ok(true);
    };
    // Held: the head of the stream now (headers, message start, first block), the rest later.
    write!(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")?;
    out.write_all(events[..2].concat().as_bytes())?;
    out.flush()?;
    gate.wait();
    out.write_all(events[2..].concat().as_bytes())?;
    out.flush()?;
    Ok(false)
}

enum Turn {
    Prompt(String),
    /// The tool result blocks' content, as JSON text.
    ToolResult(String),
}

/// The user's words in the last user message, without Claude Code's reminders.
fn last_prompt(body: &Value) -> Turn {
    let last = body["messages"].as_array().and_then(|m| m.iter().rev().find(|m| m["role"] == "user"));
    let content = last.map(|m| &m["content"]).unwrap_or(&Value::Null);
    if let Some(s) = content.as_str() {
        return Turn::Prompt(s.to_string());
    }
    let blocks = content.as_array().cloned().unwrap_or_default();
    let results: Vec<String> =
        blocks.iter().filter(|b| b["type"] == "tool_result").map(|b| b["content"].to_string()).collect();
    // A prompt typed after a tool call may come in the same message as its result.
    let after = blocks.iter().rposition(|b| b["type"] == "tool_result").map_or(0, |i| i + 1);
    let words: Vec<&str> = blocks[after..]
        .iter()
        .filter(|b| b["type"] == "text")
        .filter_map(|b| b["text"].as_str())
        .filter(|t| !t.starts_with("<system-reminder>"))
        .collect();
    if !results.is_empty() && words.is_empty() {
        return Turn::ToolResult(results.join("\n"));
    }
    Turn::Prompt(words.join("\n"))
}

fn reply_to(prompt: &str, ids: &AtomicU64) -> Vec<Value> {
    let id = format!("toolu_navi{:06}", ids.fetch_add(1, Ordering::Relaxed));
    // After a refused tool the prompt comes behind Claude Code's own note of the refusal.
    let prompt = prompt.lines().rev().find(|l| l.starts_with("RUN-")).unwrap_or(prompt);
    if let Some(cmd) = prompt.strip_prefix("RUN-TOOL: ") {
        let input = json!({"command": cmd, "description": "Run the test command"});
        return vec![text("Running it."), json!({"type": "tool_use", "id": id, "name": "Bash", "input": input})];
    }
    if let Some((tool, input)) = prompt.strip_prefix("RUN-JSON: ").and_then(|r| r.split_once(' '))
        && let Ok(input) = serde_json::from_str::<Value>(input)
    {
        return vec![
            text(&format!("Calling {tool}.")),
            json!({"type": "tool_use", "id": id, "name": tool, "input": input}),
        ];
    }
    vec![text(&format!("Received {} characters.", prompt.chars().count()))]
}

fn text(s: &str) -> Value {
    json!({"type": "text", "text": s})
}

fn message(model: &str) -> Value {
    json!({"id": "msg_navi_test", "type": "message", "role": "assistant", "model": model, "content": [],
           "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 10, "output_tokens": 1}})
}

/// The reply as server-sent events: message start, each block (start, one delta, stop),
/// message delta and stop. The first block's start is the second event.
fn stream_events(model: &str, content: Vec<Value>, tool: bool) -> Vec<String> {
    let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let mut out = vec![event("message_start", json!({"type": "message_start", "message": message(model)}))];
    for (i, block) in content.into_iter().enumerate() {
        let (start, delta) = if block["type"] == "tool_use" {
            let mut start = block.clone();
            start["input"] = json!({});
            (start, json!({"type": "input_json_delta", "partial_json": block["input"].to_string()}))
        } else {
            (json!({"type": "text", "text": ""}), json!({"type": "text_delta", "text": block["text"]}))
        };
        out.push(event(
            "content_block_start",
            json!({"type": "content_block_start", "index": i, "content_block": start}),
        ));
        out.push(event("content_block_delta", json!({"type": "content_block_delta", "index": i, "delta": delta})));
        out.push(event("content_block_stop", json!({"type": "content_block_stop", "index": i})));
    }
    let stop = if tool { "tool_use" } else { "end_turn" };
    out.push(event(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": 5}}),
    ));
    out.push(event("message_stop", json!({"type": "message_stop"})));
    out
}

fn write_whole(out: &mut TcpStream, status: &str, kind: &str, body: &[u8]) -> std::io::Result<()> {
    write!(out, "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n", body.len())?;
    out.write_all(body)?;
    out.flush()
}
