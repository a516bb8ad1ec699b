//! The one-time trust screen shown before the TUI runs a runbook file that
//! is new or changed: its title, path, hash and every command it will run,
//! with `t` to trust and continue and `q` to quit.
//!
//! `TrustScreen` is pure state (`key`, `render`); [`ask`] is the small loop
//! that owns the terminal while the screen is shown (`ratatui::init` /
//! `restore`, which also restore it on panic). It never records trust and
//! never runs anything: `trust::ensure` does the recording.

use crate::trust::Review;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// What a key did.
#[derive(Debug, PartialEq, Eq)]
pub enum Choice {
    Undecided,
    Trust,
    Quit,
}

/// The screen's state: the review and how far the command list is scrolled.
pub struct TrustScreen {
    pub review: Review,
    pub scroll: u16,
    pub color: bool,
}

impl TrustScreen {
    pub fn new(review: Review, color: bool) -> TrustScreen {
        TrustScreen {
            review,
            scroll: 0,
            color,
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> Choice {
        if key.kind == KeyEventKind::Release {
            return Choice::Undecided;
        }
        match key.code {
            KeyCode::Char('t') | KeyCode::Char('T') => Choice::Trust,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Choice::Quit,
            KeyCode::Char('q') | KeyCode::Esc => Choice::Quit,
            KeyCode::Down | KeyCode::Char('j') => self.scroll_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.scroll_by(-1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll_by(10),
            KeyCode::PageUp => self.scroll_by(-10),
            _ => Choice::Undecided,
        }
    }

    fn scroll_by(&mut self, delta: i32) -> Choice {
        let max = self.body_lines().len().saturating_sub(1) as i32;
        self.scroll = (i32::from(self.scroll) + delta).clamp(0, max) as u16;
        Choice::Undecided
    }

    fn body_lines(&self) -> Vec<Line<'static>> {
        let r = &self.review;
        let label = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("{k:<8}"), crate::tui::theme::bold()),
                Span::raw(v),
            ])
        };
        let mut lines = vec![
            Line::raw(if r.changed {
                "This runbook file changed since it was last trusted."
            } else {
                "stepwise has not run this runbook file before."
            }),
            Line::raw("Read what it will run. Trust it only if you expect every command."),
            Line::raw(""),
            label("runbook", r.title.clone()),
            label("file", crate::text::one_line(&r.path.display().to_string())),
            label("sha256", r.sha256.clone()),
        ];
        if let Some(shell) = &r.shell {
            lines.push(label("shell", shell.clone()));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            match r.commands.len() {
                0 => "Commands: none (human steps only)".to_string(),
                n => format!("Commands it will run ({n}):"),
            },
            crate::tui::theme::bold(),
        ));
        let cmd_style = crate::tui::theme::fg(self.color, Color::Yellow);
        for (from, cmd) in &r.commands {
            lines.push(Line::styled(format!("  {from}"), crate::tui::theme::dim()));
            lines.extend(
                cmd.lines()
                    .map(|l| Line::styled(format!("    $ {l}"), cmd_style)),
            );
        }
        if !r.channels.is_empty() {
            lines.push(Line::raw(""));
            let title = format!("Where it sends status updates ({}):", r.channels.len());
            lines.push(Line::styled(title, crate::tui::theme::bold()));
        }
        for (name, to) in &r.channels {
            lines.push(Line::styled(format!("  {name} → {to}"), cmd_style));
        }
        if !r.targets.is_empty() {
            lines.push(Line::raw(""));
            let title = format!("Where fleet steps run ({}):", r.targets.len());
            lines.push(Line::styled(title, crate::tui::theme::bold()));
        }
        for (name, hosts) in &r.targets {
            lines.push(Line::styled(format!("  {name} → {hosts}"), cmd_style));
        }
        lines
    }

    pub fn render(&self, frame: &mut Frame) {
        let [body, keys] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(frame.area());
        frame.render_widget(
            Paragraph::new(self.body_lines())
                .block(crate::tui::widgets::block("Trust this runbook?", true))
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0)),
            body,
        );
        let hint = Line::from(vec![
            Span::styled(
                " t ",
                Style::default().add_modifier(ratatui::style::Modifier::REVERSED),
            ),
            Span::raw(" trust and continue   "),
            Span::styled(
                " q ",
                Style::default().add_modifier(ratatui::style::Modifier::REVERSED),
            ),
            Span::raw(" quit   ↑/↓ scroll"),
        ]);
        frame.render_widget(Paragraph::new(hint), keys);
    }
}

