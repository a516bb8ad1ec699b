//! The state of the host view (`h` on a fleet step): which step, the host
//! picked, whether its log is open; and the key of a host's log among the
//! attempts' logs. Plain data, a leaf: the app holds it and
//! `host_view.rs` acts on it, so neither imports the other.

/// Which fleet step's hosts are shown, the host picked, and whether its
/// log is open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostView {
    pub step: String,
    pub cursor: usize,
    /// The host whose log is shown (the grid is shown while `None`).
    pub open: Option<String>,
}

/// The key of a host's log among the attempts' logs (`Logs`).
pub fn log_key(step: &str, host: &str) -> String {
    format!("{step} [{host}]")
}
