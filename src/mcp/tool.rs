//! The `connect_session` tool: its input schema (what an agent reads to use it), and the
//! mapping of each operation onto the session manager. A failed operation, like arguments
//! that do not fit the schema, is a tool result with `isError` (the agent reads it and can
//! correct itself); a request that is not valid JSON-RPC or names another tool gets a
//! JSON-RPC error from rmcp.

use super::args::{ConnectSession, Operation};
use super::schema;
use crate::sessionmgr::{Machines, Manager, SessionError, files, keys};
use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use std::sync::Arc;
use std::time::Duration;

/// Longest a read may wait for its command.
const MAX_WAIT_SECONDS: u64 = 120;
/// Hosts one `exec` runs on at most (each holds a channel or a child process).
const MAX_HOSTS: usize = 64;

/// `n` bytes as people say it.
fn size(n: usize) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// What an agent reads to use the tool.
pub fn description(ring_bytes: usize) -> String {
    format!(
        "Persistent shell sessions on this machine (hostname \"local\") or on navi's remotes over \
         SSH. Operations: open {{hostname, idle_ttl_seconds?}} -> {{session_id, state}}; \
         send {{session_id, command, timeout_seconds?}} -> {{command_id, queued}}; \
         read {{session_id, offset?, max_bytes?, wait_seconds?}} -> {{data, offset, next_cursor, \
         truncated, state, finished, queued, and when they apply: command_id, exit_code (once \
         finished, absent if the shell died), timed_out, interrupted (the command was asked to \
         stop), waiting_for_input, error, reconnecting (its host cannot be reached now; the \
         session lives on there)}}; list -> {{sessions, unreachable?}} (every session on \
         every host, whichever process opened it); interrupt {{session_id}}; \
         close {{session_id}}; write {{session_id, text?, keys?}} types into the running \
         program (answer a prompt; keys such as Enter, Ctrl-C, Up, Tab); resize {{session_id, \
         rows, cols}}; exec {{hostname or hostnames, command, timeout_seconds?}} -> {{results: \
         [{{hostname, exit_code, stdout, stderr, timed_out?, error?}}]}} runs once without a \
         session, on several hosts at once if asked (one result per host); put {{hostname, \
         path, content, encoding?, mode?}} writes a file atomically; get {{hostname, path, \
         max_bytes?}} -> {{content, encoding (utf8 or base64), bytes}}; hosts -> {{hosts: \
         [{{hostname, state}}]}}. Output is kept in a {} ring per session: `truncated` means older \
         output was dropped. `data` is text with terminal escape sequences removed; `offset` and \
         `next_cursor` count raw output bytes, so pass the previous `next_cursor` as `offset` to \
         read on (never add up lengths of `data`). A second interrupt of the same command sends \
         SIGTERM, a third SIGKILL (which can end the session when the shell itself runs the \
         command). `waiting_for_input` (password, yes_no, pager) means the command waits for \
         input it will not get: interrupt it and run it non-interactively. Sessions live in \
         tmux on their host (ids like local/a-3f9a1c07): they outlive this server, so after a \
         restart the same session_id and offsets go on working; close what you no longer need.",
        size(ring_bytes)
    )
}

#[derive(Clone)]
pub struct NaviMcp {
    manager: Manager,
    machines: Arc<Machines>,
    tool_router: ToolRouter<Self>,
}

fn missing(field: &str, op: &str) -> String {
    format!("`{field}` is required for operation `{op}`")
}

fn json<T: serde::Serialize>(r: Result<T, SessionError>) -> Result<serde_json::Value, String> {
    r.map(|v| serde_json::to_value(v).unwrap_or_default()).map_err(|e| e.to_string())
}

fn to_json<T: serde::Serialize>(r: Result<T, String>) -> Result<serde_json::Value, String> {
    r.map(|v| serde_json::to_value(v).unwrap_or_default())
}

#[tool_router(router = tool_router)]
impl NaviMcp {
    pub fn new(manager: Manager, machines: Machines) -> Self {
        let tool_router = Self::router(manager.ring_bytes());
        NaviMcp { manager, machines: Arc::new(machines), tool_router }
    }

    /// The router with the tool as agents see it: the flat schema and the real ring size.
    pub fn router(ring_bytes: usize) -> ToolRouter<Self> {
        let mut router = Self::tool_router();
        for route in router.map.values_mut() {
            route.attr.input_schema = Arc::new(schema::flatten(&route.attr.input_schema));
            route.attr.description = Some(description(ring_bytes).into());
        }
        router
    }

