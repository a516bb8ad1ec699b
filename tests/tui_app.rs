//! `App::update`: key sequences to the expected state and engine commands.

#[path = "tui_fixture.rs"]
mod fixture;

use crossterm::event::KeyCode;
use fixture::*;
use stepwise::engine::command::{Command, End, Update};
use stepwise::session::event::{ConfirmedVia, Event, Stream};
use stepwise::tui::TuiEnd;
use stepwise::tui::app::{Msg, Pane};
use stepwise::tui::modals::Modal;

#[test]
fn selection_starts_on_next_step_and_moves_with_arrows_and_jk() {
    let mut app = app_with(&midway());
    assert_eq!(app.selected_id(), "deploy");
    app.update(key(KeyCode::Down));
    assert_eq!(app.selected_id(), "health");
    app.update(ch('k'));
    app.update(ch('k'));
    assert_eq!(app.selected_id(), "tag-exists");
    app.update(ch('j'));
    app.update(key(KeyCode::Up));
    assert_eq!(app.selected_id(), "tag-exists");
    for _ in 0..20 {
        app.update(ch('j'));
    }
    assert_eq!(app.selected_id(), "logs");
}

#[test]
fn enter_on_automated_step_starts_it() {
    let mut app = app_with(&midway());
    app.update(ch('j'));
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        vec![Command::Start {
            step: "health".into()
        }]
    );
}

/// "Run this command?" on a screen too short for the whole command: `y`
/// does not run what the operator could not read; once the command shows
/// whole it does.
#[test]
fn y_waits_for_the_whole_command_to_show() {
    let mut rb = runbook();
    for s in rb.sections.iter_mut().flat_map(|s| s.steps.iter_mut()) {
        if s.id == "deploy" {
            let lines: Vec<String> = (1..=12).map(|i| format!("echo step {i}")).collect();
            s.run = Some(lines.join("\n"));
        }
    }
    let records = midway();
    let session = stepwise::session::state::Session::from_records(rb, &records);
    let mut app = stepwise::tui::app::App::new(session, vec![], t0(), true);
    app.update(Msg::Resize(50, 14));
    app.update(key(KeyCode::Enter));
    assert!(matches!(app.modal, Some(Modal::RunConfirm { .. })));
    assert!(app.update(ch('y')).is_empty(), "part of it is hidden");
    assert!(matches!(app.modal, Some(Modal::RunConfirm { .. })));
    // At 80x24 the command shows whole (the environment below it may give
    // way): y runs it.
    app.update(Msg::Resize(80, 24));
    assert_eq!(
        app.update(ch('y')),
        vec![Command::Start {
            step: "deploy".into()
        }]
    );
}

#[test]
fn enter_on_confirm_step_asks_then_runs_or_cancels() {
    let mut app = app_with(&midway());
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(matches!(app.modal, Some(Modal::RunConfirm { .. })));
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(app.modal.is_none());
    app.update(key(KeyCode::Enter));
    let cmds = app.update(ch('y'));
    assert_eq!(
        cmds,
        vec![Command::Start {
            step: "deploy".into()
        }]
    );
    assert!(app.modal.is_none());
}

#[test]
fn human_step_with_required_note_refuses_empty_then_confirms() {
    let mut app = app_with(&started());
    app.update(key(KeyCode::Enter));
    assert!(matches!(app.modal, Some(Modal::Human(_))));
    assert!(app.update(ctrl('d')).is_empty());
    match &app.modal {
        Some(Modal::Human(p)) => assert!(p.error.as_deref().unwrap().contains("needs a note")),
        other => panic!("{other:?}"),
    }
    type_text(&mut app, "5xx spike");
    match &app.modal {
        Some(Modal::Human(p)) => assert_eq!(p.error, None, "the note is typed: the message goes"),
        other => panic!("{other:?}"),
    }
    app.update(key(KeyCode::Enter));
    type_text(&mut app, "INC-42");
    let cmds = app.update(ctrl('d'));
    assert_eq!(
        cmds,
        vec![Command::Confirm {
            step: "identify".into(),
            note: Some("5xx spike\nINC-42".into()),
            checked: vec![],
            via: ConfirmedVia::Operator,
        }]
    );
}

#[test]
fn checklist_items_toggle_with_space() {
    let mut app = app_with(&midway());
    app.select(4);
    assert_eq!(app.selected_id(), "notify");
    app.update(key(KeyCode::Enter));
    app.update(ch(' '));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    app.update(ch(' '));
    app.update(key(KeyCode::Tab));
    type_text(&mut app, "all told");
    // Items left unticked are pointed out once; Done again confirms.
    assert!(app.update(ctrl('d')).is_empty());
    let Some(Modal::Human(p)) = &app.modal else {
        panic!("the prompt closed")
    };
    assert!(p.error.as_deref().unwrap().contains("not ticked"));
    let cmds = app.update(ctrl('d'));
    assert_eq!(
        cmds,
        vec![Command::Confirm {
            step: "notify".into(),
            note: Some("all told".into()),
            checked: vec![0, 2],
            via: ConfirmedVia::Operator,
        }]
    );
}

