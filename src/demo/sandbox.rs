//! `Sandbox`: builds the demo's throwaway deployment environment in a fresh
//! temporary folder, runs its service, hands out the runbook inputs that point
//! at it, and removes all of it afterwards.
//!
//! Lifecycle: `Sandbox::create()` → `start_service(exe)` → run the session
//! with `vars()` → `stop()` (or drop). Dropping always stops the service and,
//! unless `keep()` was called, removes the folder. The sandbox never writes
//! outside its folder and never uses the user's git configuration to build
//! the repository (identity, signing and hooks are pinned), so it works the
//! same on a fresh machine.

use crate::demo::files::{self, Release};
use crate::demo::service::HIDDEN_COMMAND;
use std::fs;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long the service may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How often start-up is checked.
const START_POLL: Duration = Duration::from_millis(20);
/// Where the demo's status updates go (the runbook's `updates` channel).
pub const UPDATES_FILE: &str = "updates.jsonl";

/// How long `stepwise demo` monitors health after the rollback.
const MONITOR_SECONDS: &str = "5";
const GIT_NAME: &str = "stepwise demo";
const GIT_EMAIL: &str = "demo@stepwise.invalid";

/// A demo deployment environment in a temporary folder. See `docs/demo.md`.
pub struct Sandbox {
    root: PathBuf,
    /// Removes the folder when dropped; `None` once `keep` was called.
    dir: Option<TempDir>,
    service: Option<Child>,
    port: Option<u16>,
}

impl Sandbox {
    /// Build a sandbox in a new folder under the system's temporary folder:
    /// the repository with its releases, the deployed broken release, the
    /// live configuration, the log and the scripts. The service is not
    /// started yet.
    pub fn create() -> io::Result<Sandbox> {
        let dir = tempfile::Builder::new()
            .prefix("stepwise-demo-")
            .tempdir()?;
        let root = dir.path().to_path_buf();
        check_usable_path(&root)?;
        let sandbox = Sandbox {
            root,
            dir: Some(dir),
            service: None,
            port: None,
        };
        sandbox.populate()?;
        Ok(sandbox)
    }

    /// The sandbox folder.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The port the service listens on, once started.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The service's process id, while it runs.
    pub fn service_pid(&self) -> Option<u32> {
        self.service.as_ref().map(Child::id)
    }

    /// `http://127.0.0.1:PORT/health`, once the service is started.
    pub fn health_url(&self) -> Option<String> {
        self.port
            .map(|port| format!("http://127.0.0.1:{port}/health"))
    }

