//! `navi remotes`: tries every remote and prints its state.

use crate::cli::context::Context;
use std::process::ExitCode;

pub async fn remotes(ctx: &Context, _json: bool) -> anyhow::Result<ExitCode> {
    ctx.warn_remotes();
    anyhow::bail!("remote sessions are not available in this build")
}
