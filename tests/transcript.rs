//! Transcripts from a fixed, hand-built journal: snapshots of each format,
//! determinism, secrets, unfinished sessions, HTML escaping, and saving.

use chrono::{DateTime, FixedOffset, Utc};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use stepwise::runbook::model::{Input, NoteRule, Runbook, Section, Step};
use stepwise::session::event::{Actor, ConfirmedVia, Event, ExitInfo, InputSource, Record, Stream};
use stepwise::session::state::Session;
use stepwise::transcript::{self, Context, Format};

const SESSION_ID: &str = "20261126T163000Z-deployment-rollback-3f9a";
const SESSION_DIR: &str =
    "/home/ana/.local/state/stepwise/sessions/20261126T163000Z-deployment-rollback-3f9a";

fn step(id: &str, title: &str, run: Option<&str>) -> Step {
    match run {
        Some(command) => Step::new(id, title).running(command),
        None => Step::new(id, title),
    }
}

fn input(name: &str, default: Option<&str>, secret: bool) -> Input {
    Input {
        name: name.into(),
        description: None,
        default: default.map(Into::into),
        default_from: None,
        pattern: None,
        choices: Vec::new(),
        required: !secret,
        secret,
    }
}

fn runbook() -> Runbook {
    let mut identify = step(
        "identify-the-issue",
        "Identify the specific issue causing the problem",
        None,
    );
    identify.note = NoteRule::Required;
    let mut notify = step("notify-affected-parties", "Notify affected parties", None);
    notify.checklist = [
        "Development team",
        "Operations team",
        "Key stakeholders",
        "End-users (if necessary)",
    ]
    .map(String::from)
    .to_vec();
    Runbook {
        id: "deployment-rollback".into(),
        title: "Deployment rollback".into(),
        description: Some("Revert a deployment to the previous stable version.".into()),
        inputs: vec![
            input("STABLE_TAG", Some("v1.4.2"), false),
            input("API_TOKEN", None, true),
        ],
        env: Vec::new(),
        working_dir: None,
        shell: None,
        transcript_dir: None,
        sections: vec![
            Section {
                title: "Pre-rollback checks".into(),
                description: None,
                optional: false,
                steps: vec![
                    identify,
                    step(
                        "stable-version-exists",
                        "Confirm the previous stable version is available",
                        Some("git rev-parse --verify \"refs/tags/$STABLE_TAG\""),
                    ),
                ],
            },
            Section {
                title: "Steps for rolling back".into(),
                description: None,
                optional: false,
                steps: vec![
                    step(
                        "deploy",
                        "Deploy the previous stable version",
                        Some("./deploy.sh \"$STABLE_TAG\""),
                    ),
                    notify,
                    step("update-status-page", "Update the public status page", None),
                ],
            },
            Section {
                title: "Troubleshooting".into(),
                description: None,
                optional: true,
                steps: vec![step(
                    "collect-diagnostics",
                    "Collect diagnostics",
                    Some("./collect.sh"),
                )],
            },
        ],
        follow_up: vec![
            "Implement thorough testing procedures".into(),
            "Add a canary stage to the deploy pipeline".into(),
        ],
        channels: vec![],
        cadence: None,
        targets: vec![],
    }
}

fn t(hms: &str) -> DateTime<Utc> {
    format!("2026-11-26T{hms}Z").parse().expect("test time")
}

fn ana() -> Option<Actor> {
    Some(Actor {
        user: "ana".into(),
        host: "bastion-1".into(),
    })
}

