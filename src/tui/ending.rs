//! How the interface ended: plain data, a leaf every part of the
//! interface may import.

/// How the interface ended.
#[derive(Clone, Debug, PartialEq)]
pub enum TuiEnd {
    /// The operator left; the session can be resumed.
    Left,
    Completed,
    Aborted,
    /// A signal stopped the session.
    Interrupted(String),
    /// The engine could not go on (the message names the path).
    Failed(String),
    /// The engine went away without saying why.
    Disconnected,
}
