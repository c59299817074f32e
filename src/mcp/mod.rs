//! `navi mcp`: the MCP server on stdio with the `connect_session` tool.

use crate::cli::context::Context;

pub async fn serve(_ctx: Context) -> anyhow::Result<()> {
    anyhow::bail!("navi mcp is not available in this build")
}
