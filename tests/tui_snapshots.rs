//! Rendered screens (TestBackend + insta) at 100x30 and 80x24, from a
//! hand-made session with a fixed clock; and styles checked cell by cell.

#[path = "tui_fixture.rs"]
mod fixture;

use crossterm::event::KeyCode;
use fixture::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use stepwise::engine::command::Update;
use stepwise::session::event::{Event, Stream};
use stepwise::tui::app::{App, Msg};
use stepwise::tui::modals::Modal;
use stepwise::tui::view;

fn draw(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.update(Msg::Resize(w, h));
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::render(f, app)).unwrap();
    t
}

fn busy() -> App {
    let mut r = midway();
    r.push(started_step(7, 100, "deploy", 1));
    let mut app = app_with(&r);
    output(
        &mut app,
        "deploy",
        1,
        Stream::Stdout,
        "Deploying v1.4.2\n\x1b[32mpulled image\x1b[0m\n",
    );
    output(
        &mut app,
        "deploy",
        1,
        Stream::Stderr,
        "warning: slow registry\n",
    );
    output(
        &mut app,
        "deploy",
        1,
        Stream::Stdout,
        "\x1b[2Jrolling out 3/5",
    );
    app
}

fn both(name: &str, mut app: App) {
    for (w, h) in [(100, 30), (80, 24), (200, 50)] {
        let t = draw(&mut app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

#[test]
fn main_screen() {
    both("main", busy());
}

/// An automated step that has not run shows the latest output as context
/// (the selection moves to it when the step before ends; a blank pane there
/// made the output just produced vanish).
#[test]
fn an_unrun_automated_step_shows_the_latest_output_as_context() {
    let mut app = busy();
    app.update(key(KeyCode::Down));
    let screen = format!("{:?}", draw(&mut app, 100, 30).backend());
    assert!(
        screen.contains("Log · not run yet · latest output, from deploy"),
        "{screen}"
    );
    assert!(screen.contains("rolling out 3/5"), "{screen}");
    assert!(!screen.contains("Not run yet. Enter runs it."), "{screen}");
}

#[test]
fn main_screen_paused_log() {
    let mut app = busy();
    for i in 0..60 {
        output(
            &mut app,
            "deploy",
            1,
            Stream::Stdout,
            &format!("line {i}\n"),
        );
    }
    app.update(key(KeyCode::PageUp));
    both("paused", app);
}

/// After `/`: the match is on the top row, reversed; the status bar says
/// which line and how to move between matches.
#[test]
fn a_search_match() {
    let mut app = busy();
    app.update(key(KeyCode::Char('/')));
    for c in "slow".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter));
    both("search_match", app);
}

#[test]
fn human_prompt() {
    let mut app = app_with(&started());
    app.update(key(KeyCode::Enter));
    app.update(Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('d'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    both("human_prompt", app);
}

#[test]
fn checklist_prompt() {
    let mut app = app_with(&midway());
    app.select(4);
    app.update(key(KeyCode::Enter));
    app.update(ch(' '));
    both("checklist_prompt", app);
}

/// On the smallest screen a human step's checklist is not cut off: its
/// rows take the room a message would (none is shown), and the items
/// scroll to the selected one, with a mark for the rows out of view.
#[test]
fn a_checklist_shows_on_the_smallest_screen() {
    let mut app = app_with(&midway());
    app.select(4);
    app.update(key(KeyCode::Enter));
    let screen = screen_of(&mut app, 50, 14);
    for item in ["Development team", "Operations team", "Key stakeholders"] {
        assert!(screen.contains(item), "{item} hidden:\n{screen}");
    }
    // Eight items: the last is reached with ↓, marks say what is hidden.
    let mut rb = runbook();
    let notify = rb
        .sections
        .iter_mut()
        .flat_map(|s| s.steps.iter_mut())
        .find(|s| s.id == "notify")
        .unwrap();
    notify.checklist = (1..=8).map(|i| format!("Item number {i}")).collect();
    let session = stepwise::session::state::Session::from_records(rb, midway().iter());
    let mut long = App::new(session, vec![], t0() + chrono::Duration::seconds(125), true);
    long.select(4);
    long.update(key(KeyCode::Enter));
    let screen = screen_of(&mut long, 50, 14);
    assert!(screen.contains("more rows"), "{screen}");
    assert!(!screen.contains("Item number 8"), "{screen}");
    for _ in 0..7 {
        long.update(key(KeyCode::Down));
    }
    let screen = screen_of(&mut long, 50, 14);
    assert!(screen.contains("Item number 8"), "{screen}");
    assert!(screen.contains("more rows above"), "{screen}");
}

/// A paste in a human step's prompt goes to its note even while the
/// checklist has the focus (as a typed character does), and nothing
/// happens to a paste while the screen is too small to draw.
#[test]
fn a_paste_in_the_checklist_prompt_goes_to_the_note() {
    use stepwise::tui::modals::Modal;
    let mut app = app_with(&midway());
    app.select(4);
    app.update(key(KeyCode::Enter));
    assert!(matches!(&app.modal, Some(Modal::Human(p)) if !p.on_note));
    assert!(
        app.update(Msg::Paste("checked by hand\non two hosts".into()))
            .is_empty()
    );
    let Some(Modal::Human(p)) = &app.modal else {
        panic!("the prompt closed");
    };
    assert_eq!(p.note.lines(), ["checked by hand", "on two hosts"]);
    assert!(app.status.is_none(), "{:?}", app.status);

    let mut small = app_with(&midway());
    small.update(Msg::Resize(30, 8));
    assert!(small.too_small());
    assert!(small.update(Msg::Paste("q".into())).is_empty());
    assert!(small.modal.is_none() && small.status.is_none());
}

/// A human step's prompt left with nothing sent (Esc, or a skip given up)
/// keeps its note and ticks for the next Enter.
#[test]
fn a_prompt_left_unanswered_keeps_its_note() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    use stepwise::tui::modals::Modal;
    let mut app = app_with(&midway());
    app.select(4);
    app.update(key(KeyCode::Enter));
    app.update(ch(' '));
    app.update(Msg::Paste("checked the dashboards".into()));
    app.update(key(KeyCode::Esc));
    assert!(app.modal.is_none());
    app.update(key(KeyCode::Enter));
    let Some(Modal::Human(p)) = &app.modal else {
        panic!("no prompt: {:?}", app.modal);
    };
    assert_eq!(p.note.lines(), ["checked the dashboards"]);
    assert!(p.checked[0], "the tick is kept");
    // Confirming with an item unticked warns; left and opened again, the
    // warning is not taken as given: it warns again, nothing is sent.
    assert!(
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('d'),
            KeyModifiers::CONTROL
        )))
        .is_empty()
    );
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Enter));
    let again = app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('d'),
        KeyModifiers::CONTROL,
    )));
    assert!(again.is_empty(), "confirmed without the warning: {again:?}");
    // Ctrl-S opens the skip's reason; giving it up keeps the note too.
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('s'),
        KeyModifiers::CONTROL,
    )));
    assert!(
        matches!(app.modal, Some(Modal::Line { .. })),
        "{:?}",
        app.modal
    );
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Enter));
    let Some(Modal::Human(p)) = &app.modal else {
        panic!("no prompt: {:?}", app.modal);
    };
    assert_eq!(p.note.lines(), ["checked the dashboards"]);
}

