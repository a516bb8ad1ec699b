//! Every field of the format is read into the model, and every default holds.

use std::time::Duration;
use stepwise::runbook::model::{NoteRule, OnFailure, Retry, Runbook};
use stepwise::runbook::{LoadError, ProblemKind, load_str, summary};

fn load(text: &str) -> Runbook {
    match load_str("test.yaml", text) {
        Ok(rb) => rb,
        Err(e) => panic!("{}", stepwise::runbook::render_plain(&e)),
    }
}

fn fails(text: &str) -> LoadError {
    load_str("test.yaml", text).expect_err("should not load")
}

/// A minimal runbook around one step written as YAML flow or block text.
fn with_step(step: &str) -> String {
    let step = step.trim_end().replace('\n', "\n        ");
    format!("runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n      - {step}\n")
}

/// A minimal runbook with extra top-level lines.
fn with_top(extra: &str) -> String {
    format!(
        "runbook: 1\nid: t\ntitle: T\n{extra}\nsections:\n  - title: S\n    steps: [{{ title: Only }}]\n"
    )
}

#[test]
fn minimal_runbook_takes_every_top_level_default() {
    let rb = load(&with_top(""));
    assert_eq!(rb.id, "t");
    assert_eq!(rb.title, "T");
    assert_eq!(rb.description, None);
    assert!(rb.inputs.is_empty());
    assert!(rb.env.is_empty());
    assert_eq!(rb.working_dir, None);
    assert_eq!(rb.shell, None);
    assert_eq!(rb.transcript_dir, None);
    assert!(rb.follow_up.is_empty());
    assert_eq!(rb.sections.len(), 1);
}

#[test]
fn top_level_fields_are_read() {
    let rb = load(&with_top(
        "description: Why\nenv: { A: x, N: 1.10, B: true, H: 0x1F }\nworking_dir: /srv\nshell: bash -eu -c\ntranscript_dir: ./t\nfollow_up: [Fix tests, 42]",
    ));
    assert_eq!(rb.description.as_deref(), Some("Why"));
    let env: Vec<(&str, &str)> = rb
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env,
        [("A", "x"), ("N", "1.10"), ("B", "true"), ("H", "0x1F")]
    );
    assert_eq!(rb.working_dir.as_deref(), Some("/srv"));
    assert_eq!(
        rb.shell,
        Some(vec!["bash".into(), "-eu".into(), "-c".into()])
    );
    assert_eq!(rb.transcript_dir.as_deref(), Some("./t"));
    assert_eq!(rb.follow_up, ["Fix tests", "42"]);
}

#[test]
fn shell_may_be_a_list() {
    let rb = load(&with_top("shell: [sh, -ec]"));
    assert_eq!(rb.shell, Some(vec!["sh".into(), "-ec".into()]));
    assert!(fails(&with_top("shell: ''")).has(ProblemKind::Missing));
    assert!(fails(&with_top("shell: { a: 1 }")).has(ProblemKind::WrongType));
}

#[test]
fn section_fields_and_defaults() {
    let rb = load(
        "runbook: 1\nid: t\ntitle: T\nsections:\n  - title: A\n    steps: [{ title: a }]\n  - title: B\n    description: Later\n    optional: true\n    steps: [{ title: b }]\n",
    );
    let (a, b) = (&rb.sections[0], &rb.sections[1]);
    assert_eq!(
        (a.title.as_str(), a.description.as_deref(), a.optional),
        ("A", None, false)
    );
    assert_eq!(
        (b.title.as_str(), b.description.as_deref(), b.optional),
        ("B", Some("Later"), true)
    );
}

#[test]
fn human_step_defaults() {
    let rb = load(&with_step("title: Look at the dashboard"));
    let s = &rb.sections[0].steps[0];
    assert_eq!(s.id, "look-at-the-dashboard");
    assert!(!s.is_automated());
    assert_eq!(s.instructions, None);
    assert!(!s.confirm);
    assert_eq!(s.timeout, None);
    assert_eq!(
        s.retry,
        Retry {
            attempts: 1,
            delay: Duration::ZERO
        }
    );
    assert_eq!(s.on_failure, OnFailure::Ask);
    assert_eq!(s.expect_exit, [0]);
    assert_eq!(s.capture, None);
    assert_eq!(s.note, NoteRule::Optional);
    assert!(s.checklist.is_empty());
    assert!(s.env.is_empty());
    assert_eq!(s.working_dir, None);
    assert!(!s.tty);
}

