//! The demo sandbox, end to end: its repository, its service, its scripts,
//! and a "script walk" that runs every automated step of the real
//! `runbooks/rollback.yaml` against it, in order, exactly as the runbook's
//! default shell would (`bash -eo pipefail -c`), with the sandbox's inputs.
//!
//! The runbook is read with a minimal struct here, not the project's loader,
//! so this test checks the sandbox and the runbook's commands, not the loader.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::fs;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use stepwise::demo::Sandbox;

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_stepwise"))
}

fn started() -> Sandbox {
    let mut sandbox = Sandbox::create().expect("sandbox");
    sandbox.start_service(&exe()).expect("service starts");
    sandbox
}

/// Run `script` as the runbook's default shell would, with `env` added.
fn bash(script: &str, env: &[(String, String)]) -> Output {
    Command::new("bash")
        .args(["-eo", "pipefail", "-c", script])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("bash runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn health(sandbox: &Sandbox) -> Output {
    bash(r#"$HTTP_GET "$HEALTH_URL""#, &sandbox.vars())
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn repository_has_the_good_and_the_broken_release_and_the_broken_one_is_deployed() {
    let sandbox = Sandbox::create().unwrap();
    let repo = sandbox.path().join("repo");
    let tags = git(&repo, &["tag", "--list"]);
    assert!(tags.lines().any(|t| t == "v1.4.2"), "{tags}");
    assert!(tags.lines().any(|t| t == "v1.5.0"), "{tags}");
    assert_eq!(
        git(&repo, &["describe", "--tags", "--abbrev=0", "HEAD"]),
        "v1.5.0"
    );
    assert_eq!(
        git(&repo, &["describe", "--tags", "--abbrev=0", "v1.5.0^"]),
        "v1.4.2"
    );
    for instance in ["blue-1", "blue-2", "blue-3"] {
        let version = sandbox
            .path()
            .join("deployed")
            .join(instance)
            .join("VERSION");
        let deployed = fs::read_to_string(version).unwrap();
        assert_eq!(deployed.trim(), "v1.5.0", "{instance}");
    }
    for script in [
        "deploy",
        "pause-deploys",
        "resume-deploys",
        "switch-config",
        "tail-log",
        "resources",
        "http-get",
    ] {
        let meta = fs::metadata(sandbox.path().join("bin").join(script)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o700, "{script}");
    }
}

#[test]
fn health_is_500_before_the_deploy_and_200_after() {
    let sandbox = started();
    let before = health(&sandbox);
    assert_eq!(before.status.code(), Some(22), "{}", text(&before.stderr));
    assert!(text(&before.stdout).contains(r#""version":"v1.5.0","status":"error""#));
    assert!(text(&before.stderr).contains("answered 500"));

    let deploy = bash(r#"$DEPLOY_CMD v1.4.2"#, &sandbox.vars());
    assert!(deploy.status.success(), "{}", text(&deploy.stderr));
    for name in ["blue-1", "blue-2", "blue-3"] {
        let said = format!("deploy [{name}]: v1.5.0 -> v1.4.2");
        assert!(text(&deploy.stdout).contains(&said), "{said}");
    }

    let after = health(&sandbox);
    assert!(after.status.success(), "{}", text(&after.stderr));
    assert!(text(&after.stdout).contains(r#""version":"v1.4.2","status":"ok""#));

    let log = fs::read_to_string(sandbox.path().join("log/service.log")).unwrap();
    assert!(
        log.contains("ERROR GET /health 500 version=v1.5.0"),
        "{log}"
    );
    assert!(log.contains("INFO deploy v1.4.2 (was v1.5.0)"), "{log}");
    assert!(log.contains("GET /health 200 version=v1.4.2"), "{log}");
}

#[test]
fn plain_bin_deploy_works_and_a_pause_stops_it_unless_overridden() {
    let sandbox = started();
    let bin = sandbox.path().join("bin");
    let run = |script: &str, args: &[&str]| {
        Command::new(bin.join(script))
            .args(args)
            .envs(sandbox.vars())
            .output()
            .unwrap()
    };
    assert!(run("pause-deploys", &[]).status.success());
    assert!(run("pause-deploys", &[]).status.success(), "idempotent");
    let refused = run("deploy", &["v1.4.2"]);
    assert_eq!(refused.status.code(), Some(3));
    assert!(text(&refused.stderr).contains("deployments are paused"));
    assert!(health(&sandbox).status.code() == Some(22), "still broken");

    assert!(
        run("deploy", &["--during-pause", "v1.4.2"])
            .status
            .success()
    );
    assert!(health(&sandbox).status.success());
    assert!(run("resume-deploys", &[]).status.success());
    assert!(run("deploy", &["v1.5.0"]).status.success());
    assert_eq!(health(&sandbox).status.code(), Some(22));
    assert_eq!(run("deploy", &["v9.9.9"]).status.code(), Some(4));
    assert_eq!(run("deploy", &["--upload-pack=x"]).status.code(), Some(2));
}

/// `TARGET` names the one instance a deploy acts on (the runbook's fleet
/// step sets it per host); the whole service is healthy only once every
/// instance is.
#[test]
fn a_deploy_with_target_rolls_back_that_instance_only() {
    let sandbox = started();
    let with_target = |target: &str| {
        let mut env = sandbox.vars();
        env.push(("TARGET".into(), target.into()));
        bash(r#"$DEPLOY_CMD v1.4.2"#, &env)
    };
    let instance = |name: &str| {
        let url = format!("http://127.0.0.1:{}/{name}/health", sandbox.port().unwrap());
        bash(&format!(r#"$HTTP_GET {url}"#), &sandbox.vars())
    };
    let canary = with_target("blue-1");
    assert!(canary.status.success(), "{}", text(&canary.stderr));
    let said = text(&canary.stdout);
    assert!(said.contains("deploy: v1.5.0 -> v1.4.2"), "{said}");
    assert!(said.contains(r#""instance":"blue-1""#), "{said}");
    assert!(!said.contains("blue-2"), "{said}");
    assert!(instance("blue-1").status.success());
    assert_eq!(instance("blue-2").status.code(), Some(22));
    let whole = health(&sandbox);
    assert_eq!(whole.status.code(), Some(22));
    assert!(text(&whole.stdout).contains(r#""healthy":"1/3""#));
    for name in ["blue-2", "blue-3"] {
        assert!(with_target(name).status.success());
    }
    let whole = health(&sandbox);
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    assert!(text(&whole.stdout).contains(r#""healthy":"3/3""#));
    assert_eq!(with_target("blue-9").status.code(), Some(4));
    assert_eq!(with_target("../repo").status.code(), Some(4));
}

#[test]
fn two_sandboxes_at_once_get_different_ports_and_folders() {
    let a = started();
    let b = started();
    assert_ne!(a.port(), b.port());
    assert_ne!(a.path(), b.path());
    bash(r#"$DEPLOY_CMD v1.4.2"#, &a.vars());
    assert!(health(&a).status.success());
    assert_eq!(health(&b).status.code(), Some(22), "b is untouched");
}

#[test]
fn stop_removes_the_folder_and_the_server() {
    let sandbox = started();
    let dir = sandbox.path().to_path_buf();
    let pid = sandbox.service_pid().unwrap();
    assert!(pid_alive(pid));
    sandbox.stop().unwrap();
    assert!(!dir.exists());
    assert!(!pid_alive(pid), "server {pid} still running");
}

#[test]
fn drop_cleans_up_too_and_keep_keeps_only_the_folder() {
    let dropped = started();
    let (dir, pid) = (dropped.path().to_path_buf(), dropped.service_pid().unwrap());
    drop(dropped);
    assert!(!dir.exists() && !pid_alive(pid));

    let mut kept = started();
    let pid = kept.service_pid().unwrap();
    let dir = kept.keep();
    drop(kept);
    assert!(dir.join("repo/.git").is_dir(), "kept");
    assert!(!pid_alive(pid), "service stopped even when kept");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn starting_twice_is_refused() {
    let mut sandbox = started();
    assert!(sandbox.start_service(&exe()).is_err());
}

#[test]
fn resources_sees_the_service_and_says_when_it_is_gone() {
    let mut sandbox = Sandbox::create().unwrap();
    let not_running = bash("$RESOURCES_CMD", &sandbox.vars());
    assert!(!not_running.status.success());
    assert!(text(&not_running.stdout).contains("NOT RUNNING"));
    sandbox.start_service(&exe()).unwrap();
    let running = bash("$RESOURCES_CMD", &sandbox.vars());
    assert!(running.status.success(), "{}", text(&running.stderr));
    assert!(text(&running.stdout).contains("Threads:"));
}

// ---- the script walk -------------------------------------------------------

/// A YAML mapping with its order kept (the order of inputs matters).
struct Ordered<T>(Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

#[derive(serde::Deserialize)]
struct Doc {
    inputs: Ordered<InputDef>,
    #[serde(default)]
    env: Ordered<String>,
    sections: Vec<SectionDef>,
    follow_up: Vec<String>,
}

#[derive(serde::Deserialize)]
struct InputDef {
    default: Option<String>,
    default_from: Option<String>,
}

#[derive(serde::Deserialize)]
struct SectionDef {
    title: String,
    #[serde(default)]
    optional: bool,
    steps: Vec<StepDef>,
}

#[derive(serde::Deserialize)]
struct StepDef {
    id: String,
    run: Option<String>,
    /// A fleet step: run once per host, `TARGET` set (here: the instances).
    on: Option<String>,
    on_failure: Option<String>,
    capture: Option<String>,
    retry: Option<RetryDef>,
    #[serde(default)]
    checklist: Vec<String>,
    #[serde(default)]
    confirm: bool,
}

#[derive(serde::Deserialize)]
struct RetryDef {
    attempts: u32,
}

fn rollback_runbook() -> Doc {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/rollback.yaml");
    serde_saphyr::from_str(&fs::read_to_string(path).unwrap()).expect("rollback.yaml parses")
}

/// The session's environment as the engine builds it: the sandbox's values
/// (like `--var`), then each other input from `default_from` (run with the
/// inputs before it) or `default`, then the runbook's `env`.
fn session_env(doc: &Doc, sandbox: &Sandbox) -> Vec<(String, String)> {
    let given = sandbox.vars();
    let mut env = Vec::new();
    for (name, input) in &doc.inputs.0 {
        let value = if let Some((_, v)) = given.iter().find(|(k, _)| k == name) {
            v.clone()
        } else if let Some(cmd) = &input.default_from {
            let out = bash(cmd, &env);
            assert!(
                out.status.success(),
                "default_from of {name}: {}",
                text(&out.stderr)
            );
            text(&out.stdout).trim().to_string()
        } else {
            input
                .default
                .clone()
                .unwrap_or_else(|| panic!("no value for {name}"))
        };
        env.push((name.clone(), value));
    }
    env.extend(doc.env.0.iter().cloned());
    env
}

/// Run one automated step with its retries; returns the last attempt.
fn run_step(step: &StepDef, run: &str, env: &[(String, String)]) -> Output {
    let attempts = step.retry.as_ref().map_or(1, |r| r.attempts);
    let mut out = bash(run, env);
    for _ in 1..attempts {
        if out.status.success() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        out = bash(run, env);
    }
    out
}

/// A fleet step on `instances`: once per name in INSTANCES, in order, with
/// `TARGET` and `TARGET_INDEX` set as the engine sets them; stops at the
/// first failure (the runbook allows none); the outputs joined.
fn run_on_instances(step: &StepDef, run: &str, env: &[(String, String)]) -> Output {
    let (_, names) = env.iter().find(|(k, _)| k == "INSTANCES").unwrap();
    assert_eq!(names, "blue-1 blue-2 blue-3", "the demo's three instances");
    let mut all: Option<Output> = None;
    for (i, name) in names.split(' ').enumerate() {
        let mut host_env = env.to_vec();
        host_env.push(("TARGET".into(), name.into()));
        host_env.push(("TARGET_INDEX".into(), i.to_string()));
        let out = run_step(step, run, &host_env);
        let ok = out.status.success();
        all = Some(match all {
            None => out,
            Some(mut prev) => {
                prev.stdout.extend(out.stdout);
                prev.stderr.extend(out.stderr);
                prev.status = out.status;
                prev
            }
        });
        if !ok {
            break;
        }
    }
    all.unwrap()
}

#[test]
fn script_walk_every_automated_step_of_rollback_yaml_against_the_sandbox() {
    let sandbox = started();
    let doc = rollback_runbook();
    let mut env = session_env(&doc, &sandbox);
    let value = |env: &[(String, String)], k: &str| {
        env.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        value(&env, "CURRENT_TAG"),
        "v1.5.0",
        "discovered by default_from"
    );
    assert_eq!(
        value(&env, "STABLE_TAG"),
        "v1.4.2",
        "discovered by default_from"
    );

    let mut ran = Vec::new();
    for step in doc.sections.iter().flat_map(|s| &s.steps) {
        let Some(run) = &step.run else { continue };
        let out = match step.on.as_deref() {
            Some("instances") => run_on_instances(step, run, &env),
            Some(other) => panic!("unknown target {other}"),
            None => run_step(step, run, &env),
        };
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        if step.on_failure.as_deref() == Some("continue") {
            assert!(
                !out.status.success(),
                "{} fails before the rollback",
                step.id
            );
        } else {
            assert!(
                out.status.success(),
                "step {} failed:\n{stdout}\n{stderr}",
                step.id
            );
        }
        if let Some(name) = &step.capture {
            env.push((name.clone(), stdout.trim().to_string()));
        }
        ran.push((step.id.clone(), stdout));
    }

    let output = |id: &str| &ran.iter().find(|(s, _)| s == id).unwrap().1;
    assert!(output("health-before").contains(r#""status":"error""#));
    assert!(output("changes-undone").contains("use the cluster cache"));
    assert!(output("pause-deploys").contains("deployments paused"));
    let deploy = output("deploy-stable");
    assert_eq!(
        deploy.matches("deploy: v1.5.0 -> v1.4.2").count(),
        3,
        "{deploy}"
    );
    for name in ["blue-1", "blue-2", "blue-3"] {
        assert!(
            deploy.contains(&format!(r#""instance":"{name}""#)),
            "{deploy}"
        );
    }
    assert!(output("update-config").contains("release = v1.4.2"));
    assert!(output("test-rollback").contains(r#""version":"v1.4.2","status":"ok""#));
    assert!(output("monitor").contains(", 0 failed in 5 s"));
    assert!(output("resume-deploys").contains("deployments resumed"));
    assert!(output("review-logs").contains("error line(s)"));
    assert!(output("check-resources").contains("pid:"));
    assert_eq!(ran.len(), 12, "every automated step ran");

    let root = sandbox.path();
    let stable_commit = git(&root.join("repo"), &["rev-parse", "v1.4.2^{commit}"]);
    assert_eq!(value(&env, "STABLE_COMMIT"), stable_commit);
    assert_eq!(
        git(&root.join("repo"), &["rev-parse", "HEAD"]),
        stable_commit
    );
    assert!(!root.join("state/deploy.lock").exists());
    let live = fs::read_to_string(root.join("etc/service.conf")).unwrap();
    assert!(live.contains("release = v1.4.2"));
}

#[test]
fn rollback_yaml_keeps_every_part_of_the_procedure() {
    let doc = rollback_runbook();
    let titles: Vec<_> = doc.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Pre-rollback checks",
            "Steps for rolling back",
            "Post-rollback actions",
            "Communication plan",
            "Troubleshooting"
        ]
    );
    let optional: Vec<_> = doc.sections.iter().map(|s| s.optional).collect();
    assert_eq!(optional, [false, false, false, false, true]);
    let steps = |i: usize| doc.sections[i].steps.len();
    assert_eq!(
        (steps(0), steps(1), steps(2), steps(3), steps(4)),
        (6, 5, 5, 2, 4)
    );
    let parties = doc
        .sections
        .iter()
        .flat_map(|s| &s.steps)
        .find(|s| !s.checklist.is_empty())
        .map(|s| s.checklist.len());
    assert_eq!(parties, Some(4));
    assert_eq!(doc.follow_up.len(), 4);
    let deploy = doc.sections[1]
        .steps
        .iter()
        .find(|s| s.id == "deploy-stable");
    assert!(deploy.is_some_and(|s| s.confirm));
}
