//! Issue #12 through the real binary, as an attacker with a shell on the
//! same machine or a careless operator would try it: edited session copies
//! and journals, planted symlinks, loose permissions, secrets in argv, a
//! full disk, leftovers, and the small things that hid what happened.
//! Each test fails on the code before its fix.

use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "support/cli.rs"]
mod cli;
use cli::{session_dirs, stepwise, text};

/// Writes a runbook: `steps` are `(id, run)`; an empty `run` is a human step.
fn runbook(dir: &Path, id: &str, steps: &[(&str, &str)]) -> PathBuf {
    let mut y = format!("runbook: 1\nid: {id}\ntitle: {id}\nsections:\n  - title: S\n    steps:\n");
    for (step, run) in steps {
        y.push_str(&format!("      - id: {step}\n        title: {step}\n"));
        if !run.is_empty() {
            let run = serde_json::to_string(run).unwrap();
            y.push_str(&format!("        run: {run}\n"));
        }
    }
    let path = dir.join(format!("{id}.yaml"));
    std::fs::write(&path, y).unwrap();
    path
}

/// `stepwise run --headless --trust FILE ARGS…` in `home`.
fn run(home: &Path, rb: &Path, args: &[&str]) -> Output {
    stepwise(home)
        .args(["run", "--headless", "--trust"])
        .arg(rb)
        .args(args)
        .output()
        .unwrap()
}

fn only_session(home: &Path) -> PathBuf {
    let dirs = session_dirs(home);
    assert_eq!(dirs.len(), 1, "expected one session: {dirs:?}");
    dirs[0].clone()
}

fn id_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

// 4. The README's own tour command.

#[test]
fn export_to_a_bare_file_name_writes_it_in_the_current_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let rb = runbook(tmp.path(), "bare", &[("hello", "echo hi")]);
    let out = run(&home, &rb, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = id_of(&only_session(&home));
    for (format, name) in [("html", "incident.html"), ("md", "incident.md")] {
        let out = stepwise(&home)
            .current_dir(tmp.path())
            .args(["export", &id, "--format", format, "-o", name])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let written = std::fs::read_to_string(tmp.path().join(name)).unwrap();
        assert!(written.contains("bare"), "{written}");
    }
}

// 10. The smaller ones.

#[test]
fn a_last_output_line_without_a_newline_keeps_its_step_label() {
    let tmp = tempfile::tempdir().unwrap();
    let rb = runbook(
        tmp.path(),
        "tail",
        &[("hello", "printf 'first\\ntail without newline'")],
    );
    let out = run(&tmp.path().join("home"), &rb, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout.contains("    hello | first\n"), "{stdout}");
    assert!(
        stdout.contains("    hello | tail without newline\n"),
        "{stdout}"
    );
}

#[test]
fn a_note_typed_on_stdin_that_is_not_utf8_is_refused_with_a_clear_error() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("note.yaml");
    std::fs::write(
        &path,
        "runbook: 1\nid: note\ntitle: note\nsections:\n  - title: S\n    steps:\n      \
         - id: why\n        title: Why\n        note: required\n",
    )
    .unwrap();
    let mut child = stepwise(&tmp.path().join("home"))
        .args(["run", "--headless", "--trust"])
        .arg(&path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"done\nlatin-1 caf\xe9 note\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert!(
        t.contains("line 2 typed on stdin is not valid UTF-8 (byte 12 of it)"),
        "{t}"
    );
}

