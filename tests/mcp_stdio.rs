//! `navi mcp` as an agent's client sees it: the real binary over stdin/stdout, HOME in a
//! temp dir. Handshake, the tool's schema, open → send → read → close (locally and on a
//! remote served by a real sshd), and every error.

mod common;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    next_id: u64,
    _home: std::sync::Arc<Home>,
}

impl Client {
    fn start() -> Client {
        Client::start_with(None)
    }

    /// With `remotes` as `~/.config/navi/remotes.yaml`.
    fn start_with(remotes: Option<&str>) -> Client {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_navi"));
        cmd.arg("mcp");
        Client::spawn(cmd, remotes)
    }

    /// Started as a background job of a script would be: SIGINT and SIGQUIT ignored.
    fn start_ignoring_interrupts() -> Client {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "trap '' INT QUIT; exec \"$0\" mcp", env!("CARGO_BIN_EXE_navi")]);
        Client::spawn(cmd, None)
    }

    fn spawn(cmd: Command, remotes: Option<&str>) -> Client {
        Client::spawn_in(cmd, remotes, Home::new(), &[])
    }

    /// `navi mcp` in the HOME (and agent-shell tmux server) of another client.
    fn start_in(home: &std::sync::Arc<Home>, env: &[(&str, &str)]) -> Client {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_navi"));
        cmd.arg("mcp");
        Client::spawn_in(cmd, None, home.clone(), env)
    }

    fn spawn_in(mut cmd: Command, remotes: Option<&str>, home: std::sync::Arc<Home>, env: &[(&str, &str)]) -> Client {
        cmd.envs(env.iter().copied());
        if let Some(yaml) = remotes {
            let dir = home.path().join(".config/navi");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("remotes.yaml"), yaml).unwrap();
        }
        let mut child = cmd
            .env("HOME", home.path())
            .env("TMUX_TMPDIR", home.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_STATE_HOME")
            .current_dir(home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Client { child, stdin, lines, next_id: 1, _home: home }
    }

    /// The agent-shell tmux server of this client's HOME.
    fn agents_tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", "navi-agents"]).env("TMUX_TMPDIR", self._home.path()).env_remove("TMUX");
        c
    }

    fn write(&mut self, line: &str) {
        self.write_raw(line.as_bytes());
    }

    fn write_raw(&mut self, line: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// The next line on stdout, which must be a JSON-RPC message.
    fn message(&mut self) -> Value {
        let line = self.lines.recv_timeout(WAIT).expect("no answer from navi mcp");
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON on stdout: {line:?}: {e}"));
        assert_eq!(v["jsonrpc"], "2.0", "{line}");
        v
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.write(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string());
        loop {
            let m = self.message();
            if m["id"] == json!(id) {
                return m;
            }
            assert!(m.get("id").is_none(), "an answer to another request: {m}");
        }
    }

    /// A `connect_session` call; returns (isError, structured result or error text).
    fn call(&mut self, args: Value) -> (bool, Value) {
        let m = self.request("tools/call", json!({"name": "connect_session", "arguments": args}));
        let result = &m["result"];
        assert!(result.is_object(), "expected a tool result: {m}");
        let is_error = result["isError"] == json!(true);
        if is_error {
            (true, result["content"][0]["text"].clone())
        } else {
            (false, result["structuredContent"].clone())
        }
    }

    fn ok(&mut self, args: Value) -> Value {
        let (err, v) = self.call(args.clone());
        assert!(!err, "{args} failed: {v}");
        v
    }

    fn fails(&mut self, args: Value) -> String {
        let (err, v) = self.call(args.clone());
        assert!(err, "{args} should fail: {v}");
        v.as_str().unwrap().to_string()
    }

    fn handshake(&mut self) {
        let init = self.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "navi", "{init}");
        assert!(init["result"]["capabilities"]["tools"].is_object(), "{init}");
        self.write(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    }

    /// Closes stdin; the server must exit by itself, successfully, having written nothing
    /// but protocol. Returns what it wrote on stderr.
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + WAIT;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(std::time::Instant::now() < deadline, "navi mcp did not exit after stdin closed");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{status}");
        while let Ok(line) = self.lines.try_recv() {
            let _: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON on stdout: {line:?}: {e}"));
        }
        let mut err = String::new();
        std::io::Read::read_to_string(&mut self.child.stderr.take().unwrap(), &mut err).unwrap();
        err
    }
}

