//! The command line: argument parsing (`args`) and one function per subcommand
//! (`commands`). The hook and `navi status` run before any async runtime starts, to stay
//! fast.

pub mod args;
pub mod commands;
pub mod context;
pub mod jump;
pub mod status;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

pub fn main() -> ExitCode {
    let mut cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Claude Code reads a hook's exit 2 as "block this": the hook never fails, whatever
        // its arguments or environment.
        Err(_) if std::env::args_os().nth(1).is_some_and(|a| a == "hook") => {
            commands::hook(&args::Global::default());
            return ExitCode::SUCCESS;
        }
        Err(e) => e.exit(),
    };
    cli.global = cli.global.without_empty();
    if let Some(Command::Hook) = cli.command {
        commands::hook(&cli.global);
        return ExitCode::SUCCESS;
    }
    // A status bar runs this every few seconds: no async runtime to start and stop.
    if let Some(Command::Status { format }) = cli.command {
        return match context::Context::new(&cli.global) {
            Ok(ctx) => {
                status::run(&ctx, format);
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("navi: {}", crate::text::sanitize_line(&format!("{e:#}")));
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("navi: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(commands::dispatch(cli));
    // Everything the command had to do is done; a blocking read of stdin (`navi mcp` ended by
    // a signal while its client keeps stdin open) must not hold the process up.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("navi: {}", crate::text::sanitize_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}
