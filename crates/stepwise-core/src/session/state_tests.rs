//! Scenario tests of the fold: event sequences to statuses.

use super::event::{ConfirmedVia, Event, ExitInfo, InputSource, Record};
use super::state::{Session, SessionStatus, StepStatus};
use crate::runbook::model::*;
use chrono::TimeZone;

fn step(id: &str, run: Option<&str>, on_failure: OnFailure) -> Step {
    let step = Step::new(id, id);
    let step = match run {
        Some(command) => step.running(command),
        None => step,
    };
    Step { on_failure, ..step }
}

pub(crate) fn runbook() -> Runbook {
    Runbook {
        id: "rb".into(),
        title: "RB".into(),
        description: None,
        inputs: vec![],
        env: vec![],
        working_dir: None,
        shell: None,
        transcript_dir: None,
        sections: vec![Section {
            title: "S".into(),
            description: None,
            optional: false,
            steps: vec![
                step("check", Some("true"), OnFailure::Ask),
                step("human", None, OnFailure::Ask),
                step("tolerant", Some("false"), OnFailure::Continue),
            ],
        }],
        follow_up: vec![],
        channels: vec![],
        cadence: None,
        targets: vec![],
    }
}

fn fold(events: Vec<Event>) -> Session {
    let t0 = chrono::Utc
        .with_ymd_and_hms(2026, 11, 26, 16, 30, 0)
        .unwrap();
    let records: Vec<Record> = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| Record {
            seq: i as u64 + 1,
            at: t0 + chrono::Duration::seconds(i as i64),
            by: None,
            event,
        })
        .collect();
    Session::from_records(runbook(), records.iter())
}

fn started(step: &str, attempt: u32) -> Event {
    Event::StepStarted {
        step: step.into(),
        attempt,
        command: "x".into(),
        log: format!("output/{step}.{attempt}.log"),
        via: None,
    }
}

fn exited(step: &str, attempt: u32, code: i32, success: bool) -> Event {
    Event::StepExited {
        step: step.into(),
        attempt,
        exit: ExitInfo {
            code: Some(code),
            signal: None,
        },
        duration_ms: 10,
        success,
    }
}

#[test]
fn a_fresh_session_has_every_step_pending_and_the_first_next() {
    let s = fold(vec![]);
    assert!(s.steps.iter().all(|st| st.status == StepStatus::Pending));
    assert_eq!(s.next_step(), Some(0));
    assert_eq!(s.progress(), (0, 3));
}

#[test]
fn a_started_step_is_running_then_succeeded_on_expected_exit() {
    let s = fold(vec![started("check", 1)]);
    assert_eq!(s.steps[0].status, StepStatus::Running { attempt: 1 });
    assert_eq!(s.running(), Some(0));
    let s = fold(vec![started("check", 1), exited("check", 1, 0, true)]);
    assert_eq!(s.steps[0].status, StepStatus::Succeeded);
    assert_eq!(s.next_step(), Some(1));
}

#[test]
fn a_failed_attempt_then_a_passing_retry_keeps_both_attempts() {
    let s = fold(vec![
        started("check", 1),
        exited("check", 1, 1, false),
        started("check", 2),
        exited("check", 2, 0, true),
    ]);
    assert_eq!(s.steps[0].attempts.len(), 2);
    assert_eq!(s.steps[0].attempts[0].success, Some(false));
    assert_eq!(s.steps[0].status, StepStatus::Succeeded);
}

#[test]
fn a_failure_with_ask_blocks_and_with_continue_is_settled() {
    let s = fold(vec![started("check", 1), exited("check", 1, 2, false)]);
    assert_eq!(s.steps[0].status, StepStatus::Failed);
    assert_eq!(s.next_step(), Some(0));
    let s = fold(vec![
        started("check", 1),
        exited("check", 1, 0, true),
        Event::HumanConfirmed {
            step: "human".into(),
            note: None,
            checked: vec![],
            via: ConfirmedVia::YesFlag,
        },
        started("tolerant", 1),
        exited("tolerant", 1, 1, false),
    ]);
    assert_eq!(s.steps[2].status, StepStatus::Failed);
    assert_eq!(s.next_step(), None);
}

#[test]
fn a_timed_out_attempt_is_a_failure_even_with_an_expected_code() {
    let s = fold(vec![
        started("check", 1),
        Event::StepTimedOut {
            step: "check".into(),
            attempt: 1,
            after_ms: 5,
        },
        exited("check", 1, 0, true),
    ]);
    assert_eq!(s.steps[0].status, StepStatus::Failed);
    assert!(s.steps[0].attempts[0].timed_out);
}