/// A client's HOME, which is also where its agent shells' tmux server lives: the server
/// goes with it.
struct Home(tempfile::TempDir);

impl Home {
    fn new() -> std::sync::Arc<Home> {
        std::sync::Arc::new(Home(tempfile::tempdir().unwrap()))
    }

    fn path(&self) -> &std::path::Path {
        self.0.path()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let agents = |args: &[&str]| {
            Command::new("tmux")
                .args(["-L", "navi-agents"])
                .args(args)
                .env("TMUX_TMPDIR", self.0.path())
                .env_remove("TMUX")
                .output()
                .expect("running tmux")
        };
        common::tmux::end_servers(&[&agents]);
    }
}

/// Reads until the command finished; returns the concatenated data and the last result.
fn read_all(c: &mut Client, id: &str, mut offset: Option<u64>) -> (String, Value) {
    let mut data = String::new();
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let mut args = json!({"operation": "read", "session_id": id, "wait_seconds": 10});
        if let Some(o) = offset {
            args["offset"] = json!(o);
        }
        let r = c.ok(args);
        data.push_str(r["data"].as_str().unwrap());
        offset = r["next_cursor"].as_u64();
        if r["finished"] == json!(true) {
            return (data, r);
        }
        assert!(std::time::Instant::now() < deadline, "never finished: {r}");
    }
}

#[path = "mcp_stdio/persist.rs"]
mod persist;