/// A warning about unticked items is about the ticks as they were: a
/// change of ticks takes it back, so the next Done warns again with the
/// count as it is now, rather than signing off ticks nobody was warned of.
#[test]
fn a_tick_changed_after_the_warning_is_warned_about_again() {
    let mut app = app_with(&midway());
    app.select(4);
    app.update(key(KeyCode::Enter));
    type_text(&mut app, "n1");
    assert!(app.update(ctrl('d')).is_empty(), "the first Done warns");
    let error = |app: &stepwise::tui::app::App| match &app.modal {
        Some(Modal::Human(p)) => p.error.clone(),
        other => panic!("the prompt closed: {other:?}"),
    };
    assert!(
        error(&app)
            .unwrap()
            .starts_with("3 of 3 items are not ticked")
    );
    app.update(key(KeyCode::Tab));
    app.update(ch(' '));
    assert_eq!(error(&app), None, "the stale count is gone");
    assert!(
        app.update(ctrl('d')).is_empty(),
        "Done after a tick changed warns again"
    );
    assert!(
        error(&app)
            .unwrap()
            .starts_with("2 of 3 items are not ticked")
    );
    let cmds = app.update(ctrl('d'));
    assert_eq!(
        cmds,
        vec![Command::Confirm {
            step: "notify".into(),
            note: Some("n1".into()),
            checked: vec![0],
            via: ConfirmedVia::Operator,
        }]
    );
}

/// Text typed while the checklist has the keys is not lost: it goes to
/// the note (Space still ticks an item first).
#[test]
fn text_typed_on_the_checklist_goes_to_the_note() {
    let mut app = app_with(&midway());
    app.select(4);
    app.update(key(KeyCode::Enter));
    app.update(ch(' '));
    type_text(&mut app, "told ops and support");
    assert!(
        app.update(ctrl('d')).is_empty(),
        "unticked items pointed out"
    );
    let cmds = app.update(ctrl('d'));
    assert_eq!(
        cmds,
        vec![Command::Confirm {
            step: "notify".into(),
            note: Some("told ops and support".into()),
            checked: vec![0],
            via: ConfirmedVia::Operator,
        }]
    );
}

#[test]
fn human_prompt_skip_and_cancel() {
    let mut app = app_with(&started());
    app.update(key(KeyCode::Enter));
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(app.modal.is_none());
    app.update(key(KeyCode::Enter));
    app.update(ctrl('s'));
    assert!(matches!(app.modal, Some(Modal::Line { .. })));
}

#[test]
fn s_asks_a_reason_and_refuses_an_empty_one() {
    let mut app = app_with(&midway());
    app.update(ch('s'));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    match &app.modal {
        Some(Modal::Line { error, .. }) => assert!(error.as_deref().unwrap().contains("reason")),
        other => panic!("{other:?}"),
    }
    type_text(&mut app, "not needed");
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        vec![Command::Skip {
            step: "deploy".into(),
            reason: "not needed".into()
        }]
    );
}

#[test]
fn s_on_a_settled_step_says_so() {
    let mut app = app_with(&midway());
    app.select(0);
    assert!(app.update(ch('s')).is_empty());
    assert!(app.modal.is_none());
    assert!(app.status.is_some());
}

#[test]
fn n_adds_a_note_to_any_step() {
    let mut app = app_with(&midway());
    app.select(0);
    app.update(ch('n'));
    type_text(&mut app, "checked twice");
    assert_eq!(
        app.update(ctrl('d')),
        vec![Command::Note {
            step: Some("identify".into()),
            text: "checked twice".into()
        }]
    );
}

#[test]
fn a_toggles_auto_mode() {
    let mut app = app_with(&midway());
    assert_eq!(app.update(ch('a')), vec![Command::SetAuto(true)]);
    assert_eq!(app.update(ch('a')), vec![Command::SetAuto(false)]);
}

/// A session left in auto mode (headless) and resumed in the interface:
/// the engine journals manual mode, and the status bar and `a` follow it.
#[test]
fn the_mode_follows_the_engines_record_of_it() {
    let mut records = midway();
    if let Event::SessionStarted { auto, .. } = &mut records[0].event {
        *auto = true;
    }
    let mut app = app_with(&records);
    assert!(app.auto);
    engine(&mut app, rec(7, 100, Event::AutoChanged { on: false }));
    assert!(!app.auto, "still shown as auto");
    assert_eq!(app.update(ch('a')), vec![Command::SetAuto(true)]);
}

fn running() -> stepwise::tui::app::App {
    let mut r = midway();
    r.push(started_step(7, 100, "deploy", 1));
    app_with(&r)
}

#[test]
fn c_and_ctrl_c_cancel_the_running_step_after_confirmation() {
    let mut app = running();
    app.update(ch('c'));
    assert!(matches!(app.modal, Some(Modal::CancelRunning)));
    assert!(app.update(ch('n')).is_empty());
    app.update(ctrl('c'));
    assert_eq!(
        app.update(ch('y')),
        vec![Command::Cancel {
            reason: "stopped by the operator".into()
        }]
    );
}