#[test]
fn confirmation_keeps_note_and_ticked_items() {
    let s = fold(vec![Event::HumanConfirmed {
        step: "human".into(),
        note: Some("INC-42: 500s on /checkout".into()),
        checked: vec![0, 2],
        via: ConfirmedVia::Operator,
    }]);
    let st = &s.steps[1];
    assert_eq!(
        st.status,
        StepStatus::Confirmed {
            via: ConfirmedVia::Operator
        }
    );
    assert_eq!(st.notes[0].text, "INC-42: 500s on /checkout");
    assert_eq!(st.checked, vec![0, 2]);
}

#[test]
fn outcome_unknown_then_marked_done_settles_the_step() {
    let s = fold(vec![
        started("check", 1),
        Event::OutcomeUnknown {
            step: "check".into(),
            attempt: 1,
        },
    ]);
    assert_eq!(s.steps[0].status, StepStatus::OutcomeUnknown { attempt: 1 });
    assert_eq!(s.next_step(), Some(0));
    let s = fold(vec![
        started("check", 1),
        Event::OutcomeUnknown {
            step: "check".into(),
            attempt: 1,
        },
        Event::MarkedDone {
            step: "check".into(),
            note: Some("verified by hand".into()),
            via: None,
        },
    ]);
    assert_eq!(s.steps[0].status, StepStatus::DoneByHand);
}

#[test]
fn skip_abort_leave_and_complete_set_the_session_status() {
    let s = fold(vec![Event::StepSkipped {
        step: "check".into(),
        reason: "not needed".into(),
        via: None,
    }]);
    assert_eq!(
        s.steps[0].status,
        StepStatus::Skipped {
            reason: "not needed".into()
        }
    );
    assert_eq!(
        fold(vec![Event::SessionLeft { reason: None }]).status,
        SessionStatus::Left
    );
    let s = fold(vec![
        Event::SessionLeft { reason: None },
        Event::SessionResumed {
            pid: 1,
            handed_over_from: None,
            reason: None,
        },
    ]);
    assert_eq!(s.status, SessionStatus::Active);
    let s = fold(vec![Event::SessionAborted {
        reason: "wrong tag".into(),
    }]);
    assert!(s.status.is_finished());
    assert!(fold(vec![Event::SessionCompleted]).ended_at.is_some());
}

#[test]
fn a_retry_is_counted_from_the_attempt_a_person_started() {
    let t0 = chrono::Utc
        .with_ymd_and_hms(2026, 11, 26, 16, 30, 0)
        .unwrap();
    let alice = Some(crate::session::event::Actor {
        user: "alice".into(),
        host: "h".into(),
    });
    // Attempts 1-3 the first run (1 by alice, 2-3 stepwise's retries),
    // 4 run again by alice.
    let records: Vec<Record> = (1..=4)
        .flat_map(|n| [started("check", n), exited("check", n, 1, false)])
        .enumerate()
        .map(|(i, event)| Record {
            seq: i as u64 + 1,
            at: t0 + chrono::Duration::seconds(i as i64),
            by: match &event {
                Event::StepStarted { attempt: 1 | 4, .. } => alice.clone(),
                _ => None,
            },
            event,
        })
        .collect();
    let s = Session::from_records(runbook(), records.iter());
    let st = &s.steps[0];
    assert_eq!(st.retry_words(2, 3), "attempt 2 of 3");
    assert_eq!(
        st.retry_words(5, 3),
        "attempt 5 (2 of 3 since it was run again)"
    );
}

fn resumed() -> Event {
    Event::SessionResumed {
        pid: 1,
        handed_over_from: None,
        reason: None,
    }
}

#[test]
fn a_resume_after_no_recorded_stop_is_a_silent_stop_from_the_last_record() {
    // Started, a step ran, then nothing said why stepwise stopped (at 2 s).
    let s = fold(vec![
        started("check", 1),
        exited("check", 1, 0, true),
        resumed(),
    ]);
    let t0 = chrono::Utc
        .with_ymd_and_hms(2026, 11, 26, 16, 30, 0)
        .unwrap();
    let s1 = chrono::Duration::seconds(1);
    assert_eq!(s.silent_stops, [(t0 + s1, t0 + s1 * 2)]);
    // A stop that was recorded (left, interrupted, stopped) is not one,
    // even with records after it (the interrupted step's exit).
    let said = [
        Event::SessionLeft { reason: None },
        Event::Interrupted {
            signal: "SIGTERM".into(),
        },
    ];
    for stop in said {
        let s = fold(vec![
            started("check", 1),
            stop,
            exited("check", 1, 1, false),
            resumed(),
        ]);
        assert!(s.silent_stops.is_empty(), "{:?}", s.silent_stops);
    }
    // Two crashes in a row: two silent stops.
    let s = fold(vec![started("check", 1), resumed(), resumed()]);
    assert_eq!(s.silent_stops.len(), 2);
}