/// The journal of a completed rollback, in order.
fn records() -> Vec<Record> {
    use Event::*;
    let s = |x: &str| x.to_owned();
    let events: Vec<(&str, Option<Actor>, Event)> = vec![
        (
            "16:30:00",
            ana(),
            SessionStarted {
                session_id: s(SESSION_ID),
                runbook_id: s("deployment-rollback"),
                runbook_title: s("Deployment rollback"),
                runbook_path: s("runbooks/rollback.yaml"),
                runbook_sha256: s(
                    "9f2c4e1ab37d5c0e8a61f0d2b4c7e93a15d8f6b2c0a4e7d91b3f5a8c6e2d4b70",
                ),
                auto: false,
                dry_run: false,
                from_step: None,
                stepwise_version: s("0.1.0"),
                pid: 4242,
            },
        ),
        (
            "16:30:02",
            ana(),
            InputGiven {
                name: s("STABLE_TAG"),
                value: s("v1.4.2"),
                secret: false,
                source: InputSource::Default,
            },
        ),
        (
            "16:30:04",
            ana(),
            InputGiven {
                name: s("API_TOKEN"),
                value: s("••••••"),
                secret: true,
                source: InputSource::Prompt,
            },
        ),
        (
            "16:33:40",
            ana(),
            HumanConfirmed {
                step: s("identify-the-issue"),
                note: Some(s(
                    "Checkout returns HTTP 500 since the 16:05 deploy of v1.5.0.\nTicket: INC-2041",
                )),
                checked: vec![],
                via: ConfirmedVia::Operator,
            },
        ),
        (
            "16:33:41",
            None,
            StepStarted {
                step: s("stable-version-exists"),
                attempt: 1,
                command: s("git rev-parse --verify \"refs/tags/$STABLE_TAG\""),
                log: s("output/stable-version-exists.1.log"),
                via: None,
            },
        ),
        (
            "16:33:41",
            None,
            OutputRecorded {
                step: s("stable-version-exists"),
                attempt: 1,
                stream: Stream::Stderr,
                offset: 0,
                len: 38,
            },
        ),
        (
            "16:33:42",
            None,
            StepExited {
                step: s("stable-version-exists"),
                attempt: 1,
                exit: ExitInfo {
                    code: Some(1),
                    signal: None,
                },
                duration_ms: 412,
                success: false,
            },
        ),
        (
            "16:34:30",
            ana(),
            NoteAdded {
                step: Some(s("stable-version-exists")),
                text: s("Tags were not fetched on the bastion; ran git fetch --tags."),
            },
        ),
        (
            "16:34:35",
            ana(),
            StepStarted {
                step: s("stable-version-exists"),
                attempt: 2,
                command: s("git rev-parse --verify \"refs/tags/$STABLE_TAG\""),
                log: s("output/stable-version-exists.2.log"),
                via: None,
            },
        ),
        (
            "16:34:35",
            None,
            OutputRecorded {
                step: s("stable-version-exists"),
                attempt: 2,
                stream: Stream::Stdout,
                offset: 0,
                len: 41,
            },
        ),
        (
            "16:34:35",
            None,
            StepExited {
                step: s("stable-version-exists"),
                attempt: 2,
                exit: ExitInfo {
                    code: Some(0),
                    signal: None,
                },
                duration_ms: 38,
                success: true,
            },
        ),
        (
            "16:34:50",
            ana(),
            StepStarted {
                step: s("deploy"),
                attempt: 1,
                command: s("./deploy.sh \"$STABLE_TAG\""),
                log: s("output/deploy.1.log"),
                via: None,
            },
        ),
        (
            "16:35:10",
            None,
            OutputRecorded {
                step: s("deploy"),
                attempt: 1,
                stream: Stream::Stdout,
                offset: 0,
                len: 2210,
            },
        ),
        (
            "16:39:02",
            None,
            StepExited {
                step: s("deploy"),
                attempt: 1,
                exit: ExitInfo {
                    code: Some(0),
                    signal: None,
                },
                duration_ms: 252_130,
                success: true,
            },
        ),
        (
            "16:41:15",
            ana(),
            HumanConfirmed {
                step: s("notify-affected-parties"),
                note: Some(s(
                    "Posted in #incidents; support lead told by phone.\nImpact: checkout returned 500 for about 40 minutes, all regions.\nTODO: ask Comms to add the rollback to the status page template.",
                )),
                checked: vec![0, 1, 2],
                via: ConfirmedVia::Operator,
            },
        ),
        (
            "16:41:40",
            ana(),
            StepSkipped {
                step: s("update-status-page"),
                reason: s("Comms team owns the status page today"),
                via: None,
            },
        ),
        (
            "16:41:52",
            ana(),
            StepSkipped {
                step: s("collect-diagnostics"),
                reason: s("optional section skipped: service healthy"),
                via: None,
            },
        ),
        ("16:42:10", ana(), SessionCompleted),
    ];
    events
        .into_iter()
        .enumerate()
        .map(|(i, (at, by, event))| Record {
            seq: i as u64 + 1,
            at: t(at),
            by,
            event,
        })
        .collect()
}