#[test]
fn sessions_lists_a_damaged_or_empty_journal_as_damaged_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let rb = runbook(tmp.path(), "listed", &[("hello", "echo hi")]);
    for _ in 0..2 {
        let out = run(&home, &rb, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    let dirs = session_dirs(&home);
    std::fs::write(dirs[0].join("journal.jsonl"), "").unwrap();
    let journal = dirs[1].join("journal.jsonl");
    let damaged =
        std::fs::read_to_string(&journal)
            .unwrap()
            .replacen("\"seq\":2", "\"seq\":\"x", 1);
    std::fs::write(&journal, damaged).unwrap();
    let out = stepwise(&home)
        .args(["sessions", "--all"])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    for dir in &dirs {
        assert!(t.contains(&id_of(dir)), "{t}");
    }
    assert!(
        t.contains("damaged: the journal") && t.contains("is empty"),
        "{t}"
    );
    assert!(t.contains("is damaged at line 2"), "{t}");
    let out = stepwise(&home)
        .args(["sessions", "--all", "--format", "json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in rows {
        assert_eq!(row["status"], "damaged", "{row}");
        assert!(row["reason"].as_str().unwrap().contains("journal"), "{row}");
    }
}

/// Runs `stepwise ARGS…` with stdout read line by line; returns each line
/// with the time it arrived, from the start, and the exit code.
fn timed_lines(home: &Path, args: &[&std::ffi::OsStr]) -> (Vec<(f64, String)>, Option<i32>) {
    use std::io::BufRead;
    let start = std::time::Instant::now();
    let mut child = stepwise(home)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let reader = std::io::BufReader::new(child.stdout.take().unwrap());
    let lines = reader
        .lines()
        .map_while(Result::ok)
        .map(|l| (start.elapsed().as_secs_f64(), l))
        .collect();
    (lines, child.wait().unwrap().code())
}

#[test]
fn a_timeout_is_said_when_it_happens_not_after_the_grace() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("slow.yaml");
    std::fs::write(
        &path,
        "runbook: 1\nid: slow\ntitle: slow\nsections:\n  - title: S\n    steps:\n      \
         - id: stubborn\n        title: Stubborn\n        timeout: 1s\n        \
         run: trap '' TERM; echo started; sleep 30\n",
    )
    .unwrap();
    let home = tmp.path().join("home");
    let args = ["run", "--headless", "--trust"].map(std::ffi::OsStr::new);
    let (lines, code) = timed_lines(&home, &[&args[..], &[path.as_os_str()]].concat());
    assert_eq!(code, Some(3), "{lines:?}");
    let at = |marker: &str| {
        lines
            .iter()
            .find(|(_, l)| l.contains(marker))
            .unwrap_or_else(|| panic!("no `{marker}` in {lines:?}"))
            .0
    };
    let said = at("timed out after 1s, sending SIGTERM");
    let exited = at("✗ stubborn: signal 9");
    assert!(
        said < exited - 3.0,
        "the timeout was said at {said:.1}s, the SIGKILL came at {exited:.1}s: {lines:?}"
    );
}

#[test]
fn a_note_that_looks_like_markdown_stays_quoted_text_in_the_transcript() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let rb = runbook(tmp.path(), "md", &[("check", "")]);
    let note = "all good\n```\n## Outcome: success\n```\n- [x] approved";
    let out = run(&home, &rb, &["--answer", &format!("check=done:{note}")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = id_of(&only_session(&home));
    let md = stepwise(&home).args(["export", &id]).output().unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    for line in md.lines() {
        let unquoted = line.trim_start_matches('>').trim_start();
        assert!(
            !unquoted.starts_with("```") && !unquoted.starts_with("## Outcome"),
            "a note line is Markdown: {line:?}\n{md}"
        );
    }
    assert!(md.contains("> \\## Outcome: success"), "{md}");
    assert!(md.contains("> \\`\\`\\`"), "{md}");
    assert!(md.contains("> \\- \\[x] approved"), "{md}");
}

// 1 and 6. Resume only what was trusted; a tamper-evident journal.

/// A session stopped at the human step `wait` (exit 4), after `hello`
/// failed with exit 3 (its `on_failure: continue` lets the session go on),
/// with `after` still to run.
fn stopped_session(tmp: &Path) -> (PathBuf, PathBuf) {
    let home = tmp.join("home");
    let path = tmp.join("stopped.yaml");
    std::fs::write(
        &path,
        "runbook: 1\nid: stopped\ntitle: stopped\nsections:\n  - title: S\n    steps:\n      \
         - id: hello\n        title: hello\n        run: echo hi; exit 3\n        on_failure: continue\n      \
         - id: wait\n        title: wait\n      \
         - id: after\n        title: after\n        run: echo after\n",
    )
    .unwrap();
    let out = run(&home, &path, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let dir = only_session(&home);
    (home, dir)
}

fn resume(home: &Path, what: &str, extra: &[&str]) -> Output {
    stepwise(home)
        .args(["resume", what, "--headless", "--answer", "wait=done:ok"])
        .args(extra)
        .current_dir(home.parent().unwrap())
        .output()
        .unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    stepwise::session::fsutil::sha256_hex(bytes)
}

#[test]
fn resume_refuses_a_runbook_copy_edited_since_the_session_started() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, dir) = stopped_session(tmp.path());
    let copy = dir.join("runbook.yaml");
    let original = std::fs::read(&copy).unwrap();
    let edited = String::from_utf8(original.clone())
        .unwrap()
        .replace("echo after", "touch PWNED");
    std::fs::write(&copy, &edited).unwrap();
    let journal = std::fs::read(dir.join("journal.jsonl")).unwrap();
    let out = resume(&home, &id_of(&dir), &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains(&sha256(&original)),
        "names the journal's hash: {t}"
    );
    assert!(
        t.contains(&sha256(edited.as_bytes())),
        "names the copy's: {t}"
    );
    assert!(!tmp.path().join("PWNED").exists(), "the edited command ran");
    assert_eq!(std::fs::read(dir.join("journal.jsonl")).unwrap(), journal);
}

#[test]
fn a_session_folder_outside_the_home_is_reviewed_like_a_new_runbook() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, dir) = stopped_session(tmp.path());
    let help = stepwise(&home).args(["resume", "--help"]).output().unwrap();
    let help = text(&help);
    assert!(
        help.contains("session folder") && help.contains("--trust"),
        "{help}"
    );
    let elsewhere = tmp.path().join("handed-over");
    std::fs::create_dir(&elsewhere).unwrap();
    for f in ["journal.jsonl", "runbook.yaml"] {
        std::fs::copy(dir.join(f), elsewhere.join(f)).unwrap();
    }
    std::fs::create_dir(elsewhere.join("output")).unwrap();
    let copy = elsewhere.join("runbook.yaml");
    let edited = std::fs::read_to_string(&copy)
        .unwrap()
        .replace("echo after", "touch PWNED");
    std::fs::write(&copy, &edited).unwrap();
    let journal = std::fs::read(elsewhere.join("journal.jsonl")).unwrap();
    let what = elsewhere.to_str().unwrap();
    let out = resume(&home, what, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("Re-run with --trust"), "the review: {t}");
    assert!(
        t.contains("touch PWNED"),
        "the review shows the command: {t}"
    );
    let out = resume(&home, what, &["--trust"]);
    let t = text(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "trusted, yet not the session's runbook: {t}"
    );
    assert!(t.contains(&sha256(edited.as_bytes())), "{t}");
    assert!(!tmp.path().join("PWNED").exists(), "the edited command ran");
    assert_eq!(
        std::fs::read(elsewhere.join("journal.jsonl")).unwrap(),
        journal
    );
    std::fs::copy(dir.join("runbook.yaml"), &copy).unwrap();
    let out = resume(&home, what, &["--trust"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// The journal's lines, and the same written back.
fn lines(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    text.lines().map(str::to_owned).collect()
}

fn write_lines(dir: &Path, lines: &[String]) {
    std::fs::write(dir.join("journal.jsonl"), lines.join("\n") + "\n").unwrap();
}

/// A journal as a stepwise from before the chain wrote it: no hashes.
fn unchain(lines: &[String]) -> Vec<String> {
    let hash = regex::Regex::new(r#","hash":"[0-9a-f]{64}""#).unwrap();
    lines
        .iter()
        .map(|l| hash.replace(l, "").into_owned())
        .collect()
}

fn index_of(lines: &[String], what: &str) -> usize {
    lines
        .iter()
        .position(|l| l.contains(what))
        .unwrap_or_else(|| panic!("no line with {what}: {lines:#?}"))
}

/// The ways the review tampered with a journal: each gives the lines
/// after the change and the line (1-based) `verify` must name.
fn tamperings(lines: &[String]) -> Vec<(&'static str, Vec<String>, usize)> {
    let exited = index_of(lines, "\"step_exited\"");
    let started = index_of(lines, "\"step_started\"");
    let mut v = Vec::new();
    let mut l = lines.to_vec();
    l[exited] = l[exited].replace("\"success\":false", "\"success\":true");
    v.push(("failed edited to success", l, exited + 1));
    let mut l = lines.to_vec();
    l.insert(started + 1, lines[started].clone());
    v.push(("a duplicated line", l, started + 2));
    let mut l = lines.to_vec();
    l.remove(started);
    v.push(("a deleted line", l, started + 1));
    let mut l = lines.to_vec();
    l.swap(started, exited);
    v.push(("two lines swapped", l, started + 1));
    let mut l = lines.to_vec();
    l[started] = l[started].replace("\"step\":\"hello\"", "\"step\":\"ghost\"");
    v.push(("a step that does not exist", l, started + 1));
    v
}

/// `session_completed` inserted in the middle, renumbered so that the
/// sequence holds: in an unchained journal only the structure tells.
fn completed_in_the_middle(lines: &[String]) -> (Vec<String>, usize) {
    let seq = regex::Regex::new(r#""seq":(\d+)"#).unwrap();
    let at = index_of(lines, "\"step_exited\"") + 1;
    let mut l = lines.to_vec();
    l.insert(
        at,
        r#"{"seq":0,"at":"2026-01-01T00:00:00Z","type":"session_completed"}"#.into(),
    );
    let renumbered = l
        .iter()
        .enumerate()
        .map(|(i, line)| seq.replace(line, format!("\"seq\":{}", i + 1)).into_owned())
        .collect();
    (renumbered, at + 1)
}

fn verify(home: &Path, id: &str) -> Output {
    stepwise(home).args(["verify", id]).output().unwrap()
}

#[test]
fn verify_names_the_first_bad_line_of_every_tampering_and_resume_and_export_react() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, dir) = stopped_session(tmp.path());
    let id = id_of(&dir);
    let clean = lines(&dir);
    let out = verify(&home, &id);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.starts_with(&format!("ok: {} events, chain ", clean.len())),
        "{t}"
    );
    let (completed, completed_line) = completed_in_the_middle(&clean);
    let mut cases = tamperings(&clean);
    cases.push(("session_completed in the middle", completed, completed_line));
    for (what, tampered, line) in cases {
        write_lines(&dir, &tampered);
        let out = verify(&home, &id);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {t}");
        assert!(t.contains(&format!("line {line}:")), "{what}: {t}");
        let before = std::fs::read(dir.join("journal.jsonl")).unwrap();
        let out = resume(&home, &id, &[]);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out));
        let after = std::fs::read(dir.join("journal.jsonl")).unwrap();
        assert_eq!(before, after, "{what}: resume appended to it");
        let md = stepwise(&home).args(["export", &id]).output().unwrap();
        let md = String::from_utf8_lossy(&md.stdout);
        assert!(
            md.contains("WARNING — the journal fails its integrity check:** line"),
            "{what}: {md}"
        );
        let list = stepwise(&home)
            .args(["sessions", "--all"])
            .output()
            .unwrap();
        assert!(text(&list).contains("damaged"), "{what}: {}", text(&list));
    }
}

