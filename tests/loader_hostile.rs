//! Hostile input is refused cleanly (a budget stops expansion early; how
//! fast is measured by the benchmarks, not asserted), never with a panic or a
//! hang; harmless oddities (a BOM, CRLF line endings) are accepted.

use std::path::Path;
use stepwise::runbook::{ProblemKind, load_bytes, load_file, load_str};

const HOSTILE: &str = "tests/fixtures/hostile";

#[test]
fn billion_laughs_is_refused_by_the_budget() {
    let err = load_file(&Path::new(HOSTILE).join("billion-laughs.yaml")).unwrap_err();
    assert!(err.has(ProblemKind::AliasBomb), "{:?}", err.problems());
}

#[test]
fn wide_alias_fan_out_is_refused_too() {
    // Few levels but many aliases of a big anchor: refused by the budget, not expanded.
    let mut text = String::from("a: &a [");
    text.push_str(&"x, ".repeat(500));
    text.push_str("x]\nb: [");
    text.push_str(&"*a, ".repeat(900));
    text.push_str("*a]\n");
    let err = load_str("fan.yaml", &text).unwrap_err();
    assert!(
        err.has(ProblemKind::AliasBomb) || err.has(ProblemKind::TooComplex),
        "{:?}",
        err.problems()
    );
}

#[test]
fn nesting_deeper_than_64_is_refused_in_every_style() {
    let flow = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let braces = format!("{}{}", "{a: ".repeat(500), "}".repeat(500));
    let mut block = String::new();
    for depth in 0..200 {
        block.push_str(&"  ".repeat(depth));
        block.push_str("- \n");
    }
    let mut mapping = String::new();
    for depth in 0..200 {
        mapping.push_str(&" ".repeat(depth));
        mapping.push_str("k:\n");
    }
    for text in [flow, braces, block, mapping] {
        let err = load_str("deep.yaml", &text).unwrap_err();
        assert!(
            err.has(ProblemKind::TooDeep) || err.has(ProblemKind::Syntax),
            "{:?}",
            err.problems()
        );
    }
}

#[test]
fn nesting_up_to_the_limit_is_parsed() {
    // 60 levels inside a step's env would be nonsense, but it must parse and be
    // reported as a type problem, not as too deep.
    let text = format!(
        "runbook: 1\nid: t\ntitle: T\nsections: [{{ title: S, steps: [{{ title: a, instructions: {}x{} }}] }}]\n",
        "[".repeat(55),
        "]".repeat(55)
    );
    let err = load_str("deep.yaml", &text).unwrap_err();
    assert!(err.has(ProblemKind::WrongType), "{:?}", err.problems());
}

#[test]
fn binary_and_non_utf8_name_the_byte_offset() {
    let err = load_bytes("bin", b"runbook: 1\n\x00\x01\x02").unwrap_err();
    assert!(err.has(ProblemKind::Binary));
    assert!(
        err.problems()[0].message.contains("offset 11"),
        "{}",
        err.problems()[0].message
    );
    let err = load_bytes("latin1", b"title: caf\xe9\n").unwrap_err();
    assert!(err.has(ProblemKind::NotUtf8));
    assert!(err.problems()[0].message.contains("offset 10"));
    let err = load_str("nul", "title: a\0b").unwrap_err();
    assert!(err.has(ProblemKind::Binary));
}

#[test]
fn a_bom_and_crlf_line_endings_are_accepted() {
    for name in ["bom-accepted.yaml", "crlf-accepted.yaml"] {
        let rb = load_file(&Path::new(HOSTILE).join(name)).unwrap();
        assert_eq!(rb.title, "Saved by Notepad");
        assert_eq!(rb.sections[0].steps[0].id, "look");
    }
    let both = "\u{feff}runbook: 1\r\nid: x\r\ntitle: T\r\nsections:\r\n  - title: S\r\n    steps: [{ title: a }]\r\n";
    assert!(load_str("both.yaml", both).is_ok());
}

#[test]
fn crlf_positions_still_point_at_the_right_place() {
    let text = "runbook: 1\r\nid: x\r\ntitle: T\r\nsections:\r\n  - title: S\r\n    steps:\r\n      - title: a\r\n        run: x\r\n        timeout: soon\r\n";
    let err = load_str("crlf.yaml", text).unwrap_err();
    assert_eq!(err.problems()[0].position(), Some((9, 18)));
    let rendered = stepwise::runbook::render_plain(&err);
    assert!(rendered.contains("timeout: soon"), "{rendered}");
}

#[test]
fn empty_input_is_refused() {
    for text in ["", "   \n\n", "# only a comment\n", "\u{feff}"] {
        let err = load_str("empty.yaml", text).unwrap_err();
        assert!(
            err.has(ProblemKind::Empty),
            "{text:?}: {:?}",
            err.problems()
        );
    }
}

#[test]
fn oversized_text_is_refused_without_parsing() {
    let text = "#".repeat((1 << 20) + 1);
    let err = load_str("big.yaml", &text).unwrap_err();
    assert!(err.has(ProblemKind::TooLarge));
}

#[cfg(unix)]
#[test]
fn a_device_is_not_read() {
    let err = load_file(Path::new("/dev/zero")).unwrap_err();
    assert!(err.has(ProblemKind::NotAFile));
}

#[test]
fn too_many_problems_are_capped() {
    let mut text =
        String::from("runbook: 1\nid: t\ntitle: T\nsections:\n  - title: S\n    steps:\n");
    for i in 0..200 {
        text.push_str(&format!("      - {{ title: s{i}, bogus: 1 }}\n"));
    }
    let err = load_str("many.yaml", &text).unwrap_err();
    assert_eq!(err.problems().len(), 51);
    assert!(err.has(ProblemKind::TooManyProblems));
}