/// A reason typed and given up with Esc is there again when the same
/// question is asked again; another question starts empty, and a reason
/// sent is gone.
#[test]
fn a_reason_given_up_is_kept_for_the_same_question() {
    use stepwise::engine::command::Command;
    use stepwise::tui::modals::Modal;
    let field = |app: &App| match &app.modal {
        Some(Modal::Line { text, .. }) => text.lines().join(" "),
        other => panic!("no reason field: {other:?}"),
    };
    let mut app = app_with(&midway());
    app.update(ch('s'));
    type_text(&mut app, "the canary is already on the old version");
    app.update(key(KeyCode::Esc));
    assert!(app.modal.is_none());
    app.update(ch('s'));
    assert_eq!(field(&app), "the canary is already on the old version");
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Down));
    app.update(ch('s'));
    assert_eq!(field(&app), "", "another step's question");
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Up));
    app.update(ch('s'));
    let sent = app.update(key(KeyCode::Enter));
    assert!(
        matches!(&sent[..], [Command::Skip { reason, .. }] if reason == "the canary is already on the old version"),
        "{sent:?}"
    );
    assert!(app.line_drafts.is_empty());

    // Opened from another question (Ctrl-S in a human step's prompt): the
    // draft is there too; sent, it is gone for good.
    let mut app = app_with(&midway());
    app.select(4);
    app.update(ch('s'));
    type_text(&mut app, "done on the phone");
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Enter));
    app.update(Msg::Key(crossterm::event::KeyEvent::new(
        KeyCode::Char('s'),
        crossterm::event::KeyModifiers::CONTROL,
    )));
    assert_eq!(field(&app), "done on the phone");
    assert_eq!(app.update(key(KeyCode::Enter)).len(), 1);
    assert!(app.line_drafts.is_empty(), "{:?}", app.line_drafts);

    // An abort's reason was about the failure on screen: once another
    // step starts, it is not offered again; a skip's stays.
    use stepwise::tui::modals::LinePurpose;
    app.line_drafts
        .push((LinePurpose::Abort, "bad deploy".into()));
    let skip = LinePurpose::Skip {
        step: "tag-exists".into(),
    };
    app.line_drafts.push((skip.clone(), "not needed".into()));
    let seq = midway().last().unwrap().seq + 1;
    app.update(Msg::Engine(Update::Record(started_step(
        seq,
        130,
        "tag-exists",
        2,
    ))));
    assert_eq!(app.line_drafts, [(skip, "not needed".to_owned())]);
}

/// A long note in Details wraps under its own text, not under its time.
#[test]
fn a_long_note_wraps_under_itself_in_details() {
    let mut records = midway();
    let seq = records.last().unwrap().seq + 1;
    records.push(rec(
        seq,
        100,
        Event::NoteAdded {
            step: Some("identify".into()),
            text: "the spike started with the 14:02 deploy of the payments service; rolled back by hand on two hosts".into(),
        },
    ));
    let mut app = app_with(&records);
    app.select(0);
    let screen = screen_of(&mut app, 100, 30);
    let rows: Vec<&str> = screen.lines().collect();
    let first = rows
        .iter()
        .position(|r| r.contains(": the spike started"))
        .expect(&screen);
    let row: Vec<char> = rows[first].chars().collect();
    let at = rows[first].find("the spike").unwrap();
    let indent = rows[first][..at].chars().count();
    // The Details pane's left border, the last one before the note.
    let border = row[..indent].iter().rposition(|c| *c == '│').unwrap();
    let next: Vec<char> = rows[first + 1].chars().collect();
    assert!(
        next[border + 1..indent].iter().all(|c| *c == ' ') && next[indent] != ' ',
        "{screen}"
    );
}

#[test]
fn run_confirmation_masks_secrets() {
    let mut app = app_with(&midway());
    app.update(key(KeyCode::Enter));
    let t = draw(&mut app, 100, 30);
    let screen = format!("{:?}", t.backend());
    assert!(!screen.contains("s3cr3t"), "secret leaked");
    both("run_confirm", app);
}

#[test]
fn failure_prompt() {
    let mut app = busy();
    engine(&mut app, exited(8, 110, "deploy", 1, 2));
    app.update(Msg::Engine(Update::Idle));
    both("failure", app);
}

#[test]
fn outcome_unknown_prompt() {
    both("unknown", unknown_app());
}

/// `deploy` of `busy()` with its outcome unknown, the prompt open.
fn unknown_app() -> App {
    let mut app = busy();
    engine(
        &mut app,
        rec(
            8,
            200,
            Event::OutcomeUnknown {
                step: "deploy".into(),
                attempt: 1,
            },
        ),
    );
    app.update(Msg::Engine(Update::Idle));
    app
}

#[test]
fn skip_reason() {
    let mut app = app_with(&midway());
    app.update(ch('s'));
    type_text(&mut app, "not today");
    both("skip_reason", app);
}

/// A long skip reason is read whole before Enter: the field wraps it on
/// three rows instead of scrolling it sideways.
#[test]
fn a_long_skip_reason_wraps_in_its_field() {
    let mut app = app_with(&midway());
    app.update(ch('s'));
    type_text(
        &mut app,
        "the pager vendor is down for everyone; we told the incident channel by phone",
    );
    let screen = screen_of(&mut app, 100, 30);
    assert!(
        screen.contains("the pager vendor is down for everyone;"),
        "{screen}"
    );
    assert!(screen.contains("by phone"), "{screen}");
}

/// On the narrowest screen the interface draws (50 columns), the bar
/// keeps `? help` and `q quit` whole, the runbook's title giving way.
#[test]
fn the_narrowest_bar_keeps_help_and_quit() {
    let mut app = app_with(&midway());
    let screen = screen_of(&mut app, 50, 15);
    let bar = screen.lines().last().unwrap();
    assert!(bar.contains("? help q quit"), "{bar:?}");
    // Away from the next step, `g` is pinned too.
    app.update(key(KeyCode::Down));
    let screen = screen_of(&mut app, 50, 15);
    let bar = screen.lines().last().unwrap();
    assert!(bar.contains("? help q quit"), "{bar:?}");
}

#[test]
fn help_overlay() {
    let mut app = app_with(&midway());
    app.update(ch('?'));
    both("help", app);
}

#[test]
fn quit_confirmation() {
    let mut app = app_with(&midway());
    app.update(ch('q'));
    both("quit", app);
}

/// On a screen narrower than the dialog, the resume command is broken to
/// the narrower box: every piece ends in ` \` or is the last, none is cut.
#[test]
fn the_quit_dialog_breaks_its_command_to_a_narrow_screen() {
    let mut app = app_with(&midway());
    app.update(ch('q'));
    let id = app.look().session.id.clone();
    let screen = screen_of(&mut app, 50, 30);
    assert!(screen.contains("stepwise resume \\"), "{screen}");
    // The session id whole on one line: not wrapped by the box.
    assert!(screen.contains(&id), "{id}\n{screen}");
}

#[test]
fn cancel_confirmation() {
    let mut app = busy();
    app.update(ch('c'));
    both("cancel", app);
}

#[test]
fn too_small() {
    let mut app = busy();
    let t = draw(&mut app, 44, 12);
    insta::assert_snapshot!("too_small", t.backend());
}

/// Narrower than 80 columns (a split pane) the panes are stacked: steps,
/// details, then the log; a short wide screen keeps them side by side.
#[test]
fn narrow_and_short_screens_stack_or_shrink_the_panes() {
    let mut app = busy();
    let t = draw(&mut app, 60, 20);
    insta::assert_snapshot!("stacked_60x20", t.backend());
    let t = draw(&mut app, 120, 15);
    insta::assert_snapshot!("short_120x15", t.backend());
}

/// A failed step's question sits above the log pane, so the output it
/// asks about stays in view.
#[test]
fn the_failure_question_leaves_the_log_in_view() {
    let mut app = busy();
    output(
        &mut app,
        "deploy",
        1,
        Stream::Stderr,
        "error: image v1.4.2 not found in the registry\n",
    );
    engine(&mut app, exited(9, 105, "deploy", 1, 2));
    app.update(Msg::Engine(Update::Idle));
    for (w, h) in [(100, 30), (80, 24)] {
        let t = draw(&mut app, w, h);
        let screen = format!("{:?}", t.backend());
        assert!(
            screen.contains("Step failed"),
            "no question at {w}x{h}:\n{screen}"
        );
        assert!(
            screen.contains("not found in the"),
            "the log's last line is hidden at {w}x{h}:\n{screen}"
        );
    }
}