#[test]
fn an_unchained_journal_loads_and_its_structure_is_still_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, dir) = stopped_session(tmp.path());
    let id = id_of(&dir);
    let old = unchain(&lines(&dir));
    let (completed, completed_line) = completed_in_the_middle(&old);
    let mut cases = tamperings(&old);
    cases.push(("session_completed in the middle", completed, completed_line));
    for (what, tampered, line) in cases {
        write_lines(&dir, &tampered);
        let out = verify(&home, &id);
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{what}: {t}");
        assert!(t.contains(&format!("line {line}:")), "{what}: {t}");
    }
    write_lines(&dir, &old);
    let out = verify(&home, &id);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("unchained (written by an older stepwise)"),
        "{t}"
    );
    let md = stepwise(&home).args(["export", &id]).output().unwrap();
    assert!(String::from_utf8_lossy(&md.stdout).contains("unchained"));
    let out = resume(&home, &id, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("unchained"), "resume warns: {t}");
    let out = verify(&home, &id);
    assert!(text(&out).contains("unchained"), "{}", text(&out));
}

#[test]
fn every_export_carries_the_chain_head_and_verify_checks_a_journal_against_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, dir) = stopped_session(tmp.path());
    let id = id_of(&dir);
    let ok = text(&verify(&home, &id));
    let head = ok.trim().rsplit(' ').next().unwrap().to_owned();
    assert_eq!(head.len(), 64, "{ok}");
    for format in ["md", "html", "json"] {
        let out = stepwise(&home)
            .args(["export", &id, "--format", format])
            .output()
            .unwrap();
        let body = String::from_utf8_lossy(&out.stdout);
        assert!(body.contains(&head), "{format} lacks the head: {body}");
    }
    let saved = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .unwrap();
    assert!(std::fs::read_to_string(saved).unwrap().contains(&head));
    let out = resume(&home, &id, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = stepwise(&home)
        .args(["verify", &id, "--head", &head])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("the chain passes through"),
        "{}",
        text(&out)
    );
    let out = stepwise(&home)
        .args(["verify", &id, "--head", &"0".repeat(64)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn export_says_when_it_dropped_a_torn_last_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, dir) = stopped_session(tmp.path());
    let journal = dir.join("journal.jsonl");
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(br#"{"seq":99,"at":"2026-11-26T16:3"#);
    std::fs::write(&journal, bytes).unwrap();
    for format in ["md", "html", "json"] {
        let out = stepwise(&home)
            .args(["export", &id_of(&dir), "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let body = String::from_utf8_lossy(&out.stdout);
        assert!(
            body.contains("was cut short by a crash and was dropped"),
            "{format}: {body}"
        );
    }
}

// 5. Planted symlinks, loose permissions.

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

// 8. Secrets that never touch argv, and their encoded forms masked.

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

/// Every byte stepwise left under `dir`, and what it printed.
fn everything(dir: &Path) -> String {
    let mut all = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all.push_str(&everything(&p));
        } else {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap()));
        }
    }
    all
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
        let mut all = t.clone() + &everything(&home);
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

