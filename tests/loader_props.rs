//! Property tests: no input makes the loader panic. Arbitrary bytes,
//! arbitrary YAML-like text, and mutations of a valid runbook are all either
//! loaded or refused with at least one problem.
//!
//! 2,500 cases per property by default (10,000 for the suite); raise with
//! `PROPTEST_CASES` for a soak (see docs/RELIABILITY.md).

use proptest::prelude::*;
use stepwise::runbook::{load_bytes, load_str, render_plain};

/// The same cases on every run, so a red run is the change's doing;
/// `PROPTEST_RNG_SEED=<n>` explores others (docs/RELIABILITY.md).
fn fixed_seed_unless_asked() -> proptest::test_runner::RngSeed {
    match std::env::var("PROPTEST_RNG_SEED") {
        Ok(_) => ProptestConfig::default().rng_seed,
        Err(_) => proptest::test_runner::RngSeed::Fixed(0x5eed),
    }
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2_500);
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: fixed_seed_unless_asked(),
        ..ProptestConfig::default()
    }
}

const VALID: &str = "runbook: 1
id: demo
title: Demo
inputs:
  TAG: { default: v1, pattern: '^v\\d+$', choices: [v1, v2] }
env: { A: b }
sections:
  - title: One
    steps:
      - title: Run it
        run: echo \"$TAG\"
        timeout: 30s
        retry: { attempts: 2, delay: 1s }
        expect_exit: [0, 1]
        capture: OUT
      - title: Look
        checklist: [a, b]
        note: required
follow_up: [x]
";

/// Text built from YAML's building blocks, so that the parser gets deep.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("\n".to_owned()),
        Just("  ".to_owned()),
        Just("- ".to_owned()),
        Just(": ".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just(", ".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("<<: ".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("|\n".to_owned()),
        Just("# c\n".to_owned()),
        Just("---\n".to_owned()),
        Just("!tag ".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\r\n".to_owned()),
        Just("\t".to_owned()),
        prop::sample::select(vec![
            "runbook",
            "id",
            "title",
            "sections",
            "steps",
            "run",
            "inputs",
            "env",
            "retry",
            "attempts",
            "timeout",
            "30s",
            "capture",
            "expect_exit",
            "choices",
            "pattern",
            "1",
            "0",
            "-1",
            "true",
            "yes",
            "~",
            "null",
            "é",
            "🚀",
            "(",
            "\\d",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(token, 0..80).prop_map(|t| t.concat())
}

/// Loads and renders: rendering must not panic either.
fn exercise(result: Result<stepwise::runbook::model::Runbook, stepwise::runbook::LoadError>) {
    if let Err(e) = result {
        assert!(!e.problems().is_empty());
        let _ = render_plain(&e);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(load_bytes("fuzz.yaml", &bytes));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        exercise(load_str("fuzz.yaml", &text));
    }

    #[test]
    fn yaml_like_text_never_panics(text in yamlish()) {
        exercise(load_str("fuzz.yaml", &text));
    }

    #[test]
    fn mutated_runbooks_never_panic(at in 0usize..VALID.len(), cut in 0usize..20, insert in yamlish()) {
        let start = (0..=at).rev().find(|i| VALID.is_char_boundary(*i)).unwrap_or(0);
        let end = (start + cut..=VALID.len()).find(|i| VALID.is_char_boundary(*i)).unwrap_or(VALID.len());
        let text = format!("{}{}{}", &VALID[..start], insert, &VALID[end..]);
        exercise(load_str("fuzz.yaml", &text));
    }
}

#[test]
fn the_valid_base_loads() {
    assert!(load_str("demo.yaml", VALID).is_ok());
}