/// A question taller than the room above the log pane (the outcome-unknown
/// prompt at 80x24) pushes the pane down instead of covering its first
/// rows: a short log stays whole in view, title included.
#[test]
fn a_tall_question_pushes_the_log_down_rather_than_covering_it() {
    let mut app = unknown_app();
    for (w, h) in [(80, 24), (100, 30)] {
        let screen = screen_of(&mut app, w, h);
        let rows: Vec<&str> = screen.lines().collect();
        let question_end = rows
            .iter()
            .rposition(|r| r.contains('┗'))
            .unwrap_or_else(|| panic!("no question at {w}x{h}:\n{}", rows.join("\n")));
        let below = rows[question_end + 1..].join("\n");
        for line in ["Log · deploy", "Deploying v1.4.2", "rolling out 3/5"] {
            assert!(
                below.contains(line),
                "{line:?} not below the question at {w}x{h}:\n{}",
                rows.join("\n")
            );
        }
    }
}

#[test]
fn no_color_keeps_symbols_and_drops_colours() {
    let mut app = busy();
    app.color = false;
    let t = draw(&mut app, 100, 30);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "colour at {:?}", cell.symbol());
        assert_eq!(cell.bg, Color::Reset);
    }
    insta::assert_snapshot!("no_color_100x30", t.backend());
}

/// Finds the first cell holding `symbol` in the steps pane.
fn cell_of<'a>(t: &'a Terminal<TestBackend>, symbol: &str) -> &'a ratatui::buffer::Cell {
    let buf = t.backend().buffer();
    let width = 40;
    (0..buf.area.height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|(x, y)| &buf[(x, y)])
        .find(|c| c.symbol() == symbol)
        .unwrap_or_else(|| panic!("{symbol} not drawn"))
}

#[test]
fn status_marks_have_symbols_and_colours() {
    let mut r = midway();
    r.push(started_step(7, 100, "deploy", 1));
    r.push(exited(8, 110, "deploy", 1, 2));
    r.push(rec(
        9,
        111,
        Event::StepSkipped {
            step: "health".into(),
            reason: "no".into(),
            via: None,
        },
    ));
    r.push(rec(
        10,
        112,
        Event::MarkedDone {
            step: "notify".into(),
            note: None,
            via: None,
        },
    ));
    let mut app = app_with(&r);
    app.select(5);
    let t = draw(&mut app, 100, 30);
    assert_eq!(cell_of(&t, "✓").fg, Color::Green);
    let failed = cell_of(&t, "✗");
    assert_eq!(failed.fg, Color::Red);
    assert!(failed.modifier.contains(Modifier::BOLD));
    assert_eq!(cell_of(&t, "↷").fg, Color::Blue);
    assert_eq!(cell_of(&t, "✎").fg, Color::Cyan);
    assert!(cell_of(&t, "○").modifier.contains(Modifier::DIM));
    assert!(cell_of(&t, "▶").modifier.contains(Modifier::BOLD));
    // The selected row is reversed, so it reads without colour too.
    assert!(cell_of(&t, "○").modifier.contains(Modifier::REVERSED));
}

#[test]
fn running_step_spins_and_stderr_is_marked() {
    let mut app = busy();
    let t = draw(&mut app, 100, 30);
    let spinner = cell_of(&t, "⠋");
    assert_eq!(spinner.fg, Color::Yellow);
    let buf = t.backend().buffer();
    let gutter = (0..30)
        .map(|y| &buf[(40, y)])
        .chain((0..30).map(|y| &buf[(41, y)]))
        .find(|c| c.symbol() == "▌");
    assert_eq!(gutter.map(|c| c.fg), Some(Color::Red));
}

#[test]
fn section_skip_prompt() {
    let mut app = app_with(&midway());
    let logs = app.session.step_index("logs").unwrap();
    app.select(logs);
    app.update(ch('S'));
    type_text(&mut app, "no trouble");
    both("section_skip", app);
}

#[test]
fn help_overlay_scrolled_at_80x24() {
    let mut app = app_with(&midway());
    app.update(Msg::Resize(80, 24));
    app.update(ch('?'));
    for _ in 0..30 {
        app.update(key(KeyCode::Down));
    }
    let t = draw(&mut app, 80, 24);
    insta::assert_snapshot!("help_scrolled_80x24", t.backend());
}

/// A session folder whose journal records output of `tag-exists`, read
/// back as `stepwise resume` does.
#[test]
fn resumed_log_shows_earlier_output() {
    use stepwise::session::journal::Journal;
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(stepwise::session::clock::StepClock::starting_at(t0()));
    let actor = stepwise::session::event::Actor {
        user: "oncall".into(),
        host: "laptop".into(),
    };
    let mut j = Journal::create(&dir.path().join("journal.jsonl"), clock, actor).unwrap();
    let out = "abc1234 refs/tags/v1.4.2\n";
    let err = "warning: shallow clone\n";
    std::fs::create_dir(dir.path().join("output")).unwrap();
    std::fs::write(
        dir.path().join("output/tag-exists.1.log"),
        format!("{out}{err}"),
    )
    .unwrap();
    let mut records = Vec::new();
    for r in midway() {
        records.push(j.append(r.event, false).unwrap());
        if records.len() == 5 {
            for (stream, offset, len) in [
                (Stream::Stdout, 0, out.len() as u64),
                (Stream::Stderr, out.len() as u64, err.len() as u64),
            ] {
                let ev = Event::OutputRecorded {
                    step: "tag-exists".into(),
                    attempt: 1,
                    stream,
                    offset,
                    len,
                };
                records.push(j.append(ev, false).unwrap());
            }
        }
    }
    j.sync().unwrap();
    let mut app = app_with(&records);
    stepwise::tui::history::load(&mut app.logs, &app.session, dir.path());
    let exists = app.session.step_index("tag-exists").unwrap();
    app.select(exists);
    both("resumed_log", app);
}

#[test]
fn picker_screen() {
    use stepwise::picker::Entry;
    use stepwise::tui::picker::{Picker, render};
    let summary = stepwise::session::store::Summary {
        id: "20240501T030000Z-deployment-rollback-1a2b".into(),
        runbook: "deployment-rollback".into(),
        started: Some(t0()),
        last_activity: Some(t0()),
        status: stepwise::session::store::Standing::Left,
        running: false,
        done: 2,
        total: 6,
        transcript: None,
        dir: "/tmp/s".into(),
        reason: None,
    };
    let entries = vec![
        Entry::Runbook {
            path: "runbooks/rollback.yaml".into(),
            title: "Deployment rollback".into(),
        },
        Entry::Runbook {
            path: "runbooks/examples/hello.yaml".into(),
            title: "Hello, stepwise".into(),
        },
        Entry::Session { summary },
    ];
    let state = Picker { selected: 2 };
    for (w, h) in [(100, 30), (80, 24), (200, 50)] {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| render(f, &entries, &state, true)).unwrap();
        insta::assert_snapshot!(format!("picker_{w}x{h}"), t.backend());
    }
}

/// Quitting while a step runs offers to leave it running (its monitor
/// holds it; resume re-attaches) or to cancel it.
#[test]
fn quit_while_a_step_runs_offers_to_leave_it_running() {
    let mut app = busy();
    app.update(ch('q'));
    both("quit_running", app);
}

