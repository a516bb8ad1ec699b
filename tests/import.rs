//! `stepwise import`: the seed procedure and real-world-shaped documents
//! under `tests/fixtures/import/` become runbooks that validate (pinned by
//! snapshots), the seed's import matches the hand-written
//! `runbooks/rollback.yaml` where it must, bad input is refused with exit
//! 2, and imported runbooks run headless through the real binary.

use std::path::{Path, PathBuf};
use stepwise::import::{Options, import};
use stepwise::runbook::model::Runbook;
use stepwise::runbook::{load_file, load_str, render_plain};

#[path = "support/cli.rs"]
mod cli;
use cli::{stepwise, text};

const FIXTURES: &str = "tests/fixtures/import";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join(name)
}

/// Imports a fixture like the command does (the file name is what the
/// header names) and checks that the YAML loads.
fn imported(name: &str) -> (String, Runbook) {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let out = import(name, &bytes, &Options::default())
        .unwrap_or_else(|e| panic!("{name} was not imported: {e}"));
    let runbook = load_str(name, &out.yaml).unwrap_or_else(|e| panic!("{}", render_plain(&e)));
    (out.yaml, runbook)
}

fn snapshot(name: &str, yaml: &str) {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"));
    let stem = name.trim_end_matches(".md");
    s.bind(|| insta::assert_snapshot!(format!("import__{stem}"), yaml));
}

fn titles(rb: &Runbook, section: usize) -> Vec<String> {
    rb.sections[section]
        .steps
        .iter()
        .map(|s| s.title.clone())
        .collect()
}

// --- the seed: the team's own rollback document ----------------------------

/// The numbered items of each `##` section of a Markdown text, read line by
/// line: the test's own, independent reading of the seed document.
fn numbered_items(md: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in md.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            out.push((h.trim().to_owned(), Vec::new()));
        } else if let Some((n, rest)) = line.split_once(". ")
            && n.chars().all(|c| c.is_ascii_digit())
            && !n.is_empty()
            && let Some(last) = out.last_mut()
        {
            last.1.push(rest.trim().to_owned());
        }
    }
    out
}

#[test]
fn the_rollback_procedure_imports_with_every_section_and_item_in_order() {
    let (yaml, rb) = imported("rollback-procedure.md");
    snapshot("rollback-procedure.md", &yaml);
    let md = std::fs::read_to_string(fixture("rollback-procedure.md")).unwrap();
    assert_eq!(rb.title, "Deployment Rollback Procedure");
    let sections: Vec<&str> = rb.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        sections,
        [
            "Pre-Rollback Checks",
            "Steps for Rolling Back",
            "Post-Rollback Actions",
            "Communication Plan",
            "Troubleshooting"
        ]
    );
    // Every numbered item of a procedural section is a step, in order; a
    // long one keeps its full text as instructions.
    for (heading, items) in numbered_items(&md)
        .into_iter()
        .filter(|(_, i)| !i.is_empty())
    {
        let Some(i) = rb.sections.iter().position(|s| s.title == heading) else {
            assert_eq!(
                heading, "Prevention Strategies",
                "section {heading} is missing"
            );
            continue;
        };
        let steps = &rb.sections[i].steps;
        assert_eq!(steps.len(), items.len(), "{heading}: {:?}", titles(&rb, i));
        for (step, item) in steps.iter().zip(&items) {
            let whole = step.title == *item || step.instructions.as_deref() == Some(item.as_str());
            assert!(whole, "{heading}: {item:?} became {step:?}");
        }
    }
    let comms = &rb.sections[3].steps;
    assert_eq!(comms.len(), 1);
    assert_eq!(comms[0].title, "Notify affected parties");
    assert_eq!(
        comms[0].checklist,
        [
            "Development team",
            "Operations team",
            "Key stakeholders",
            "End-users (if necessary)"
        ]
    );
    assert!(rb.sections[4].optional, "troubleshooting is optional");
    assert_eq!(
        rb.follow_up,
        [
            "Implement thorough testing procedures",
            "Use canary releases or blue-green deployments",
            "Regularly update documentation and training materials",
            "Conduct regular code reviews and security audits"
        ]
    );
    let description = rb.description.as_deref().unwrap();
    assert!(description.starts_with("This document outlines the steps to perform a rollback"));
    assert!(description.contains("Rollbacks are an essential part of our deployment strategy."));
    assert!(description.ends_with("minimize downtime when performing rollbacks."));
    assert_eq!(rb.steps().filter(|(_, s)| s.is_automated()).count(), 0);
    assert!(yaml.contains("# TODO: automate? (\"deploy\""), "{yaml}");
}