#[test]
fn c_with_nothing_running_says_so() {
    let mut app = app_with(&midway());
    assert!(app.update(ch('c')).is_empty());
    assert!(app.modal.is_none());
    assert!(
        app.status
            .as_deref()
            .unwrap()
            .contains("Nothing is running")
    );
}

#[test]
fn failure_opens_prompt_on_idle_and_r_retries() {
    let mut app = running();
    engine(&mut app, exited(8, 110, "deploy", 1, 2));
    app.update(Msg::Engine(Update::Idle));
    assert!(matches!(app.modal, Some(Modal::Failure { .. })));
    assert_eq!(
        app.update(ch('r')),
        vec![Command::Start {
            step: "deploy".into()
        }]
    );
    // The same failure does not prompt twice.
    app.update(Msg::Engine(Update::Idle));
    assert!(app.modal.is_none());
    // r on the main screen retries too.
    assert_eq!(
        app.update(ch('r')),
        vec![Command::Start {
            step: "deploy".into()
        }]
    );
}

/// `r` then Enter typed fast: the Enter reopens the failure question
/// before the engine has started the retry; the retry's start closes it
/// (no failure question stays over a running attempt).
#[test]
fn a_failure_question_goes_when_its_step_starts_again() {
    let mut app = running();
    engine(&mut app, exited(8, 110, "deploy", 1, 2));
    app.update(Msg::Engine(Update::Idle));
    assert_eq!(
        app.update(ch('r')),
        vec![Command::Start {
            step: "deploy".into()
        }]
    );
    app.update(key(KeyCode::Enter));
    assert!(
        matches!(app.modal, Some(Modal::Failure { .. })),
        "{:?}",
        app.modal
    );
    engine(&mut app, started_step(9, 111, "deploy", 2));
    assert!(app.modal.is_none(), "{:?}", app.modal);
}

#[test]
fn failure_prompt_mark_done_and_abort() {
    let mut app = running();
    engine(&mut app, exited(8, 110, "deploy", 1, 2));
    app.update(key(KeyCode::Enter));
    app.update(ch('d'));
    type_text(&mut app, "deployed by hand");
    assert_eq!(
        app.update(ctrl('d')),
        vec![Command::MarkDone {
            step: "deploy".into(),
            note: Some("deployed by hand".into())
        }]
    );
    app.update(key(KeyCode::Enter));
    app.update(ch('a'));
    type_text(&mut app, "wrong runbook");
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        vec![Command::Abort {
            reason: "wrong runbook".into()
        }]
    );
}

#[test]
fn outcome_unknown_prompt_on_resume() {
    let mut r = midway();
    r.push(started_step(7, 100, "deploy", 1));
    r.push(rec(
        8,
        200,
        stepwise::session::event::Event::OutcomeUnknown {
            step: "deploy".into(),
            attempt: 1,
        },
    ));
    let mut app = app_with(&r);
    app.update(Msg::Engine(Update::Idle));
    assert!(matches!(app.modal, Some(Modal::Unknown { .. })));
    app.update(ch('s'));
    type_text(&mut app, "done elsewhere");
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        vec![Command::Skip {
            step: "deploy".into(),
            reason: "done elsewhere".into()
        }]
    );
}

/// `q` while a step runs: leave it running (l), cancel it then
/// quit (c), or stay (Esc).
#[test]
fn q_while_a_step_runs_leaves_it_running_or_cancels_it() {
    let mut app = running();
    app.update(ch('q'));
    assert!(matches!(app.modal, Some(Modal::QuitRunning)));
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(app.modal.is_none());
    app.update(ch('q'));
    assert_eq!(app.update(ch('c')), vec![Command::Leave]);
    let mut app = running();
    app.update(ch('q'));
    assert!(
        app.update(key(KeyCode::Enter)).is_empty(),
        "Enter decides nothing"
    );
    assert_eq!(app.update(ch('l')), vec![Command::LeaveRunning]);
    assert!(app.leaving);
}

#[test]
fn tab_switches_pane_and_arrows_scroll_the_log() {
    let mut app = running();
    for i in 0..100 {
        output(
            &mut app,
            "deploy",
            1,
            Stream::Stdout,
            &format!("line {i}\n"),
        );
    }
    assert!(app.follow);
    app.update(key(KeyCode::Tab));
    assert_eq!(app.focus, Pane::Log);
    app.update(key(KeyCode::Up));
    assert!(!app.follow);
    assert_eq!(app.selected_id(), "deploy");
    app.update(key(KeyCode::Down));
    assert!(app.follow, "back at the bottom resumes follow");
    app.update(key(KeyCode::Tab));
    assert_eq!(app.focus, Pane::Steps);
}