fn screen_of(app: &mut App, w: u16, h: u16) -> String {
    let t = draw(app, w, h);
    let b = t.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| b[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The group the outcome-unknown question names is looked at again at each
/// key: `r` is refused while a real process group of the attempt runs, and
/// asks "Run it again?" once the operator has stopped it with the command
/// shown (no need to close and reopen the question).
#[test]
fn an_unknown_prompt_rechecks_the_group_when_r_is_pressed() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("output")).unwrap();
    let mut child = std::process::Command::new("sleep")
        .arg("60")
        .process_group(0)
        .spawn()
        .unwrap();
    let pgid = child.id() as i32;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    let log = dir.path().join("output/deploy.1.log");
    std::fs::write(&log, "started\n").unwrap();
    std::fs::write(
        log.with_extension("pid"),
        format!("{pgid} {}\n", boot.trim()),
    )
    .unwrap();
    let mut app = busy();
    app.session_dir = Some(dir.path().to_owned());
    let facts = stepwise::engine::process::survivor::group_facts(&log);
    assert_eq!(facts.pids, vec![pgid]);
    app.modal = Some(Modal::Unknown(
        stepwise::tui::modals::unknown::UnknownPrompt::new("deploy".into(), facts),
    ));
    assert!(app.update(ch('r')).is_empty());
    assert!(screen_of(&mut app, 100, 30).contains("Not re-run: it still runs"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(app.update(ch('r')).is_empty(), "asks first");
    let screen = screen_of(&mut app, 100, 30);
    assert!(screen.contains("Run it again?"), "{screen}");
    assert!(!screen.contains("Not re-run"), "{screen}");
}

/// Issue 14 item 4: the facts, and the stop command on a line of its own
/// inside the dialog, at 80 and 100 columns; `r` while the group runs is
/// refused in the dialog; with the group gone it asks before a re-run.
#[test]
fn the_unknown_prompt_states_the_facts_and_shows_the_stop_command() {
    use stepwise::engine::process::survivor::GroupFacts;
    use stepwise::tui::modals::unknown::UnknownPrompt;
    let last = t0() + chrono::Duration::seconds(160);
    let facts = GroupFacts {
        pgid: Some(4242),
        pids: vec![4242, 4250],
        last_output: Some(last.into()),
    };
    for (w, h) in [(80, 24), (100, 30)] {
        let mut app = busy();
        app.modal = Some(Modal::Unknown(UnknownPrompt::new(
            "deploy".into(),
            facts.clone(),
        )));
        let screen = screen_of(&mut app, w, h);
        assert!(
            screen.contains("process group 4242 (pids 4242, 4250)"),
            "{screen}"
        );
        let stop = screen
            .lines()
            .find(|l| l.contains("kill -TERM -- -4242"))
            .unwrap_or_else(|| panic!("no stop command at {w}x{h}:\n{screen}"));
        // The dialog's own line: between its two bold borders.
        let inside = stop
            .split('┃')
            .nth(1)
            .unwrap_or(stop)
            .trim_matches(|c: char| c.is_whitespace());
        assert_eq!(inside, "kill -TERM -- -4242", "not on its own line");
        assert!(screen.contains("it ran at least 1m"), "{screen}");
        assert!(app.update(ch('r')).is_empty(), "re-run while it runs");
        let screen = screen_of(&mut app, w, h);
        assert!(screen.contains("Not re-run: it still runs"), "{screen}");
    }
    let mut app = busy();
    let gone = GroupFacts {
        pids: Vec::new(),
        ..facts
    };
    app.modal = Some(Modal::Unknown(UnknownPrompt::new("deploy".into(), gone)));
    assert!(screen_of(&mut app, 100, 30).contains("No process of it runs any more"));
    assert!(
        app.update(ch('r')).is_empty(),
        "re-run without a confirmation"
    );
    assert!(screen_of(&mut app, 100, 30).contains("Run it again?"));
    assert!(app.update(ch('n')).is_empty());
    app.update(ch('r'));
    assert_eq!(
        app.update(ch('y')),
        vec![stepwise::engine::command::Command::Start {
            step: "deploy".into()
        }]
    );
}

/// Issue 14 item 5: after an outcome-unknown attempt is re-run, only the
/// new attempt is "running"; the old one says its outcome is unknown.
#[test]
fn details_show_only_the_attempt_running_now_as_running() {
    let mut r = midway();
    r.push(started_step(7, 60, "deploy", 1));
    r.push(rec(
        8,
        90,
        Event::OutcomeUnknown {
            step: "deploy".into(),
            attempt: 1,
        },
    ));
    r.push(started_step(9, 97, "deploy", 2));
    let mut app = app_with(&r);
    let screen = screen_of(&mut app, 100, 30);
    let attempts: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("#1 ") || l.contains("#2 "))
        .collect();
    assert_eq!(attempts.len(), 2, "{screen}");
    assert!(attempts[0].contains("outcome unknown"), "{screen}");
    assert!(!attempts[0].contains("running"), "{screen}");
    assert!(attempts[1].contains("running for 28s"), "{screen}");
}

#[test]
fn finished_screen() {
    let mut app = app_with(&midway());
    app.update(Msg::Engine(stepwise::engine::command::Update::Ended(
        stepwise::engine::command::End::Completed,
    )));
    both("finished", app);
}

/// The last screen says why the session was aborted, and names an update
/// that never got through when the session was closed as it was.
#[test]
fn the_last_screen_says_why_it_was_aborted_and_what_was_not_delivered() {
    use stepwise::engine::command::End;
    let mut records = midway();
    let seq = records.last().unwrap().seq + 1;
    records.push(rec(
        seq,
        200,
        Event::SessionAborted {
            reason: "rolled back by hand instead".into(),
        },
    ));
    let mut app = app_with(&records);
    app.update(Msg::Engine(Update::Ended(End::Aborted)));
    let screen = screen_of(&mut app, 100, 30);
    assert!(
        screen.contains("Aborted: rolled back by hand instead"),
        "{screen}"
    );

    let yaml = "runbook: 1\nid: u\ntitle: U\nchannels:\n  pager:\n    command: ./notify.sh\nsections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell everyone it is over\n        update: Resolved.\n";
    let book = stepwise::runbook::load::load_str("u.yaml", yaml).unwrap();
    let mut records = started();
    records.extend(sent_update("pager", "Resolved.", Err("pager down")));
    let session = stepwise::session::state::Session::from_records(book, &records);
    let mut app = App::new(session, vec![], t0(), false);
    app.update(Msg::Engine(Update::Ended(End::Completed)));
    let screen = screen_of(&mut app, 100, 30);
    assert!(
        screen.contains("⚠ tell: not delivered to pager when the session closed"),
        "{screen}"
    );
}

/// Every dialog on the smallest screens the layout takes (50 to 79
/// columns, stacked): drawn, never a panic (the end screen's width was
/// once clamped between 70 and the screen's width).
#[test]
fn dialogs_draw_on_the_smallest_screens() {
    for (w, h) in [(50, 14), (60, 20), (71, 24)] {
        let mut app = app_with(&midway());
        app.update(Msg::Engine(stepwise::engine::command::Update::Ended(
            stepwise::engine::command::End::Completed,
        )));
        let screen = format!("{:?}", draw(&mut app, w, h).backend());
        assert!(screen.contains("Session completed"), "{w}x{h}:\n{screen}");
        // Its keys and the whole export command stay in the box.
        assert!(screen.contains("Enter/Esc/q leave"), "{w}x{h}:\n{screen}");
        assert!(screen.contains(".html"), "{w}x{h}:\n{screen}");
        for key in ['q', '?'] {
            let mut app = busy();
            app.update(ch(key));
            draw(&mut app, w, h);
        }
    }
}

#[test]
fn a_sections_description_shows_on_its_first_step() {
    let mut rb = runbook();
    rb.sections[0].description = Some("Before initiating a rollback, make sure of this.".into());
    let session = stepwise::session::state::Session::from_records(rb, started().iter());
    let mut app = App::new(session, vec![], t0(), false);
    let first = app.session.runbook.sections[0].steps[0].id.clone();
    let i = app.session.step_index(&first).unwrap();
    app.select(i);
    let t = draw(&mut app, 100, 30);
    let screen: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains("Before initiating a rollback"), "{screen}");
}