/// The import against `runbooks/rollback.yaml`, written by hand from the
/// same document. What must match: the sections, in order, and every
/// hand-written human step of the pre-rollback, rolling-back and
/// post-rollback sections has an imported step of the same title in the
/// same section, in the same order.
///
/// What may differ: letter case of section titles ("Pre-Rollback Checks" /
/// "Pre-rollback checks"); ids (the hand-written ones are short names, the
/// imported ones slugs of the titles); instructions, notes and
/// descriptions (written for the operator by hand); automation (the hand
/// has `run:` commands where the import marks `# TODO: automate?`); inputs;
/// steps the hand added to help an item (marked "added:" there, e.g. the
/// health check before anything changes); and the communication plan's
/// second step, which the hand made of the paragraph after the list (the
/// import keeps it as the first step's instructions).
#[test]
fn the_import_matches_the_hand_written_rollback_runbook_where_it_must() {
    let (_, imported) = imported("rollback-procedure.md");
    let by_hand = load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/rollback.yaml"))
        .unwrap_or_else(|e| panic!("{}", render_plain(&e)));
    let lower = |rb: &Runbook| -> Vec<String> {
        rb.sections.iter().map(|s| s.title.to_lowercase()).collect()
    };
    assert_eq!(
        lower(&imported),
        lower(&by_hand),
        "the sections and their order"
    );
    // Steps the hand added to help an item ("added:" in its comments).
    const ADDED: &[&str] = &["health-before", "changes-undone", "resume-deploys"];
    for i in 0..3 {
        let ours: Vec<String> = titles(&imported, i)
            .iter()
            .map(|t| t.to_lowercase())
            .collect();
        let hand = &by_hand.sections[i];
        let humans = hand.steps.iter().filter(|s| !s.is_automated());
        let items = hand
            .steps
            .iter()
            .filter(|s| !ADDED.contains(&s.id.as_str()));
        for (what, steps) in [
            ("human step", humans.collect::<Vec<_>>()),
            ("item", items.collect()),
        ] {
            let mut from = 0;
            for step in steps {
                let want = step.title.to_lowercase();
                let at = ours[from..].iter().position(|t| *t == want).unwrap_or_else(|| {
                    panic!(
                        "{:?}: the hand-written {what} {:?} has no counterpart (in order) among {ours:?}",
                        hand.title, step.title
                    )
                });
                from += at + 1;
            }
        }
    }
}

// --- more real-world-shaped documents --------------------------------------

#[test]
fn shell_blocks_and_variables_become_automated_steps_and_inputs() {
    let (yaml, rb) = imported("disk-full.md");
    snapshot("disk-full.md", &yaml);
    let inputs: Vec<(&str, Option<&str>)> = rb
        .inputs
        .iter()
        .map(|i| (i.name.as_str(), i.default.as_deref()))
        .collect();
    assert_eq!(
        inputs,
        [
            ("LOG_DIR", Some("/var/log/nginx")),
            ("DAYS", Some("7")),
            ("MOUNT_POINT", None)
        ]
    );
    assert!(
        rb.inputs
            .iter()
            .all(|i| i.required && i.description.is_some())
    );
    let check = rb.step("check-how-full-the-volume-is").unwrap();
    assert_eq!(check.run.as_deref(), Some("df -h \"${MOUNT_POINT}\""));
    assert!(check.confirm);
    assert!(
        check
            .instructions
            .as_deref()
            .unwrap()
            .contains("94% /var/log")
    );
    let count = rb.step("count-them").unwrap();
    assert!(
        count
            .instructions
            .as_deref()
            .unwrap()
            .starts_with("Rotated logs older than")
    );
    assert_eq!(rb.counts(), (4, 8, 6, 2));
    assert_eq!(rb.follow_up.len(), 2);
}

