//! The "change an input" modal: the list of inputs with their current
//! values (secrets masked), then the field for the chosen one's new value
//! with what it accepts and, inline, why a value was not accepted.

use super::super::app::App;
use super::super::input_change::{InputChange, is_secret};
use super::super::keymap::{self, Context};
use super::super::theme;
use super::details::since_start;
use super::inputs_form::about;
use crate::engine::redact::MASK;
use crate::runbook::model::Input;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

const WIDTH: u16 = 72;

/// An input's current value as shown (masked for a secret), and where it
/// came from: `--var`, `default`, … or `changed +00:12:10`.
fn current(app: &App, input: &Input) -> (String, String) {
    match app.session.inputs.iter().find(|v| v.name == input.name) {
        None => ("—".into(), "not given".into()),
        Some(v) => {
            let value = if is_secret(app, input) {
                MASK.to_owned()
            } else if v.value.is_empty() {
                "(empty)".to_owned()
            } else {
                v.value.clone()
            };
            let from = if v.changed() {
                format!("changed {}", since_start(app, v.at))
            } else {
                v.source.label().to_owned()
            };
            (value, from)
        }
    }
}

/// `Enter change it · Esc close`, from the key table.
fn keys(ctx: Context) -> Line<'static> {
    let text = keymap::bindings(ctx)
        .filter(|b| b.action != keymap::Action::Up && b.action != keymap::Action::Down)
        .map(|b| format!("{} {}", keymap::keys_label(b), b.hint))
        .collect::<Vec<_>>();
    let mut text = text.join(" · ");
    if ctx == Context::InputPick {
        text = format!("↑/↓ choose · {text}");
    }
    Line::styled(text, theme::bold())
}

fn cut(text: &str, width: usize) -> String {
    super::steps::truncate(text, width)
}

fn list(app: &App, c: &InputChange) -> Vec<Line<'static>> {
    let inputs = &app.session.runbook.inputs;
    let name_w = inputs
        .iter()
        .map(|i| i.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let mut lines = vec![
        Line::styled(
            "A new value applies to the steps still to run, and is recorded.",
            theme::dim(),
        ),
        Line::raw(""),
    ];
    for (i, input) in inputs.iter().enumerate() {
        let (value, from) = current(app, input);
        let chosen = i == c.cursor;
        let style = if chosen {
            theme::selected()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{} {:<name_w$}  {:<24}  ",
                    if chosen { "▶" } else { " " },
                    cut(&input.name, name_w),
                    cut(&value, 24)
                ),
                style,
            ),
            Span::styled(from, theme::dim()),
        ]));
    }
    if let Some(input) = inputs.get(c.cursor) {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("{}: {}", input.name, about(input)),
            theme::dim(),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(keys(Context::InputPick));
    lines
}

fn render_list(frame: &mut Frame, area: Rect, app: &App, c: &InputChange) {
    let lines = list(app, c);
    let inner_w = WIDTH.min(area.width.saturating_sub(2)).saturating_sub(2);
    let h = super::wrapped_height(&lines, inner_w) as u16 + 2;
    let r = super::super::view::centered(frame, area, WIDTH, h);
    let p = Paragraph::new(lines)
        .block(super::block("Change an input", true))
        .wrap(Wrap { trim: false });
    frame.render_widget(p, r);
}

fn render_edit(frame: &mut Frame, area: Rect, app: &App, c: &InputChange) {
    let Some(input) = app.session.runbook.inputs.get(c.cursor) else {
        return;
    };
    let (value, from) = current(app, input);
    let top = vec![
        Line::styled(about(input), theme::dim()),
        Line::from(vec![
            Span::raw("Now: "),
            Span::styled(value, theme::bold()),
            Span::styled(format!("  ({from})"), theme::dim()),
        ]),
    ];
    let inner_w = WIDTH.min(area.width.saturating_sub(2)).saturating_sub(2);
    let top_h = super::wrapped_height(&top, inner_w) as u16;
    let r = super::super::view::centered(frame, area, WIDTH, top_h + 3 + 2 + 2);
    let title = if is_secret(app, input) {
        format!("New value for {} (secret: typed masked)", input.name)
    } else {
        format!("New value for {}", input.name)
    };
    let block = super::block(&title, true);
    let inner = block.inner(r);
    frame.render_widget(block, r);
    let [top_a, field_a, msg_a, keys_a] = Layout::vertical([
        Constraint::Length(top_h),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(top).wrap(Wrap { trim: false }), top_a);
    let mut t = c.text.clone();
    t.set_block(super::block("", true));
    t.set_cursor_line_style(ratatui::style::Style::default());
    frame.render_widget(&t, field_a);
    if let Some(e) = &c.error {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("✗ {e}"),
                theme::fg(app.color, Color::Red).add_modifier(Modifier::BOLD),
            )),
            msg_a,
        );
    }
    frame.render_widget(Paragraph::new(keys(Context::InputEdit)), keys_a);
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, c: &InputChange) {
    if c.editing {
        render_edit(frame, area, app, c);
    } else {
        render_list(frame, area, app, c);
    }
}