fn tails() -> HashMap<(String, u32), Vec<String>> {
    let lines = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut map = HashMap::new();
    map.insert(
        ("stable-version-exists".into(), 1),
        lines(&["fatal: Needed a single revision"]),
    );
    map.insert(
        ("stable-version-exists".into(), 2),
        lines(&["3c1e5a9d0b7f2e4a6c8d1f3b5e7a9c2d4f6b8e0a"]),
    );
    map.insert(
        ("deploy".into(), 1),
        lines(&[
            "==> Deploying v1.4.2 to production (12 hosts)",
            "web-01 ok   web-02 ok   web-03 ok   web-04 ok",
            "web-05 ok   web-06 ok   web-07 ok   web-08 ok",
            "web-09 ok   web-10 ok   web-11 ok   web-12 ok",
            "release notes excerpt: ```fixed checkout```",
            "==> Health check: 12/12 healthy",
            "==> Done in 4m12s",
        ]),
    );
    map
}

fn context(records: Vec<Record>) -> Context {
    Context {
        session_dir: PathBuf::from(SESSION_DIR),
        tails: tails(),
        host_logs: Default::default(),
        records,
        local_offset: FixedOffset::east_opt(3600).expect("offset"),
        tz_name: "Europe/Paris".into(),
        integrity: None,
        journal: None,
        verify: "stepwise verify 20261126T163000Z-deployment-rollback-3f9a".into(),
    }
}

fn fixture() -> (Session, Context) {
    let records = records();
    let session = Session::from_records(runbook(), records.iter());
    (session, context(records))
}

#[test]
fn markdown_snapshot() {
    let (s, ctx) = fixture();
    insta::assert_snapshot!("markdown", transcript::render(&s, &ctx, Format::Markdown));
}

#[test]
fn json_snapshot() {
    let (s, ctx) = fixture();
    insta::assert_snapshot!("json", transcript::render(&s, &ctx, Format::Json));
}

#[test]
fn html_snapshot() {
    let (s, ctx) = fixture();
    insta::assert_snapshot!("html", transcript::render(&s, &ctx, Format::Html));
}

#[test]
fn rendering_is_deterministic() {
    for format in [Format::Markdown, Format::Json, Format::Html] {
        let (s1, c1) = fixture();
        let (s2, c2) = fixture();
        assert_eq!(
            transcript::render(&s1, &c1, format),
            transcript::render(&s2, &c2, format)
        );
    }
}

#[test]
fn file_name_is_utc_start_and_runbook_id() {
    let (s, _) = fixture();
    assert_eq!(
        transcript::file_name(&s),
        "2026-11-26T16-30-00Z-deployment-rollback.md"
    );
}

/// A journal written by a faulty writer holds a secret in clear: the
/// runbook says it is secret, so no format may show it.
#[test]
fn secrets_never_appear() {
    let mut records = records();
    for r in &mut records {
        if let Event::InputGiven {
            name,
            value,
            secret,
            ..
        } = &mut r.event
            && name == "API_TOKEN"
        {
            *value = "hunter2-s3cr3t".into();
            *secret = false;
        }
    }
    let captured = Record {
        seq: 99,
        at: t("16:39:03"),
        by: None,
        event: Event::Captured {
            step: "deploy".into(),
            name: "SESSION_KEY".into(),
            value: "k3y-hunter2".into(),
            secret: true,
        },
    };
    records.insert(14, captured);
    let s = Session::from_records(runbook(), records.iter());
    let ctx = context(records);
    for format in [Format::Markdown, Format::Json, Format::Html] {
        let text = transcript::render(&s, &ctx, format);
        assert!(!text.contains("hunter2"), "{format:?} leaks a secret");
        assert!(text.contains("••••••"), "{format:?} shows no mask");
    }
}

