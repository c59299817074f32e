//! Status files: the model (`model`), statuses and their order (`status`), the parser for
//! a stream of concatenated JSON objects (`stream`) and the local folder store (`store`).

pub mod model;
pub mod status;
pub mod store;
pub mod stream;

pub use model::{Metrics, StatusFile, TimeMetrics, ToolMetrics};
pub use status::Status;