    /// Persistent shell sessions (the full description is `description`, set in `new`).
    #[tool(name = "connect_session", annotations(destructive_hint = true, open_world_hint = true))]
    pub async fn connect_session(
        &self,
        Parameters(p): Parameters<ConnectSession>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(match self.run(p).await {
            Ok(v) => CallToolResult::structured(v),
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        })
    }
}

impl NaviMcp {
    async fn run(&self, p: ConnectSession) -> Result<serde_json::Value, String> {
        let m = &self.manager;
        let id = |op: &str| p.session_id.as_deref().ok_or_else(|| missing("session_id", op));
        match p.operation {
            Operation::Open => {
                let host = p.hostname.as_deref().ok_or_else(|| missing("hostname", "open"))?;
                json(m.open(host, p.idle_ttl_seconds).await)
            }
            Operation::Send => {
                let command = p.command.as_deref().ok_or_else(|| missing("command", "send"))?;
                json(m.send(id("send")?, command, p.timeout_seconds).await)
            }
            Operation::Read => {
                let wait = Duration::from_secs(p.wait_seconds.unwrap_or(0).min(MAX_WAIT_SECONDS));
                let max = p.max_bytes.map(|b| usize::try_from(b).unwrap_or(usize::MAX));
                json(m.read(id("read")?, p.offset, max, wait).await)
            }
            Operation::List => {
                let unreachable: Vec<serde_json::Value> = m
                    .discover()
                    .await
                    .into_iter()
                    .map(|(hostname, error)| serde_json::json!({ "hostname": hostname, "error": error }))
                    .collect();
                let mut out = serde_json::json!({ "sessions": m.list() });
                if !unreachable.is_empty() {
                    out["unreachable"] = unreachable.into();
                }
                Ok(out)
            }
            Operation::Interrupt => json(m.interrupt(id("interrupt")?).await),
            Operation::Close => json(m.close(id("close")?).await),
            Operation::Write => {
                let input = keys::input(p.text.as_deref(), p.keys.as_deref().unwrap_or_default())?;
                if input.is_empty() {
                    return Err("`text` or `keys` is required for operation `write`".into());
                }
                json(m.write(id("write")?, &input).await)
            }
            Operation::Resize => {
                let dim = |v: Option<u64>, f: &str| {
                    v.ok_or_else(|| missing(f, "resize")).map(|n| u16::try_from(n).unwrap_or(u16::MAX))
                };
                json(m.resize(id("resize")?, dim(p.rows, "rows")?, dim(p.cols, "cols")?).await)
            }
            Operation::Exec => {
                let command = p.command.as_deref().ok_or_else(|| missing("command", "exec"))?;
                let hosts = match (p.hostnames, p.hostname) {
                    (Some(hs), _) if !hs.is_empty() => hs,
                    (_, Some(h)) => vec![h],
                    _ => return Err(missing("hostname` or `hostnames", "exec")),
                };
                if hosts.len() > MAX_HOSTS {
                    return Err(format!("at most {MAX_HOSTS} hostnames at once"));
                }
                let timeout = p.timeout_seconds.filter(|t| *t > 0).map(Duration::from_secs);
                let results = self.machines.exec(&hosts, command, timeout).await;
                Ok(serde_json::json!({ "results": results }))
            }
            Operation::Put => {
                let host = p.hostname.as_deref().ok_or_else(|| missing("hostname", "put"))?;
                let path = p.path.as_deref().ok_or_else(|| missing("path", "put"))?;
                let content = p.content.as_deref().ok_or_else(|| missing("content", "put"))?;
                let bytes = files::decode(content, p.encoding.as_deref())?;
                let mode = files::parse_mode(p.mode.as_deref())?;
                to_json(self.machines.put(host, path, &bytes, mode).await)
            }
            Operation::Get => {
                let host = p.hostname.as_deref().ok_or_else(|| missing("hostname", "get"))?;
                let path = p.path.as_deref().ok_or_else(|| missing("path", "get"))?;
                let max = p.max_bytes.unwrap_or(files::DEFAULT_GET).min(files::MAX_FILE);
                to_json(self.machines.get(host, path, max).await)
            }
            Operation::Hosts => Ok(serde_json::json!({ "hosts": self.machines.hosts() })),
        }
    }
}

#[cfg(test)]
#[path = "schema/tests.rs"]
mod schema_tests;

#[tool_handler(router = self.tool_router)]
impl ServerHandler for NaviMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("navi", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "navi gives you persistent shells (local and on SSH remotes) through the \
                 connect_session tool; see its description.",
            )
    }
}