#[test]
fn page_keys_home_end_and_f_scroll_the_log() {
    let mut app = running();
    for i in 0..100 {
        output(
            &mut app,
            "deploy",
            1,
            Stream::Stdout,
            &format!("line {i}\n"),
        );
    }
    let h = app.log_height() as u64;
    assert_eq!(app.log_top(), 100 - h);
    app.update(key(KeyCode::PageUp));
    assert!(!app.follow);
    assert_eq!(app.log_top(), 100 - 2 * h);
    output(&mut app, "deploy", 1, Stream::Stdout, "more\n");
    assert_eq!(app.log_top(), 100 - 2 * h, "paused view stays put");
    app.update(key(KeyCode::Home));
    assert_eq!(app.log_top(), 0);
    app.update(key(KeyCode::PageDown));
    assert_eq!(app.log_top(), h);
    app.update(key(KeyCode::End));
    assert!(app.follow);
    app.update(key(KeyCode::Home));
    app.update(ch('f'));
    assert!(app.follow);
    assert_eq!(app.log_top(), 101 - h);
}

#[test]
fn slash_searches_the_log() {
    let mut app = running();
    for i in 0..100 {
        output(
            &mut app,
            "deploy",
            1,
            Stream::Stdout,
            &format!("line {i}\n"),
        );
    }
    app.update(ch('/'));
    type_text(&mut app, "line 7");
    app.update(key(KeyCode::Enter));
    assert!(!app.follow);
    assert_eq!(app.anchor, 7, "following: from the start of the log");
    assert_eq!(app.hit, Some(7));
    app.update(ch('/'));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.anchor, 70, "Enter alone: the next match");
    app.update(ch('n'));
    assert_eq!(app.anchor, 71, "n: the next match");
    assert!(app.modal.is_none(), "n moves between matches, no note");
    app.update(ch('N'));
    app.update(ch('N'));
    assert_eq!(app.anchor, 7, "N: the previous match");
    app.update(ch('N'));
    assert_eq!(app.anchor, 79, "round the start");
    app.update(key(KeyCode::Esc));
    assert_eq!(app.hit, None);
    app.update(ch('/'));
    for _ in 0..6 {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "nowhere");
    app.update(key(KeyCode::Enter));
    assert!(app.status.as_deref().unwrap().contains("not in this log"));
    // A new search starts empty: what is typed is the whole query.
    app.status = None;
    app.update(ch('/'));
    type_text(&mut app, "line 42");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.search.as_deref(), Some("line 42"));
    assert_eq!(app.anchor, 42, "{:?}", app.status);
}

/// A match far into a long wrapped line is brought on screen: the view's
/// top is the row it starts in, not the line's first row. With long
/// lines cut, a match past the edge says so.
#[test]
fn a_match_deep_in_a_long_line_is_shown() {
    let mut app = running();
    app.update(Msg::Resize(60, 20));
    let long = format!("{}ENDOFLONG\n", "X".repeat(500));
    output(&mut app, "deploy", 1, Stream::Stdout, "first\n");
    output(&mut app, "deploy", 1, Stream::Stdout, &long);
    app.update(ch('/'));
    type_text(&mut app, "endoflong");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.hit, Some(1));
    // The row the match starts in is among the rows on screen.
    let (width, height) = (app.log_layout().width, app.log_height());
    let top = app.log_top_pos();
    assert_eq!(top.line, 1);
    let row = 500 / width;
    assert!(
        top.row <= row && row < top.row + height,
        "match in row {row}; rows {}.. of {height} shown",
        top.row
    );
    app.update(key(KeyCode::Esc));
    app.update(ch('w'));
    app.update(ch('/'));
    app.update(key(KeyCode::Enter));
    assert!(
        app.status
            .as_deref()
            .unwrap()
            .contains("past the edge: w wraps"),
        "{:?}",
        app.status
    );
}

#[test]
fn brackets_show_earlier_attempts() {
    let mut app = running();
    output(&mut app, "deploy", 1, Stream::Stdout, "first\n");
    engine(&mut app, exited(8, 110, "deploy", 1, 1));
    engine(&mut app, started_step(9, 120, "deploy", 2));
    assert_eq!(app.shown_attempt(), Some(2));
    app.update(ch('['));
    assert_eq!(app.shown_attempt(), Some(1));
    app.update(ch(']'));
    assert_eq!(app.shown_attempt(), Some(2));
}

#[test]
fn help_opens_and_closes() {
    let mut app = app_with(&midway());
    app.update(ch('?'));
    assert!(matches!(app.modal, Some(Modal::Help(_))));
    app.update(key(KeyCode::Esc));
    assert!(app.modal.is_none());
}

#[test]
fn q_asks_then_leaves_and_ended_closes() {
    let mut app = app_with(&midway());
    app.update(ch('q'));
    assert!(matches!(app.modal, Some(Modal::Quit)));
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    app.update(ch('q'));
    assert_eq!(app.update(ch('y')), vec![Command::Leave]);
    assert!(app.leaving);
    app.update(Msg::Engine(Update::Ended(End::Left)));
    assert_eq!(app.end, Some(TuiEnd::Left));
}

#[test]
fn engine_records_move_the_selection_to_the_running_step() {
    let mut app = app_with(&midway());
    app.select(1);
    app.update(key(KeyCode::Down));
    assert_eq!(app.selected_id(), "deploy");
    engine(&mut app, started_step(7, 100, "deploy", 1));
    engine(&mut app, exited(8, 101, "deploy", 1, 0));
    app.update(Msg::Engine(Update::Idle));
    assert_eq!(app.selected_id(), "health");
}

