//! Helpers for tests that run the real `stepwise` binary: a command with its
//! own stepwise home, the combined output text, the session folders.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `stepwise` with `STEPWISE_HOME` set and colours as a terminal would have them.
pub fn stepwise(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stepwise"));
    c.env("STEPWISE_HOME", home).env_remove("NO_COLOR");
    c
}

/// stdout followed by stderr, lossily decoded.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every entry of the home's `sessions/` folder, sorted.
pub fn session_dirs(home: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(home.join("sessions"))
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Every file under a folder, as text, one after another: for checking
/// what stepwise left on disk (a secret must be nowhere in it).
pub fn all_files_text(dir: &Path) -> String {
    let mut out = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.push_str(&all_files_text(&p));
        } else if p.is_file() {
            // Regular files only: a step's monitor may still hold its socket
            // for a moment after stepwise exits (reading one gives ENXIO),
            // and removes it then (gone between the listing and the read).
            match std::fs::read(&p) {
                Ok(bytes) => out.push_str(&String::from_utf8_lossy(&bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => panic!("{}: {e}", p.display()),
            }
        }
    }
    out
}
