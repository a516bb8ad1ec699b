//! The engine (being merged from other branches).

pub mod command;