    /// Start the service (`stepwise_exe __serve-demo`) and wait until it
    /// answers on its port. The sandbox owns the process: `stop`, `Drop` and
    /// `keep` all stop it. Returns its process id.
    pub fn start_service(&mut self, stepwise_exe: &Path) -> io::Result<u32> {
        if let Some(pid) = self.service_pid() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("the demo service is already running (pid {pid})"),
            ));
        }
        let port_file = self.root.join(files::SERVICE_PORT);
        remove_if_present(&port_file)?;
        let output = fs::File::create(self.root.join(files::SERVICE_OUTPUT))?;
        let child = Command::new(stepwise_exe)
            .arg(HIDDEN_COMMAND)
            .arg("--dir")
            .arg(&self.root)
            .arg("--port-file")
            .arg(&port_file)
            .arg("--parent")
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .spawn()
            .map_err(|err| {
                io::Error::new(
                    err.kind(),
                    format!("cannot start {}: {err}", stepwise_exe.display()),
                )
            })?;
        let pid = child.id();
        self.service = Some(child);
        match self.wait_until_listening(&port_file) {
            Ok(port) => {
                self.port = Some(port);
                Ok(pid)
            }
            Err(err) => {
                self.stop_service();
                Err(err)
            }
        }
    }

    /// The updates the runbook's `file` channel wrote, one JSON line each.
    pub fn updates_file(&self) -> PathBuf {
        self.root.join(UPDATES_FILE)
    }

    /// The runbook inputs that point `runbooks/rollback.yaml` at this sandbox,
    /// to be given exactly like `--var NAME=VALUE`. `CURRENT_TAG` and
    /// `STABLE_TAG` are absent on purpose: the runbook discovers them from
    /// `REPO_DIR` with `default_from`. `INSTANCES` names the three instances
    /// the deploy step rolls back as a fleet. `HEALTH_URL` is present once the
    /// service is started.
    pub fn vars(&self) -> Vec<(String, String)> {
        let bin = |script: &str| self.root.join("bin").join(script).display().to_string();
        let mut vars = vec![
            (
                "REPO_DIR",
                self.root.join(files::REPO_DIR).display().to_string(),
            ),
            ("HTTP_GET", bin("http-get")),
            ("DEPLOY_CMD", format!("{} --during-pause", bin("deploy"))),
            ("PAUSE_DEPLOYS_CMD", bin("pause-deploys")),
            ("RESUME_DEPLOYS_CMD", bin("resume-deploys")),
            ("CONFIG_CMD", bin("switch-config")),
            ("LOG_CMD", format!("{} 200", bin("tail-log"))),
            ("RESOURCES_CMD", bin("resources")),
            ("MONITOR_SECONDS", MONITOR_SECONDS.to_string()),
            ("INSTANCES", files::INSTANCES.join(" ")),
            (
                "UPDATES_FILE",
                self.root.join(UPDATES_FILE).display().to_string(),
            ),
        ];
        if let Some(url) = self.health_url() {
            vars.insert(1, ("HEALTH_URL", url));
        }
        vars.into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect()
    }

    /// Keep the folder after the sandbox is dropped (`stepwise demo --keep`)
    /// and return where it is. The service is still stopped on drop.
    pub fn keep(&mut self) -> PathBuf {
        if let Some(dir) = self.dir.take() {
            let _kept = dir.keep();
        }
        self.root.clone()
    }

    /// Stop the service and remove the folder (unless kept), reporting a
    /// folder that could not be removed.
    pub fn stop(mut self) -> io::Result<()> {
        self.stop_service();
        match self.dir.take() {
            Some(dir) => dir.close(),
            None => Ok(()),
        }
    }

    /// Kill the service and reap it, so no process (not even a zombie) is left.
    fn stop_service(&mut self) {
        if let Some(mut child) = self.service.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.port = None;
        let _ = fs::remove_file(self.root.join(files::SERVICE_PORT));
        let _ = fs::remove_file(self.root.join(files::SERVICE_PID));
    }

    fn wait_until_listening(&mut self, port_file: &Path) -> io::Result<u16> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.service.as_mut().and_then(|c| c.try_wait().ok()?) {
                return Err(io::Error::other(format!(
                    "the demo service exited ({status}) before listening: {}",
                    self.service_output().trim()
                )));
            }
            if let Some(port) = read_port(port_file).filter(|port| answers(*port)) {
                return Ok(port);
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the demo service did not listen within {START_TIMEOUT:?}: {}",
                        self.service_output().trim()
                    ),
                ));
            }
            std::thread::sleep(START_POLL);
        }
    }

    fn service_output(&self) -> String {
        fs::read_to_string(self.root.join(files::SERVICE_OUTPUT)).unwrap_or_default()
    }

    fn populate(&self) -> io::Result<()> {
        for dir in files::DIRS {
            fs::create_dir_all(self.root.join(dir))?;
        }
        self.write_scripts()?;
        self.build_repository()?;
        self.deploy_broken_release()?;
        self.write_live_config()?;
        fs::write(self.root.join(files::SERVICE_LOG), incident_log())
    }

    fn write_scripts(&self) -> io::Result<()> {
        for (name, text) in files::SCRIPTS {
            let path = self.root.join("bin").join(name);
            fs::write(&path, text)?;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }

    fn build_repository(&self) -> io::Result<()> {
        let repo = self.root.join(files::REPO_DIR);
        git(&repo, &["init", "--quiet"], None)?;
        for release in &files::HISTORY {
            commit_release(&repo, release)?;
        }
        Ok(())
    }

    /// Every instance gets its own clone, at the broken release.
    fn deploy_broken_release(&self) -> io::Result<()> {
        for name in files::INSTANCES {
            let dest = format!("{}/{name}", files::DEPLOYED_DIR);
            git(
                &self.root,
                &["clone", "--quiet", files::REPO_DIR, &dest],
                None,
            )?;
            git(
                &self.root.join(&dest),
                &["checkout", "--quiet", "--detach", files::BROKEN_TAG],
                None,
            )?;
        }
        Ok(())
    }

    fn write_live_config(&self) -> io::Result<()> {
        let releases = self.root.join(files::CONFIG_RELEASES_DIR);
        for tag in files::HISTORY.iter().filter_map(|r| r.tag) {
            fs::write(releases.join(format!("{tag}.conf")), files::live_conf(tag))?;
        }
        fs::write(
            self.root.join(files::LIVE_CONFIG),
            files::live_conf(files::BROKEN_TAG),
        )
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_service();
        // `self.dir`, if still held, removes the folder as it drops.
    }
}