#[test]
fn task_lists_and_nested_lists_become_steps_and_checklists() {
    let (yaml, rb) = imported("release-checklist.md");
    snapshot("release-checklist.md", &yaml);
    assert_eq!(
        titles(&rb, 0),
        [
            "Create the release branch `release/YYYY-MM` from `main`",
            "Bump the version",
            "Check that the nightly build of `main` is green",
            "Announce the release window in #releases"
        ]
    );
    assert_eq!(rb.sections[0].steps[1].checklist.len(), 3);
    assert_eq!(rb.sections[0].steps[3].checklist[0], "Date and time (UTC)");
    let tag = &rb.sections[1].steps[1];
    assert_eq!(tag.title, "Tag the release and push the tag");
    assert!(tag.instructions.as_deref().unwrap().contains("15 minutes"));
    assert_eq!(
        titles(&rb, 2),
        [
            "Post in #releases",
            "Close the release issue",
            "Delete the release branch after a week"
        ]
    );
    assert_eq!(rb.sections[2].steps[0].checklist.len(), 3);
    assert_eq!(rb.follow_up.len(), 2);
}

#[test]
fn a_messy_wiki_export_keeps_html_tables_and_unlabelled_code_as_text() {
    let (yaml, rb) = imported("db-failover-wiki.md");
    snapshot("db-failover-wiki.md", &yaml);
    assert_eq!(rb.title, "Database failover (primary → replica)");
    let description = rb.description.as_deref().unwrap();
    assert!(
        description.contains("| DBA on call |"),
        "the contacts table"
    );
    assert!(
        description.contains("<p align=\"right\">"),
        "the HTML block"
    );
    assert!(description.contains("Warning: Only run this"), "the alert");
    let sections: Vec<&str> = rb.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        sections,
        [
            "1. Confirm the primary is down",
            "2. Fail over › On any Patroni node",
            "2. Fail over › On the application side"
        ]
    );
    let promote = rb.step("promote-the-replica").unwrap();
    assert!(
        !promote.is_automated(),
        "a code block without a language is not run"
    );
    assert!(
        promote
            .instructions
            .as_deref()
            .unwrap()
            .contains("patronictl")
    );
    let check = rb
        .step("then-check-that-the-new-primary-accepts-writes")
        .unwrap();
    assert!(
        check
            .run
            .as_deref()
            .unwrap()
            .contains("host=${REPLICA_HOST}")
    );
    let watch = rb.step("watch-the-error-rate-for-10-minutes").unwrap();
    assert!(watch.instructions.as_deref().unwrap().contains("<details>"));
    assert_eq!(
        rb.follow_up[1],
        "~~move Patroni config to git~~ done in OPS-1123"
    );
}

#[test]
fn importing_twice_gives_the_same_bytes() {
    for name in [
        "rollback-procedure.md",
        "disk-full.md",
        "release-checklist.md",
        "db-failover-wiki.md",
    ] {
        assert_eq!(imported(name).0, imported(name).0, "{name}");
    }
    let home = tempfile::tempdir().unwrap();
    let run = || {
        stepwise(home.path())
            .arg("import")
            .arg(fixture("disk-full.md"))
            .output()
            .unwrap()
    };
    let (a, b) = (run(), run());
    assert_eq!(a.status.code(), Some(0), "{}", text(&a));
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(
        String::from_utf8(a.stdout).unwrap(),
        imported("disk-full.md").0
    );
}

