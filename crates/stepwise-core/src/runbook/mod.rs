//! The runbook format v1: the model, durations, the YAML loader and validator,
//! the JSON Schema, and the one-line summary `stepwise validate` prints.

mod build;
pub mod channel;
mod check;
pub mod comments;
pub mod control;
pub mod diagnostic;
pub mod duration;
pub mod fleet;
pub mod load;
pub mod model;
pub mod node;
mod parse;
pub mod schema;
pub mod slug;
mod summary;

pub use diagnostic::{LoadError, Problem, ProblemKind, render_plain};
pub use load::{load_bytes, load_file, load_str};
pub use schema::json_schema;
pub use summary::summary;