#[test]
fn an_unfinished_session_says_where_it_stopped() {
    let mut records = records();
    records.truncate(13); // crashed while the deploy was running
    let s = Session::from_records(runbook(), records.iter());
    let ctx = context(records);
    let md = transcript::render(&s, &ctx, Format::Markdown);
    assert!(md.contains("**in progress — resumable**"), "{md}");
    assert!(
        md.contains("- **Stopped at:** step 2.1 Deploy the previous stable version (`deploy`)"),
        "{md}"
    );
    assert!(md.contains("- **Ended:** not recorded"), "{md}");
    insta::assert_snapshot!("markdown_unfinished", md);
    let json: serde_json::Value =
        serde_json::from_str(&transcript::render(&s, &ctx, Format::Json)).expect("json");
    assert_eq!(json["session"]["stopped_at"]["step"], "deploy");
    assert_eq!(json["session"]["outcome"], "in progress — resumable");
    let html = transcript::render(&s, &ctx, Format::Html);
    assert!(html.contains("Stopped at"), "{html}");
}

#[test]
fn html_escapes_everything() {
    let (s, mut ctx) = fixture();
    let evil = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
    ];
    ctx.tails
        .insert(("deploy".into(), 1), evil.map(String::from).to_vec());
    let mut records = ctx.records.clone();
    records.insert(
        16,
        Record {
            seq: 98,
            at: t("16:41:45"),
            by: ana(),
            event: Event::NoteAdded {
                step: Some("deploy".into()),
                text: evil.join(" "),
            },
        },
    );
    let s2 = Session::from_records(s.runbook.clone(), records.iter());
    ctx.records = records;
    let html = transcript::render(&s2, &ctx, Format::Html);
    assert!(!html.contains("<script"), "raw script tag");
    assert!(!html.contains("<img"), "raw img tag");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external request"
    );
    let md = transcript::render(&s2, &ctx, Format::Markdown);
    assert!(
        md.contains("<script>alert(1)</script>"),
        "outputs stay verbatim inside fences"
    );
    assert!(
        md.contains("> \\<script>alert(1)\\</script>"),
        "notes are escaped: {md}"
    );
}

#[test]
fn save_writes_private_files_atomically_into_both_folders() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let session_dir = tmp.path().join("session");
    std::fs::create_dir(&session_dir).expect("session dir");
    let extra = tmp.path().join("reports/incidents");
    let (s, ctx) = fixture();
    let paths = transcript::save(&session_dir, Some(&extra), &s, &ctx).expect("save");
    let name = "2026-11-26T16-30-00Z-deployment-rollback.md";
    assert_eq!(paths, vec![session_dir.join(name), extra.join(name)]);
    let expected = transcript::render(&s, &ctx, Format::Markdown);
    for p in &paths {
        assert_eq!(std::fs::read_to_string(p).expect("read"), expected);
        assert_eq!(mode(p), 0o600, "{}", p.display());
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().expect("parent"))
            .expect("list")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".stepwise-"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left behind");
    }
    assert_eq!(mode(&extra), 0o700);
    // Saving again replaces the files in place.
    let again = transcript::save(&session_dir, Some(&extra), &s, &ctx).expect("save again");
    assert_eq!(again, paths);
    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
    }
}

#[test]
fn load_context_reads_neutralised_tails() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(tmp.path().join("output")).expect("output dir");
    let mut log: Vec<u8> = Vec::new();
    for i in 0..5000 {
        log.extend_from_slice(format!("line {i} \u{1b}[32mok\u{1b}[0m\n").as_bytes());
    }
    log.extend_from_slice(b"copy \x1b]52;c;ZXZpbA==\x07 done\n");
    std::fs::write(tmp.path().join("output/deploy.1.log"), &log).expect("write log");
    let records: Vec<Record> = records().into_iter().take(14).collect();
    let s = Session::from_records(runbook(), records.iter());
    let ctx = transcript::load_context(tmp.path(), &s, records).expect("context");
    let tail = &ctx.tails[&("deploy".to_owned(), 1)];
    assert_eq!(tail.len(), transcript::TAIL_LINES);
    assert_eq!(tail[0], "line 4981 ok");
    assert_eq!(tail[19], "copy ␛]52;c;ZXZpbA==␇ done");
    assert_eq!(
        ctx.tails[&("stable-version-exists".to_owned(), 1)],
        vec!["[stepwise: the log file is missing]"]
    );
}