#[test]
fn tools_list_describes_connect_session() {
    let mut c = Client::start();
    c.handshake();
    let list = c.request("tools/list", json!({}));
    let tools = list["result"]["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 1);
    let tool = &tools[0];
    assert_eq!(tool["name"], "connect_session");
    assert!(tool["description"].as_str().unwrap().contains("open"));
    let props = &tool["inputSchema"]["properties"];
    for field in [
        "operation",
        "hostname",
        "idle_ttl_seconds",
        "session_id",
        "command",
        "timeout_seconds",
        "offset",
        "max_bytes",
        "wait_seconds",
    ] {
        assert!(props[field]["description"].as_str().is_some_and(|d| d.len() > 10), "{field}: {}", props[field]);
    }
    let schema = tool["inputSchema"].to_string();
    for op in ["open", "send", "read", "list", "interrupt", "close"] {
        assert!(schema.contains(&format!("\"{op}\"")), "{op} missing from {schema}");
    }
    assert_eq!(tool["inputSchema"]["required"], json!(["operation"]));
    // Flat enough for Gemini function declarations and OpenAI strict mode.
    assert_eq!(navi::mcp::schema::refusals(&tool["inputSchema"]), Vec::<String>::new(), "{schema}");
    assert_eq!(
        (tool["annotations"]["destructiveHint"].as_bool(), tool["annotations"]["openWorldHint"].as_bool()),
        (Some(true), Some(true)),
        "{tool}"
    );
    assert!(tool["description"].as_str().unwrap().contains("1 MiB ring"));
    assert_eq!(c.finish(), "");
}

#[test]
fn open_send_read_close_over_stdio() {
    let mut c = Client::start();
    c.handshake();
    let o = c.ok(json!({"operation": "open", "hostname": "local"}));
    assert_eq!((o["state"].as_str(), o["hostname"].as_str()), (Some("ready"), Some("local")));
    assert_eq!(o["idle_ttl_seconds"], 1800);
    let id = o["session_id"].as_str().unwrap().to_string();
    assert!(id.starts_with("local/a-"), "{id}");

    let s =
        c.ok(json!({"operation": "send", "session_id": id, "command": "cd /tmp && V=kept; echo \"hi $V\"; (exit 3)"}));
    assert_eq!((s["command_id"].as_u64(), s["queued"].as_bool()), (Some(1), Some(false)));
    let (data, r) = read_all(&mut c, &id, None);
    assert_eq!((data.as_str(), r["exit_code"].as_i64(), r["truncated"].as_bool()), ("hi kept\n", Some(3), Some(false)));
    let cursor = r["next_cursor"].as_u64().unwrap();

    c.ok(json!({"operation": "send", "session_id": id, "command": "pwd; echo $V", "timeout_seconds": 30}));
    let (data, r) = read_all(&mut c, &id, Some(cursor));
    assert_eq!((data.as_str(), r["exit_code"].as_i64(), r["command_id"].as_u64()), ("/tmp\nkept\n", Some(0), Some(2)));

    // A read waiting on a long command does not hold up the interrupt sent after it.
    let sent = c.ok(json!({"operation": "send", "session_id": id, "command": "echo go; sleep 1000"}));
    let deadline = std::time::Instant::now() + WAIT;
    while !c.ok(json!({"operation": "read", "session_id": id}))["data"].as_str().unwrap().contains("go") {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    let read = json!({"operation": "read", "session_id": id, "wait_seconds": 100});
    c.write(
        &json!({"jsonrpc": "2.0", "id": 1000, "method": "tools/call",
        "params": {"name": "connect_session", "arguments": read}})
        .to_string(),
    );
    // The interrupt is answered while the read waits; the read, answered once the command
    // ended, may come back before or after the interrupt's own answer.
    let interrupt = c.next_id;
    c.next_id += 1;
    c.write(
        &json!({"jsonrpc": "2.0", "id": interrupt, "method": "tools/call",
        "params": {"name": "connect_session", "arguments": {"operation": "interrupt", "session_id": id}}})
        .to_string(),
    );
    let (mut i, mut waited) = (None, None);
    while i.is_none() || waited.is_none() {
        let m = c.message();
        match m["id"].as_u64() {
            Some(1000) => waited = Some(m),
            Some(n) if n == interrupt => i = Some(m),
            _ => assert!(m.get("id").is_none(), "an answer to another request: {m}"),
        }
    }
    let (i, waited) = (i.unwrap(), waited.unwrap());
    assert_ne!(i["result"]["isError"], json!(true), "{i}");
    assert_eq!(i["result"]["structuredContent"]["command_id"], sent["command_id"], "{i}");
    let r = &waited["result"]["structuredContent"];
    assert!(r["data"].as_str().is_some_and(|d| d.starts_with("go\n")), "{r}");
    assert_eq!((r["exit_code"].as_i64(), r["interrupted"].as_bool()), (Some(130), Some(true)), "{r}");

    let l = c.ok(json!({"operation": "list"}));
    assert_eq!(l["sessions"][0]["session_id"], json!(id));
    assert_eq!(l["sessions"][0]["state"], "ready");

    let closed = c.ok(json!({"operation": "close", "session_id": id}));
    assert_eq!(closed["state"], "closed");
    assert_eq!(c.ok(json!({"operation": "list"}))["sessions"], json!([]));
    assert_eq!(c.finish(), "");
}

#[test]
fn every_error_is_reported_the_right_way() {
    let mut c = Client::start();
    c.handshake();
    // Failed operations: tool results with isError and the design's messages.
    assert_eq!(c.fails(json!({"operation": "read", "session_id": "nope:slot1"})), "session not found");
    let e = c.fails(json!({"operation": "open", "hostname": "nowhere"}));
    assert!(e.contains("unknown hostname \"nowhere\""), "{e}");
    let marker = c._home.path().join("pwned");
    let hostile = format!("local; touch {}", marker.display());
    let e = c.fails(json!({"operation": "open", "hostname": hostile}));
    assert!(e.starts_with("unknown hostname"), "{e}");
    assert!(!marker.exists());
    let id = c.ok(json!({"operation": "open", "hostname": "local", "idle_ttl_seconds": 0}))["session_id"].clone();
    assert!(c.fails(json!({"operation": "send", "session_id": id})).contains("`command` is required"));
    assert!(c.fails(json!({"operation": "read"})).contains("`session_id` is required"));
    assert!(c.fails(json!({"operation": "explode"})).contains("unknown variant"));
    assert!(c.fails(json!({"operation": "read", "session_id": id, "offset": -1})).contains("invalid value"));
    assert!(c.fails(json!({"operation": "read", "session_id": id, "offset": 99999999})).contains("past the end"));
    c.ok(json!({"operation": "close", "session_id": id}));
    assert_eq!(c.fails(json!({"operation": "close", "session_id": id})), "session not found");
    assert_eq!(c.fails(json!({"operation": "send", "session_id": id, "command": "true"})), "session not found");
    // 64 sessions at most.
    for _ in 0..64 {
        c.ok(json!({"operation": "open", "hostname": "local"}));
    }
    assert_eq!(c.fails(json!({"operation": "open", "hostname": "local"})), "manager full");

    // Malformed requests: JSON-RPC errors, and the server keeps serving.
    let m = c.request("tools/call", json!({"name": "no_such_tool", "arguments": {}}));
    assert_eq!(m["error"]["code"], -32602, "{m}");
    let m = c.request("no/such/method", json!({}));
    assert_eq!(m["error"]["code"], -32601, "{m}");
    c.write("this is not json");
    let m = c.message();
    assert_eq!((m["error"]["code"].as_i64(), &m["id"]), (Some(-32700), &Value::Null), "{m}");
    // Not UTF-8: a parse error, and the sessions live on.
    c.write_raw(b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"\xff\xfe\"}");
    let m = c.message();
    assert_eq!((m["error"]["code"].as_i64(), &m["id"]), (Some(-32700), &Value::Null), "{m}");
    c.write(r#"{"jsonrpc":"2.0","id":99,"params":{}}"#);
    let m = c.message();
    assert_eq!((m["error"]["code"].as_i64(), &m["id"]), (Some(-32600), &json!(99)), "{m}");
    assert_eq!(c.ok(json!({"operation": "list"}))["sessions"].as_array().unwrap().len(), 64);
    assert_eq!(c.finish(), "");
}

#[test]
fn a_remote_session_over_the_pool() {
    let sshd = common::sshd::Sshd::start();
    let mut c = Client::start_with(Some(&sshd.remotes_yaml("box")));
    c.handshake();
    let o = c.ok(json!({"operation": "open", "hostname": "box"}));
    assert_eq!((o["state"].as_str(), o["shell"].as_str()), (Some("ready"), Some("bash")));
    let id = o["session_id"].as_str().unwrap().to_string();
    c.ok(json!({"operation": "send", "session_id": id, "command": "cd /tmp; N=$((6*7))"}));
    read_all(&mut c, &id, None);
    c.ok(json!({"operation": "send", "session_id": id, "command": "echo \"$(pwd) $N $(whoami)\""}));
    let (data, r) = read_all(&mut c, &id, None);
    assert_eq!((data.as_str(), r["exit_code"].as_i64()), ("/tmp 42 navi-test\n", Some(0)));
    c.ok(json!({"operation": "close", "session_id": id}));
    assert_eq!(c.finish(), "");
}

#[test]
fn interrupts_work_though_navi_started_ignoring_sigint_and_sigterm_ends_it_cleanly() {
    let mut c = Client::start_ignoring_interrupts();
    c.handshake();
    let o = c.ok(json!({"operation": "open", "hostname": "local"}));
    let id = o["session_id"].as_str().unwrap().to_string();
    c.ok(json!({"operation": "send", "session_id": id, "command": "echo go; sleep 1000"}));
    let deadline = std::time::Instant::now() + WAIT;
    while !c.ok(json!({"operation": "read", "session_id": id}))["data"].as_str().unwrap().contains("go") {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    // One Ctrl-C (no escalation) must stop the command: the shell did not inherit SIG_IGN.
    c.ok(json!({"operation": "interrupt", "session_id": id}));
    let (_, r) = read_all(&mut c, &id, None);
    assert_eq!((r["exit_code"].as_i64(), r["interrupted"].as_bool()), (Some(130), Some(true)), "{r}");

    c.ok(json!({"operation": "send", "session_id": id, "command": "sleep 1000"}));
    let pid = c.child.id();
    assert!(Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success());
    let deadline = std::time::Instant::now() + WAIT;
    let status = loop {
        if let Some(s) = c.child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "navi mcp did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let left = Command::new("pgrep").args(["-P", &pid.to_string()]).output().unwrap();
    assert!(left.stdout.is_empty(), "shells left behind: {}", String::from_utf8_lossy(&left.stdout));
}

/// A directory and file name a shell would trip over, and content with quotes, `$(…)`,
/// backslashes, a NUL and invalid-looking escapes.
const HOSTILE_DIR: &str = "we ird $(touch pwned) ';\"x";
const HOSTILE_FILE: &str = "-n 'q\"$HOME`id`*.txt";
const HOSTILE_CONTENT: &str = "line1\n$(touch pwned)\n'\"\\ `id` \u{0}\u{1b}[31m end";

/// put → get of a hostile path and content on `host`, whose files are under `root` here;
/// binary content comes back as base64, and every refusal is a clear error.
fn files_round_trip(c: &mut Client, host: &str, root: &std::path::Path) {
    let dir = root.join(HOSTILE_DIR);
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::process::Command::new("chmod").arg("777").arg(&dir).status();
    let path = dir.join(HOSTILE_FILE);
    let p = path.to_str().unwrap();
    let put = c.ok(json!({"operation": "put", "hostname": host, "path": p, "content": HOSTILE_CONTENT, "mode": "600"}));
    assert_eq!(put["bytes"].as_u64(), Some(HOSTILE_CONTENT.len() as u64), "{put}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), HOSTILE_CONTENT);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    // Atomic: nothing but the file is left in the directory.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    let got = c.ok(json!({"operation": "get", "hostname": host, "path": p}));
    assert_eq!((got["content"].as_str(), got["encoding"].as_str()), (Some(HOSTILE_CONTENT), Some("utf8")), "{got}");
    // Overwriting keeps it whole; binary comes back as base64.
    c.ok(json!({"operation": "put", "hostname": host, "path": p, "content": "/wAB", "encoding": "base64"}));
    let got = c.ok(json!({"operation": "get", "hostname": host, "path": p}));
    assert_eq!(
        (got["content"].as_str(), got["encoding"].as_str(), got["bytes"].as_u64()),
        (Some("/wAB"), Some("base64"), Some(3))
    );
    let e = c.fails(json!({"operation": "get", "hostname": host, "path": p, "max_bytes": 2}));
    assert!(e.contains("more than max_bytes"), "{e}");
    let e = c.fails(json!({"operation": "get", "hostname": host, "path": dir.join("missing").to_str().unwrap()}));
    assert!(e.contains("no such file"), "{e}");
    let e = c.fails(json!({"operation": "get", "hostname": host, "path": dir.to_str().unwrap()}));
    assert!(e.contains("not a regular file"), "{e}");
    let e = c.fails(json!({"operation": "put", "hostname": host, "path": dir.to_str().unwrap(), "content": "x"}));
    assert!(e.contains("is a directory"), "{e}");
    let e = c.fails(
        json!({"operation": "put", "hostname": host, "path": root.join("no/such/f").to_str().unwrap(), "content": "x"}),
    );
    assert!(e.contains("no such directory"), "{e}");
    assert!(
        c.fails(json!({"operation": "put", "hostname": host, "path": p, "content": "x", "mode": "rwx"}))
            .contains("octal")
    );
    assert!(!dir.join("pwned").exists() && !root.join("pwned").exists());
    // `~/` is the host user's home.
    let put = c.ok(json!({"operation": "put", "hostname": host, "path": "~/navi-home 'x'.txt", "content": "home"}));
    assert_eq!(put["bytes"].as_u64(), Some(4), "{put}");
    let got = c.ok(json!({"operation": "get", "hostname": host, "path": "~/navi-home 'x'.txt"}));
    assert_eq!(got["content"], "home", "{got}");
}

#[test]
fn write_resize_exec_put_get_and_hosts_locally() {
    let mut c = Client::start();
    c.handshake();
    let hosts = c.ok(json!({"operation": "hosts"}));
    assert_eq!(hosts["hosts"], json!([{"hostname": "local", "state": "connected"}]));

    let id = c.ok(json!({"operation": "open", "hostname": "local"}))["session_id"].as_str().unwrap().to_string();
    let e = c.fails(json!({"operation": "write", "session_id": id, "text": "x"}));
    assert!(e.contains("no command is running"), "{e}");
    c.ok(json!({"operation": "send", "session_id": id, "command": "read -s -p 'Password: ' pw </dev/tty; echo \"got $pw\""}));
    let r = c.ok(json!({"operation": "read", "session_id": id, "wait_seconds": 20}));
    assert_eq!(r["waiting_for_input"], "password", "{r}");
    assert!(c.fails(json!({"operation": "write", "session_id": id, "keys": ["Hyper"]})).contains("unknown key"));
    let w = c.ok(json!({"operation": "write", "session_id": id, "text": "s3cr'et", "keys": ["Enter"]}));
    assert_eq!(w["bytes"], 8, "{w}");
    let (data, r) = read_all(&mut c, &id, None);
    assert_eq!((data.as_str(), r["exit_code"].as_i64()), ("Password: got s3cr'et\n", Some(0)), "{r}");

    // One resize after another (tmux holds back a pane's second one for a while): the
    // command typed next sees each.
    for (rows, cols) in [(40, 123), (41, 124), (39, 99)] {
        c.ok(json!({"operation": "resize", "session_id": id, "rows": rows, "cols": cols}));
        c.ok(json!({"operation": "send", "session_id": id, "command": "stty size </dev/tty"}));
        assert_eq!(read_all(&mut c, &id, None).0, format!("{rows} {cols}\n"));
    }
    // A command that leaves the terminal's modes changed, and succeeds, leaves the next one
    // the terminal as it was.
    for setup in ["stty raw </dev/tty", "stty echo opost onlcr -isig </dev/tty"] {
        c.ok(json!({"operation": "send", "session_id": id, "command": setup}));
        assert_eq!(read_all(&mut c, &id, None).1["exit_code"], 0, "{setup}");
        c.ok(json!({"operation": "send", "session_id": id, "command": "stty -a </dev/tty"}));
        let modes = read_all(&mut c, &id, None).0;
        let words: Vec<&str> = modes.split_whitespace().collect();
        for want in ["-echo", "-opost", "icanon", "isig"] {
            assert!(words.contains(&want), "after {setup}: {want} in {modes}");
        }
    }
    assert!(
        c.fails(json!({"operation": "resize", "session_id": id, "rows": 0, "cols": 5})).contains("between 1 and 1000")
    );
    c.ok(json!({"operation": "close", "session_id": id}));

    let x = c.ok(
        json!({"operation": "exec", "hostnames": ["local", "nowhere"], "command": "echo out; echo err >&2; exit 4"}),
    );
    let res = x["results"].as_array().unwrap();
    assert_eq!(res[0], json!({"hostname": "local", "exit_code": 4, "stdout": "out\n", "stderr": "err\n"}));
    assert!(res[1]["error"].as_str().unwrap().contains("unknown hostname \"nowhere\""), "{x}");
    let x = c.ok(json!({"operation": "exec", "hostname": "local", "command": "sleep 30", "timeout_seconds": 1}));
    assert_eq!(x["results"][0]["timed_out"], true, "{x}");
    // Escape sequences are cleaned as a read's are; a signal's end is said.
    let x = c.ok(json!({"operation": "exec", "hostname": "local",
        "command": "printf '\\033[31mred\\033]0;t\\007 text\\r\\n'; kill -9 $$"}));
    assert_eq!(x["results"][0]["stdout"], "red text\r\n", "{x}");
    assert!(x["results"][0]["error"].as_str().is_some_and(|e| e.contains("signal")), "{x}");
    let many: Vec<&str> = vec!["local"; 65];
    assert!(c.fails(json!({"operation": "exec", "hostnames": many, "command": "true"})).contains("at most 64"));
    // Output past the bound ends the command at once instead of waiting out its timeout.
    let x = c.ok(json!({"operation": "exec", "hostname": "local", "command": "yes", "timeout_seconds": 300}));
    assert!(x["results"][0]["error"].as_str().is_some_and(|e| e.contains("bytes of output")), "{x}");

    let root = tempfile::tempdir().unwrap();
    files_round_trip(&mut c, "local", root.path());
    assert_eq!(c.finish(), "");
}

#[test]
fn exec_put_get_and_hosts_on_a_remote_with_one_host_down() {
    let sshd = common::sshd::Sshd::start();
    let down = sshd
        .remote_entry("down", "~/.claude-sessions")
        .replace(&format!("port: {}", sshd.port), &format!("port: {}", common::sshd::free_port()));
    let mut c = Client::start_with(Some(&format!("{}{down}", sshd.remotes_yaml("box"))));
    c.handshake();
    let names: Vec<String> = c.ok(json!({"operation": "hosts"}))["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hostname"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["local", "box", "down"]);
    let x = c.ok(json!({"operation": "exec", "hostnames": ["box", "down", "local"], "command": "echo \"$(whoami)\"; echo e >&2; exit 3"}));
    let res = x["results"].as_array().unwrap();
    assert_eq!(res[0], json!({"hostname": "box", "exit_code": 3, "stdout": "navi-test\n", "stderr": "e\n"}), "{x}");
    assert!(res[1]["error"].is_string() && res[1].get("exit_code").is_none(), "{x}");
    assert_eq!(res[2]["exit_code"], 3, "{x}");
    let hosts = c.ok(json!({"operation": "hosts"}));
    assert_eq!(hosts["hosts"][1]["state"], "connected", "{hosts}");
    assert_eq!(hosts["hosts"][2]["state"], "error", "{hosts}");

    let id = c.ok(json!({"operation": "open", "hostname": "box"}))["session_id"].as_str().unwrap().to_string();
    c.ok(json!({"operation": "resize", "session_id": id, "rows": 33, "cols": 99}));
    c.ok(json!({"operation": "send", "session_id": id, "command": "stty size </dev/tty"}));
    assert_eq!(read_all(&mut c, &id, None).0, "33 99\n");
    c.ok(json!({"operation": "send", "session_id": id, "command": "stty raw </dev/tty"}));
    read_all(&mut c, &id, None);
    c.ok(json!({"operation": "send", "session_id": id, "command": "echo after raw"}));
    assert_eq!(read_all(&mut c, &id, None).0, "after raw\n");
    c.ok(json!({"operation": "close", "session_id": id}));

    files_round_trip(&mut c, "box", &sshd.remote_home);
    assert_eq!(c.finish(), "");
}

impl Drop for Client {
    /// Agent shells outlive `navi mcp`: their tmux server goes with the test.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
