//! The `connect_session` tool: its input schema (what an agent reads to use it), and the
//! mapping of each operation onto the session manager. A failed operation, like arguments
//! that do not fit the schema, is a tool result with `isError` (the agent reads it and can
//! correct itself); a request that is not valid JSON-RPC or names another tool gets a
//! JSON-RPC error from rmcp.

use super::schema;
use crate::sessionmgr::{Manager, SessionError};
use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Longest a read may wait for its command.
const MAX_WAIT_SECONDS: u64 = 120;

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// Start a shell on `hostname`; returns `session_id`.
    Open,
    /// Run `command` in the session (queued behind a running command).
    Send,
    /// Get output from `offset`, and `exit_code` once the command finished.
    Read,
    /// List the open sessions.
    List,
    /// Stop the running command and drop queued ones: Ctrl-C; asked again for the same
    /// command, SIGTERM; a third time, SIGKILL (if the shell itself runs it, a builtin loop,
    /// that ends the session).
    Interrupt,
    /// End the session and everything running in it.
    Close,
}

/// One operation on a persistent shell session. A session keeps its working directory and
/// variables between commands. Typical use: `open` → `send` → `read` with `wait_seconds`
/// until `finished` is true (then `exit_code` is the command's status) → more `send`s → `close`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectSession {
    /// What to do: open, send, read, list, interrupt or close.
    pub operation: Operation,
    /// open: the machine: "local", or the name of a remote in navi's remotes.yaml.
    pub hostname: Option<String>,
    /// open: close the session after this many seconds without any operation on it
    /// (default 1800; 0 = never).
    pub idle_ttl_seconds: Option<u64>,
    /// send, read, interrupt, close: the id that open returned.
    pub session_id: Option<String>,
    /// send: shell command line(s), run by bash (or sh) as typed; multi-line scripts and
    /// heredocs are fine. Commands get no stdin (it is /dev/null: `cat` or `read` see end of
    /// input at once); pass input with a heredoc or a pipe, and flags such as -y. `exit` ends
    /// the session (its status is the exit_code). `set -e` lasts for that command only; a
    /// failure under it ends the shell like `exit`. `exec >file` lasts for that command only.
    pub command: Option<String>,
    /// send: interrupt the command if it runs longer than this (0 or absent: no limit); read
    /// then says `timed_out`.
    pub timeout_seconds: Option<u64>,
    /// read: offset in raw output bytes (escape sequences included, unlike `data`), normally
    /// the previous read's `next_cursor`.
    /// Default: where the latest command's output starts.
    pub offset: Option<u64>,
    /// read: at most this many bytes of `data` (default 32768; values below 64 count as 64,
    /// above 1048576 as 1048576), cut on character boundaries.
    pub max_bytes: Option<u64>,
    /// read: wait up to this many seconds (max 120) for the command to finish, or for a
    /// prompt waiting for input, before answering. Default 0: answer at once.
    pub wait_seconds: Option<u64>,
}

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
         stop), waiting_for_input, error}}; list -> {{sessions}}; interrupt {{session_id}}; \
         close {{session_id}}. Output is kept in a {} ring per session: `truncated` means older \
         output was dropped. `data` is text with terminal escape sequences removed; `offset` and \
         `next_cursor` count raw output bytes, so pass the previous `next_cursor` as `offset` to \
         read on (never add up lengths of `data`). A second interrupt of the same command sends \
         SIGTERM, a third SIGKILL (which can end the session when the shell itself runs the \
         command). `waiting_for_input` (password, yes_no, pager) means the command waits for \
         input it will not get: interrupt it and run it non-interactively.",
        size(ring_bytes)
    )
}

#[derive(Clone)]
pub struct NaviMcp {
    manager: Manager,
    tool_router: ToolRouter<Self>,
}

fn missing(field: &str, op: &str) -> String {
    format!("`{field}` is required for operation `{op}`")
}

fn json<T: serde::Serialize>(r: Result<T, SessionError>) -> Result<serde_json::Value, String> {
    r.map(|v| serde_json::to_value(v).unwrap_or_default()).map_err(|e| e.to_string())
}

#[tool_router(router = tool_router)]
impl NaviMcp {
    pub fn new(manager: Manager) -> Self {
        let tool_router = Self::router(manager.ring_bytes());
        NaviMcp { manager, tool_router }
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
            Operation::List => Ok(serde_json::json!({ "sessions": m.list() })),
            Operation::Interrupt => json(m.interrupt(id("interrupt")?).await),
            Operation::Close => json(m.close(id("close")?).await),
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
