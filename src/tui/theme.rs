//! Styles, with `NO_COLOR` honoured: without colour only bold, dim and
//! reverse remain, and every status keeps its symbol. Pure functions.

use crate::session::state::StepStatus;
use ratatui::style::{Color, Modifier, Style};

/// A style with a foreground colour, or none when colour is off.
pub fn fg(color: bool, c: Color) -> Style {
    if color {
        Style::default().fg(c)
    } else {
        Style::default()
    }
}

pub fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::default().add_modifier(Modifier::DIM)
}

pub fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// The status mark of a step and its style; `frame` turns the spinner.
pub fn mark(status: &StepStatus, frame: usize, color: bool) -> (&'static str, Style) {
    match status {
        StepStatus::Pending => ("○", dim()),
        StepStatus::Running { .. } => (
            SPINNER[frame % SPINNER.len()],
            fg(color, Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        StepStatus::Succeeded | StepStatus::Confirmed { .. } => ("✓", fg(color, Color::Green)),
        StepStatus::Failed => ("✗", fg(color, Color::Red).add_modifier(Modifier::BOLD)),
        StepStatus::Skipped { .. } => ("↷", fg(color, Color::Blue)),
        StepStatus::DoneByHand => ("✎", fg(color, Color::Cyan)),
        StepStatus::OutcomeUnknown { .. } => {
            ("?", fg(color, Color::Magenta).add_modifier(Modifier::BOLD))
        }
    }
}
