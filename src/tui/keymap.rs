//! The one key table: which key does what, in which context.
//!
//! `App::update` looks actions up here, the help overlay lists this table,
//! and the status bar's key hints and every modal's key line ([`footer`])
//! are drawn from it, so they can never disagree. This module is data plus two lookups; it never holds state.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Where the keyboard is: the main screen or one of the modals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Main,
    HumanPrompt,
    RunConfirm,
    Failure,
    /// A fleet step failed: retry its failed hosts, accept, abort.
    FleetFailure,
    /// A fleet step waits between two batches.
    Batch,
    /// The host grid of a fleet step in the log pane, or a host's log.
    Hosts,
    Unknown,
    /// A yes/no question (cancel the running step, quit).
    YesNo,
    /// Quitting while a step runs: leave it running, or cancel it.
    QuitRunning,
    /// A one-line text field (skip reason, abort reason, search).
    Line,
    /// A multi-line note.
    NoteEntry,
    /// The draft of a status update, before it is sent.
    UpdateDraft,
    /// Changing an input: choosing which one.
    InputPick,
    /// Changing an input: typing its new value.
    InputEdit,
    Help,
    /// A log search match is shown (or a search runs).
    Found,
    /// The session has completed or was aborted: the last screen.
    Finished,
    /// Every step is settled but an update was not delivered.
    Undelivered,
}

/// What a key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Act,
    ToggleAuto,
    Retry,
    Skip,
    /// Skip the selected step's whole section (optional sections only).
    SkipSection,
    Note,
    /// Change an input's value for the steps still to run.
    ChangeInput,
    /// Draft a regular status update now (`updates:`).
    RegularUpdate,
    Cancel,
    SwitchPane,
    Search,
    Follow,
    /// Wrap long log lines, or cut them at the pane's edge.
    ToggleWrap,
    PageUp,
    PageDown,
    Home,
    End,
    EarlierAttempt,
    LaterAttempt,
    Help,
    Quit,
    /// Give the terminal back to the shell (Ctrl-Z); `fg` comes back.
    Suspend,
    /// Clear the terminal and paint the whole screen again (Ctrl-L).
    Redraw,
    /// Modals: accept (run, yes, done, submit).
    Accept,
    /// Modals: close without doing anything.
    Dismiss,
    ToggleItem,
    NextField,
    MarkDone,
    Abort,
    /// Note editor: a line break (the text area takes the key).
    NewLine,
    /// The next match of the log search.
    NextMatch,
    /// The previous match of the log search.
    PrevMatch,
    /// Give the keyboard to the running `tty: true` step.
    TypeIntoStep,
    /// Scroll the Details pane (round to the top after its end).
    ScrollDetails,
    /// Select the next step (`▶`) again; the selection follows it after.
    GoToNext,
    /// A fleet step: its host grid in the log pane (again: its log).
    Hosts,
}

/// A key with its modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key(pub KeyCode, pub KeyModifiers);

const fn k(c: char) -> Key {
    Key(KeyCode::Char(c), KeyModifiers::NONE)
}
const fn code(c: KeyCode) -> Key {
    Key(c, KeyModifiers::NONE)
}
const fn ctrl(c: char) -> Key {
    Key(KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// One row of the table.
#[derive(Debug)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    /// Two or three words for the status bar.
    pub hint: &'static str,
    /// A sentence for the help overlay.
    pub help: &'static str,
}

const fn b(
    context: Context,
    keys: &'static [Key],
    action: Action,
    hint: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        hint,
        help,
    }
}

use Action as A;
use Context as C;

