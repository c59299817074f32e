//! The terminal, the event loop, suspend/resume around attach.

use crate::cli::context::Context;

pub async fn run(_ctx: Context, _demo: bool) -> anyhow::Result<()> {
    anyhow::bail!("the dashboard is not available in this build yet; try `navi list`")
}