// --- the command ------------------------------------------------------------

#[test]
fn output_goes_to_a_file_atomically_or_stdout_and_stdin_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("rollback.yaml");
    let out = stepwise(dir.path())
        .arg("import")
        .arg(fixture("rollback-procedure.md"))
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(out.stdout.is_empty(), "nothing on stdout with -o");
    assert!(
        t.contains("imported: Deployment Rollback Procedure — 5 sections, 18 steps"),
        "{t}"
    );
    let validate = stepwise(dir.path())
        .arg("validate")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(validate.status.code(), Some(0), "{}", text(&validate));

    let relative = stepwise(dir.path())
        .current_dir(dir.path())
        .arg("import")
        .arg(fixture("disk-full.md"))
        .args(["-o", "disk-full.yaml"])
        .output()
        .unwrap();
    assert_eq!(relative.status.code(), Some(0), "{}", text(&relative));
    assert!(dir.path().join("disk-full.yaml").is_file());

    let md = std::fs::read(fixture("release-checklist.md")).unwrap();
    let mut child = stepwise(dir.path())
        .args(["import", "-", "--id", "release"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &md).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(
        yaml.starts_with("# Imported by `stepwise import` from stdin"),
        "{yaml}"
    );
    assert_eq!(load_str("stdin", &yaml).unwrap().id, "release");
}

#[test]
fn bad_input_is_refused_with_exit_2_saying_what_and_how() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        ("empty.md", b"", "the document is empty"),
        (
            "binary.md",
            b"# T\n\x00\x01\x02",
            "binary file, not Markdown",
        ),
        (
            "prose.md",
            b"# Notes\n\nJust some prose.\n",
            "found no steps",
        ),
        (
            "page.html",
            b"<!DOCTYPE html>\n<html><body><ol><li>x</li></ol></body></html>\n",
            "HTML page",
        ),
        (
            "rb.yaml",
            b"runbook: 1\nid: x\ntitle: X\nsections:\n  - title: S\n",
            "already a stepwise runbook",
        ),
        (
            "latin1.md",
            b"# Caf\xe9\n\n1. x\n",
            "not UTF-8 (line 1, column 6)",
        ),
        (
            "unclosed.md",
            b"# Cleanup\n\n## Check\n\n```sh\nls /var/tmp/old\n\n## Delete\n\n```sh\nrm -rf /var/tmp/old\n```\n",
            "opened with ``` at line 5, column 1 is never closed",
        ),
    ];
    for (name, bytes, says) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out_path = dir.path().join("out.yaml");
        let out = stepwise(dir.path())
            .arg("import")
            .arg(&path)
            .arg("-o")
            .arg(&out_path)
            .output()
            .unwrap();
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {t}");
        assert!(t.contains(says), "{name}: {t}");
        assert!(t.contains("help: "), "{name}: no help in {t}");
        assert!(
            t.contains(&path.display().to_string()),
            "{name}: names the file: {t}"
        );
        assert!(!out_path.exists(), "{name}: nothing written");
    }
    let out = stepwise(dir.path())
        .arg("import")
        .arg(fixture("disk-full.md"))
        .args(["--id", "Disk Full"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("try --id disk-full"), "{}", text(&out));
    let out = stepwise(dir.path())
        .args(["import", "no-such.md"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("no-such.md: no such file"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_help_says_what_import_does() {
    let home = tempfile::tempdir().unwrap();
    let out = stepwise(home.path())
        .args(["import", "--help"])
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0));
    for needle in [
        "FILE.md",
        "-o, --output",
        "--id",
        "docs/import.md",
        "Nothing is run",
    ] {
        assert!(t.contains(needle), "{needle} not in {t}");
    }
}

// --- an imported runbook runs without edits ---------------------------------

/// `stepwise import FIXTURE -o RB`, which must succeed.
fn import_to(home: &Path, name: &str, rb: &Path) {
    let out = stepwise(home)
        .arg("import")
        .arg(fixture(name))
        .arg("-o")
        .arg(rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn the_imported_rollback_runbook_runs_headless_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let rb = dir.path().join("rollback.yaml");
    import_to(&home, "rollback-procedure.md", &rb);
    let out = stepwise(&home)
        .args(["run", "--headless", "--yes", "--trust", "--home"])
        .arg(&home)
        .arg(&rb)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("notify-affected-parties"), "{t}");
    assert!(t.contains("transcript: "), "{t}");
}

#[test]
fn an_imported_runbook_runs_its_commands_headless() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    for f in [
        "access.log",
        "access.log.1",
        "access.log.2.gz",
        "error.log.3.gz",
    ] {
        std::fs::write(logs.join(f), "GET / 200\n".repeat(100)).unwrap();
    }
    // Two rotated logs are a month old: the runbook's find deletes them.
    for f in ["access.log.2.gz", "error.log.3.gz"] {
        let month_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(30 * 86_400);
        std::fs::File::options()
            .write(true)
            .open(logs.join(f))
            .unwrap()
            .set_modified(month_ago)
            .unwrap();
    }
    let rb = dir.path().join("disk-full.yaml");
    import_to(&home, "disk-full.md", &rb);
    let out = stepwise(&home)
        .args(["run", "--headless", "--yes", "--trust", "--home"])
        .arg(&home)
        .arg("--var")
        .arg(format!("LOG_DIR={}", logs.display()))
        .arg("--var")
        .arg(format!("MOUNT_POINT={}", dir.path().display()))
        .arg(&rb)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains("count-them | 2"),
        "two old rotated logs counted: {t}"
    );
    let mut left: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["access.log", "access.log.1.gz"], "{t}");
}