// 2 and 7. A full disk: no step without its record, and an honest record.

/// A tmpfs mounted on a folder for the test's length, or why not.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        match out.status.success() {
            true => Ok(Tmpfs(dir.to_owned())),
            false => Err(text(&out)),
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .output();
    }
}

/// A 2 MiB home that a step fills up (the journal's open page still takes
/// a few records; nothing new fits): `steps` may use `$FILL` for the
/// command that does it.
fn full_disk_run(tmp: &Path, steps: &[(&str, &str)]) -> Option<(Tmpfs, PathBuf, Output)> {
    let home = tmp.join("home");
    let disk = match Tmpfs::mount(&home, "2m") {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipped: a tmpfs cannot be mounted here: {why}");
            return None;
        }
    };
    let fill = format!(
        "cat /dev/zero > {}/filler 2>/dev/null || true",
        home.display()
    );
    let steps: Vec<(&str, String)> = steps
        .iter()
        .map(|(id, run)| (*id, run.replace("$FILL", &fill)))
        .collect();
    let steps: Vec<(&str, &str)> = steps.iter().map(|(i, r)| (*i, r.as_str())).collect();
    let rb = runbook(tmp, "full", &steps);
    let out = run(&home, &rb, &[]);
    Some((disk, home, out))
}

#[test]
fn a_step_whose_process_record_cannot_be_written_never_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    let deploy = format!("echo deploy >> {}; sleep 1", runs.display());
    let Some((_disk, home, out)) =
        full_disk_run(tmp.path(), &[("fill", "$FILL"), ("then", &deploy)])
    else {
        return;
    };
    let t = text(&out);
    assert_eq!(out.status.code(), Some(6), "{t}");
    assert!(
        t.contains("then.1.pid") && t.contains("No space left"),
        "{t}"
    );
    assert!(!runs.exists(), "the step ran without its record: {t}");
    std::fs::remove_file(home.join("filler")).unwrap();
    let out = stepwise(&home)
        .args(["resume", "--headless", "--answer", "then=rerun"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&runs).unwrap(), "deploy\n");
}

