//! The expected end from fabricated earlier sessions: the median time per
//! step (human steps included, skipped steps no sample), less what the
//! current step has already taken; no history, no estimate.

use chrono::{DateTime, TimeDelta, Utc};
use stepwise_core::comms::estimate::{History, expected_end, words};
use stepwise_core::runbook::model::{Runbook, Section, Step};
use stepwise_core::session::event::{ConfirmedVia, Event, Record};
use stepwise_core::session::state::Session;

fn runbook() -> Runbook {
    let steps = ["a", "b", "c"].map(|id| Step::new(id, id)).to_vec();
    Runbook::new("rb", "RB", vec![Section::new("S", steps)])
}

fn t0() -> DateTime<Utc> {
    "2026-01-01T10:00:00Z".parse().unwrap()
}

fn at(secs: i64) -> DateTime<Utc> {
    t0() + TimeDelta::seconds(secs)
}

fn record(seq: u64, secs: i64, event: Event) -> Record {
    Record {
        seq,
        at: at(secs),
        by: None,
        event,
    }
}

/// A session of `rb` started at t0 whose steps settled at these seconds.
fn session(settles: &[(&str, i64, bool)]) -> Session {
    let mut records = vec![record(
        1,
        0,
        Event::SessionStarted {
            session_id: "s".into(),
            runbook_id: "rb".into(),
            runbook_title: "RB".into(),
            runbook_path: "rb.yaml".into(),
            runbook_sha256: String::new(),
            auto: false,
            dry_run: false,
            from_step: None,
            stepwise_version: "0".into(),
            pid: 1,
        },
    )];
    for (i, (step, secs, skipped)) in settles.iter().enumerate() {
        let event = if *skipped {
            Event::StepSkipped {
                step: step.to_string(),
                reason: "n/a".into(),
                via: None,
            }
        } else {
            Event::HumanConfirmed {
                step: step.to_string(),
                note: None,
                checked: vec![],
                via: ConfirmedVia::Operator,
            }
        };
        records.push(record(i as u64 + 2, *secs, event));
    }
    Session::from_records(runbook(), &records)
}

#[test]
fn the_median_per_step_less_the_current_steps_time() {
    let mut h = History::default();
    // a: 60, 120, 90 s; b: 600, 300, 400 s; c: 30, 30, 60 s.
    h.add(&session(&[
        ("a", 60, false),
        ("b", 660, false),
        ("c", 690, false),
    ]));
    h.add(&session(&[
        ("a", 120, false),
        ("b", 420, false),
        ("c", 450, false),
    ]));
    h.add(&session(&[
        ("a", 90, false),
        ("b", 490, false),
        ("c", 550, false),
    ]));
    // A skipped step is no sample: b stays at its median of 400 s.
    h.add(&session(&[("a", 90, false), ("b", 91, true)]));
    assert_eq!(h.median("b"), Some(400_000));
    // Now: a done at 100 s, b running for 50 s.
    let now = session(&[("a", 100, false)]);
    let end = expected_end(&now, &h, at(150)).unwrap();
    assert_eq!(end, at(150 + (400 - 50) + 30));
    assert_eq!(words(Some(end)), "10:08 UTC");
    // A current step already over its median counts as ending now.
    assert_eq!(expected_end(&now, &h, at(1000)).unwrap(), at(1000 + 30));
}

#[test]
fn no_history_means_no_estimate_never_a_made_up_number() {
    let now = session(&[("a", 100, false)]);
    assert_eq!(expected_end(&now, &History::default(), at(150)), None);
    assert_eq!(words(None), "no estimate yet");
}
