//! Property tests: whatever bytes follow a valid journal (a crash mid-write,
//! a disk that returned garbage, a hand edit), `journal::parse` never
//! panics. It loads the intact records (dropping a torn last line with a
//! warning) or refuses with the number of the first damaged line, which is
//! never inside the valid part.
//!
//! 2,000 cases per property by default; raise with `PROPTEST_CASES`.

use proptest::prelude::*;
use std::path::Path;
use stepwise::session::journal::{JournalError, parse};

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
        .unwrap_or(2_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: fixed_seed_unless_asked(),
        ..ProptestConfig::default()
    }
}

const VALID: &str = concat!(
    r#"{"seq":1,"at":"2026-11-26T17:34:28.831322973Z","by":{"user":"u","host":"h"},"type":"session_started","session_id":"s","runbook_id":"r","runbook_title":"T","runbook_path":"rb.yaml","runbook_sha256":"00","auto":false,"dry_run":false,"stepwise_version":"0.1.0","pid":1}"#,
    "\n",
    r#"{"seq":2,"at":"2026-11-26T17:34:28.834618193Z","by":{"user":"u","host":"h"},"type":"step_started","step":"count","attempt":1,"command":"echo","log":"output/count.1.log"}"#,
    "\n",
    r#"{"seq":3,"at":"2026-11-26T17:34:28.981151280Z","type":"output_recorded","step":"count","attempt":1,"stream":"stdout","offset":0,"len":48}"#,
    "\n",
);
const VALID_LINES: usize = 3;

/// Checks the outcome of parsing `VALID` followed by `tail`.
fn check(tail: &[u8]) -> Result<(), TestCaseError> {
    let mut bytes = VALID.as_bytes().to_vec();
    bytes.extend_from_slice(tail);
    match parse(Path::new("journal.jsonl"), &bytes) {
        Ok(loaded) => {
            prop_assert!(loaded.records.len() >= VALID_LINES);
            prop_assert!(loaded.good_len as usize >= VALID.len());
            prop_assert!(loaded.good_len as usize <= bytes.len());
            let torn = !tail.is_empty() && !tail.ends_with(b"\n");
            prop_assert_eq!(torn, !loaded.warnings.is_empty());
        }
        Err(JournalError::Damaged { line, reason, .. }) => {
            prop_assert!(
                line > VALID_LINES,
                "damage reported at {}: {}",
                line,
                reason
            );
            let text = JournalError::Damaged {
                path: "journal.jsonl".into(),
                line,
                reason,
            }
            .to_string();
            let named = format!("line {line}");
            prop_assert!(text.contains(&named), "{}", text);
        }
        Err(other) => prop_assert!(false, "unexpected error: {}", other),
    }
    Ok(())
}

/// Pieces that look like journal lines, so parsing goes past the first byte.
fn journalish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(br#""seq":4,"#.to_vec()),
        Just(br#""type":"session_completed""#.to_vec()),
        Just(br#""at":"2026-11-26T17:34:29Z","#.to_vec()),
        Just(VALID.as_bytes()[..40].to_vec()),
        Just("é".as_bytes()[..1].to_vec()),
        Just(vec![0xff, 0x00]),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(piece, 0..20).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_after_a_valid_journal_never_panic(tail in prop::collection::vec(any::<u8>(), 0..256)) {
        check(&tail)?;
    }

    #[test]
    fn journal_like_bytes_after_a_valid_journal_never_panic(tail in journalish()) {
        check(&tail)?;
    }
}

#[test]
fn a_whole_valid_record_appended_loads() {
    let extra = concat!(
        r#"{"seq":4,"at":"2026-11-26T17:34:29Z","type":"session_completed"}"#,
        "\n"
    );
    check(extra.as_bytes()).unwrap();
    let loaded = parse(Path::new("j"), format!("{VALID}{extra}").as_bytes()).unwrap();
    assert_eq!(loaded.records.len(), VALID_LINES + 1);
}