#[test]
fn automated_step_fields() {
    let rb = load(&with_step(
        "id: deploy\ntitle: Deploy\ninstructions: Watch it\nrun: ./deploy.sh\nconfirm: true\ntimeout: 10m\nretry: { attempts: 3, delay: 1m30s }\non_failure: abort\nexpect_exit: [0, 3]\ncapture: OUT\nnote: required\nenv: { X: '1' }\nworking_dir: /tmp\ntty: true",
    ));
    let s = &rb.sections[0].steps[0];
    assert_eq!(s.id, "deploy");
    assert_eq!(s.instructions.as_deref(), Some("Watch it"));
    assert_eq!(s.run.as_deref(), Some("./deploy.sh"));
    assert!(s.confirm && s.tty && s.is_automated());
    assert_eq!(s.timeout, Some(Duration::from_secs(600)));
    assert_eq!(
        s.retry,
        Retry {
            attempts: 3,
            delay: Duration::from_secs(90)
        }
    );
    assert_eq!(s.on_failure, OnFailure::Abort);
    assert_eq!(s.expect_exit, [0, 3]);
    assert_eq!(s.capture.as_deref(), Some("OUT"));
    assert_eq!(s.note, NoteRule::Required);
    assert_eq!(s.env, [("X".to_owned(), "1".to_owned())]);
    assert_eq!(s.working_dir.as_deref(), Some("/tmp"));
}

#[test]
fn retry_defaults_each_half() {
    let rb = load(&with_step("title: a\nrun: x\nretry: { attempts: 2 }"));
    assert_eq!(
        rb.sections[0].steps[0].retry,
        Retry {
            attempts: 2,
            delay: Duration::ZERO
        }
    );
    let rb = load(&with_step("title: a\nrun: x\nretry: { delay: 5s }"));
    assert_eq!(
        rb.sections[0].steps[0].retry,
        Retry {
            attempts: 1,
            delay: Duration::from_secs(5)
        }
    );
}

#[test]
fn expect_exit_accepts_a_single_code_and_on_failure_continue() {
    let rb = load(&with_step(
        "title: a\nrun: x\nexpect_exit: 1\non_failure: continue",
    ));
    let s = &rb.sections[0].steps[0];
    assert_eq!(s.expect_exit, [1]);
    assert_eq!(s.on_failure, OnFailure::Continue);
}

#[test]
fn checklist_on_a_human_step() {
    let rb = load(&with_step(
        "title: Notify\nchecklist: [Dev team, Ops team]\nnote: optional",
    ));
    let s = &rb.sections[0].steps[0];
    assert_eq!(s.checklist, ["Dev team", "Ops team"]);
    assert_eq!(s.note, NoteRule::Optional);
}

#[test]
fn input_fields_and_defaults() {
    let rb = load(&with_top(
        "inputs:\n  TAG:\n    description: Tag\n    default: v1.2.3\n    pattern: '^v\\d+\\.\\d+\\.\\d+$'\n  ENV: { choices: [staging, production], default: staging }\n  TOKEN: { secret: true, required: false }\n  HOST: { default_from: hostname }\n  BARE:\n  SHORT: 8080",
    ));
    let names: Vec<&str> = rb.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["TAG", "ENV", "TOKEN", "HOST", "BARE", "SHORT"]);
    let tag = rb.input("TAG").unwrap();
    assert_eq!(tag.description.as_deref(), Some("Tag"));
    assert_eq!(tag.default.as_deref(), Some("v1.2.3"));
    assert_eq!(tag.pattern.as_deref(), Some("^v\\d+\\.\\d+\\.\\d+$"));
    assert!(tag.required && !tag.secret && tag.choices.is_empty() && tag.default_from.is_none());
    assert_eq!(rb.input("ENV").unwrap().choices, ["staging", "production"]);
    let token = rb.input("TOKEN").unwrap();
    assert!(token.secret && !token.required && token.default.is_none());
    assert_eq!(
        rb.input("HOST").unwrap().default_from.as_deref(),
        Some("hostname")
    );
    let bare = rb.input("BARE").unwrap();
    assert!(bare.required && bare.default.is_none() && bare.description.is_none());
    assert_eq!(rb.input("SHORT").unwrap().default.as_deref(), Some("8080"));
}