#[test]
fn rejected_commands_show_in_the_status_bar() {
    let mut app = app_with(&midway());
    app.update(Msg::Engine(Update::Rejected("deploy is not next".into())));
    assert_eq!(app.status.as_deref(), Some("deploy is not next"));
    app.update(ch('j'));
    assert!(app.status.is_none());
}

#[test]
fn tick_marks_dirty_only_when_the_clock_changes() {
    let mut app = app_with(&midway());
    app.dirty = false;
    let now = app.now;
    app.update(Msg::Tick(now + chrono::Duration::milliseconds(1)));
    assert!(!app.dirty);
    app.update(Msg::Tick(now + chrono::Duration::seconds(1)));
    assert!(app.dirty);
}

#[test]
fn mouse_click_selects_a_step() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut app = app_with(&midway());
    // Row 0 is the border, row 1 the first section, row 2 the first step.
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 5,
        row: 2,
        modifiers: KeyModifiers::NONE,
    };
    app.update(Msg::Mouse(click));
    assert_eq!(app.selected_id(), "identify");
}

#[test]
fn capital_s_skips_an_optional_section_with_a_reason() {
    let mut app = app_with(&midway());
    // Not optional: a status line says so, and no prompt opens.
    app.update(ch('S'));
    assert!(app.modal.is_none());
    assert!(app.status.as_deref().unwrap_or("").contains("optional"));
    let logs = app.session.step_index("logs").unwrap();
    app.select(logs);
    app.update(ch('S'));
    assert!(matches!(app.modal, Some(Modal::Line { .. })));
    // An empty reason is refused.
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.modal.is_some());
    type_text(&mut app, "not needed");
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        vec![Command::SkipSection {
            section: 3,
            reason: "not needed".into()
        }]
    );
    assert!(app.modal.is_none());
}

#[test]
fn the_help_scrolls_within_its_bounds() {
    let mut app = app_with(&midway());
    app.update(Msg::Resize(80, 24));
    app.update(ch('?'));
    assert_eq!(app.help_scroll(), 0);
    app.update(key(KeyCode::Up));
    assert_eq!(app.help_scroll(), 0);
    app.update(key(KeyCode::Down));
    app.update(ch('j'));
    assert_eq!(app.help_scroll(), 2);
    for _ in 0..10 {
        app.update(key(KeyCode::PageDown));
    }
    let max = stepwise::tui::modals::help::max_scroll((80, 24));
    assert!(max > 0, "the help is longer than 24 rows");
    assert_eq!(app.help_scroll(), max);
    app.update(key(KeyCode::PageUp));
    assert!(app.help_scroll() < max);
    assert!(matches!(app.modal, Some(Modal::Help(_))));
    app.update(ch('?'));
    assert!(app.modal.is_none());
}

#[test]
fn ctrl_z_asks_the_driver_to_suspend() {
    let mut app = app_with(&midway());
    assert!(app.update(ctrl('z')).is_empty());
    assert!(app.suspend);
}

#[test]
fn ctrl_z_in_an_open_field_suspends_and_keeps_the_field() {
    let mut app = app_with(&midway());
    app.update(ch('s'));
    type_text(&mut app, "not needed");
    assert!(app.update(ctrl('z')).is_empty());
    assert!(app.suspend, "Ctrl-Z in a field asks the driver to suspend");
    match &app.modal {
        Some(Modal::Line { text, .. }) => assert_eq!(text.lines(), ["not needed"]),
        other => panic!("the field is still open after Ctrl-Z: {other:?}"),
    }
}

#[test]
fn enter_on_a_failure_the_runbook_lets_pass_opens_no_prompt() {
    let mut rb = runbook();
    for s in rb.sections.iter_mut().flat_map(|s| s.steps.iter_mut()) {
        if s.id == "deploy" {
            s.on_failure = stepwise::runbook::model::OnFailure::Continue;
        }
    }
    let mut records = midway();
    records.push(started_step(7, 100, "deploy", 1));
    records.push(exited(8, 110, "deploy", 1, 2));
    let session = stepwise::session::state::Session::from_records(rb, records.iter());
    let mut app = stepwise::tui::app::App::new(session, vec![], t0(), true);
    app.update(Msg::Resize(100, 30));
    let deploy = app.session.step_index("deploy").unwrap();
    while app.selected != deploy {
        let before = app.selected;
        app.update(if app.selected > deploy {
            ch('k')
        } else {
            ch('j')
        });
        assert_ne!(app.selected, before, "selection must move");
    }
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(
        app.modal.is_none(),
        "a settled failure must not ask what now"
    );
    assert!(app.status.as_deref().unwrap().contains("settled"));
    // r still re-runs it on purpose.
    assert_eq!(
        app.update(ch('r')),
        vec![Command::Start {
            step: "deploy".into()
        }]
    );
}