/// The table. Order is the order of the help overlay and the hints.
pub static BINDINGS: &[Binding] = &[
    b(
        C::Main,
        &[code(KeyCode::Enter)],
        A::Act,
        "act",
        "Run the selected step, or open its prompt",
    ),
    b(
        C::Main,
        &[k('g')],
        A::GoToNext,
        "to ▶",
        "Select ▶ (the next step) again; the selection follows it",
    ),
    b(
        C::Main,
        &[code(KeyCode::Up), k('k')],
        A::Up,
        "up",
        "Select the previous step (log pane: scroll up)",
    ),
    b(
        C::Main,
        &[code(KeyCode::Down), k('j')],
        A::Down,
        "down",
        "Select the next step (log pane: scroll down)",
    ),
    b(
        C::Main,
        &[k('r')],
        A::Retry,
        "retry",
        "Retry a failed step, re-run an unknown one",
    ),
    b(
        C::Main,
        &[k('s')],
        A::Skip,
        "skip",
        "Skip the selected step (asks a reason)",
    ),
    b(
        C::Main,
        &[k('S')],
        A::SkipSection,
        "skip section",
        "Skip the whole optional section (asks a reason)",
    ),
    b(
        C::Main,
        &[k('n')],
        A::Note,
        "note",
        "Add a note to the selected step",
    ),
    b(
        C::Main,
        &[k('c'), ctrl('c')],
        A::Cancel,
        "cancel",
        "Cancel the running step (asks first)",
    ),
    b(
        C::Main,
        &[k('a')],
        A::ToggleAuto,
        "auto",
        "Toggle auto mode: run automated steps back to back",
    ),
    b(
        C::Main,
        &[code(KeyCode::Tab)],
        A::SwitchPane,
        "pane",
        "Switch focus between steps and log",
    ),
    b(
        C::Main,
        &[k('t')],
        A::TypeIntoStep,
        "type",
        "Type into the running tty step (it takes the keys as it starts, auto mode off; also Enter); Ctrl-] ends it",
    ),
    b(
        C::Main,
        &[k('h')],
        A::Hosts,
        "hosts",
        "Fleet step: its host grid in the log pane (h again: back)",
    ),
    b(
        C::Main,
        &[k('D')],
        A::ScrollDetails,
        "details",
        "Scroll the Details pane (after its end, back to the top)",
    ),
    b(
        C::Main,
        &[k('/')],
        A::Search,
        "search",
        "Search the whole log, from the view on",
    ),
    b(
        C::Main,
        &[k('f')],
        A::Follow,
        "follow",
        "Follow the log (jump to its end)",
    ),
    b(
        C::Main,
        &[k('w')],
        A::ToggleWrap,
        "wrap",
        "Wrap long log lines, or cut them at the edge (marked …)",
    ),
    b(
        C::Main,
        &[code(KeyCode::PageUp)],
        A::PageUp,
        "page up",
        "Scroll the log up a page",
    ),
    b(
        C::Main,
        &[code(KeyCode::PageDown)],
        A::PageDown,
        "page down",
        "Scroll the log down a page",
    ),
    b(
        C::Main,
        &[code(KeyCode::Home)],
        A::Home,
        "top",
        "Scroll to the start of the log",
    ),
    b(
        C::Main,
        &[code(KeyCode::End)],
        A::End,
        "end",
        "Scroll to the end of the log and follow",
    ),
    b(
        C::Main,
        &[k('[')],
        A::EarlierAttempt,
        "earlier",
        "Show an earlier attempt's log",
    ),
    b(
        C::Main,
        &[k(']')],
        A::LaterAttempt,
        "later",
        "Show a later attempt's log",
    ),
    b(C::Main, &[k('?')], A::Help, "help", "Show this help"),
    b(
        C::Main,
        &[k('q')],
        A::Quit,
        "quit",
        "Quit (the session is saved; resume later)",
    ),
    // After `?` and `q`: on a narrow status bar those two keep their room.
    b(
        C::Main,
        &[k('i')],
        A::ChangeInput,
        "input",
        "Change an input's value for the steps still to run",
    ),
    b(
        C::Main,
        &[k('u')],
        A::RegularUpdate,
        "update",
        "Draft a regular status update now (the runbook's `updates:`)",
    ),
    b(
        C::Main,
        &[ctrl('z')],
        A::Suspend,
        "suspend",
        "Suspend to the shell (fg comes back; running steps go on)",
    ),
    b(
        C::Main,
        &[ctrl('l')],
        A::Redraw,
        "redraw",
        "Clear the terminal and paint the screen again (from any screen)",
    ),
    b(
        C::Hosts,
        &[code(KeyCode::Up), k('k')],
        A::Up,
        "up",
        "Host grid: the previous host",
    ),
    b(
        C::Hosts,
        &[code(KeyCode::Down), k('j')],
        A::Down,
        "down",
        "Host grid: the next host",
    ),
    b(
        C::Hosts,
        &[code(KeyCode::Enter)],
        A::Accept,
        "log",
        "Host grid: open the host's log here (/ searches it, n/N)",
    ),
    b(
        C::Hosts,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "back",
        "Back: from a host's log to the grid, then to the step's log",
    ),
    b(
        C::Found,
        &[k('n')],
        A::NextMatch,
        "next match",
        "After a search: the next match in the log",
    ),
    b(
        C::Found,
        &[k('N')],
        A::PrevMatch,
        "previous match",
        "After a search: the previous match in the log",
    ),
    b(
        C::Found,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "leave matches",
        "After a search: stop it, or leave the matches (n adds a note again)",
    ),
    b(
        C::HumanPrompt,
        &[ctrl('d')],
        A::Accept,
        "done",
        "Confirm the step done (items unticked: said first, Ctrl-D again confirms)",
    ),
    b(
        C::HumanPrompt,
        &[ctrl('s')],
        A::Skip,
        "skip",
        "Skip the step (asks a reason)",
    ),
    b(
        C::HumanPrompt,
        &[code(KeyCode::Tab)],
        A::NextField,
        "checklist/note",
        "Move between checklist and note",
    ),
    b(
        C::HumanPrompt,
        &[k(' ')],
        A::ToggleItem,
        "tick",
        "Tick or untick the checklist item",
    ),
    b(
        C::HumanPrompt,
        &[code(KeyCode::Up)],
        A::Up,
        "up",
        "Previous checklist item",
    ),
    b(
        C::HumanPrompt,
        &[code(KeyCode::Down)],
        A::Down,
        "down",
        "Next checklist item",
    ),
    b(
        C::HumanPrompt,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "cancel",
        "Close without confirming",
    ),
    // Not Enter: Enter opened this question, a second one must not run
    // a step that asked to be confirmed.
    b(
        C::RunConfirm,
        &[k('y')],
        A::Accept,
        "run",
        "Run the command (y; Enter does not)",
    ),
    b(
        C::RunConfirm,
        &[code(KeyCode::Esc), k('n')],
        A::Dismiss,
        "cancel",
        "Do not run it",
    ),
    b(
        C::Failure,
        &[k('r')],
        A::Retry,
        "retry",
        "Run the step again",
    ),
    b(
        C::Failure,
        &[k('s')],
        A::Skip,
        "skip",
        "Skip it (asks a reason)",
    ),
    b(
        C::Failure,
        &[k('d')],
        A::MarkDone,
        "mark done",
        "Mark it done by hand (asks a note)",
    ),
    b(
        C::Failure,
        &[k('a')],
        A::Abort,
        "abort",
        "Abort the session (asks a reason)",
    ),
    b(
        C::Failure,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "decide later",
        "Close; decide later",
    ),
    b(
        C::FleetFailure,
        &[k('r')],
        A::Retry,
        "retry failed hosts",
        "Re-run only the hosts that failed or did not finish",
    ),
    b(
        C::FleetFailure,
        &[k('c')],
        A::MarkDone,
        "accept and continue",
        "Accept the failure and go on (asks a reason, recorded)",
    ),
    b(
        C::FleetFailure,
        &[k('a')],
        A::Abort,
        "abort",
        "Abort the session (asks a reason)",
    ),
    b(
        C::FleetFailure,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "decide later",
        "Close; decide later (s skips the step)",
    ),
    b(
        C::Batch,
        &[code(KeyCode::Enter), k('y')],
        A::Accept,
        "next batch",
        "Go on with the next batch",
    ),
    b(
        C::Batch,
        &[k('s'), k('c')],
        A::Cancel,
        "stop",
        "Stop the rollout (the step fails; r runs the rest later)",
    ),
    b(
        C::Batch,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "decide later",
        "Close; Enter on the step asks again",
    ),
    b(
        C::Unknown,
        &[k('r')],
        A::Retry,
        "re-run",
        "Run the step again",
    ),
    b(
        C::Unknown,
        &[k('d')],
        A::MarkDone,
        "mark done",
        "It did finish: mark it done (asks a note)",
    ),
    b(
        C::Unknown,
        &[k('s')],
        A::Skip,
        "skip",
        "Skip it (asks a reason)",
    ),
    b(
        C::Unknown,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "decide later",
        "Close; decide later",
    ),
    b(
        C::QuitRunning,
        &[k('l')],
        A::Accept,
        "leave running",
        "Quit; the step runs on (`stepwise resume` re-attaches)",
    ),
    b(
        C::QuitRunning,
        &[k('c')],
        A::Cancel,
        "cancel it",
        "Cancel the step, then quit",
    ),
    b(
        C::QuitRunning,
        &[k('n'), code(KeyCode::Esc)],
        A::Dismiss,
        "stay",
        "Do not quit",
    ),
    b(
        C::YesNo,
        &[k('y'), code(KeyCode::Enter)],
        A::Accept,
        "yes",
        "Yes",
    ),
    b(
        C::YesNo,
        &[k('n'), code(KeyCode::Esc)],
        A::Dismiss,
        "no",
        "No",
    ),
    b(
        C::Line,
        &[code(KeyCode::Enter)],
        A::Accept,
        "submit",
        "Submit the text (Ctrl-U undoes, Ctrl-R redoes)",
    ),
    b(
        C::Line,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "cancel",
        "Cancel",
    ),
    b(
        C::NoteEntry,
        &[ctrl('d')],
        A::Accept,
        "save",
        "Save the note (Enter starts a new line; Ctrl-U undoes, Ctrl-R redoes)",
    ),
    b(
        C::NoteEntry,
        &[code(KeyCode::Enter)],
        A::NewLine,
        "new line",
        "Start a new line of the note",
    ),
    b(
        C::NoteEntry,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "cancel",
        "Discard the note",
    ),
    b(
        C::UpdateDraft,
        &[ctrl('d')],
        A::Accept,
        "send",
        "Send the update as it reads now (Enter starts a new line)",
    ),
    b(
        C::UpdateDraft,
        &[code(KeyCode::Enter)],
        A::NewLine,
        "new line",
        "Start a new line of the update",
    ),
    b(
        C::UpdateDraft,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "cancel",
        "Close the draft without sending",
    ),
    b(
        C::InputPick,
        &[code(KeyCode::Up), k('k')],
        A::Up,
        "up",
        "Previous input",
    ),
    b(
        C::InputPick,
        &[code(KeyCode::Down), k('j')],
        A::Down,
        "down",
        "Next input",
    ),
    b(
        C::InputPick,
        &[code(KeyCode::Enter)],
        A::Accept,
        "change it",
        "Type a new value for the chosen input",
    ),
    b(
        C::InputPick,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "close",
        "Close; nothing changes",
    ),
    b(
        C::InputEdit,
        &[code(KeyCode::Enter)],
        A::Accept,
        "give it",
        "Give the value to the steps still to run (it is recorded)",
    ),
    b(
        C::InputEdit,
        &[code(KeyCode::Esc)],
        A::Dismiss,
        "back",
        "Back without changing it",
    ),
    b(
        C::Help,
        &[code(KeyCode::Up), k('k')],
        A::Up,
        "scroll up",
        "Scroll the help up",
    ),
    b(
        C::Help,
        &[code(KeyCode::Down), k('j')],
        A::Down,
        "scroll down",
        "Scroll the help down",
    ),
    b(
        C::Help,
        &[code(KeyCode::PageUp)],
        A::PageUp,
        "page up",
        "Scroll the help up a page",
    ),
    b(
        C::Help,
        &[code(KeyCode::PageDown), k(' ')],
        A::PageDown,
        "page down",
        "Scroll the help down a page",
    ),
    b(
        C::Help,
        &[code(KeyCode::Esc), k('?'), k('q')],
        A::Dismiss,
        "close",
        "Close the help",
    ),
    b(
        C::Finished,
        &[code(KeyCode::Enter), code(KeyCode::Esc), k('q')],
        A::Dismiss,
        "leave",
        "Leave once the session has ended (the transcript path is printed)",
    ),
    b(
        C::Undelivered,
        &[k('r')],
        A::Retry,
        "resend",
        "Send the ▶ update again to the channels that refused it",
    ),
    b(
        C::Undelivered,
        &[k('s')],
        A::Skip,
        "skip it",
        "Skip the update marked ▶, with a reason",
    ),
    b(
        C::Undelivered,
        &[k('c')],
        A::Accept,
        "close as is",
        "Close the session, the updates left failed in the record",
    ),
    b(
        C::Undelivered,
        &[k('q')],
        A::Quit,
        "leave open",
        "Leave the session open, to resume later",
    ),
];