// --- no document makes a runbook that does not read back --------------------

/// Pieces of Markdown, YAML-hostile text and shell, glued at random: every
/// import either succeeds (and then `verify` proved the YAML reads back as
/// meant) or refuses the document; none panics or reports a bug.
#[test]
fn random_documents_import_or_are_refused_never_a_bug() {
    use proptest::prelude::*;
    #[rustfmt::skip]
    const PIECES: &[&str] = &[
        "# ", "## ", "### ", "\n", "\n\n", "1. ", "- ", "* ", "- [ ] ", "- [x] ", "  - ", "   ",
        "    ", "```sh\n", "```bash\n", "```console\n", "```\n", "```yaml\n", "$ ", "> ",
        "> [!NOTE]\n", "| a | b |\n|---|---|\n| 1 | 2 |\n", "<div>\n", "<!-- c -->\n", "text",
        "Deploy the thing", "Restart", ":", ". Then", "e.g. ", "\"q\"", "'s'", "\\", "$VAR",
        "${X:-y}", "<name>", "<<EOF", "yes", "no", "1.10", "#", "&a", "*b", "!t", "{", "}",
        "[x](http://u)", "`c`", "~~s~~", "---\n", "...", "\t", "é", "→", " — ", "  ", "=",
        "export A=1\n", "%", "@", "|", "?", "<br>", "[^1]", "[^1]: note\n",
    ];
    // The same cases on every run, so a red run is the change's doing;
    // `PROPTEST_RNG_SEED=<n>` explores others.
    let rng_seed = match std::env::var("PROPTEST_RNG_SEED") {
        Ok(_) => ProptestConfig::default().rng_seed,
        Err(_) => proptest::test_runner::RngSeed::Fixed(0x5eed),
    };
    let config = ProptestConfig {
        cases: 400,
        failure_persistence: None,
        rng_seed,
        ..ProptestConfig::default()
    };
    proptest!(config, |(picks in proptest::collection::vec(0..PIECES.len(), 1..80))| {
        let md: String = picks.iter().map(|&i| PIECES[i]).collect();
        match import("p.md", md.as_bytes(), &Options::default()) {
            Ok(out) => prop_assert!(load_str("p.md", &out.yaml).is_ok()),
            Err(e) => prop_assert!(!e.message.starts_with("bug"), "{md:?}\n{e}"),
        }
    });
}

