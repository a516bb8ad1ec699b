//! A session's runner `prepare`d: its first attempt is run by a monitor
//! forked ahead of it. A test binary of its own: in one shared with the
//! other monitor tests, another test's spawner could be taken for this
//! one's (it is found among the test process's children).

#[path = "support/procs.rs"]
mod procs;

use procs::{assert_forked_before, live_children, spawners_of, uptime, wait_until};
use std::path::PathBuf;
use std::time::Duration;
use stepwise::engine::process::Spec;
use stepwise::runner::monitor::files;
use stepwise::runner::{AttemptId, MonitorRunner, StepRunner};

fn id() -> AttemptId {
    AttemptId {
        step: "s".into(),
        attempt: 1,
        target: None,
    }
}

/// A session with a command to run has its runner `prepare`: the first
/// attempt, too, is run by a monitor forked ahead of it.
#[tokio::test(flavor = "multi_thread")]
async fn prepare_has_the_first_attempt_run_by_a_monitor_forked_ahead_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let me = std::process::id() as i32;
    let before = spawners_of(me);
    let r = MonitorRunner::new(PathBuf::from(env!("CARGO_BIN_EXE_stepwise")));
    r.prepare();
    // Until the spawner started since has forked its spare, then a gap
    // the clock can see (10 ms ticks).
    wait_until("a new spawner with its spare", || {
        spawners_of(me)
            .iter()
            .any(|z| !before.contains(z) && !live_children(*z).is_empty())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked = uptime();
    let log = dir.path().join("s.1.log");
    let mut first = r.start(
        &id(),
        Spec::new(vec!["sleep".into(), "30".into()], log.clone()),
        8,
    );
    wait_until("the first monitor", || files::monitor_alive(&log).is_some());
    assert_forked_before(files::monitor_alive(&log).unwrap(), asked);
    first.cancel.send(true).unwrap();
    while first.chunks.recv().await.is_some() {}
    assert!(first.done.await.unwrap().unwrap().cancelled);
    r.exit_recorded(&id());
}