fn given(name: &str, value: &str, secret: bool, source: InputSource) -> Event {
    Event::InputGiven {
        name: name.into(),
        value: value.into(),
        secret,
        source,
    }
}

#[test]
fn an_input_given_again_keeps_the_latest_value_and_what_it_replaced() {
    let s = fold(vec![
        given("TAG", "v1", false, InputSource::Var),
        given("TOKEN", "••••••", true, InputSource::Var),
        given("TAG", "v2", false, InputSource::Changed),
        given("TAG", "v3", false, InputSource::Changed),
        given("TOKEN", "••••••", true, InputSource::Changed),
    ]);
    assert_eq!(
        s.inputs.len(),
        2,
        "one entry per input, in first-given order"
    );
    let tag = &s.inputs[0];
    assert_eq!((tag.name.as_str(), tag.value.as_str()), ("TAG", "v3"));
    assert_eq!(tag.earlier, vec!["v1", "v2"]);
    assert_eq!(tag.source, InputSource::Changed);
    assert!(tag.changed());
    assert_eq!(tag.at, s.last_at.unwrap() - chrono::Duration::seconds(1));
    let token = &s.inputs[1];
    assert!(token.secret && token.changed());
    assert_eq!(token.value, "••••••");
    assert_eq!(token.earlier, vec!["••••••"]);
    let untouched = fold(vec![given("TAG", "v1", false, InputSource::Default)]);
    assert!(!untouched.inputs[0].changed());
    assert!(untouched.inputs[0].earlier.is_empty());
}

#[test]
fn journals_from_before_the_changed_source_still_load_and_it_round_trips() {
    let old = r#"{"seq":2,"at":"2026-11-26T16:30:00Z","type":"input_given","name":"TAG","value":"v1","secret":false,"source":"prompt"}"#;
    let r: Record = serde_json::from_str(old).unwrap();
    assert!(matches!(
        r.event,
        Event::InputGiven {
            source: InputSource::Prompt,
            ..
        }
    ));
    let changed = Record {
        event: given("TAG", "v2", false, InputSource::Changed),
        ..r
    };
    let line = serde_json::to_string(&changed).unwrap();
    assert!(line.contains(r#""source":"changed""#), "{line}");
    assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), changed);
}

/// Journals written before operators and handovers load unchanged: a
/// resume record with only its pid is a resume by nobody in particular.
#[test]
fn an_old_resume_record_loads_without_a_handover() {
    let line = r#"{"seq":5,"at":"2026-11-26T16:30:00Z","type":"session_resumed","pid":7}"#;
    let r: Record = serde_json::from_str(line).unwrap();
    assert_eq!(
        r.event,
        Event::SessionResumed {
            pid: 7,
            handed_over_from: None,
            reason: None,
        }
    );
    let s = fold(vec![r.event]);
    assert!(s.handovers.is_empty());
}

/// A resume by someone other than the last operator is a handover.
#[test]
fn a_resume_naming_the_last_operator_is_folded_as_a_handover() {
    use super::event::Actor;
    let actor = |u: &str| Actor {
        user: u.into(),
        host: "h".into(),
    };
    let s = fold(vec![Event::SessionResumed {
        pid: 1,
        handed_over_from: Some(actor("alice")),
        reason: Some("shift change".into()),
    }]);
    assert_eq!(s.handovers.len(), 1);
    assert_eq!(s.handovers[0].from, actor("alice"));
    assert_eq!(s.handovers[0].reason.as_deref(), Some("shift change"));
}

/// Retries left are counted from the run's first attempt: the last one a
/// person started (its record names an operator), else attempt 1.
#[test]
fn retries_left_count_from_the_attempt_a_person_started() {
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 12, 2, 6, 0, 0).unwrap();
    let alice = super::event::Actor {
        user: "alice".into(),
        host: "vm".into(),
    };
    let events = [
        (started("check", 1), None),
        (exited("check", 1, 1, false), None),
        (started("check", 2), None),
        (exited("check", 2, 1, false), None),
        (started("check", 3), Some(alice)),
    ];
    let records: Vec<Record> = events
        .into_iter()
        .enumerate()
        .map(|(i, (event, by))| Record {
            seq: i as u64 + 1,
            at: t0 + chrono::Duration::seconds(i as i64),
            by,
            event,
        })
        .collect();
    let s = Session::from_records(runbook(), records.iter());
    let st = s.step("check").unwrap();
    // `retry: { attempts: 2 }`: attempt 2 was the run's last; attempt 3,
    // started by alice, begins a run with one retry left.
    assert_eq!(st.tries_left(1, 2), 1);
    assert_eq!(st.tries_left(2, 2), 0);
    assert_eq!(st.tries_left(3, 2), 1);
}