/// The example in docs/import.md is what the command gives for it.
#[test]
fn the_documented_example_is_the_real_output() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/import.md"))
        .unwrap();
    let block = |fence: &str| {
        let start = doc
            .find(fence)
            .unwrap_or_else(|| panic!("no {fence} in docs/import.md"))
            + fence.len();
        let end = start + doc[start..].find("\n````\n").unwrap();
        doc[start..=end].to_owned()
    };
    let md = block("````markdown\n");
    let yaml = block("````yaml\n");
    let out = import("restart.md", md.as_bytes(), &Options::default()).unwrap();
    assert_eq!(out.yaml, yaml, "docs/import.md's example is out of date");
}

/// `<path>`, `<home>`, `<user>` in a command become `PATH_VALUE`,
/// `HOME_VALUE`, `USER_VALUE`: inputs named `PATH` or `HOME` would replace
/// the shell's own (bash is then not found). The result runs.
#[test]
fn placeholders_named_like_the_shells_variables_do_not_replace_them() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("copy.md");
    std::fs::write(
        &md,
        "# Copy the artifact\n\n1. Copy it:\n\n   ```bash\n   echo \"to <path> in <home> by <user>\"\n   ```\n",
    )
    .unwrap();
    let rb = dir.path().join("copy.yaml");
    let out = stepwise(dir.path())
        .arg("import")
        .arg(&md)
        .arg("-o")
        .arg(&rb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let yaml = std::fs::read_to_string(&rb).unwrap();
    for name in ["PATH_VALUE:", "HOME_VALUE:", "USER_VALUE:"] {
        assert!(yaml.contains(name), "{name} missing: {yaml}");
    }
    assert!(
        !yaml.contains("  PATH:") && !yaml.contains("${PATH}"),
        "{yaml}"
    );
    let run = stepwise(dir.path())
        .args(["run", "--headless", "--trust", "--yes"])
        .arg(&rb)
        .args([
            "--var",
            "PATH_VALUE=/srv/app",
            "--var",
            "HOME_VALUE=/home/ops",
        ])
        .args(["--var", "USER_VALUE=alice"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let t = text(&run);
    assert_eq!(run.status.code(), Some(0), "{t}");
    assert!(t.contains("to /srv/app in /home/ops by alice"), "{t}");
}

/// A block that only sets variables becomes inputs and stays in the text;
/// a secret's value in it (by its name) is not copied into the runbook.
#[test]
fn a_secrets_value_set_in_the_document_is_not_copied_into_the_runbook() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("env.md");
    std::fs::write(
        &md,
        "# Deploy\n\nSet the environment first:\n\n```bash\nexport API_TOKEN=abc123\nexport REGION=eu-west-1\n```\n\n## Steps\n\n1. Call the API:\n\n   ```bash\n   curl -H \"Authorization: Bearer $API_TOKEN\" https://api/$REGION\n   ```\n",
    )
    .unwrap();
    let out = stepwise(dir.path())
        .arg("import")
        .arg(&md)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let yaml = String::from_utf8(out.stdout).unwrap();
    assert!(!yaml.contains("abc123"), "{yaml}");
    assert!(
        yaml.contains("export API_TOKEN=<secret: not copied>"),
        "{yaml}"
    );
    assert!(yaml.contains("export REGION=eu-west-1"), "{yaml}");
    let rb = load_str("env.yaml", &yaml).unwrap();
    let token = rb.inputs.iter().find(|i| i.name == "API_TOKEN").unwrap();
    assert!(token.secret && token.default.is_none());
}