#[test]
fn the_details_pane_says_when_it_cannot_hold_everything() {
    let mut rb = runbook();
    let long = "Tick each party once told, with the channel used. ".repeat(12);
    rb.sections[0].steps[0].instructions = Some(long);
    let session = stepwise::session::state::Session::from_records(rb, started().iter());
    let mut app = App::new(session, vec![], t0(), false);
    app.select(0);
    let screen = |t: &Terminal<TestBackend>| -> String {
        t.backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect()
    };
    let first = screen(&draw(&mut app, 80, 24));
    assert!(first.contains("more: D scrolls"), "{first}");
    // D scrolls it, down to its end, then back to the top.
    app.update(key(KeyCode::Char('D')));
    let scrolled = screen(&draw(&mut app, 80, 24));
    assert_ne!(first, scrolled);
    for _ in 0..40 {
        app.update(key(KeyCode::Char('D')));
        if screen(&draw(&mut app, 80, 24)).contains("end: D goes to the top") {
            break;
        }
    }
    assert!(screen(&draw(&mut app, 80, 24)).contains("end: D goes to the top"));
    let mut short = app_with(&started());
    short.select(0);
    assert!(!screen(&draw(&mut short, 100, 30)).contains("D scrolls"));
}

#[test]
fn the_quit_dialog_tells_a_demo_it_cannot_be_resumed() {
    let mut app = app_with(&midway());
    app.quit_note = Some("This is the demo: it cannot be resumed.".into());
    app.update(ch('q'));
    let t = draw(&mut app, 100, 30);
    let screen: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        screen.contains("This is the demo: it cannot be resumed."),
        "{screen}"
    );
    assert!(!screen.contains("resume later"), "{screen}");
}

/// `deploy` made a `tty: true` step, running its first attempt.
fn tty_deploy_running() -> App {
    let mut rb = runbook();
    rb.sections[1].steps[0].tty = true;
    let mut records = midway();
    records.push(started_step(7, 100, "deploy", 1));
    let session = stepwise::session::state::Session::from_records(rb, records.iter());
    App::new(session, vec![], t0() + chrono::Duration::seconds(125), true)
}

/// A `tty: true` step: its emulated terminal (tui-term) in the log pane.
/// At 80x24 the pane is shorter than the 24-row screen, so it shows the
/// rows ending at the cursor, where the progress bar is redrawn; no cursor
/// block is drawn, and the bar's colour survives.
#[test]
fn tty_step_shows_its_terminal_screen() {
    let mut app = tty_deploy_running();
    let mut text = String::new();
    for i in 1..=20 {
        text.push_str(&format!("layer {i:02} pulled\r\n"));
    }
    text.push_str("\x1b[32m[#####     ]\x1b[0m  50%\r\x1b[32m[########  ]\x1b[0m  80%");
    output(&mut app, "deploy", 1, Stream::Stdout, &text);
    let t = draw(&mut app, 80, 24);
    let buf = t.backend().buffer();
    let bar = (0..24)
        .flat_map(|y| (40..80).map(move |x| (x, y)))
        .find(|&p| buf[p].symbol() == "#")
        .expect("the progress bar is drawn");
    assert_eq!(buf[bar].fg, Color::Indexed(2));
    assert!(
        buf.content().iter().all(|c| c.symbol() != "█"),
        "a cursor block was drawn"
    );
    insta::assert_snapshot!("tty_80x24", t.backend());
}

/// A tty step takes the keys as it starts in manual mode (its prompt's
/// keys are not hotkeys), not in auto mode (`a` must stop auto mode).
#[test]
fn a_tty_step_takes_the_keys_as_it_starts_unless_in_auto_mode() {
    for auto in [false, true] {
        let mut rb = runbook();
        rb.sections[1].steps[0].tty = true;
        let session = stepwise::session::state::Session::from_records(rb, midway().iter());
        let mut app = App::new(session, vec![], t0() + chrono::Duration::seconds(125), true);
        app.auto = auto;
        screen_of(&mut app, 100, 30);
        app.update(Msg::Engine(Update::Record(started_step(
            7, 100, "deploy", 1,
        ))));
        let typing = app.typing.clone();
        assert_eq!(typing.is_some(), !auto, "auto {auto}: {typing:?}");
    }
}

/// `/` on a tty step: its pane is a terminal screen, not searched; the
/// bar names the log file that holds its whole output.
#[test]
fn search_on_a_tty_step_names_its_log_file() {
    let mut app = tty_deploy_running();
    output(&mut app, "deploy", 1, Stream::Stdout, "pulling layers\r\n");
    app.update(ch('/'));
    for c in "layers".chars() {
        app.update(ch(c));
    }
    app.update(key(KeyCode::Enter));
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("output/deploy.1.log"), "{status}");
}

/// A long stderr line (the reason is at its end) and a long stdout line,
/// at 80x24: wrapped (the default), then cut with `…` after `w`.
#[test]
fn long_lines_wrap_or_are_cut() {
    let mut app = app_with(&{
        let mut r = midway();
        r.push(started_step(7, 100, "deploy", 1));
        r
    });
    output(
        &mut app,
        "deploy",
        1,
        Stream::Stdout,
        "Deploying v1.4.2\nGET https://health.internal.example.com/api/v1/ready?region=eu-west-1\nwaiting\n",
    );
    output(
        &mut app,
        "deploy",
        1,
        Stream::Stderr,
        "error: upstream connect error or disconnect/reset before headers. reset reason: connection refused\n",
    );
    let t = draw(&mut app, 80, 24);
    insta::assert_snapshot!("long_lines_wrapped_80x24", t.backend());
    app.update(ch('w'));
    let t = draw(&mut app, 80, 24);
    let marks = t
        .backend()
        .buffer()
        .content()
        .iter()
        .filter(|c| c.symbol() == "…")
        .count();
    assert!(marks >= 2, "both long lines are marked as cut");
    insta::assert_snapshot!("long_lines_cut_80x24", t.backend());
}

/// After STABLE_TAG was changed once: the list shows the new value, when
/// it changed, and the secret masked (the fixture's journal holds it raw).
fn changed_tag() -> App {
    let mut r = midway();
    r.push(rec(
        7,
        90,
        Event::InputGiven {
            name: "STABLE_TAG".into(),
            value: "v1.4.1".into(),
            secret: false,
            source: stepwise::session::event::InputSource::Changed,
        },
    ));
    app_with(&r)
}

#[test]
fn input_change_list() {
    let mut app = changed_tag();
    app.update(ch('i'));
    app.update(ch('j'));
    both("input_list", app);
}

#[test]
fn input_change_value_with_an_error() {
    let mut app = changed_tag();
    app.update(ch('i'));
    app.update(key(KeyCode::Enter));
    type_text(&mut app, "-rc1");
    app.update(key(KeyCode::Enter));
    both("input_edit_error", app);
}

#[test]
fn input_change_secret_is_typed_masked() {
    let mut app = changed_tag();
    app.update(ch('i'));
    app.update(ch('j'));
    app.update(key(KeyCode::Enter));
    type_text(&mut app, "hunter2");
    let t = draw(&mut app, 80, 24);
    let screen = format!("{:?}", t.backend());
    assert!(!screen.contains("hunter2") && !screen.contains("s3cr3t"));
    insta::assert_snapshot!("input_edit_secret_80x24", t.backend());
}