#[test]
fn a_log_cut_by_a_full_disk_is_journalled_with_its_own_exit_code_and_said_in_the_transcript() {
    let tmp = tempfile::tempdir().unwrap();
    let flood = "$FILL; head -c 300000 /dev/zero | tr '\\0' x; echo; echo flooded";
    let Some((_disk, home, out)) = full_disk_run(tmp.path(), &[("then", flood)]) else {
        return;
    };
    let t = text(&out);
    assert_eq!(out.status.code(), Some(6), "not 3, no step failed: {t}");
    assert!(t.contains("then | flooded"), "shown live: {t}");
    assert!(t.contains("its log was cut at byte 0"), "{t}");
    let dir = only_session(&home);
    let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"type\":\"log_cut\""), "{journal}");
    assert!(journal.contains("\"lost\":300009"), "{journal}");
    assert!(
        journal.contains("\"type\":\"session_stopped\""),
        "{journal}"
    );
    let md = stepwise(&home)
        .args(["export", &id_of(&dir)])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("_No output was kept._"), "{md}");
    assert!(
        md.contains("**Output lost:** the log was cut at byte 0 (")
            && md.contains("300009 more bytes"),
        "{md}"
    );
    assert!(
        md.contains("stepwise stopped the session because it could not write its record"),
        "{md}"
    );
    assert!(!md.contains("still running"), "{md}");
}

