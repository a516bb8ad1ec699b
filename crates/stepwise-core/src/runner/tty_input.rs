//! What a person types into a running `tty: true` attempt: a leaf, so
//! the process code that writes it into the pty and the seam that hands
//! its sender out both use it without importing each other.

/// What a driver sends to the pseudo-terminal of a running `tty: true`
/// attempt, through the engine. Typed bytes are forwarded as they are
/// (Ctrl-C is byte 3, for the step's line discipline to turn into SIGINT).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TtyInput {
    /// Bytes typed (or pasted) by the operator.
    Bytes(Vec<u8>),
    /// The pane the step is shown in changed size.
    Resize { rows: u16, cols: u16 },
}