#[test]
fn input_rules() {
    let cases = [
        (
            "inputs: { A: { default: x, default_from: y } }",
            ProblemKind::Conflict,
        ),
        (
            "inputs: { A: { default: x, pattern: '^\\d+$' } }",
            ProblemKind::InvalidValue,
        ),
        ("inputs: { A: { choices: [] } }", ProblemKind::InvalidValue),
        (
            "inputs: { A: { choices: [a], default: b } }",
            ProblemKind::InvalidValue,
        ),
        (
            "inputs: { A: { pattern: '(' } }",
            ProblemKind::InvalidPattern,
        ),
        ("inputs: { 1A: {} }", ProblemKind::InvalidName),
        // The shell's own variables: an input `PATH` and bash is not found.
        ("inputs: { PATH: {} }", ProblemKind::InvalidName),
        ("inputs: { IFS: {} }", ProblemKind::InvalidName),
        ("inputs: { LD_PRELOAD: {} }", ProblemKind::InvalidName),
        ("inputs: { STEPWISE_STEP: {} }", ProblemKind::InvalidName),
        ("inputs: { A: [x] }", ProblemKind::WrongType),
        ("inputs: { A: { required: yes } }", ProblemKind::WrongType),
        ("inputs: [A]", ProblemKind::WrongType),
        ("env: { A-B: x }", ProblemKind::InvalidName),
        ("env: { A: [x] }", ProblemKind::WrongType),
        ("env: { A: }", ProblemKind::WrongType),
    ];
    for (extra, kind) in cases {
        let err = fails(&with_top(extra));
        assert!(
            err.has(kind),
            "{extra}: expected {kind:?}, got {:?}",
            err.problems()
        );
    }
}

#[test]
fn step_rules() {
    let cases = [
        ("title: a\ntimeout: 5s", ProblemKind::Conflict),
        ("title: a\nrun: x\nchecklist: [b]", ProblemKind::Conflict),
        ("title: a\nrun: x\ntimeout: 5", ProblemKind::InvalidDuration),
        (
            "title: a\nrun: x\nretry: { attempts: 0 }",
            ProblemKind::RetryAttempts,
        ),
        (
            "title: a\nrun: x\nretry: { attempts: -2 }",
            ProblemKind::RetryAttempts,
        ),
        ("title: a\nrun: x\nretry: 3", ProblemKind::WrongType),
        (
            "title: a\nrun: x\nexpect_exit: [256]",
            ProblemKind::InvalidValue,
        ),
        (
            "title: a\nrun: x\nexpect_exit: []",
            ProblemKind::InvalidValue,
        ),
        (
            "title: a\nrun: x\non_failure: retry",
            ProblemKind::InvalidValue,
        ),
        ("title: a\nnote: always", ProblemKind::InvalidValue),
        (
            "title: a\nrun: x\ncapture: my-var",
            ProblemKind::InvalidName,
        ),
        (
            "title: a\nrun: x\ncapture: BASH_ENV",
            ProblemKind::InvalidName,
        ),
        ("title: a\nrun: ''", ProblemKind::Missing),
        ("title: '   '", ProblemKind::Missing),
        ("title: a\nid: Not Valid", ProblemKind::InvalidId),
        ("title: 🚀", ProblemKind::InvalidId),
        ("title: a\nconfirm: 'yes'", ProblemKind::WrongType),
        ("run: x", ProblemKind::Missing),
    ];
    for (step, kind) in cases {
        let err = fails(&with_step(step));
        assert!(
            err.has(kind),
            "{step}: expected {kind:?}, got {:?}",
            err.problems()
        );
    }
}