/// Between a failed attempt and the next one (`retry:`), the step shows a
/// wait, not a failure: ↻ in the list and the countdown in the details;
/// its next start ends it.
#[test]
fn a_step_waiting_for_its_retry_shows_the_wait_not_a_failure() {
    let mut r = midway();
    r.push(started_step(7, 100, "deploy", 1));
    r.push(exited(8, 101, "deploy", 1, 1));
    let mut app = app_with(&r);
    let due = app.now + chrono::Duration::seconds(4);
    let scheduled = Event::RetryScheduled {
        step: "deploy".into(),
        attempt: 2,
        of: 3,
        due,
    };
    app.update(Msg::Engine(Update::Record(rec(9, 101, scheduled))));
    let screen = format!("{:?}", draw(&mut app, 100, 30).backend());
    assert!(screen.contains("↻  Deploy"), "{screen}");
    assert!(
        screen.contains("failed, retrying: attempt 2 of 3 in 4s"),
        "{screen}"
    );
    app.update(Msg::Engine(Update::Record(started_step(
        10, 105, "deploy", 2,
    ))));
    let screen = format!("{:?}", draw(&mut app, 100, 30).backend());
    assert!(!screen.contains("retrying"), "{screen}");
    assert!(!screen.contains("↻"), "{screen}");
}

/// `stepwise follow`: the banner says read only, and the key hints are
/// only the ones that move the view.
#[test]
fn following_read_only() {
    let mut app = busy();
    app.read_only = true;
    both("following_read_only", app);
}

/// Issue 14 item 10: the selection moved off the next step; the steps
/// pane says which step `▶` marks and that `g` goes back to it.
#[test]
fn selection_away_from_the_next_step() {
    let mut app = app_with(&midway());
    let next = app.session.next_step().unwrap();
    app.update(key(KeyCode::Up));
    assert_ne!(app.selected, next);
    let screen = format!("{:?}", draw(&mut app, 100, 30).backend());
    assert!(screen.contains("g goes there"), "{screen}");
    assert!(screen.contains("g to ▶"), "{screen}");
    both("selection_away_from_next", app);
}

/// `g` selects the next step again; the legend goes.
#[test]
fn g_goes_back_to_the_next_step() {
    let mut app = app_with(&midway());
    let next = app.session.next_step().unwrap();
    app.update(key(KeyCode::Up));
    app.update(key(KeyCode::Char('g')));
    assert_eq!(app.selected, next);
    let screen = format!("{:?}", draw(&mut app, 80, 24).backend());
    assert!(!screen.contains("g goes there"), "{screen}");
}

/// Issue 14 item 7: a message longer than the bar is shown whole, wrapped
/// in a box above it, and the bar keeps `? help` and `q quit`.
#[test]
fn a_long_message_is_shown_whole_above_the_bar() {
    let mut app = app_with(&midway());
    app.status =
        Some("Optional section “Troubleshooting”: Enter runs its steps, S skips it all.".into());
    for (w, h) in [(80, 24), (100, 30)] {
        let screen = format!("{:?}", draw(&mut app, w, h).backend());
        assert!(screen.contains("S skips it all."), "{w}x{h}: {screen}");
        assert!(!screen.contains("ste…"), "{w}x{h}: {screen}");
    }
    both("long_message", app);
}

/// Issue 14 item 7: at 80 columns the bar keeps `? help` and `q quit`
/// whatever else it must leave out.
#[test]
fn the_bar_keeps_help_and_quit_at_80_columns() {
    for mut app in [app_with(&midway()), busy()] {
        let t = draw(&mut app, 80, 24);
        let last = (0..80)
            .map(|x| t.backend().buffer()[(x, 23)].symbol().to_string())
            .collect::<String>();
        assert!(last.contains("? help") && last.contains("q quit"), "{last}");
    }
}

/// An update whose delivery is unknown (stepwise stopped while sending
/// it) is asked about as an update: resend with the same key, it arrived,
/// or skip; not as a command whose monitor went.
#[test]
fn an_update_of_unknown_delivery_is_asked_about_as_an_update() {
    use stepwise::engine::process::survivor::GroupFacts;
    use stepwise::tui::modals::unknown::UnknownPrompt;
    let yaml = "runbook: 1\nid: u\ntitle: U\nchannels:\n  ops:\n    file: updates.log\nsections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell the stakeholders\n        update: Rolling back.\n";
    let book = stepwise::runbook::load::load_str("u.yaml", yaml).unwrap();
    let session = stepwise::session::state::Session::from_records(book, &started());
    let mut app = App::new(session, vec![], t0(), false);
    app.modal = Some(Modal::Unknown(UnknownPrompt::new(
        "tell".into(),
        GroupFacts::default(),
    )));
    let screen = screen_of(&mut app, 100, 30);
    assert!(screen.contains("whether each channel got it"), "{screen}");
    assert!(screen.contains("same idempotency key"), "{screen}");
    assert!(!screen.contains("Its monitor is gone"), "{screen}");
    assert!(!screen.contains("Last output"), "{screen}");
    app.update(ch('r'));
    let screen = screen_of(&mut app, 100, 30);
    assert!(screen.contains("Send it again?"), "{screen}");
}

/// The Details of an update step that sent show the text that went out
/// (values filled in), under the send and how each channel took it, besides
/// the template.
#[test]
fn the_details_of_a_sent_update_show_the_text_sent() {
    let yaml = "runbook: 1\nid: u\ntitle: U\nchannels:\n  ops:\n    file: updates.log\nsections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell the stakeholders\n        update: Rolling back to $STABLE_TAG.\n";
    let book = stepwise::runbook::load::load_str("u.yaml", yaml).unwrap();
    let mut records = started();
    records.extend(sent_update(
        "ops",
        "Rolling back to v1.4.2.",
        Ok("appended"),
    ));
    let session = stepwise::session::state::Session::from_records(book, &records);
    let mut app = App::new(session, vec![], t0(), false);
    let screen = screen_of(&mut app, 100, 30);
    assert!(screen.contains("Rolling back to $STABLE_TAG."), "{screen}");
    let sent = screen.find("sent ").expect(&screen);
    assert!(screen[sent..].contains("  ✓ ops: appended"), "{screen}");
    assert!(
        screen[sent..].contains("  text: Rolling back to v1.4.2."),
        "{screen}"
    );
}

/// The values a step's command reads are listed one a line under `with`
/// (a long one wraps alone), secrets masked.
#[test]
fn the_values_a_command_reads_are_listed_one_a_line() {
    let yaml = "runbook: 1\nid: v\ntitle: V\ninputs:\n  STABLE_TAG: {}\n  API_TOKEN: { secret: true }\nsections:\n  - title: S\n    steps:\n      - id: deploy\n        title: Deploy\n        run: deploy \"$STABLE_TAG\" --token \"$API_TOKEN\"\n";
    let book = stepwise::runbook::load::load_str("v.yaml", yaml).unwrap();
    let session = stepwise::session::state::Session::from_records(book, &started());
    let mut app = App::new(session, vec![], t0(), false);
    let screen = screen_of(&mut app, 100, 30);
    let with = screen
        .lines()
        .position(|l| l.contains("with STABLE_TAG=v1.4.2"))
        .expect(&screen);
    let next = screen.lines().nth(with + 1).unwrap();
    assert!(next.contains("│     API_TOKEN=••••••"), "{screen}");
    assert!(!screen.contains("s3cr3t"), "{screen}");
}

/// The screen's rows as a terminal shows them: a wide character (two
/// columns) once, without the blank cell it hides.
fn shown_rows(app: &mut App, w: u16, h: u16) -> Vec<String> {
    let t = draw(app, w, h);
    let b = t.backend().buffer();
    (0..h)
        .map(|y| {
            let (mut row, mut hidden) = (String::new(), 0);
            for x in 0..w {
                let symbol = b[(x, y)].symbol();
                if hidden > 0 {
                    hidden -= 1;
                    continue;
                }
                row.push_str(symbol);
                hidden = ratatui::text::Span::raw(symbol).width().saturating_sub(1);
            }
            row
        })
        .collect()
}

