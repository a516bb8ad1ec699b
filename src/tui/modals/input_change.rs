//! The "change an input" modal (`i`): choose an input from the list of
//! current values (secrets masked), type its new value (masked for a
//! secret), Enter gives it. A value is checked with the inputs form's check
//! (the same one the engine applies), so a bad one is explained inline and
//! nothing is sent; the engine still decides, and a refusal shows in the
//! status bar. State, keys and drawing; no I/O.

use super::super::keymap::Action;
use super::super::keymap::{self, Context};
use super::super::look::Look;
use super::super::theme;
use super::super::widgets::inputs_form::about;
use super::super::widgets::since_start;
use super::outcome::Outcome;
use crate::engine::command::Command;
use crate::engine::redact::MASK;
use crate::runbook::model::Input;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui_textarea::{CursorMove, TextArea};

const WIDTH: u16 = 72;

/// An input's current value as shown (masked for a secret), and where it
/// came from: `--var`, `default`, … or `changed +00:12:10`.
fn current(look: &Look, input: &Input) -> (String, String) {
    match look.session.inputs.iter().find(|v| v.name == input.name) {
        None => ("—".into(), "not given".into()),
        Some(v) => {
            let value = if is_secret(look, input) {
                MASK.to_owned()
            } else if v.value.is_empty() {
                "(empty)".to_owned()
            } else {
                v.value.clone()
            };
            let from = if v.changed() {
                format!("changed {}", since_start(look.session, v.at))
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
    super::super::widgets::truncate(text, width)
}

/// `text` and the spaces that make it `width` columns wide (a value in
/// CJK takes two columns a character).
fn pad(text: &str, width: usize) -> String {
    let room = width.saturating_sub(super::super::widgets::cols(text));
    format!("{text}{}", " ".repeat(room))
}

/// The list dialog's width: as wide as the screen allows (values are
/// what one checks here), up to a readable limit.
fn list_width(look: &Look) -> u16 {
    look.size.0.saturating_sub(4).clamp(WIDTH, 120)
}

fn list(look: &Look, c: &InputChange) -> Vec<Line<'static>> {
    let inputs = &look.session.runbook.inputs;
    let inner = list_width(look)
        .min(look.size.0.saturating_sub(2))
        .saturating_sub(2) as usize;
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
        let (value, from) = current(look, input);
        // The value gets the room the name and where it came from leave.
        let value_w = inner
            .saturating_sub(name_w + 6 + super::super::widgets::cols(&from))
            .max(8);
        let chosen = i == c.cursor;
        let style = if chosen {
            theme::selected()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{} {:<name_w$}  {}  ",
                    if chosen { "▶" } else { " " },
                    cut(&input.name, name_w),
                    pad(&cut(&value, value_w), value_w)
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

fn render_list(frame: &mut Frame, area: Rect, look: &Look, c: &InputChange) {
    let lines = list(look, c);
    super::super::widgets::dialog(frame, area, list_width(look), "Change an input", lines);
}

fn render_edit(frame: &mut Frame, area: Rect, look: &Look, c: &InputChange) {
    let Some(input) = look.session.runbook.inputs.get(c.cursor) else {
        return;
    };
    let (value, from) = current(look, input);
    let top = vec![
        Line::styled(about(input), theme::dim()),
        Line::from(vec![
            Span::raw("Now: "),
            Span::styled(value, theme::bold()),
            Span::styled(format!("  ({from})"), theme::dim()),
        ]),
    ];
    let inner_w = WIDTH.min(area.width.saturating_sub(2)).saturating_sub(2);
    let top_h = super::super::widgets::wrapped_height(&top, inner_w) as u16;
    let r = super::super::widgets::centered(frame, area, WIDTH, top_h + 3 + 2 + 2);
    let title = if is_secret(look, input) {
        format!("New value for {} (secret: typed masked)", input.name)
    } else {
        format!("New value for {}", input.name)
    };
    let block = super::super::widgets::block(&title, true);
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
    t.set_block(super::super::widgets::block("", true));
    t.set_cursor_line_style(ratatui::style::Style::default());
    frame.render_widget(&t, field_a);
    if let Some(e) = &c.error {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("✗ {e}"),
                theme::fg(look.color, Color::Red).add_modifier(Modifier::BOLD),
            )),
            msg_a,
        );
    }
    frame.render_widget(Paragraph::new(keys(Context::InputEdit)), keys_a);
}

pub fn render(frame: &mut Frame, area: Rect, look: &Look, c: &InputChange) {
    if c.editing {
        render_edit(frame, area, look, c);
    } else {
        render_list(frame, area, look, c);
    }
}

/// Typed secrets are shown as this.
const MASK_CHAR: char = '•';

/// Which input is chosen, and the value being typed once one is.
#[derive(Clone)]
pub struct InputChange {
    /// Index into the runbook's inputs.
    pub cursor: usize,
    /// Typing the new value (else choosing the input).
    pub editing: bool,
    pub text: TextArea<'static>,
    pub error: Option<String>,
    /// Only one input: Esc from the value closes instead of going back.
    pub single: bool,
}

// By hand: the typed text may be a secret, and `App` is `Debug`.
impl std::fmt::Debug for InputChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputChange")
            .field("cursor", &self.cursor)
            .field("editing", &self.editing)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl InputChange {
    /// Opens on the list; with a single input, straight on its value.
    pub fn open(look: &Look) -> InputChange {
        let single = look.session.runbook.inputs.len() == 1;
        let mut c = InputChange {
            cursor: 0,
            editing: false,
            text: TextArea::default(),
            error: None,
            single,
        };
        if single {
            c.edit(look);
        }
        c
    }

    pub fn context(&self) -> Context {
        if self.editing {
            Context::InputEdit
        } else {
            Context::InputPick
        }
    }

    /// Starts typing: a plain value starts from the current one (to fix a
    /// typo), a secret from nothing (its value is not known here).
    fn edit(&mut self, look: &Look) {
        let Some(input) = look.session.runbook.inputs.get(self.cursor) else {
            return;
        };
        let secret = is_secret(look, input);
        let current = look
            .session
            .inputs
            .iter()
            .find(|v| v.name == input.name)
            .filter(|_| !secret)
            .map(|v| v.value.clone())
            .unwrap_or_default();
        self.text = TextArea::new(vec![current]);
        self.text.move_cursor(CursorMove::End);
        if secret {
            self.text.set_mask_char(MASK_CHAR);
        }
        self.error = None;
        self.editing = true;
    }

    /// The value typed, as typed (not trimmed, like the inputs form).
    fn value(&self) -> String {
        self.text.lines().join("")
    }
}

/// Whether an input's value is masked on screen.
pub fn is_secret(look: &Look, input: &Input) -> bool {
    input.secret || look.secrets.iter().any(|s| s == &input.name)
}

impl InputChange {
    pub fn key(mut self, key: KeyEvent, look: &Look) -> Outcome<InputChange> {
        let action = keymap::action(self.context(), &key);
        let last = look.session.runbook.inputs.len().saturating_sub(1);
        match (self.editing, action) {
            (false, Some(Action::Up)) => self.cursor = self.cursor.saturating_sub(1),
            (false, Some(Action::Down)) => self.cursor = (self.cursor + 1).min(last),
            (false, Some(Action::Accept)) => self.edit(look),
            (false, Some(Action::Dismiss)) => return Outcome::Close,
            (true, Some(Action::Dismiss)) if self.single => return Outcome::Close,
            (true, Some(Action::Dismiss)) => {
                self.editing = false;
                self.error = None;
            }
            (true, Some(Action::Accept)) => match self.give(look) {
                Ok(cmd) => return Outcome::Send(vec![cmd]),
                Err(why) => self.error = Some(why),
            },
            (true, _) => {
                self.text.input(key);
            }
            _ => {}
        }
        Outcome::Keep(self)
    }

    /// The command for the typed value, or why it cannot be given (the
    /// inputs form's check, then what the engine would refuse anyway).
    fn give(&self, look: &Look) -> Result<Command, String> {
        let input = &look.session.runbook.inputs[self.cursor];
        let value = self.value();
        if let Some(why) = super::super::widgets::inputs_form::validate(input, &value) {
            return Err(why);
        }
        if let Some(step) = look.session.running().and_then(|i| look.step_def(i)) {
            return Err(format!(
                "“{}” is running: give the value once it has ended.",
                step.title
            ));
        }
        let current = look.session.inputs.iter().find(|v| v.name == input.name);
        if !is_secret(look, input) && current.map_or("", |v| v.value.as_str()) == value {
            return Err(format!("{} already has this value.", input.name));
        }
        Ok(Command::GiveInput {
            name: input.name.clone(),
            value,
        })
    }
}
