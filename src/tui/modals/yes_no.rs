//! Yes/no questions: cancel the running step, quit (and, while a step
//! runs, quit leaving it running or cancelling it).

use super::super::look::Look;
use super::super::theme;
use super::outcome::Outcome;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

/// The dialogs' width, when the screen has room.
const WIDTH: u16 = 70;

fn text(look: &Look, area: Rect, quit: bool) -> (&'static str, Vec<Line<'static>>) {
    match quit {
        false => {
            let step = look
                .session
                .running()
                .and_then(|i| look.step_def(i))
                .map(|s| s.title.clone())
                .unwrap_or_default();
            (
                "Cancel the running step?",
                vec![
                    Line::raw(format!("Stop “{step}” now?")),
                    Line::raw(
                        "Its process group is killed; the step is marked failed (cancelled).",
                    ),
                ],
            )
        }
        true => {
            let mut lines = Vec::new();
            if let Some(step) = look.session.running().and_then(|i| look.step_def(i)) {
                lines.push(Line::styled(
                    format!(
                        "“{}” is running: quitting stops it (cancelled).",
                        step.title
                    ),
                    theme::bold(),
                ));
            }
            match look.quit_note {
                // The demo: nothing to resume against once it is left.
                Some(note) => lines.push(Line::raw(note.to_owned())),
                None => {
                    lines.push(Line::raw(
                        "The session is saved: everything so far is in the journal.",
                    ));
                    lines.push(Line::raw("Leave now, and resume later with:"));
                    lines.extend(resume_lines(look, area));
                }
            }
            ("Quit?", lines)
        }
    }
}

/// The resume command to print, with a `--var-file` for each secret a
/// resume needs again (none was stored), as the line printed on leaving;
/// broken between words with ` \` to fit the box (70 columns, or the
/// screen when it is narrower).
fn resume_lines(look: &Look, area: Rect) -> Vec<Line<'static>> {
    let flags = crate::invocation::var_file_flags(&look.session.secrets_to_give_again());
    let id = crate::invocation::session_named(&look.session.id);
    let cmd = crate::invocation::resume(&format!("{id}{flags}"));
    let inner = super::super::widgets::dialog_inner(area, WIDTH);
    super::super::widgets::command_lines(&cmd, usize::from(inner))
        .into_iter()
        .map(|l| Line::styled(l, theme::bold()))
        .collect()
}

pub fn render(frame: &mut Frame, area: Rect, look: &Look, quit: bool) {
    let (title, mut lines) = text(look, area, quit);
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        super::super::keymap::footer(super::super::keymap::Context::YesNo, &[]),
        theme::bold(),
    ));
    super::super::widgets::dialog(frame, area, WIDTH, title, lines);
}

/// y/Enter: yes (cancel the running step, or leave); n/Esc: no.
pub fn key(quit: bool, action: Option<super::super::keymap::Action>) -> Outcome<()> {
    use super::super::keymap::Action as A;
    match action {
        Some(A::Accept) if quit => Outcome::Leave,
        Some(A::Accept) => Outcome::Send(vec![crate::engine::command::Command::Cancel {
            reason: "stopped by the operator".into(),
        }]),
        Some(A::Dismiss) => Outcome::Close,
        _ => Outcome::Keep(()),
    }
}

/// Quitting while a step runs: its monitor keeps it running (resume
/// re-attaches), or it is cancelled first.
pub fn render_quit_running(frame: &mut Frame, area: Rect, look: &Look) {
    let step = look
        .session
        .running()
        .and_then(|i| look.step_def(i))
        .map(|s| s.title.clone())
        .unwrap_or_default();
    let mut lines = vec![
        Line::styled(format!("“{step}” is running."), theme::bold()),
        Line::raw("Leave it running: it goes on without stepwise, its output is"),
        Line::raw("logged and its exit recorded; resume re-attaches with:"),
    ];
    lines.extend(resume_lines(look, area));
    lines.push(Line::raw(
        "Or cancel it (its process group is stopped), then quit.",
    ));
    lines.push(Line::raw(""));
    lines.extend(super::failure::choices(
        super::super::keymap::Context::QuitRunning,
    ));
    super::super::widgets::dialog(frame, area, WIDTH, "Quit?", lines);
}

/// l: leave it running; c: cancel it, then quit; n/Esc: stay.
pub fn quit_running_key(action: Option<super::super::keymap::Action>) -> Outcome<()> {
    use super::super::keymap::Action as A;
    match action {
        Some(A::Accept) => Outcome::LeaveRunning,
        Some(A::Cancel) => Outcome::Leave,
        Some(A::Dismiss) => Outcome::Close,
        _ => Outcome::Keep(()),
    }
}