#[test]
fn no_key_but_q_acts_while_the_terminal_is_too_small() {
    let mut app = app_with(&midway());
    app.update(Msg::Resize(44, 12));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.update(ch('a')).is_empty());
    assert!(app.update(ctrl('c')).is_empty());
    assert!(app.modal.is_none(), "a hidden dialog opened");
    app.update(Msg::Resize(100, 30));
    app.update(ch('q'));
    assert!(matches!(app.modal, Some(Modal::Quit)));
    // Too small again: `q` leaves at once, with no dialog to answer.
    app.update(Msg::Resize(44, 12));
    assert_eq!(app.update(ch('q')), vec![Command::Leave]);
    assert!(app.modal.is_none());
}

/// Ctrl-Z and Ctrl-L act on the too-small screen too: they send nothing,
/// open nothing, and only hand the terminal over or paint it again.
#[test]
fn ctrl_z_and_ctrl_l_act_while_the_terminal_is_too_small() {
    let mut app = app_with(&midway());
    app.update(Msg::Resize(44, 12));
    assert!(app.update(ctrl('l')).is_empty());
    assert!(app.redraw, "Ctrl-L asks the driver to paint again");
    assert!(app.update(ctrl('z')).is_empty());
    assert!(app.suspend, "Ctrl-Z asks the driver to suspend");
    assert!(app.modal.is_none());
}

/// The demo cannot be resumed: leaving it would stop its running step,
/// which the too-small screen promises not to do; its `q` waits.
#[test]
fn q_on_a_too_small_terminal_does_not_stop_the_demos_running_step() {
    let mut app = running();
    app.quit_note = Some("This is the demo.".into());
    app.update(Msg::Resize(44, 12));
    assert!(app.update(ch('q')).is_empty());
    app.update(Msg::Resize(100, 30));
    app.update(ch('q'));
    assert!(matches!(app.modal, Some(Modal::Quit)));
}

#[test]
fn q_on_a_too_small_terminal_leaves_a_running_step_running() {
    let mut app = running();
    app.update(Msg::Resize(44, 12));
    assert_eq!(app.update(ch('q')), vec![Command::LeaveRunning]);
    assert!(app.update(ch('q')).is_empty(), "left twice");
}

#[test]
fn a_completed_session_stays_on_screen_until_a_key() {
    let mut app = app_with(&midway());
    app.update(Msg::Engine(Update::Ended(End::Completed)));
    assert!(
        app.end.is_none(),
        "the interface closed without a last look"
    );
    assert!(matches!(app.modal, Some(Modal::Finished)));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.end, Some(TuiEnd::Completed));
}

/// `w` toggles between wrapped and cut long lines; in wrap mode the log
/// scrolls by rows, also inside a wrapped line, and follows at the bottom.
#[test]
fn w_toggles_wrapping_and_the_log_scrolls_by_rows() {
    let mut app = running();
    assert!(app.wrap, "long lines wrap by default");
    let width = app.log_layout().width;
    let h = app.log_height();
    assert_eq!(h, 14, "the numbers below assume a 14-row pane");
    let mut text: String = (0..30).map(|i| format!("line {i}\n")).collect();
    // Line 30 takes three rows; twelve short lines follow it.
    text.push_str(&format!("{}\n", "x".repeat(width * 2 + 5)));
    text.extend((31..43).map(|i| format!("line {i}\n")));
    output(&mut app, "deploy", 1, Stream::Stdout, &text);
    let at = |line, row| stepwise::tui::log_view::Pos { line, row };

    // Following: the last 14 rows, from the long line's second row.
    assert_eq!(app.log_top_pos(), at(30, 1));
    assert!(!app.applies(stepwise::tui::keymap::Action::ToggleWrap));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Up));
    assert!(!app.follow);
    assert_eq!(app.log_top_pos(), at(30, 0));
    app.update(key(KeyCode::Up));
    assert_eq!(app.log_top_pos(), at(29, 0));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    assert!(app.follow, "back at the bottom row resumes follow");
    app.update(key(KeyCode::PageUp));
    assert_eq!(app.log_top_pos(), at(17, 0), "a page is 14 rows");
    app.update(key(KeyCode::PageDown));
    assert!(app.follow);

    // Cut: one row per line, as before wrapping existed.
    app.update(ch('w'));
    assert!(!app.wrap);
    assert!(app.status.as_deref().unwrap().contains("cut"));
    assert_eq!(app.log_top(), 43 - h as u64);
    assert!(
        app.applies(stepwise::tui::keymap::Action::ToggleWrap),
        "the hint shows while a line is cut"
    );
    // A paused view keeps its top line across the toggle.
    app.update(key(KeyCode::PageUp));
    assert_eq!(app.log_top(), 43 - 2 * h as u64);
    app.update(ch('w'));
    assert!(app.wrap);
    assert!(!app.follow);
    assert_eq!(app.log_top_pos(), at(43 - 2 * h as u64, 0));
    app.update(key(KeyCode::End));
    assert_eq!(app.log_top_pos(), at(30, 1));
}

fn backspaces(app: &mut stepwise::tui::app::App, n: usize) {
    for _ in 0..n {
        app.update(key(KeyCode::Backspace));
    }
}

