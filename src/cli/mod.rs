//! The command line: argument parsing (`args`) and one function per subcommand
//! (`commands`; `install` for install-hooks). The hook, the status line and `navi status` run before any async runtime
//! starts, to stay fast.

pub mod args;
pub mod commands;
pub mod context;
pub mod install;
pub mod jump;
pub mod status;
pub mod worktree;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

/// `navi status` as a status bar runs it, every few seconds: its plain forms (`status`,
/// `status --format F`, `status --format=F`) skip building the whole command-line parser,
/// about a third of its time. Anything else goes through clap.
fn quick_status(args: &[std::ffi::OsString]) -> Option<(args::Global, args::StatusFormat)> {
    let args: Vec<&str> = args.iter().skip(1).map(|a| a.to_str()).collect::<Option<_>>()?;
    let format = match args.as_slice() {
        ["status"] => "plain",
        ["status", "--format", f] => f,
        ["status", f] => f.strip_prefix("--format=")?,
        _ => return None,
    };
    let format = match format {
        "plain" => args::StatusFormat::Plain,
        "tmux" => args::StatusFormat::Tmux,
        "json" => args::StatusFormat::Json,
        _ => return None,
    };
    let var = |name: &str| std::env::var_os(name).map(std::path::PathBuf::from);
    let global = args::Global {
        sessions_dir: var("NAVI_SESSIONS_DIR"),
        remotes: var("NAVI_REMOTES"),
        tmux_socket: var("NAVI_TMUX_SOCKET"),
    };
    Some((global.without_empty(), format))
}

fn status(global: &args::Global, format: args::StatusFormat) -> ExitCode {
    match context::Context::new(global) {
        Ok(ctx) => {
            status::run(&ctx, format);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("navi: {}", crate::text::sanitize_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

pub fn main() -> ExitCode {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some((global, format)) = quick_status(&raw) {
        return status(&global, format);
    }
    let mut cli = match Cli::try_parse_from(&raw) {
        Ok(cli) => cli,
        // Claude Code reads a hook's exit 2 as "block this": the hook never fails, whatever
        // its arguments or environment.
        Err(_) if raw.get(1).is_some_and(|a| a == "hook") => {
            commands::hook(&args::Global::default(), args::AgentArg::Claude, None);
            return ExitCode::SUCCESS;
        }
        Err(_) if raw.get(1).is_some_and(|a| a == "statusline") => {
            commands::statusline(&args::Global::default(), None);
            return ExitCode::SUCCESS;
        }
        Err(e) => e.exit(),
    };
    cli.global = cli.global.without_empty();
    if let Some(Command::Hook { agent, payload }) = &cli.command {
        commands::hook(&cli.global, *agent, payload.as_deref());
        return ExitCode::SUCCESS;
    }
    if let Some(Command::Statusline { then }) = &cli.command {
        commands::statusline(&cli.global, then.as_deref());
        return ExitCode::SUCCESS;
    }
    // A status bar runs this every few seconds: no async runtime to start and stop.
    if let Some(Command::Status { format }) = cli.command {
        return status(&cli.global, format);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn quick(args: &[&str]) -> Option<args::StatusFormat> {
        let raw: Vec<std::ffi::OsString> =
            std::iter::once("navi").chain(args.iter().copied()).map(Into::into).collect();
        quick_status(&raw).map(|(_, f)| f)
    }

    #[test]
    fn the_status_bars_forms_skip_clap_and_everything_else_does_not() {
        assert_eq!(quick(&["status"]), Some(args::StatusFormat::Plain));
        assert_eq!(quick(&["status", "--format", "tmux"]), Some(args::StatusFormat::Tmux));
        assert_eq!(quick(&["status", "--format=json"]), Some(args::StatusFormat::Json));
        for other in
            [&["status", "--format", "xml"][..], &["status", "--help"], &["status", "--tmux-socket", "s"], &["list"]]
        {
            assert_eq!(quick(other), None, "{other:?}");
        }
    }
}