/// JSON export against the committed schema, checked structurally (types,
/// required keys, enums) by a small walker: no validator crate needed.
#[test]
fn json_export_matches_the_schema() {
    let (s, ctx) = fixture();
    let doc: serde_json::Value =
        serde_json::from_str(&transcript::render(&s, &ctx, Format::Json)).expect("json");
    let schema_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/transcript.schema.json"
    ))
    .expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema is JSON");
    assert_eq!(doc["format"], "stepwise-transcript/4");
    let mut errors = Vec::new();
    check(&schema, &schema, &doc, "$", &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

fn check(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    use serde_json::Value as J;
    if let Some(r) = schema.get("$ref").and_then(J::as_str) {
        let target = r
            .trim_start_matches("#/")
            .split('/')
            .fold(root, |s, k| &s[k]);
        return check(root, target, v, at, errors);
    }
    if let Some(options) = schema.get("oneOf").and_then(J::as_array) {
        let ok = options.iter().any(|o| {
            let mut e = Vec::new();
            check(root, o, v, at, &mut e);
            e.is_empty()
        });
        if !ok {
            errors.push(format!("{at}: matches no oneOf branch"));
        }
        return;
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            J::String(t) => vec![t.as_str()],
            J::Array(a) => a.iter().filter_map(J::as_str).collect(),
            _ => vec![],
        };
        let actual = match v {
            J::Null => "null",
            J::Bool(_) => "boolean",
            J::Number(n) if n.is_i64() || n.is_u64() => "integer",
            J::Number(_) => "number",
            J::String(_) => "string",
            J::Array(_) => "array",
            J::Object(_) => "object",
        };
        if !types
            .iter()
            .any(|t| *t == actual || (*t == "number" && actual == "integer"))
        {
            errors.push(format!("{at}: {actual} is not {types:?}"));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(J::as_array)
        && !allowed.contains(v)
    {
        errors.push(format!("{at}: {v} not in enum"));
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        errors.push(format!("{at}: {v} is not {c}"));
    }
    if let (Some(req), J::Object(map)) = (schema.get("required").and_then(J::as_array), v) {
        for k in req.iter().filter_map(J::as_str) {
            if !map.contains_key(k) {
                errors.push(format!("{at}: missing `{k}`"));
            }
        }
    }
    if let (Some(props), J::Object(map)) = (schema.get("properties").and_then(J::as_object), v) {
        for (k, sub) in props {
            if let Some(child) = map.get(k) {
                check(root, sub, child, &format!("{at}.{k}"), errors);
            }
        }
    }
    if let (Some(items), J::Array(list)) = (schema.get("items"), v) {
        for (i, child) in list.iter().enumerate() {
            check(root, items, child, &format!("{at}[{i}]"), errors);
        }
    }
}

/// Writes the fixture's HTML for the screenshot script
/// (`assets/make-transcript-screenshot.sh`).
#[test]
#[ignore = "run by assets/make-transcript-screenshot.sh"]
fn write_example_html() {
    let out = std::env::var("STEPWISE_TRANSCRIPT_HTML").expect("STEPWISE_TRANSCRIPT_HTML");
    let (s, ctx) = fixture();
    std::fs::write(out, transcript::render(&s, &ctx, Format::Html)).expect("write html");
}

#[test]
fn export_names_a_missing_session() {
    let home = tempfile::tempdir().expect("home");
    let err =
        transcript::export(home.path(), "20991231", Format::Markdown).expect_err("no such session");
    assert!(err.contains("no session matches `20991231`"), "{err}");
}

/// Inputs changed during the session: every format shows the change in
/// the timeline and the final value, and that it changed, in the inputs;
/// a secret changed is masked (even when a faulty writer stored it).
#[test]
fn an_input_changed_during_the_session_shows_in_every_format() {
    let mut records = records();
    let change = |seq, name: &str, value: &str, secret| Record {
        seq,
        at: t("16:33:40"),
        by: ana(),
        event: Event::InputGiven {
            name: name.into(),
            value: value.into(),
            secret,
            source: InputSource::Changed,
        },
    };
    records.insert(4, change(97, "STABLE_TAG", "v1.4.1", false));
    records.insert(5, change(98, "API_TOKEN", "hunter2-n3w", false));
    let s = Session::from_records(runbook(), records.iter());
    let ctx = context(records);
    let md = transcript::render(&s, &ctx, Format::Markdown);
    assert!(
        md.contains("| STABLE_TAG | `v1.4.1` | changed during the session at 16:33:40 UTC (+00:03:40), was “v1.4.2” |"),
        "{md}"
    );
    assert!(
        md.contains(
            "| API_TOKEN | `••••••` | changed during the session at 16:33:40 UTC (+00:03:40) |"
        ),
        "{md}"
    );
    assert!(
        md.contains("Input STABLE_TAG changed from “v1.4.2” to “v1.4.1”"),
        "{md}"
    );
    assert!(
        md.contains("Input API_TOKEN changed to a new secret value"),
        "{md}"
    );
    let html = transcript::render(&s, &ctx, Format::Html);
    assert!(html.contains("Input STABLE_TAG changed from “v1.4.2” to “v1.4.1”"));
    assert!(html.contains(
        "<td><code>v1.4.1</code></td><td>changed during the session at 16:33:40 UTC (+00:03:40), was “v1.4.2”</td>"
    ));
    let json: serde_json::Value =
        serde_json::from_str(&transcript::render(&s, &ctx, Format::Json)).unwrap();
    let tag = &json["inputs"][0];
    assert_eq!(tag["value"], "v1.4.1");
    assert_eq!(tag["source"], "changed");
    assert_eq!(tag["changed_at"], "2026-11-26T16:33:40Z");
    assert_eq!(tag["earlier"], serde_json::json!(["v1.4.2"]));
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/transcript.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut errors = Vec::new();
    check(&schema, &schema, &json, "$", &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let token = &json["inputs"][1];
    assert_eq!(token["earlier"], serde_json::json!(["••••••"]));
    assert_eq!(json["inputs"][1]["value"], "••••••");
    for format in [Format::Markdown, Format::Json, Format::Html] {
        let text = transcript::render(&s, &ctx, format);
        assert!(!text.contains("hunter2"), "{format:?} leaks a secret");
    }
}

/// "What went wrong" lists the journal's failures in the order they
/// happened, whatever step or kind they come from (it listed every step's
/// failures first, then interruptions).
#[test]
fn what_went_wrong_is_in_time_order() {
    let mut records = records();
    records.insert(
        3,
        Record {
            seq: 99,
            at: t("16:31:00"),
            by: None,
            event: Event::Interrupted {
                signal: "SIGHUP".into(),
            },
        },
    );
    let s = Session::from_records(runbook(), records.iter());
    let md = transcript::render(&s, &context(records), Format::Markdown);
    let section = md
        .split("### What went wrong")
        .nth(1)
        .and_then(|rest| rest.split("###").next())
        .expect("the section");
    let times: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("- "))
        .filter_map(|l| l.split(" UTC").next())
        .collect();
    assert!(times.len() >= 2, "{section}");
    assert!(section.contains("interrupted by SIGHUP"), "{section}");
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "{section}");
}

/// The blank action item points at the runbook's follow-up actions only
/// when it has some; the report's sentences show their commands as code
/// in HTML, not as Markdown backticks.
#[test]
fn the_last_action_item_and_the_html_sentences_say_only_what_is_there() {
    let (s, ctx) = fixture();
    assert!(!s.runbook.follow_up.is_empty(), "the fixture lists some");
    let md = transcript::render(&s, &ctx, Format::Markdown);
    assert!(md.contains("follow-up actions are listed above"), "{md}");
    let mut rb = runbook();
    rb.follow_up.clear();
    let records = records();
    let s = Session::from_records(rb, records.iter());
    for format in [Format::Markdown, Format::Html] {
        let out = transcript::render(&s, &context(records.clone()), format);
        assert!(!out.contains("listed above"), "{out}");
        assert!(out.contains("To be written"), "{out}");
    }
    // Unfinished: the outcome says how to take it up again.
    let open: Vec<Record> = records
        .into_iter()
        .filter(|r| !matches!(r.event, Event::SessionCompleted))
        .collect();
    let s = Session::from_records(runbook(), open.iter());
    let html = transcript::render(&s, &context(open), Format::Html);
    assert!(html.contains("<code>stepwise resume</code>"), "{html}");
    assert!(!html.contains("`stepwise"), "{html}");
}