/// Commands get sandbox paths as unquoted words (`$DEPLOY_CMD "$STABLE_TAG"`),
/// so the path must be UTF-8 without spaces or glob characters.
fn check_usable_path(root: &Path) -> io::Result<()> {
    let ok = root.to_str().is_some_and(|s| {
        !s.chars()
            .any(|c| c.is_whitespace() || "*?[]'\"\\$`".contains(c))
    });
    if ok {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "the demo sandbox path {} contains spaces or special characters; \
             set TMPDIR to a plain folder such as /tmp",
            root.display()
        ),
    ))
}

fn commit_release(repo: &Path, release: &Release) -> io::Result<()> {
    fs::write(repo.join("README.md"), files::README)?;
    fs::write(repo.join("VERSION"), format!("{}\n", release.version))?;
    fs::write(repo.join("service.conf"), files::release_conf(release))?;
    let changelog = repo.join("CHANGELOG.md");
    let previous = fs::read_to_string(&changelog).unwrap_or_default();
    fs::write(&changelog, format!("{}\n{previous}", release.changelog))?;
    let date = Some(release.date);
    git(repo, &["add", "--all"], date)?;
    git(repo, &["commit", "--quiet", "-m", release.message], date)?;
    if let Some(tag) = release.tag {
        let message = format!("demo-service {tag}");
        git(repo, &["tag", "-a", tag, "-m", &message], date)?;
    }
    Ok(())
}

/// Run git for building the sandbox, isolated from the user's and the
/// system's git configuration and from any `GIT_DIR` in the environment.
fn git(cwd: &Path, args: &[&str], date: Option<&str>) -> io::Result<()> {
    let mut cmd = Command::new("git");
    cmd.current_dir(cwd)
        .args(["-c", &format!("user.name={GIT_NAME}")])
        .args(["-c", &format!("user.email={GIT_EMAIL}")])
        .args(["-c", "init.defaultBranch=main"])
        .args(["-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false"])
        .args(["-c", "core.hooksPath=/dev/null"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", GIT_NAME)
        .env("GIT_AUTHOR_EMAIL", GIT_EMAIL)
        .env("GIT_COMMITTER_NAME", GIT_NAME)
        .env("GIT_COMMITTER_EMAIL", GIT_EMAIL)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null());
    if let Some(date) = date {
        cmd.env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date);
    }
    let output = cmd.output().map_err(|err| {
        let hint = if err.kind() == io::ErrorKind::NotFound {
            " (the demo needs git on PATH)"
        } else {
            ""
        };
        io::Error::new(err.kind(), format!("cannot run git{hint}: {err}"))
    })?;
    if output.status.success() {
        return Ok(());
    }
    Err(io::Error::other(format!(
        "git {} failed ({}): {}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr).trim()
    )))
}

/// The log as the on-call engineer finds it: the broken deploy twelve minutes
/// ago, errors since.
fn incident_log() -> String {
    let now = chrono::Utc::now();
    let at = |minutes: i64| (now - chrono::Duration::minutes(minutes)).format("%Y-%m-%dT%H:%M:%SZ");
    let error = "error: cache backend \"cluster\" unreachable: connection refused";
    [
        format!("{} INFO GET /health 200 version=v1.4.2", at(15)),
        format!("{} INFO deploy v1.5.0 (was v1.4.2)", at(12)),
        format!("{} ERROR GET /health 500 version=v1.5.0 {error}", at(12)),
        format!("{} ERROR GET /checkout 500 version=v1.5.0 {error}", at(9)),
        format!("{} ERROR GET /health 500 version=v1.5.0 {error}", at(4)),
    ]
    .join("\n")
        + "\n"
}

fn read_port(port_file: &Path) -> Option<u16> {
    fs::read_to_string(port_file).ok()?.trim().parse().ok()
}

fn answers(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_spaces_are_refused() {
        assert!(check_usable_path(Path::new("/tmp/stepwise-demo-x")).is_ok());
        assert!(check_usable_path(Path::new("/tmp/my dir/x")).is_err());
        assert!(check_usable_path(Path::new("/tmp/a$b")).is_err());
    }

    #[test]
    fn incident_log_shows_the_broken_deploy() {
        let log = incident_log();
        assert!(log.contains("INFO deploy v1.5.0"));
        assert_eq!(log.lines().filter(|l| l.contains(" ERROR ")).count(), 3);
    }
}
