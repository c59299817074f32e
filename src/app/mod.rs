//! The dashboard's state and its pure update (no I/O, no terminal): the model, the
//! messages it reacts to, the effects it asks the event loop to run, the key map and the
//! screen geometry shared by drawing and mouse hit-testing.

pub mod actions;
pub mod dialog;
pub mod forms;
pub mod geometry;
pub mod input;
pub mod keys;
pub mod marks;
pub mod model;
pub mod mouse;
pub mod msg;
pub mod remotes;
pub mod update;
pub mod view;
pub mod worktree;

pub use model::Model;
pub use msg::{Effect, Msg};
pub use update::{Update, update};