#[test]
fn top_level_rules() {
    let body = "sections: [{ title: S, steps: [{ title: a }] }]";
    let cases = [
        (format!("id: t\ntitle: T\n{body}"), ProblemKind::Version),
        (
            format!("runbook: 2\nid: t\ntitle: T\n{body}"),
            ProblemKind::Version,
        ),
        (
            format!("runbook: '1'\nid: t\ntitle: T\n{body}"),
            ProblemKind::Version,
        ),
        (
            format!("runbook: 1\ntitle: T\n{body}"),
            ProblemKind::Missing,
        ),
        (
            format!("runbook: 1\nid: Bad/Id\ntitle: T\n{body}"),
            ProblemKind::InvalidId,
        ),
        (format!("runbook: 1\nid: t\n{body}"), ProblemKind::Missing),
        (
            "runbook: 1\nid: t\ntitle: T".to_owned(),
            ProblemKind::Missing,
        ),
        (
            "runbook: 1\nid: t\ntitle: T\nsections: []".to_owned(),
            ProblemKind::EmptySection,
        ),
        (
            "runbook: 1\nid: t\ntitle: T\nsections: [{ title: S }]".to_owned(),
            ProblemKind::EmptySection,
        ),
        ("- a\n- b".to_owned(), ProblemKind::WrongType),
        (
            format!("runbook: 1\nid: t\ntitle: T\nstep: x\n{body}"),
            ProblemKind::UnknownKey,
        ),
    ];
    for (text, kind) in cases {
        let err = fails(&text);
        assert!(
            err.has(kind),
            "{text}: expected {kind:?}, got {:?}",
            err.problems()
        );
    }
}

#[test]
fn all_problems_are_reported_in_one_pass() {
    let err = fails(&with_step(
        "title: a\nrun: x\ntimeout: soon\nretry: { attempts: 0 }\nnote: maybe\nbogus: 1",
    ));
    let kinds: Vec<ProblemKind> = err.problems().iter().map(|p| p.kind).collect();
    for kind in [
        ProblemKind::InvalidDuration,
        ProblemKind::RetryAttempts,
        ProblemKind::InvalidValue,
        ProblemKind::UnknownKey,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} missing from {kinds:?}");
    }
    assert!(err.problems().iter().all(|p| p.position().is_some()));
}

#[test]
fn problems_have_file_line_and_column() {
    let err = fails(&with_step("title: a\nrun: x\ntimeout: 5 minutes"));
    let p = &err.problems()[0];
    assert_eq!(p.kind, ProblemKind::InvalidDuration);
    assert_eq!(p.position(), Some((9, 18)));
    let text = stepwise::runbook::render_plain(&err);
    assert!(text.contains("test.yaml:9:18"), "{text}");
}

#[test]
fn summary_counts_sections_and_steps() {
    let rb = load(
        "runbook: 1\nid: t\ntitle: Rollback\nsections:\n  - title: A\n    steps: [{ title: a, run: x }, { title: b }]\n  - title: B\n    steps: [{ title: c, run: y }]\n",
    );
    assert_eq!(
        summary(&rb),
        "Rollback — 2 sections, 3 steps (2 automated, 1 human)"
    );
    let one = load(&with_step("title: a"));
    assert_eq!(
        summary(&one),
        "T — 1 section, 1 step (0 automated, 1 human)"
    );
    // An update step is counted as what it is, not as a person's step.
    let upd = load(
        "runbook: 1\nid: t\ntitle: U\nchannels:\n  ops:\n    file: u.txt\nsections:\n  - title: A\n    steps: [{ title: a }, { title: b, update: hello, channels: [ops] }]\n",
    );
    assert_eq!(
        summary(&upd),
        "U — 1 section, 2 steps (0 automated, 1 human, 1 update)"
    );
}

/// The rule against inputs named like the shell's own variables is for
/// new runbooks: a session's copy written by an older stepwise still
/// loads (its session opens, exports and verifies).
#[test]
fn a_session_copy_with_a_shell_variable_input_still_loads() {
    let text = with_top("inputs: { STEPWISE_TARGET: { default: x } }");
    assert!(fails(&text).has(ProblemKind::InvalidName));
    let rb = stepwise::runbook::load::load_copy("runbook.yaml", &text).unwrap();
    assert_eq!(rb.inputs[0].name, "STEPWISE_TARGET");
}
