//! The runbook format v1: the model, durations, the YAML loader and validator.

pub mod duration;
pub mod load;
pub mod model;
pub mod node;
