//! The status line from event sequences, at a given time.

use super::*;
use crate::session::event::{Actor, ConfirmedVia, Event, ExitInfo, Record};
use crate::session::state_tests::runbook;
use chrono::TimeZone;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 19, 38, 0).unwrap()
}

/// Records at the given seconds after 19:38:00 UTC, all by alice.
fn fold(events: Vec<(i64, Event)>) -> Session {
    let alice = Actor {
        user: "alice".into(),
        host: "bastion".into(),
    };
    let records: Vec<Record> = events
        .into_iter()
        .enumerate()
        .map(|(i, (secs, event))| Record {
            seq: i as u64 + 1,
            at: t0() + chrono::Duration::seconds(secs),
            by: Some(alice.clone()),
            event,
        })
        .collect();
    Session::from_records(runbook(), records.iter())
}

fn session_started() -> Event {
    Event::SessionStarted {
        session_id: "s1".into(),
        runbook_id: "rb".into(),
        runbook_title: "Deployment rollback".into(),
        runbook_path: "rb.yaml".into(),
        runbook_sha256: "0".into(),
        auto: false,
        dry_run: false,
        from_step: None,
        stepwise_version: "0".into(),
        pid: 1,
    }
}

fn started(step: &str) -> Event {
    Event::StepStarted {
        step: step.into(),
        attempt: 1,
        command: "x".into(),
        log: format!("output/{step}.1.log"),
        via: None,
    }
}

fn exited(step: &str, success: bool) -> Event {
    Event::StepExited {
        step: step.into(),
        attempt: 1,
        exit: ExitInfo {
            code: Some(i32::from(!success)),
            signal: None,
        },
        duration_ms: 10,
        success,
    }
}

fn confirmed(step: &str) -> Event {
    Event::HumanConfirmed {
        step: step.into(),
        note: None,
        checked: vec![],
        via: ConfirmedVia::Operator,
    }
}

const UTC: FixedOffset = FixedOffset::east_opt(0).unwrap();

#[test]
fn a_running_step_shows_its_number_title_and_time() {
    let s = fold(vec![
        (0, session_started()),
        (10, started("check")),
        (20, exited("check", true)),
        (30, confirmed("human")),
        (590, started("tolerant")),
    ]);
    let now = t0() + chrono::Duration::seconds(720);
    let st = of(&s, Standing::Unfinished, true, now, UTC);
    assert_eq!(
        st.line,
        "RB — step 3/3 tolerant (running 2m10s) — 0 failed, 0 skipped — started 19:38 by alice, 12m ago"
    );
    assert_eq!(st.state, "running");
    let step = st.step.unwrap();
    assert_eq!(
        (step.number, step.state, step.running_ms),
        (3, "running", Some(130_000))
    );
}

#[test]
fn an_allowed_failure_is_counted_as_allowed() {
    let s = fold(vec![
        (0, session_started()),
        (10, started("check")),
        (20, exited("check", true)),
        (30, confirmed("human")),
        (40, started("tolerant")),
        (50, exited("tolerant", false)),
        (51, Event::SessionCompleted),
    ]);
    let now = t0() + chrono::Duration::seconds(3900);
    let st = of(&s, Standing::Completed, false, now, UTC);
    assert_eq!(
        st.line,
        "RB — completed — 1 failed (allowed), 0 skipped — started 19:38 by alice, 1h05m ago"
    );
    assert_eq!((st.failed, st.failed_allowed, st.done), (1, 1, 3));
}

#[test]
fn a_cancelled_step_is_counted_and_named_as_cancelled() {
    let s = fold(vec![
        (0, session_started()),
        (10, started("check")),
        (
            20,
            Event::StepCancelled {
                step: "check".into(),
                attempt: 1,
                reason: "stopped by the operator".into(),
            },
        ),
        (21, exited("check", false)),
    ]);
    let now = t0() + chrono::Duration::seconds(60);
    let st = of(&s, Standing::Left, false, now, UTC);
    assert_eq!(
        st.line,
        "RB — step 1/3 check (cancelled; session left) — 1 failed (cancelled), 0 skipped — started 19:38 by alice, 1m00s ago"
    );
    assert_eq!((st.failed, st.cancelled), (1, 1));
}

#[test]
fn a_session_nobody_holds_says_so_and_names_the_waiting_step() {
    let s = fold(vec![(0, session_started()), (10, started("check"))]);
    let st = of(&s, Standing::Unfinished, false, t0(), UTC);
    assert_eq!(st.state, "unfinished");
    assert!(
        st.line.contains(
            "step 1/3 check (running when its stepwise stopped; it may run on: resume re-attaches)"
        ),
        "{}",
        st.line
    );
    let s = fold(vec![
        (0, session_started()),
        (10, started("check")),
        (20, exited("check", true)),
        (21, Event::SessionLeft { reason: None }),
    ]);
    let st = of(&s, Standing::Left, false, t0(), UTC);
    assert!(
        st.line
            .contains("step 2/3 human (waiting for a person; session left)"),
        "{}",
        st.line
    );
}

#[test]
fn short_durations_stay_short() {
    assert_eq!(short(45_000), "45s");
    assert_eq!(short(130_000), "2m10s");
    assert_eq!(short(720_000), "12m");
    assert_eq!(short(3_900_000), "1h05m");
}

#[test]
fn the_exit_code_follows_the_journal_and_the_lock() {
    let running = fold(vec![(0, session_started()), (10, started("check"))]);
    assert_eq!(exit_of(&running, true), None);
    assert_eq!(exit_of(&running, false), Some(Exit::Interrupted));
    let failed = fold(vec![
        (0, session_started()),
        (10, started("check")),
        (20, exited("check", false)),
        (21, Event::SessionLeft { reason: None }),
    ]);
    assert_eq!(exit_of(&failed, true), Some(Exit::Failed));
    let waiting = fold(vec![
        (0, session_started()),
        (10, started("check")),
        (20, exited("check", true)),
        (21, Event::SessionLeft { reason: None }),
    ]);
    assert_eq!(exit_of(&waiting, false), Some(Exit::WaitingForHuman));
    let done = fold(vec![(0, session_started()), (1, Event::SessionCompleted)]);
    assert_eq!(exit_of(&done, false), Some(Exit::Completed));
}
