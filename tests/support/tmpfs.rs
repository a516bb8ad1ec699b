//! A tmpfs mounted on a folder for a test's length: a small disk a step can
//! fill up. Mounting needs root; where it is not allowed the test is
//! skipped with a line saying why, except with `CI` set, where it fails
//! (CI runs as root: a skip there would hide the disk-full promises).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Tmpfs(PathBuf);

fn words(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`1m`, `2m`) on `dir`, made if missing;
    /// `None` (said on stderr) where that is not allowed outside CI.
    pub fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output();
        let why = match out {
            Ok(o) if o.status.success() => return Some(Tmpfs(dir.to_owned())),
            Ok(o) => words(&o),
            Err(e) => format!("cannot run mount: {e}"),
        };
        if std::env::var_os("CI").is_some() {
            panic!("a tmpfs cannot be mounted, and CI is set: {why}");
        }
        eprintln!("skipped: a tmpfs cannot be mounted here: {why}");
        None
    }

    /// Gives the disk room again: `size` is its new size.
    pub fn grow(&self, size: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(out.status.success(), "remount: {}", words(&out));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}