fn matches(key: &Key, ev: &KeyEvent) -> bool {
    // Shift is implied by the character itself ('?' is Shift-/ on most layouts).
    let mods = ev.modifiers - KeyModifiers::SHIFT;
    key.0 == ev.code && key.1 == mods
}

/// The action a key press asks for in a context, if any.
/// Whether a main-screen action only changes the view, never the session:
/// the keys `stepwise follow` (read only) answers.
pub fn changes_nothing(action: Action) -> bool {
    matches!(
        action,
        Action::Up
            | Action::Down
            | Action::GoToNext
            | Action::SwitchPane
            | Action::Search
            | Action::Follow
            | Action::ToggleWrap
            | Action::PageUp
            | Action::PageDown
            | Action::Home
            | Action::End
            | Action::EarlierAttempt
            | Action::LaterAttempt
            | Action::Help
            | Action::Quit
            | Action::Suspend
            | Action::Redraw
            | Action::ScrollDetails
            | Action::Hosts
    )
}

pub fn action(context: Context, ev: &KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .find(|b| b.keys.iter().any(|k| matches(k, ev)))
        .map(|b| b.action)
}

/// The bindings of one context, in table order.
pub fn bindings(context: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.context == context)
}

/// A key as people write it: `Enter`, `Ctrl-C`, `k`, `↑`.
pub fn key_label(key: &Key) -> String {
    let name = match key.0 {
        KeyCode::Enter => "Enter".to_string(),
        KeyCode::Esc => "Esc".to_string(),
        KeyCode::Tab => "Tab".to_string(),
        KeyCode::Up => "↑".to_string(),
        KeyCode::Down => "↓".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        KeyCode::Home => "Home".to_string(),
        KeyCode::End => "End".to_string(),
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        other => format!("{other:?}"),
    };
    if key.1.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{}", name.to_uppercase())
    } else {
        name
    }
}

/// All keys of a binding joined: `↑/k`.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(key_label)
        .collect::<Vec<_>>()
        .join("/")
}

/// The footer of a modal: `Ctrl-D done · Esc cancel`, for these actions of
/// the context in table order (all of them when `only` is empty). Every
/// modal's key line comes from here, so it cannot disagree with the keys.
pub fn footer(context: Context, only: &[Action]) -> String {
    bindings(context)
        .filter(|b| only.is_empty() || only.contains(&b.action))
        .map(|b| format!("{} {}", keys_label(b), b.hint))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The first binding of an action in a context (for hints in modals).
pub fn binding(context: Context, action: Action) -> Option<&'static Binding> {
    bindings(context).find(|b| b.action == action)
}
