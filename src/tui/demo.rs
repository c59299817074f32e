//! `navi --demo`: placeholder replaced in the demo commit.

use crate::cli::context::Context;

pub async fn run(ctx: Context) -> anyhow::Result<()> {
    super::run_dashboard(&ctx).await
}
