//! Issue #12, items 3, 5 and 8 through the real binary, as another user
//! with a shell on the same machine would try them: planted symbolic links
//! and loose permissions, secrets in argv and in encoded forms, and text
//! from files that would act on the operator's terminal.

use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "support/sessions.rs"]
mod sessions;
use sessions::*;

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Replaces `path` in the session folder by a link to `target`; returns
/// the original, moved aside.
fn plant_link(path: &Path, target: &Path) -> PathBuf {
    let aside = path.with_extension("aside");
    std::fs::rename(path, &aside).unwrap();
    std::os::unix::fs::symlink(target, path).unwrap();
    aside
}

#[test]
fn a_planted_link_in_a_session_folder_is_refused_and_never_written_through() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let (home, dir) = stopped_session(tmp.path());
    let id = id_of(&dir);
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let victim = outside.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    chmod(&victim, 0o644);
    for name in ["output", "journal.jsonl", "lock", "runbook.yaml"] {
        let target = if name == "output" { &outside } else { &victim };
        let aside = plant_link(&dir.join(name), target);
        let out = resume(&home, &id, &[]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {t}");
        assert!(
            t.contains("is a symbolic link") && t.contains("rm "),
            "{name}: {t}"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        let mode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{name}: the outside file was changed");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1, "{name}");
        std::fs::remove_file(dir.join(name)).unwrap();
        std::fs::rename(aside, dir.join(name)).unwrap();
    }
    let out = resume(&home, &id, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_home_or_session_folder_others_can_write_is_refused_with_the_chmod() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, dir) = stopped_session(tmp.path());
    let id = id_of(&dir);
    let journal = dir.join("journal.jsonl");
    let sessions = home.join("sessions");
    for (path, loose, private, fix) in [
        (&home, 0o777, 0o700, "chmod 700"),
        (&sessions, 0o777, 0o700, "chmod 700"),
        (&dir, 0o777, 0o700, "chmod 700"),
        (&dir, 0o770, 0o700, "chmod 700"),
        (&journal, 0o666, 0o600, "chmod 600"),
    ] {
        chmod(path, loose);
        let before = std::fs::read(&journal).unwrap();
        let out = resume(&home, &id, &[]);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{}: {t}", path.display());
        assert!(
            t.contains(&format!("{fix} {}", path.display())),
            "{}: {t}",
            path.display()
        );
        assert_eq!(std::fs::read(&journal).unwrap(), before);
        chmod(path, private);
    }
    chmod(&home, 0o777);
    let rb = runbook(tmp.path(), "fresh", &[("hello", "echo hi")]);
    let out = run(&home, &rb, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("chmod 700"), "{}", text(&out));
    chmod(&home, 0o700);
    // Whoever can write the trust store can trust runbooks for you.
    let store = home.join("trusted.json");
    chmod(&store, 0o666);
    let out = run(&home, &rb, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("chmod 600 {}", store.display())),
        "{}",
        text(&out)
    );
    chmod(&store, 0o600);
    let out = resume(&home, &id, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

const TOKEN: &str = "s3cr3t T0k/en+42";

/// A runbook whose step prints the secret whole, in base64 (two
/// alignments), hex and URL-encoded, then waits at a human step.
fn secret_runbook(dir: &Path) -> PathBuf {
    let path = dir.join("secret.yaml");
    std::fs::write(
        &path,
        "runbook: 1\nid: secret\ntitle: secret\ninputs:\n  TOKEN: { secret: true }\n\
         sections:\n  - title: S\n    steps:\n      - id: leak\n        title: leak\n        \
         run: |\n          echo \"raw $TOKEN\"\n          printf '%s' \"$TOKEN\" | base64\n          \
         printf 'user:%s' \"$TOKEN\" | base64\n          printf '%s' \"$TOKEN\" | od -An -tx1 | tr -d ' \\n'; echo\n          \
         printf '%s' \"$TOKEN\" | sed 's/ /%20/g; s#/#%2F#g; s/+/%2B/g'\n      \
         - id: wait\n        title: wait\n",
    )
    .unwrap();
    path
}

/// Every form of [`TOKEN`] a command above prints.
fn token_forms() -> Vec<String> {
    use std::process::Command;
    let sh = |script: &str| {
        let out = Command::new("bash")
            .args(["-c", script])
            .env("TOKEN", TOKEN)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    vec![
        TOKEN.to_owned(),
        sh("printf '%s' \"$TOKEN\" | base64"),
        sh("printf 'user:%s' \"$TOKEN\" | base64"),
        sh("printf '%s' \"$TOKEN\" | od -An -tx1 | tr -d ' \\n'"),
        "s3cr3t%20T0k%2Fen%2B42".to_owned(),
    ]
}

#[test]
fn a_secret_from_a_file_stdin_or_the_environment_works_and_its_encoded_forms_are_masked() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let rb = secret_runbook(tmp.path());
    let file = tmp.path().join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let forms = token_forms();
    // Each way: the step sees the value (its forms are printed, masked).
    let by_file = run(
        &tmp.path().join("h1"),
        &rb,
        &["--var-file", &format!("TOKEN={}", file.display())],
    );
    let by_env = stepwise(&tmp.path().join("h2"))
        .args(["run", "--headless", "--trust"])
        .arg(&rb)
        .env("STEPWISE_VAR_TOKEN", TOKEN)
        .output()
        .unwrap();
    let mut child = stepwise(&tmp.path().join("h3"))
        .args(["run", "--headless", "--trust", "--var-file", "TOKEN=-"])
        .arg(&rb)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{TOKEN}\n").as_bytes())
        .unwrap();
    let by_stdin = child.wait_with_output().unwrap();
    for (how, out, home) in [
        ("file", by_file, "h1"),
        ("env", by_env, "h2"),
        ("stdin", by_stdin, "h3"),
    ] {
        let t = text(&out);
        assert_eq!(out.status.code(), Some(4), "{how}: {t}");
        assert!(
            t.contains("leak | raw ••••••"),
            "{how}: the step got the value: {t}"
        );
        assert!(!t.contains("warning: --var"), "{how}: {t}");
        let home = tmp.path().join(home);
        let id = id_of(&only_session(&home));
        let mut all = t.clone() + &all_files_text(&home);
        for format in ["md", "html", "json"] {
            let out = stepwise(&home)
                .args(["export", &id, "--format", format])
                .output()
                .unwrap();
            all.push_str(&text(&out));
        }
        for form in &forms {
            assert!(!all.contains(form.as_str()), "{how}: `{form}` leaked:\n{t}");
        }
        assert!(
            t.contains("--var-file TOKEN=PATH"),
            "{how}: the resume hint: {t}"
        );
        assert!(t.contains("STEPWISE_VAR_TOKEN"), "{how}: {t}");
        assert!(
            !t.contains("--var TOKEN="),
            "{how}: the hint asks for argv: {t}"
        );
    }
}

#[test]
fn a_secret_given_with_var_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let rb = secret_runbook(tmp.path());
    let out = run(
        &tmp.path().join("home"),
        &rb,
        &["--var", &format!("TOKEN={TOKEN}")],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert!(
        t.contains("warning: --var TOKEN=… puts a secret on the command line, where every user"),
        "{t}"
    );
    assert!(t.contains("--var-file TOKEN=PATH"), "{t}");
    assert!(!t.contains(TOKEN), "{t}");
}

/// Neither stdout nor stderr holds an ESC or a BEL byte.
fn assert_inert(what: &str, out: &Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !bytes.iter().any(|&b| b == 0x1b || b == 0x07),
            "{what}: a raw control byte on {stream}:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[test]
fn runbook_text_and_paths_reach_the_terminal_only_inert() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let title = tmp.path().join("title.yaml");
    std::fs::write(
        &title,
        "runbook: 1\nid: t\ntitle: \"x\u{1b}]52;c;cGF5bG9hZA==\u{7}\u{1b}[2J\"\nsections:\n  - title: S\n    steps:\n      - title: a\n",
    )
    .unwrap();
    let out = stepwise(&home)
        .arg("validate")
        .arg(&title)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_inert("validate, a title", &out);
    assert!(
        text(&out).contains("␛]52;c;cGF5bG9hZA==␇␛[2J"),
        "{}",
        text(&out)
    );
    let comment = tmp.path().join("comment.yaml");
    std::fs::write(
        &comment,
        "runbook: 1\nid: c\n# \u{1b}]0;pwned\u{7} a comment\ntitle: c\ntimout: 3\nsections:\n  - title: S\n    steps:\n      - title: a\n",
    )
    .unwrap();
    let out = stepwise(&home)
        .arg("validate")
        .arg(&comment)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_inert("validate, a comment", &out);
    // A runbook file whose name holds an escape: the trust review, a dry
    // run's notes, and the warnings of a resume.
    let evil = tmp.path().join("evil\u{1b}]0;pwned\u{7}.yaml");
    std::fs::write(
        &evil,
        "runbook: 1\nid: e\ntitle: e\nsections:\n  - title: S\n    steps:\n      - id: wait\n        title: wait\n",
    )
    .unwrap();
    let out = stepwise(&home)
        .args(["run", "--headless"])
        .arg(&evil)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_inert("the trust review", &out);
    assert!(text(&out).contains("evil␛]0;pwned␇.yaml"), "{}", text(&out));
    let out = stepwise(&home)
        .args(["run", "--dry-run", "--var", "NO\u{1b}[2J=1"])
        .arg(&evil)
        .output()
        .unwrap();
    assert_inert("a dry run", &out);
    let out = run(&home, &evil, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    std::fs::write(
        &evil,
        std::fs::read_to_string(&evil).unwrap() + "# changed\n",
    )
    .unwrap();
    let out = stepwise(&home)
        .args(["resume", "--headless", "--answer", "wait=done"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("changed since this session started"),
        "{}",
        text(&out)
    );
    assert_inert("a resume's warnings", &out);
    let out = stepwise(&home)
        .args(["sessions", "--all"])
        .output()
        .unwrap();
    assert_inert("sessions", &out);
}
