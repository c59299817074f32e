//! Status files: the model (`model`, `metrics`, and how known fields are read and written
//! in `fields`), statuses and their order (`status`), the parser for a stream of
//! concatenated JSON objects (`stream`), the one reader of a file's bytes (`read`) and the
//! local folder store with its lock (`store`, `lock`).

pub mod fields;
pub mod lock;
pub mod metrics;
pub mod model;
pub mod read;
pub mod status;
pub mod store;
pub mod stream;
pub mod worktree;

pub use metrics::{Metrics, TimeMetrics, ToolMetrics};
pub use model::StatusFile;
pub use status::Status;