fn input_modal(app: &stepwise::tui::app::App) -> &stepwise::tui::modals::InputChange {
    match &app.modal {
        Some(Modal::Input(c)) => c,
        other => panic!("not the input modal: {other:?}"),
    }
}

#[test]
fn i_lists_the_inputs_then_gives_a_new_value_for_the_chosen_one() {
    use stepwise::session::event::{Event, InputSource};
    let mut app = app_with(&midway());
    assert!(app.applies(stepwise::tui::keymap::Action::ChangeInput));
    assert!(app.update(ch('i')).is_empty());
    assert!(!input_modal(&app).editing, "it opens on the list");
    app.update(key(KeyCode::Down));
    assert_eq!(input_modal(&app).cursor, 1);
    app.update(ch('k'));
    assert_eq!(input_modal(&app).cursor, 0);
    app.update(key(KeyCode::Enter));
    let c = input_modal(&app);
    assert!(c.editing);
    assert_eq!(c.text.lines(), ["v1.4.2"], "starts from the current value");
    backspaces(&mut app, 1);
    type_text(&mut app, "1");
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        vec![Command::GiveInput {
            name: "STABLE_TAG".into(),
            value: "v1.4.1".into()
        }]
    );
    assert!(app.modal.is_none());
    // The engine's record confirms it in the status bar.
    engine(
        &mut app,
        rec(
            7,
            100,
            Event::InputGiven {
                name: "STABLE_TAG".into(),
                value: "v1.4.1".into(),
                secret: false,
                source: InputSource::Changed,
            },
        ),
    );
    assert_eq!(
        app.status.as_deref(),
        Some("STABLE_TAG is now v1.4.1 from here on.")
    );
    assert_eq!(app.session.inputs[0].value, "v1.4.1");
}

#[test]
fn an_input_value_that_does_not_fit_is_explained_and_not_sent() {
    let mut app = app_with(&midway());
    app.update(ch('i'));
    app.update(key(KeyCode::Enter));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    let error = input_modal(&app).error.clone().unwrap();
    assert!(error.contains("already has this value"), "{error}");
    backspaces(&mut app, 6);
    type_text(&mut app, "latest");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    let error = input_modal(&app).error.clone().unwrap();
    assert!(
        error.contains("STABLE_TAG must match the pattern"),
        "the inputs form's check: {error}"
    );
    backspaces(&mut app, 6);
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(
        input_modal(&app)
            .error
            .as_deref()
            .unwrap()
            .contains("needs a value")
    );
    // Esc goes back to the list, then closes; nothing was sent.
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(!input_modal(&app).editing);
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(app.modal.is_none());
}

#[test]
fn a_secret_input_is_typed_masked_from_an_empty_field() {
    let mut app = app_with(&midway());
    app.update(ch('i'));
    app.update(ch('j'));
    app.update(key(KeyCode::Enter));
    let c = input_modal(&app);
    assert_eq!(c.text.lines(), [""], "the secret is not prefilled");
    assert_eq!(c.text.mask_char(), Some('•'));
    assert!(!format!("{:?}", app.modal).contains("s3cr3t"));
    type_text(&mut app, "t0ken");
    assert!(
        !format!("{app:?}").contains("t0ken"),
        "Debug never shows it"
    );
    assert_eq!(
        app.update(key(KeyCode::Enter)),
        vec![Command::GiveInput {
            name: "API_TOKEN".into(),
            value: "t0ken".into()
        }]
    );
}

#[test]
fn i_while_a_step_runs_says_when_inputs_can_change() {
    let mut app = running();
    assert!(!app.applies(stepwise::tui::keymap::Action::ChangeInput));
    assert!(app.update(ch('i')).is_empty());
    assert!(app.modal.is_none());
    assert_eq!(
        app.status.as_deref(),
        Some("A step runs: i works once it ends.")
    );
}

/// A status message does not stand for ever: it goes after a few seconds
/// even without a key (it hid the key hints after the step it spoke of).
#[test]
fn a_status_message_expires_without_a_key() {
    let mut app = running();
    app.update(ch('i'));
    assert!(app.status.as_deref().unwrap().contains("A step runs"));
    let now = chrono::Utc::now();
    app.update(Msg::Tick(now));
    app.update(Msg::Tick(now + chrono::Duration::seconds(3)));
    assert!(app.status.is_some(), "gone too soon");
    app.update(Msg::Tick(now + chrono::Duration::seconds(7)));
    assert_eq!(app.status, None);
}

/// `stepwise follow`: keys that would change the session send nothing and
/// say why; moving the view still works; `q` leaves at once (no dialog).
#[test]
fn read_only_keys_change_nothing_and_q_leaves() {
    let mut app = app_with(&midway());
    app.read_only = true;
    for c in ['a', 's', 'n', 'r', 'c', 'S', 'i'] {
        assert!(app.update(ch(c)).is_empty(), "{c}");
        assert!(app.modal.is_none(), "{c} opened a dialog");
    }
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.modal.is_none());
    assert!(app.status.as_deref().unwrap_or("").contains("read only"));
    app.update(ch('j'));
    assert_eq!(app.selected_id(), "health");
    assert!(app.update(ch('q')).is_empty());
    assert_eq!(app.end, Some(TuiEnd::Left));
}

