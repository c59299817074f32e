//! navi: a dashboard and toolkit for Claude Code sessions in tmux, local and remote.
//!
//! Layers, imports pointing downward only (see DESIGN.md):
//! `cli` → `app`/`ui`/`tui` → `backend` → `ssh` → `sessions`; `sessionmgr`/`mcp` beside
//! them; `summary` (remote sessions for `navi status`/`jump`) above `backend`; `notify`
//! (notices) beside `hook`; `config`, `text`, `escapes` and `files` at the
//! bottom.
#![forbid(unsafe_code)]

pub mod app;
pub mod backend;
pub mod cli;
pub mod config;
pub mod escapes;
pub mod files;
pub mod hook;
pub mod mcp;
pub mod notify;
pub mod push;
pub mod sessionmgr;
pub mod sessions;
pub mod setup;
pub mod ssh;
pub mod summary;
pub mod text;
pub mod tui;
pub mod ui;
pub mod watch;
