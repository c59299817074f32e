//! Status files: the model (`model`, `metrics`, and how known fields are read and written
//! in `fields`), statuses and their order (`status`), the parser for a stream of
//! concatenated JSON objects (`stream`), the one reader of a file's bytes (`read`) and the
//! local folder store with its lock (`store`, `lock`). Fields beyond the original navi's:
//! the agent that runs the session (`agent`), teammates and subagents (`team`), cost,
//! context and rate limits (`usage`), and the transcript they may be read from
//! (`transcript`).

pub mod agent;
pub mod fields;
pub mod lock;
pub mod metrics;
pub mod model;
pub mod read;
pub mod status;
pub mod store;
pub mod stream;
pub mod team;
pub mod transcript;
pub mod usage;
pub mod worktree;

pub use metrics::{Metrics, TimeMetrics, ToolMetrics};
pub use model::StatusFile;
pub use status::Status;