/// A note added with `n` counts for `note: required`: the prompt does not
/// ask for it again and Ctrl-D confirms at once.
#[test]
fn a_note_added_with_n_counts_for_a_required_note() {
    let mut records = started();
    let seq = records.len() as u64 + 1;
    records.push(rec(
        seq,
        30,
        stepwise::session::event::Event::NoteAdded {
            step: Some("identify".into()),
            text: "5xx spike, INC-42".into(),
        },
    ));
    let mut app = app_with(&records);
    app.update(key(KeyCode::Enter));
    match &app.modal {
        Some(Modal::Human(p)) => assert!(!p.note_required, "the note is there already"),
        other => panic!("{other:?}"),
    }
    let cmds = app.update(ctrl('d'));
    assert!(
        matches!(cmds.as_slice(), [Command::Confirm { step, .. }] if step == "identify"),
        "{cmds:?}"
    );
}

/// A follower (read only) gets no "idle" from an engine: as records land,
/// its selection follows ▶, the next step, as the runner's does.
#[test]
fn a_followers_selection_follows_the_next_step_as_records_land() {
    let mut app = app_with(&started());
    app.read_only = true;
    for r in midway().into_iter().skip(3) {
        app.update(Msg::Engine(Update::Record(r)));
    }
    assert_eq!(
        app.selected_id(),
        "deploy",
        "the next step after tag-exists"
    );
}

/// The session with `identify` confirmed: `tag-exists` is next.
fn identified() -> Vec<stepwise::session::event::Record> {
    let mut records = started();
    records.push(rec(
        4,
        60,
        Event::HumanConfirmed {
            step: "identify".into(),
            note: None,
            checked: vec![],
            via: ConfirmedVia::Operator,
        },
    ));
    records
}

/// A log scrolled up from its end stays in view when its step ends: the
/// selection does not follow ▶ to the next step while the operator reads
/// (README: "a paused view stays on its lines"); `g` goes there after.
#[test]
fn a_paused_log_stays_in_view_when_its_step_ends() {
    let records = identified();
    let mut app = app_with(&records);
    assert_eq!(app.selected_id(), "tag-exists");
    // Started by Enter, as an operator starts it: that decision is
    // carried out when it starts, and the step's end is not one.
    assert!(!app.update(key(KeyCode::Enter)).is_empty());
    engine(&mut app, started_step(5, 70, "tag-exists", 1));
    for i in 0..200 {
        output(
            &mut app,
            "tag-exists",
            1,
            Stream::Stdout,
            &format!("line {i}\n"),
        );
    }
    app.update(key(KeyCode::Home));
    assert!(!app.follow, "Home pauses the view");
    let top = app.log_top_pos();
    engine(&mut app, exited(6, 71, "tag-exists", 1, 0));
    app.update(Msg::Engine(Update::Idle));
    assert_eq!(app.selected_id(), "tag-exists", "the selection stays");
    assert_eq!(app.log_top_pos(), top, "on the same lines");
    app.update(ch('g'));
    assert_eq!(app.selected_id(), "deploy", "g goes to the next step");
}

/// Following the end (the default), the selection moves on as before.
#[test]
fn a_followed_log_moves_on_to_the_next_step() {
    let mut records = identified();
    records.push(started_step(5, 70, "tag-exists", 1));
    let mut app = app_with(&records);
    output(&mut app, "tag-exists", 1, Stream::Stdout, "ok\n");
    engine(&mut app, exited(6, 71, "tag-exists", 1, 0));
    app.update(Msg::Engine(Update::Idle));
    assert_eq!(app.selected_id(), "deploy");
}

/// A decision the operator sends ends the reading: the next wait moves
/// the selection on even from a paused log.
#[test]
fn after_a_decision_the_selection_moves_on_from_a_paused_log() {
    let mut records = identified();
    records.push(started_step(5, 70, "tag-exists", 1));
    let mut app = app_with(&records);
    for i in 0..200 {
        output(
            &mut app,
            "tag-exists",
            1,
            Stream::Stdout,
            &format!("line {i}\n"),
        );
    }
    app.update(key(KeyCode::Home));
    engine(&mut app, exited(6, 71, "tag-exists", 1, 1));
    app.update(Msg::Engine(Update::Idle));
    assert_eq!(app.selected_id(), "tag-exists", "still reading its log");
    app.update(ch('s'));
    type_text(&mut app, "checked by hand");
    let cmds = app.update(key(KeyCode::Enter));
    assert!(!cmds.is_empty(), "the skip is sent");
    engine(
        &mut app,
        rec(
            7,
            80,
            Event::StepSkipped {
                step: "tag-exists".into(),
                reason: "checked by hand".into(),
                via: None,
            },
        ),
    );
    app.update(Msg::Engine(Update::Idle));
    assert_eq!(app.selected_id(), "deploy");
}