/// Titles in Japanese (two columns a character) are cut by the columns
/// they take, with `…`, so a step's row keeps its time and the pane its
/// border; the runbook's title on the bar and a skip dialog's question
/// fit the same way.
#[test]
fn wide_titles_are_cut_by_the_columns_they_take() {
    let mut book = runbook();
    book.title = "ロールバック手順書 本番環境 デプロイの切り戻し".into();
    book.sections[0].steps[1].title =
        "データベースのレプリケーション遅延を確認する（五秒未満であること）".into();
    book.sections[1].steps[0].title =
        "本番環境のデプロイを一つ前の安定版に戻して全ホストで確認する".into();
    let session = stepwise::session::state::Session::from_records(book, &midway());
    let mut app = App::new(
        session,
        vec![],
        t0() + chrono::Duration::seconds(125),
        false,
    );
    for (w, h) in [(80, 24), (100, 30)] {
        let rows = shown_rows(&mut app, w, h);
        // The bar shortens the title and keeps the keys that must stay.
        let bar = &rows[h as usize - 1];
        assert!(
            bar.starts_with(" ロールバック") && bar.contains("… ⏱"),
            "{bar}"
        );
        assert!(bar.contains("? help") && bar.contains("q quit"), "{bar}");
        let row = rows
            .iter()
            .find(|r| r.contains("データ"))
            .expect("the step's row");
        let end = row.match_indices('┃').nth(1).expect(row).0;
        let pane = &row[..end];
        assert!(pane.contains("…") && pane.contains(" 1.2s"), "{pane}");
    }
    app.update(ch('s'));
    let rows = shown_rows(&mut app, 80, 24);
    let title = rows
        .iter()
        .find(|r| r.contains("Skip “"))
        .expect("the skip dialog");
    assert!(title.contains("…”: why?"), "{rows:#?}");
}

/// The failure question of a step titled in Japanese and emoji: the
/// title wraps inside the box, which keeps both its borders on every row.
#[test]
fn a_wide_title_wraps_inside_the_failure_question() {
    let mut book = runbook();
    book.sections[1].steps[0].title =
        "⚠️ 本番データベースの切り戻しを実行して全ホストの状態を確認する（Slack・電話で報告）"
            .into();
    let mut records = midway();
    records.push(started_step(7, 100, "deploy", 1));
    records.push(exited(8, 110, "deploy", 1, 2));
    let session = stepwise::session::state::Session::from_records(book, &records);
    let mut app = App::new(
        session,
        vec![],
        t0() + chrono::Duration::seconds(125),
        false,
    );
    app.update(Msg::Engine(Update::Idle));
    for (w, h) in [(80, 24), (100, 30)] {
        let rows = shown_rows(&mut app, w, h);
        let top = rows
            .iter()
            .position(|r| r.contains('┏'))
            .expect("the question");
        let bottom = rows.iter().position(|r| r.contains('┗')).expect("its end");
        // Every row between the corners has both borders where the
        // corners are, in terminal columns.
        let col = |r: &str, c: char| {
            let at = r.find(c)?;
            Some(ratatui::text::Span::raw(&r[..at]).width())
        };
        let (left, right) = (col(&rows[top], '┏'), col(&rows[top], '┓'));
        for r in &rows[top + 1..bottom] {
            let borders: Vec<usize> = r
                .match_indices('┃')
                .map(|(at, _)| ratatui::text::Span::raw(&r[..at]).width())
                .collect();
            assert!(
                borders.first().copied() == left && borders.contains(&right.unwrap()),
                "{r}: {rows:#?}"
            );
        }
        let question = rows[top..bottom].concat();
        assert!(question.contains("Slack"), "{rows:#?}");
    }
}

/// Every step settled but the last update refused by its channel: when
/// the engine waits (idle), the interface asks before the session closes,
/// naming the update and why its channel refused it; `r` resends it, `c`
/// closes the session as it is (Enter does not: typed ahead, it must not
/// close a session), `s` asks for the skip's reason and giving that up
/// asks again. A follower (read only) is never asked.
#[test]
fn an_undelivered_update_is_asked_about_before_the_session_closes() {
    use stepwise::engine::command::Command;
    let yaml = "runbook: 1\nid: u\ntitle: U\nchannels:\n  pager:\n    command: ./notify.sh\nsections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell everyone it is over\n        update: Resolved.\n";
    let book = stepwise::runbook::load::load_str("u.yaml", yaml).unwrap();
    let mut records = started();
    records.extend(sent_update(
        "pager",
        "Resolved.",
        Err("`./notify.sh` failed (exit status: 1): pager down"),
    ));
    let session = stepwise::session::state::Session::from_records(book, &records);
    let mut app = App::new(session, vec![], t0(), false);
    app.update(Msg::Engine(Update::Idle));
    let t = draw(&mut app, 100, 30);
    insta::assert_snapshot!("undelivered_100x30", t.backend());
    let screen = screen_of(&mut app, 100, 30);
    assert!(screen.contains("pager: `./notify.sh` failed (exit status: 1): pager down"));
    // Sent again and refused again: the question says so (r did something).
    let mut again = records.clone();
    again.extend(
        sent_update("pager", "Resolved.", Err("pager down")).map(|mut r| {
            r.seq += 2;
            r.at += chrono::Duration::seconds(60);
            r
        }),
    );
    let book = stepwise::runbook::load::load_str("u.yaml", yaml).unwrap();
    let session = stepwise::session::state::Session::from_records(book, &again);
    let mut resent = App::new(session, vec![], t0(), false);
    resent.update(Msg::Engine(Update::Idle));
    let screen = screen_of(&mut resent, 100, 30);
    assert!(screen.contains("sent 2 times, last 03:01:05"), "{screen}");
    assert_eq!(
        app.update(ch('r')),
        vec![Command::Start {
            step: "tell".into()
        }]
    );
    app.update(Msg::Engine(Update::Idle));
    assert_eq!(app.update(key(KeyCode::Enter)), Vec::<Command>::new());
    assert_eq!(app.update(ch('c')), vec![Command::Close]);
    app.update(Msg::Engine(Update::Idle));
    app.update(ch('s'));
    assert!(screen_of(&mut app, 100, 30).contains("Skip “Tell everyone it is over”: why?"));
    app.update(key(KeyCode::Esc));
    assert!(screen_of(&mut app, 100, 30).contains("Not delivered"));

    let session = stepwise::session::state::Session::from_records(
        stepwise::runbook::load::load_str("u.yaml", yaml).unwrap(),
        &records,
    );
    let mut follower = App::new(session, vec![], t0(), false);
    follower.read_only = true;
    follower.update(Msg::Engine(Update::Idle));
    follower.update(ch('?'));
    follower.update(key(KeyCode::Esc));
    assert!(!screen_of(&mut follower, 100, 30).contains("Not delivered"));
}

/// A channel's long error (a command's stderr) wraps under itself, in the
/// *Not delivered* question and in the Details pane: no row of it starts
/// at the box's edge, and every word of it is on the screen.
#[test]
fn a_long_channel_error_wraps_under_its_channel() {
    let yaml = "runbook: 1\nid: u\ntitle: U\nchannels:\n  pager:\n    command: ./notify.sh\nsections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell everyone it is over\n        update: Resolved.\n";
    let why = "`./notify.sh` failed (exit status: 1): connection to pager.example.internal:443 refused after 3 retries; upstream said: service unavailable";
    let book = stepwise::runbook::load::load_str("u.yaml", yaml).unwrap();
    let mut records = started();
    records.extend(sent_update("pager", "Resolved.", Err(why)));
    let session = stepwise::session::state::Session::from_records(book, &records);
    let mut app = App::new(session, vec![], t0(), false);
    let details = screen_of(&mut app, 100, 30);
    app.update(Msg::Engine(Update::Idle));
    let question = screen_of(&mut app, 100, 30);
    for (screen, lead) in [(&details, "  ✗ pager: "), (&question, "      pager: ")] {
        let rows: Vec<&str> = screen.lines().collect();
        let first = rows.iter().position(|r| r.contains(lead)).expect(screen);
        // Every character on these rows takes one column.
        let at = rows[first].find(lead).unwrap() + lead.len();
        let indent = rows[first][..at].chars().count();
        // The row after the first starts in the error's column.
        let next: Vec<char> = rows[first + 1].chars().collect();
        assert!(
            next[indent - 1] == ' ' && next[indent] != ' ',
            "{indent}\n{screen}"
        );
        assert!(screen.contains("refused after 3 retries;"), "{screen}");
        assert!(
            screen.contains("upstream said:") && screen.contains("unavailable"),
            "{screen}"
        );
    }
}

