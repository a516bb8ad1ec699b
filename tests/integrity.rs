//! Issue #12, items 1, 6 and 10 through the real binary: a session's record
//! can be believed, or says why not. An edited runbook copy or journal
//! (edited, duplicated, deleted, moved lines; a session_completed in the
//! middle; a step that does not exist) is named by `stepwise verify`,
//! refused by `resume`, flagged by `export` and `sessions`; journals from
//! before the chain still load; every export carries the chain head.

use std::path::Path;
use std::process::Output;

#[path = "support/sessions.rs"]
mod sessions;
use sessions::*;

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

/// The `verify` command an export prints checks the session exported: a
/// copy outside the home is named by its folder (its id would find the
/// original), with the `--home` given, and the printed command, run as
/// printed, checks that copy.
#[test]
fn the_verify_command_an_export_prints_checks_that_session() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, dir) = stopped_session(tmp.path());
    let copy = tmp.path().join("copy").join(id_of(&dir));
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    assert!(
        std::process::Command::new("cp")
            .arg("-a")
            .arg(&dir)
            .arg(&copy)
            .status()
            .unwrap()
            .success()
    );
    let out = stepwise(&home)
        .arg("--home")
        .arg(&home)
        .arg("export")
        .arg(&copy)
        .output()
        .unwrap();
    let md = text(&out);
    let printed = md
        .split('`')
        .find(|c| c.contains(" verify "))
        .unwrap_or_else(|| panic!("no verify command in {md}"))
        .to_owned();
    let want = format!(
        "stepwise --home {} verify {} --head ",
        home.display(),
        copy.display()
    );
    assert!(printed.starts_with(&want), "{printed}");
    let args: Vec<&str> = printed.split(' ').skip(1).collect();
    let out = stepwise(&home).args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The copy is the one checked: after an edit the same command fails.
    let journal = copy.join("journal.jsonl");
    let edited = std::fs::read_to_string(&journal)
        .unwrap()
        .replacen("\"code\":3", "\"code\":0", 1);
    std::fs::write(&journal, edited).unwrap();
    let out = stepwise(&home).args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