// 9. Leftovers ended, and said.

#[test]
fn leftovers_ended_after_a_step_are_journalled_and_shown_and_the_duration_is_the_real_span() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let rb = runbook(
        tmp.path(),
        "forky",
        &[(
            "forky",
            "for i in $(seq 200); do sleep 300 & done; echo forked",
        )],
    );
    let out = run(&home, &rb, &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let said =
        "forky (attempt 1): ended 200 leftover processes of the step's group after it exited";
    assert!(t.contains(said), "{t}");
    let dir = only_session(&home);
    let loaded = stepwise::session::journal::read(&dir.join("journal.jsonl")).unwrap();
    use stepwise::session::event::Event;
    let at = |kind: &str| {
        loaded
            .records
            .iter()
            .find(|r| serde_json::to_value(&r.event).unwrap()["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    };
    assert!(matches!(
        at("leftovers_ended").event,
        Event::LeftoversEnded { count: 200, .. }
    ));
    let span = (at("step_exited").at - at("step_started").at).num_milliseconds();
    let Event::StepExited { duration_ms, .. } = at("step_exited").event else {
        unreachable!()
    };
    assert!(
        duration_ms as i64 >= 2000 && (span - duration_ms as i64).abs() < 1000,
        "the duration ({duration_ms} ms) is not the attempt's span ({span} ms)"
    );
    let md = stepwise(&home)
        .args(["export", &id_of(&dir)])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains("**Leftovers:** ended 200 leftover processes"),
        "{md}"
    );
}

// 3. Nothing from a file reaches the terminal raw.

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
