//! The sandbox behind `stepwise demo`: a throwaway deployment environment in
//! a temporary folder (a git repository with a good and a broken release,
//! three deployed instances of the broken one, live configuration, a deploy
//! lock, the scripts a real team would have) and the tiny HTTP service that
//! plays the instances.
//!
//! The demo runs the real `runbooks/rollback.yaml` against it: the sandbox
//! only supplies input values (`Sandbox::vars`), never steps of its own.
//! Nothing here may touch anything outside the sandbox folder, nor listen or
//! connect anywhere but 127.0.0.1. See `docs/demo.md`.

pub mod files;
pub mod sandbox;
pub mod service;

pub use sandbox::Sandbox;