/// Three channels refused the last update, each with a long error: on an
/// 80x24 or 60x16 screen the question cuts each error to its row, and its
/// keys stay in view.
#[test]
fn the_not_delivered_question_keeps_its_keys_on_a_small_screen() {
    use stepwise::session::event::ChannelOutcome;
    let yaml = "runbook: 1\nid: u\ntitle: U\nchannels:\n  pager:\n    command: ./n.sh\n  chat:\n    command: ./n.sh\n  status-page:\n    command: ./n.sh\nsections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell everyone it is over\n        update: Resolved.\n";
    let why = "`./n.sh` failed (exit status: 1): connection refused while posting to https://relay.internal.example.com/api/v2/notify after 3 retries";
    let channels = ["pager", "chat", "status-page"];
    let mut records = started();
    records.push(rec(
        4,
        5,
        Event::UpdateIntent {
            step: Some("tell".into()),
            key: "tell:1".into(),
            status: stepwise::runbook::model::UpdateStatus::Resolved,
            channels: channels.iter().map(|c| c.to_string()).collect(),
            text: "Resolved.".into(),
        },
    ));
    let results = channels.iter().map(|c| ChannelOutcome {
        channel: c.to_string(),
        ok: false,
        detail: why.into(),
        unsure: false,
    });
    records.push(rec(
        5,
        5,
        Event::UpdateResult {
            step: Some("tell".into()),
            key: "tell:1".into(),
            results: results.collect(),
        },
    ));
    let book = stepwise::runbook::load::load_str("u.yaml", yaml).unwrap();
    let session = stepwise::session::state::Session::from_records(book, &records);
    let mut app = App::new(session, vec![], t0(), false);
    app.update(Msg::Engine(Update::Idle));
    for (w, h) in [(80, 24), (60, 16)] {
        let screen = screen_of(&mut app, w, h);
        assert!(screen.contains("r resend"), "{w}x{h}\n{screen}");
        assert!(screen.contains("c close as is"), "{w}x{h}\n{screen}");
        assert!(screen.contains("▶ ✗ Tell everyone"), "{w}x{h}\n{screen}");
        assert!(
            screen.contains("status-page: `./n.sh`"),
            "{w}x{h}\n{screen}"
        );
        assert!(screen.contains('…'), "cut to its row: {w}x{h}\n{screen}");
    }
}

/// A status update refused by its channel in the middle of a session:
/// the session goes on, so the bar says which update did not get through
/// and how to send it again.
#[test]
fn a_refused_update_is_said_on_the_bar() {
    let yaml = "runbook: 1\nid: u\ntitle: U\nchannels:\n  pager:\n    command: ./notify.sh\nsections:\n  - title: S\n    steps:\n      - id: tell\n        title: Tell the team\n        update: Rolling back.\n      - id: work\n        title: Work\n        run: x\n";
    let book = stepwise::runbook::load::load_str("u.yaml", yaml).unwrap();
    let session = stepwise::session::state::Session::from_records(book, &started());
    let mut app = App::new(session, vec![], t0(), false);
    for r in sent_update("pager", "Rolling back.", Err("exit status: 1")) {
        engine(&mut app, r);
    }
    let screen = screen_of(&mut app, 100, 30);
    assert!(
        screen.contains("✉ “Tell the team” did not reach pager: r on it sends it again."),
        "{screen}"
    );
}

/// The records of update step `tell` sent once (key `tell:1`) to one
/// channel, which took it (`Ok(detail)`) or refused it (`Err(detail)`).
fn sent_update(
    channel: &str,
    text: &str,
    answer: Result<&str, &str>,
) -> [stepwise::session::event::Record; 2] {
    use stepwise::session::event::ChannelOutcome;
    let (ok, detail) = match answer {
        Ok(d) => (true, d),
        Err(d) => (false, d),
    };
    [
        rec(
            4,
            5,
            Event::UpdateIntent {
                step: Some("tell".into()),
                key: "tell:1".into(),
                status: stepwise::runbook::model::UpdateStatus::Investigating,
                channels: vec![channel.into()],
                text: text.into(),
            },
        ),
        rec(
            5,
            5,
            Event::UpdateResult {
                step: Some("tell".into()),
                key: "tell:1".into(),
                results: vec![ChannelOutcome {
                    channel: channel.into(),
                    ok,
                    detail: detail.into(),
                    unsure: false,
                }],
            },
        ),
    ]
}

/// A follower told that the running attempt's monitor recorded its exit
/// with no stepwise attached shows it ended (exit, duration, a resume
/// records it) instead of a spinner counting on; the journalled record of
/// a resume takes over from it.
#[test]
fn a_follower_shows_a_step_that_ended_with_nobody_attached() {
    let mut app = busy();
    app.read_only = true;
    let deploy = app.session.step_index("deploy").unwrap();
    app.select(deploy);
    app.update(Msg::Engine(Update::EndedAway {
        step: "deploy".into(),
        attempt: 1,
        exit: stepwise::session::event::ExitInfo {
            code: Some(3),
            signal: None,
        },
        duration_ms: 15_000,
    }));
    let screen = screen_of(&mut app, 100, 30);
    assert!(
        screen.contains("ended while no stepwise ran: exit 3 after 15s"),
        "{screen}"
    );
    assert!(screen.contains("#1 +"), "{screen}");
    assert!(!screen.contains("running for"), "{screen}");
    let row = screen
        .lines()
        .find(|l| l.contains(" ▶ "))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains("■") && row.contains("15s"), "{row}");
    // The resume's record of the exit replaces what the watch said.
    engine(&mut app, exited(8, 120, "deploy", 1, 3));
    assert!(app.ended_away.is_empty());
    let screen = screen_of(&mut app, 100, 30);
    assert!(!screen.contains("ended while no stepwise ran"), "{screen}");
}

/// A note grows with its text while the screen has rows for it: 13
/// lines at 80x24 are all in view before Ctrl-D saves them.
#[test]
fn a_long_note_is_in_view_whole_while_the_screen_has_room() {
    let mut app = busy();
    app.update(Msg::Resize(80, 24));
    app.update(ch('n'));
    for i in 1..=13 {
        type_text(&mut app, &format!("line {i} of the note"));
        app.update(key(KeyCode::Enter));
    }
    let screen = screen_of(&mut app, 80, 24);
    for i in 1..=13 {
        assert!(
            screen.contains(&format!("line {i} of the note")),
            "{screen}"
        );
    }
    assert!(screen.contains("Ctrl-D save"), "{screen}");
}

/// On the smallest screen the questions drawn above the log keep their
/// keys: the outcome-unknown box at 50x14 shows every key it offers, with
/// a row saying what it hides.
#[test]
fn the_outcome_unknown_box_keeps_its_keys_at_50x14() {
    let mut app = unknown_app();
    let screen = screen_of(&mut app, 50, 14);
    let keys: Vec<String> =
        stepwise::tui::keymap::bindings(stepwise::tui::keymap::Context::Unknown)
            .map(stepwise::tui::keymap::keys_label)
            .collect();
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(
            screen.lines().any(|l| l.contains(&format!("┃  {key}"))),
            "no {key} in\n{screen}"
        );
    }
    assert!(screen.contains("more rows"), "{screen}");
}
