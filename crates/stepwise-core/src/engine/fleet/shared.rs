//! What every host of one fleet attempt shares: the runners, the command,
//! the values, and how one host's spec is made from them. Data only.

use crate::engine::process::Spec;
use crate::engine::redact::Redactor;
use crate::runner::StepRunner;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What every host of the attempt shares.
pub struct Shared {
    pub step: String,
    pub attempt: u32,
    pub session_dir: PathBuf,
    pub local: Arc<dyn StepRunner>,
    pub ssh: Arc<dyn StepRunner>,
    /// The shell argv and the command (the command last).
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    pub timeout: Option<Duration>,
    pub grace: Duration,
    pub drain: Duration,
    pub redactor: Arc<Redactor>,
    pub expect_exit: Vec<i32>,
    /// How ssh is called (for hints naming `ssh -F FILE HOST`).
    pub ssh_options: crate::runner::SshOptions,
}

impl Shared {
    /// The spec of one host: `TARGET` and `TARGET_INDEX` besides the values.
    pub fn spec(&self, host: &str, index: usize, log_path: PathBuf) -> Spec {
        let mut spec = Spec::new(self.argv.clone(), log_path);
        spec.env = self.env.clone();
        spec.env.push(("TARGET".into(), host.to_owned()));
        spec.env.push(("TARGET_INDEX".into(), index.to_string()));
        spec.cwd = self.cwd.clone();
        spec.timeout = self.timeout;
        spec.grace = self.grace;
        spec.drain = self.drain;
        spec.redactor = self.redactor.clone();
        spec
    }
}