/// How `trust::ensure` asks: the screen in the TUI, a refusal headless.
pub fn asker(headless: bool) -> crate::trust::Ask {
    if headless {
        crate::trust::Ask::Refuse
    } else {
        crate::trust::Ask::Screen(ask)
    }
}

/// Shows the trust screen until the person trusts (`true`) or quits.
pub fn ask(review: &Review) -> std::io::Result<bool> {
    let screen = TrustScreen::new(review.clone(), crate::tui::color_enabled());
    let screen = std::cell::RefCell::new(screen);
    crate::tui::screen::run(
        |f| screen.borrow().render(f),
        |k| match screen.borrow_mut().key(k) {
            Choice::Undecided => None,
            Choice::Trust => Some(true),
            Choice::Quit => Some(false),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;
    use ratatui::{Terminal, backend::TestBackend};

    fn review() -> Review {
        Review {
            title: "Deployment rollback".into(),
            path: "/srv/runbooks/rollback.yaml".into(),
            sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            shell: None,
            changed: false,
            commands: vec![
                (
                    "input STABLE_TAG (default_from)".into(),
                    "git describe --tags --abbrev=0".into(),
                ),
                (
                    "step stable-version-exists".into(),
                    "git rev-parse --verify \"refs/tags/$STABLE_TAG\"".into(),
                ),
                (
                    "step deploy".into(),
                    "./deploy.sh \"$STABLE_TAG\"\necho deployed".into(),
                ),
            ],
            channels: vec![(
                "incident (slack)".into(),
                "the URL given as input SLACK_WEBHOOK_URL (POST)".into(),
            )],
            targets: vec![("web (ssh)".into(), "hosts web-1, web-2".into())],
        }
    }

    fn draw(screen: &TrustScreen) -> String {
        let mut t = Terminal::new(TestBackend::new(80, 22)).unwrap();
        t.draw(|f| screen.render(f)).unwrap();
        t.backend().to_string()
    }

    #[test]
    fn trust_screen_shows_title_path_hash_and_every_command() {
        let screen = TrustScreen::new(review(), false);
        insta::assert_snapshot!(draw(&screen));
    }

    /// A file trusted before with other bytes is said to have changed; a
    /// new one, never run.
    #[test]
    fn the_screen_says_whether_the_file_is_new_or_changed() {
        assert!(
            draw(&TrustScreen::new(review(), false))
                .contains("has not run this runbook file before")
        );
        let changed = Review {
            changed: true,
            ..review()
        };
        assert!(
            draw(&TrustScreen::new(changed, false)).contains("changed since it was last trusted")
        );
    }

    #[test]
    fn keys_trust_quit_and_scroll() {
        let mut s = TrustScreen::new(review(), false);
        assert_eq!(s.key(KeyEvent::from(KeyCode::Down)), Choice::Undecided);
        assert_eq!(s.scroll, 1);
        assert_eq!(s.key(KeyEvent::from(KeyCode::Up)), Choice::Undecided);
        assert_eq!(s.key(KeyEvent::from(KeyCode::Up)), Choice::Undecided);
        assert_eq!(s.scroll, 0);
        assert_eq!(s.key(KeyEvent::from(KeyCode::Char('t'))), Choice::Trust);
        assert_eq!(s.key(KeyEvent::from(KeyCode::Char('q'))), Choice::Quit);
        assert_eq!(s.key(KeyEvent::from(KeyCode::Esc)), Choice::Quit);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(s.key(ctrl_c), Choice::Quit);
    }
}
