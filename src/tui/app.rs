//! The interface state and its update function (the Elm "model" and
//! "update").
//!
//! `App::update` takes one message (a key, a mouse event, an engine update,
//! a clock tick, a resize) and returns the engine commands it asks for. It
//! never does I/O, never reads a clock (time arrives in `Msg::Tick`) and
//! never renders; `view::render` reads the `App` and never changes it. The
//! driver keeps its own `Session` by folding every `Update::Record`, so the
//! screen shows exactly what the journal holds.

use super::ending::TuiEnd;
use super::keymap::{self, Action, Context};
use super::layout::{self, Areas};
use super::log::{LogPane, Logs};
use super::log_file::Direction;
use super::log_view::{Layout, Pos};
use super::look::Look;
use super::modals::{Help, InputChange, LinePurpose, Modal, NotePurpose, Outcome};
use super::search_job::{Found, SearchJob, Searching};
use crate::engine::command::{Command, End, Update};
use crate::engine::redact::MASK;
use crate::runbook::model::{OnFailure, Step};
use crate::session::event::{Event, InputSource};
use crate::session::state::{ScheduledRetry, Session, StepStatus};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

/// How long a status message stays without a key press.
const STATUS_LASTS: chrono::TimeDelta = chrono::TimeDelta::seconds(6);

impl App {
    /// The retry the step waits for, if it does (from the journal).
    pub fn retry_of(&self, step: &str) -> Option<&ScheduledRetry> {
        self.session.step(step).and_then(|st| st.retry.as_ref())
    }
}

/// Everything that can happen to the interface.
// Messages are moved once into `update`; boxing the engine update would
// only add an allocation per output chunk.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Engine(Update),
    Tick(DateTime<Utc>),
    Resize(u16, u16),
    /// A log search running off the event loop has an answer.
    Found(Found),
    /// Text pasted (bracketed paste): into a modal's text field, or to a
    /// step being typed into; never read as keys.
    Paste(String),
}

/// Which pane the arrow keys move in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Steps,
    Log,
}

/// The interface state.
#[derive(Debug)]
pub struct App {
    pub session: Session,
    /// Index into `session.steps`.
    pub selected: usize,
    /// Selection follows the step the engine is on until the operator moves.
    pub track_next: bool,
    pub focus: Pane,
    pub logs: Logs,
    /// The attempt whose log is shown; `None` is the latest.
    pub attempt_choice: Option<u32>,
    /// Log follows new output; when false, the top row shown is row
    /// `anchor_row` of line `anchor` (a wrapped line has several rows).
    pub follow: bool,
    pub anchor: u64,
    pub anchor_row: usize,
    /// Long log lines wrap onto more rows; when false they are cut at the
    /// pane's edge, with a mark. On by default: nothing is hidden until
    /// asked, as in the terminal the command would otherwise run in.
    pub wrap: bool,
    pub search: Option<String>,
    /// The line of the search match shown (`n`/`N` move from it).
    pub hit: Option<u64>,
    /// A search running off the event loop.
    pub searching: Option<Searching>,
    /// A search for the event loop to start (taken by it).
    pub search_job: Option<SearchJob>,
    /// Rows the Details pane is scrolled by (`D`; taken modulo what is
    /// hidden, so it goes round to the top).
    pub details_scroll: usize,
    /// The tty step the keys go to (`t`); `None`: keys are hotkeys.
    pub typing: Option<String>,
    /// A human step's prompt closed with nothing sent (Esc, or a skip's
    /// reason given up), by step: Enter on the step opens it again as it
    /// was, its note and ticks kept.
    pub human_drafts: std::collections::HashMap<String, super::modals::HumanPrompt>,
    /// A reason typed and given up (Esc), by what it was for: the same
    /// question asked again starts with it.
    pub line_drafts: Vec<(LinePurpose, String)>,
    /// The latest output: which attempt, and when (for "may be waiting
    /// for input").
    pub last_output: Option<(String, u32, DateTime<Utc>)>,
    /// The session folder: attempts' logs are read from there, and the
    /// outcome-unknown prompt looks at it.
    pub session_dir: Option<std::path::PathBuf>,
    pub modal: Option<Modal>,
    pub status: Option<String>,
    /// The status message, and when the clock first saw it.
    status_since: Option<(String, DateTime<Utc>)>,
    pub auto: bool,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    /// Where each panel is, computed once per resize (`layout::areas`).
    pub areas: Areas,
    /// Names whose values are masked wherever they are shown.
    pub secrets: Vec<String>,
    /// False when `NO_COLOR` is set: styles keep only bold/reverse.
    pub color: bool,
    /// The (step, attempts) a failure/unknown prompt was last opened for.
    pub prompted: Option<(String, usize)>,
    /// The host grid of a fleet step, or one host's log, in the log pane.
    pub hosts: Option<super::host_pick::HostView>,
    /// Set once the engine has ended: the interface should close.
    pub end: Option<TuiEnd>,
    /// Said in the quit dialog instead of the resume command, when resuming
    /// would not work (the demo).
    pub quit_note: Option<String>,
    /// Step durations of this runbook's earlier sessions: the expected end.
    pub history: crate::comms::estimate::History,
    /// How the session ended, kept while the last screen is shown.
    pub finished: Option<TuiEnd>,
    pub leaving: bool,
    /// The operator asked to suspend (Ctrl-Z); the driver does it.
    pub suspend: bool,
    /// A key sent the engine a command since it last waited: the next
    /// wait moves the selection on even from a log being read.
    decided: bool,
    /// A follower's view: running attempts whose monitor recorded their
    /// exit with no stepwise attached (not journalled until a resume), by
    /// step id: (attempt, exit, duration in ms).
    pub ended_away: std::collections::HashMap<String, (u32, crate::session::event::ExitInfo, u64)>,
    /// The operator asked for a whole new paint of the screen (Ctrl-L):
    /// the driver clears the terminal and draws every cell.
    pub redraw: bool,
    /// Something changed since the last draw.
    pub dirty: bool,
    /// `stepwise follow`: another process runs the session; keys only
    /// move the view (`keymap::changes_nothing`), and `q` leaves at once.
    pub read_only: bool,
}

impl App {
    pub fn new(session: Session, secrets: Vec<String>, now: DateTime<Utc>, color: bool) -> App {
        let selected = session.next_step().unwrap_or(0);
        let auto = session.auto;
        App {
            session,
            selected,
            track_next: true,
            focus: Pane::Steps,
            logs: Logs::default(),
            attempt_choice: None,
            follow: true,
            anchor: 0,
            anchor_row: 0,
            wrap: true,
            search: None,
            hit: None,
            searching: None,
            search_job: None,
            session_dir: None,
            typing: None,
            human_drafts: std::collections::HashMap::new(),
            line_drafts: Vec::new(),
            details_scroll: 0,
            last_output: None,
            modal: None,
            status: None,
            auto,
            now,
            size: (100, 30),
            areas: layout::areas((100, 30)),
            secrets,
            color,
            prompted: None,
            hosts: None,
            end: None,
            quit_note: None,
            finished: None,
            leaving: false,
            suspend: false,
            decided: false,
            ended_away: Default::default(),
            redraw: false,
            dirty: true,
            status_since: None,
            read_only: false,
            history: Default::default(),
        }
    }

    /// Handles one message; returns the commands for the engine.
    pub fn update(&mut self, msg: Msg) -> Vec<Command> {
        match msg {
            // While the screen is too small to show anything, no key acts
            // (a blind Enter could run a step nobody saw) but `q`, which
            // leaves without a question and without stopping anything.
            Msg::Key(key) if self.too_small() => self.key_too_small(&key),
            Msg::Key(key) if self.typing.is_some() && self.modal.is_none() => {
                self.dirty = true;
                self.typing_key(key)
            }
            Msg::Key(key) => {
                self.dirty = true;
                self.status = None;
                let cmds = self.key(key);
                // A decision sent: whatever was being read, the operator
                // is done with it (see `reading`).
                self.decided |= !cmds.is_empty();
                cmds
            }
            Msg::Paste(text) => self.paste(&text),
            Msg::Mouse(m) => self.mouse(m),
            Msg::Engine(u) => {
                self.dirty = true;
                let started = match &u {
                    Update::Record(r) => match &r.event {
                        Event::StepStarted { step, .. } => Some(step.clone()),
                        _ => None,
                    },
                    _ => None,
                };
                self.engine(u);
                started.map_or_else(Vec::new, |step| self.tty_started(&step))
            }
            Msg::Tick(now) => {
                self.tick(now);
                Vec::new()
            }
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.areas = layout::areas(self.size);
                self.dirty = true;
                self.tty_size()
            }
            Msg::Found(f) => {
                self.found(f);
                Vec::new()
            }
        }
    }

    /// Reads every attempt's log from the session folder (not a tty
    /// step's: that is a screen, not lines).
    pub fn attach_logs(&mut self) {
        let Some(dir) = self.session_dir.clone() else {
            return;
        };
        for st in &self.session.steps {
            if self.session.runbook.step(&st.id).is_some_and(|d| d.tty) {
                continue;
            }
            for a in &st.attempts {
                self.logs.attach(&st.id, a.number, dir.join(&a.log));
            }
        }
    }

    fn tick(&mut self, now: DateTime<Utc>) {
        let second_changed = now.timestamp() != self.now.timestamp();
        self.now = now;
        self.expire_status(now);
        if second_changed || self.session.running().is_some() {
            self.dirty = true;
        }
    }

    /// A status message goes after [`STATUS_LASTS`] (or at the next key):
    /// one left standing ("a step runs…" after it ended) hid the key hints.
    fn expire_status(&mut self, now: DateTime<Utc>) {
        match (&self.status, &self.status_since) {
            (None, _) => self.status_since = None,
            (Some(text), Some((seen, at))) if text == seen => {
                if now - *at >= STATUS_LASTS {
                    self.status = None;
                    self.status_since = None;
                    self.dirty = true;
                }
            }
            (Some(text), _) => self.status_since = Some((text.clone(), now)),
        }
    }

    /// Ctrl-Z and Ctrl-L, on any screen (an open prompt or field, the
    /// too-small screen): they only hand the terminal over or paint it
    /// again, and what was typed stays open for `fg`. Whether it was one.
    fn screen_key(&mut self, key: &KeyEvent) -> bool {
        match keymap::action(Context::Main, key) {
            Some(Action::Suspend) => self.suspend = true,
            Some(Action::Redraw) => self.redraw = true,
            _ => return false,
        }
        true
    }

    /// A key while the screen is too small: `q` leaves (a running step
    /// runs on: resume re-attaches); Ctrl-Z and Ctrl-L as anywhere;
    /// nothing else acts.
    fn key_too_small(&mut self, key: &KeyEvent) -> Vec<Command> {
        if self.screen_key(key) {
            return Vec::new();
        }
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            || key.code != KeyCode::Char('q')
            || self.leaving
        {
            return Vec::new();
        }
        if self.read_only {
            self.end = Some(TuiEnd::Left);
            return Vec::new();
        }
        if self.finished.is_some() {
            self.end = self.finished.take();
            return Vec::new();
        }
        // The demo cannot be resumed: leaving it stops its running step,
        // which this screen promises not to do. Its `q` waits for a screen
        // that can ask.
        if self.session.running().is_some() && self.quit_note.is_some() {
            return Vec::new();
        }
        self.modal = None;
        self.leaving = true;
        // As `q` then `l` would.
        match self.session.running() {
            Some(_) => vec![Command::LeaveRunning],
            None => vec![Command::Leave],
        }
    }

    /// Whether the terminal is below the smallest size the screen needs.
    pub fn too_small(&self) -> bool {
        self.size.0 < layout::MIN_SIZE.0 || self.size.1 < layout::MIN_SIZE.1
    }

    /// A step's title by id, or nothing for an unknown id.
    pub fn title_of(&self, id: &str) -> String {
        self.look().title_of(id)
    }

    /// The runbook step behind a session step index.
    pub fn step_def(&self, index: usize) -> Option<&Step> {
        let id = &self.session.steps.get(index)?.id;
        self.session.runbook.step(id)
    }

    pub fn selected_id(&self) -> String {
        self.session
            .steps
            .get(self.selected)
            .map(|s| s.id.clone())
            .unwrap_or_default()
    }

    /// The keyboard context right now.
    pub fn context(&self) -> Context {
        self.modal.as_ref().map_or(Context::Main, Modal::context)
    }

    fn key(&mut self, key: KeyEvent) -> Vec<Command> {
        if self.screen_key(&key) {
            return Vec::new();
        }
        if self.modal.is_some() {
            return self.modal_key(key);
        }
        if self.hit.is_some() || self.searching.is_some() {
            match keymap::action(Context::Found, &key) {
                Some(Action::NextMatch) => {
                    return self.then_none(|a| a.next_match(Direction::Forward));
                }
                Some(Action::PrevMatch) => {
                    return self.then_none(|a| a.next_match(Direction::Backward));
                }
                Some(Action::Dismiss) => return self.then_none(App::end_search),
                _ => {}
            }
        }
        if self.hosts_key(&key).is_some() {
            return Vec::new();
        }
        match keymap::action(Context::Main, &key) {
            Some(Action::Quit) if self.read_only => {
                self.end = Some(TuiEnd::Left);
                Vec::new()
            }
            Some(action) if self.read_only && !keymap::changes_nothing(action) => {
                self.status = Some("This view is read only.".into());
                Vec::new()
            }
            Some(action) => self.main_action(action),
            None => Vec::new(),
        }
    }

    fn then_none(&mut self, f: impl FnOnce(&mut App)) -> Vec<Command> {
        f(self);
        Vec::new()
    }

    fn main_action(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::Up | Action::Down => self.arrow(action == Action::Up),
            Action::Act => return self.act(),
            Action::ToggleAuto => {
                self.auto = !self.auto;
                return vec![Command::SetAuto(self.auto)];
            }
            Action::Retry => return self.retry(),
            Action::Skip => self.ask_skip(),
            Action::SkipSection => self.ask_skip_section(),
            Action::Note => {
                let step = self.selected_id();
                self.modal = Some(Modal::note(NotePurpose::Add { step }));
            }
            Action::ChangeInput => self.ask_input(),
            Action::RegularUpdate => self.regular_update(),
            Action::Cancel => self.ask_cancel(),
            Action::SwitchPane => {
                self.focus = if self.focus == Pane::Steps {
                    Pane::Log
                } else {
                    Pane::Steps
                }
            }
            // Opens empty (typing must not add to the last query); Enter
            // alone then finds the previous match of the last query.
            Action::Search => self.modal = Some(Modal::line(LinePurpose::Search, "")),
            Action::Follow => self.follow = true,
            Action::ToggleWrap => self.toggle_wrap(),
            Action::PageUp => self.scroll_by(-(self.log_height() as i64)),
            Action::PageDown => self.scroll_by(self.log_height() as i64),
            Action::Home => self.scroll_home(),
            Action::End => self.follow = true,
            Action::EarlierAttempt => self.choose_attempt(-1),
            Action::LaterAttempt => self.choose_attempt(1),
            Action::Help => {
                self.modal = Some(Modal::Help(Help::default()));
            }
            // The demo (a quit note) cannot be resumed: quitting stops it.
            Action::Quit if self.session.running().is_some() && self.quit_note.is_none() => {
                self.modal = Some(Modal::QuitRunning)
            }
            Action::Quit => self.modal = Some(Modal::Quit),
            Action::Suspend => self.suspend = true,
            Action::Redraw => self.redraw = true,
            Action::TypeIntoStep => return self.start_typing(),
            Action::ScrollDetails => self.details_scroll += 3,
            Action::GoToNext => self.go_to_next(),
            Action::Hosts => self.toggle_hosts(),
            _ => {}
        }
        Vec::new()
    }

    fn arrow(&mut self, up: bool) {
        match self.focus {
            Pane::Steps => self.select(if up {
                self.selected.saturating_sub(1)
            } else {
                self.selected + 1
            }),
            Pane::Log => self.scroll_by(if up { -1 } else { 1 }),
        }
    }

    /// The next step (`▶`), when the selection is on another one.
    pub fn away_from_next(&self) -> Option<usize> {
        self.session.next_step().filter(|&n| n != self.selected)
    }

    /// How the running attempt of step `i` ended while no stepwise was
    /// attached, when a follower's watch found out (see `ended_away`).
    pub fn ended_away_of(&self, i: usize) -> Option<(crate::session::event::ExitInfo, u64)> {
        let st = self.session.steps.get(i)?;
        let (n, exit, ms) = self.ended_away.get(&st.id)?;
        (st.status == StepStatus::Running { attempt: *n }).then_some((*exit, *ms))
    }

    /// The operator reads the log where it is (scrolled up from its end,
    /// or on a search's match): the selection does not follow ▶ away from
    /// it when a step ends or starts on its own (`g` goes to ▶ when they
    /// are done); after a decision they sent, it does.
    fn reading(&self) -> bool {
        !self.follow || self.hit.is_some() || self.searching.is_some()
    }

    /// `g`: back to the next step; the selection follows it again.
    fn go_to_next(&mut self) {
        if let Some(next) = self.session.next_step() {
            self.select(next);
        }
    }

    /// Selects a step by index (clamped); the log view starts following it.
    pub fn select(&mut self, index: usize) {
        let last = self.session.steps.len().saturating_sub(1);
        let index = index.min(last);
        if index != self.selected {
            self.details_scroll = 0;
            self.attempt_choice = None;
            self.follow = true;
            self.hit = None;
            self.hosts = None;
        }
        self.selected = index;
        self.track_next = Some(index) == self.session.next_step();
    }

    fn act(&mut self) -> Vec<Command> {
        let Some(state) = self.session.steps.get(self.selected) else {
            return Vec::new();
        };
        let id = state.id.clone();
        match state.status {
            StepStatus::Running { .. } if self.typeable().is_some() => return self.start_typing(),
            StepStatus::Running { .. } if state.fleet.waiting.is_some() => {
                self.modal = Some(Modal::Batch { step: id });
            }
            StepStatus::Running { .. } => {
                self.status = Some("This step is running; c cancels it.".into());
            }
            // A failure the runbook lets pass (`on_failure: continue`) is
            // settled: nothing to decide, though `r` can still re-run it.
            _ if self.session.is_settled(self.selected) => {
                self.status = Some("This step is settled; n adds a note to it.".into());
            }
            StepStatus::Failed => self.modal = Some(self.failure_prompt(id)),
            StepStatus::OutcomeUnknown { .. } => self.modal = Some(self.unknown_prompt(id)),
            _ => return self.open_step(id),
        }
        Vec::new()
    }

    /// Enter on a step that has not run: run it, or ask first.
    fn open_step(&mut self, id: String) -> Vec<Command> {
        let kept = self.human_drafts.remove(&id);
        let Some(def) = self.step_def(self.selected) else {
            return Vec::new();
        };
        if def.is_update() {
            self.modal = self.update_draft(def);
        } else if !def.is_automated() {
            let mut modal = match kept {
                Some(mut kept) => {
                    kept.reopen();
                    Modal::Human(kept)
                }
                None => Modal::human(def),
            };
            // A note added with `n` counts for `note: required`.
            if let Modal::Human(p) = &mut modal
                && crate::policy::has_note(&self.session, &id)
            {
                p.note_required = false;
            }
            self.modal = Some(modal);
        } else if def.confirm {
            self.modal = Some(Modal::RunConfirm { step: id });
        } else {
            return vec![Command::Start { step: id }];
        }
        Vec::new()
    }

    /// When the session should end, from the earlier sessions' times.
    pub fn expected_end(&self) -> Option<DateTime<Utc>> {
        crate::comms::estimate::expected_end(&self.session, &self.history, self.now)
    }

    /// `u`: the editor over a regular update's draft (`updates:`).
    fn regular_update(&mut self) {
        let Some(c) = &self.session.runbook.cadence else {
            return;
        };
        let text = crate::comms::cadence::draft(&self.session, self.now, self.expected_end());
        let channels = crate::comms::cadence::channels(&self.session, c);
        let draft = crate::tui::modals::UpdateDraft::new(None, c.status.word(), &channels, &text);
        self.modal = Some(Modal::Update(draft));
    }

    /// The editor over an update step's draft, made from the values as
    /// journalled (secrets are masks there, as they would be in the text).
    fn update_draft(&self, def: &crate::runbook::model::Step) -> Option<Modal> {
        let end = self.expected_end();
        let d = crate::comms::draft::shown(&self.session, def, self.now, end)?;
        let draft = crate::tui::modals::UpdateDraft::new(
            Some(&d.step),
            d.status.word(),
            &d.channels,
            &d.text,
        );
        Some(Modal::Update(draft))
    }

    fn retry(&mut self) -> Vec<Command> {
        let status = self.session.steps.get(self.selected).map(|s| &s.status);
        match status {
            Some(StepStatus::Failed | StepStatus::OutcomeUnknown { .. }) => {
                vec![Command::Start {
                    step: self.selected_id(),
                }]
            }
            _ => {
                self.status =
                    Some("r retries a step that failed or whose outcome is unknown.".into());
                Vec::new()
            }
        }
    }

    fn ask_skip(&mut self) {
        let i = self.selected;
        if self.session.running() == Some(i) {
            self.status = Some("This step is running; cancel it first (c).".into());
        } else if self.session.is_settled(i) {
            self.status = Some("This step is already settled.".into());
        } else {
            let step = self.selected_id();
            self.modal = Some(self.line_modal(LinePurpose::Skip { step }));
        }
    }

    /// `S`: skip the selected step's section, when it is optional and not
    /// settled yet and none of its steps is running.
    fn ask_skip_section(&mut self) {
        let Some(section) = self.session.steps.get(self.selected).map(|s| s.section) else {
            return;
        };
        let Some(def) = self.session.runbook.sections.get(section) else {
            return;
        };
        let in_section: Vec<usize> = (0..self.session.steps.len())
            .filter(|&i| self.session.steps[i].section == section)
            .collect();
        if !def.optional {
            self.status = Some("Not an optional section: s skips one step.".into());
        } else if in_section
            .iter()
            .any(|&i| self.session.running() == Some(i))
        {
            self.status = Some("A step of this section is running; cancel it first (c).".into());
        } else if in_section.iter().all(|&i| self.session.is_settled(i)) {
            self.status = Some("Every step of this section is already settled.".into());
        } else {
            let purpose = LinePurpose::SkipSection {
                section,
                title: def.title.clone(),
            };
            self.modal = Some(self.line_modal(purpose));
        }
    }

    /// A one-line question, with the reason typed for it and given up
    /// before, if any.
    fn line_modal(&mut self, purpose: LinePurpose) -> Modal {
        match self.line_drafts.iter().position(|(p, _)| *p == purpose) {
            Some(i) => Modal::line(purpose, &self.line_drafts.remove(i).1),
            None => Modal::line(purpose, ""),
        }
    }

    fn ask_cancel(&mut self) {
        if self.session.running().is_some() {
            self.modal = Some(Modal::CancelRunning);
        } else {
            self.status = Some("Nothing is running. (q quits; the session is saved.)".into());
        }
    }

    fn mouse(&mut self, m: MouseEvent) -> Vec<Command> {
        let areas = self.areas;
        let inside =
            |r: ratatui::layout::Rect| r.contains(ratatui::layout::Position::new(m.column, m.row));
        if self.modal.is_some() {
            return Vec::new();
        }
        let before = (self.selected, self.anchor, self.follow);
        match m.kind {
            MouseEventKind::ScrollUp if inside(areas.log) => self.scroll_by(-3),
            MouseEventKind::ScrollDown if inside(areas.log) => self.scroll_by(3),
            MouseEventKind::ScrollUp if inside(areas.steps) => {
                self.select(self.selected.saturating_sub(1))
            }
            MouseEventKind::ScrollDown if inside(areas.steps) => self.select(self.selected + 1),
            MouseEventKind::Down(_) if inside(areas.steps) => {
                if let Some(i) = layout::step_at(&self.session, self.selected, areas.steps, m.row) {
                    self.select(i);
                    self.focus = Pane::Steps;
                }
            }
            MouseEventKind::Down(_) if inside(areas.log) => self.focus = Pane::Log,
            _ => {}
        }
        self.dirty |= before != (self.selected, self.anchor, self.follow);
        Vec::new()
    }

    fn engine(&mut self, u: Update) {
        match u {
            Update::EndedAway {
                step,
                attempt,
                exit,
                duration_ms,
            } => {
                self.ended_away.insert(step, (attempt, exit, duration_ms));
            }
            Update::Record(r) => {
                self.session.apply(&r);
                // A resume journals how it ended: the record says it now.
                let steps = &self.session.steps;
                self.ended_away.retain(|id, (n, ..)| {
                    steps
                        .iter()
                        .any(|st| &st.id == id && st.status == StepStatus::Running { attempt: *n })
                });
                // The mode the engine runs in, whoever changed it (a resume
                // in another mode than the session was left in, too).
                if let Event::AutoChanged { on } = r.event {
                    self.auto = on;
                }
                self.say_input_changed(&r.event);
                self.say_update_refused(&r.event);
                self.fleet_record(&r.event);
                self.forget_drafts(&r.event);
                if let Event::StepStarted { step, .. } = &r.event {
                    self.close_question_about(step);
                    self.attach_logs();
                    // The decision that started it is carried out: the
                    // step's end is not one (see `reading`).
                    self.decided = false;
                }
                self.check_typing();
                // The step ended while "leave it running?" was open: the
                // question is the plain one now.
                if matches!(self.modal, Some(Modal::QuitRunning))
                    && self.session.running().is_none()
                {
                    self.modal = Some(Modal::Quit);
                }
                if let Event::StepStarted { step, .. } = &r.event
                    && self.track_next
                    && !self.reading()
                    && let Some(i) = self.session.step_index(step)
                {
                    self.select(i);
                    self.track_next = true;
                }
                // A follower gets no "idle" from an engine: its selection
                // follows ▶ (the next step) as each record lands.
                if self.read_only
                    && self.track_next
                    && !self.reading()
                    && self.session.running().is_none()
                    && let Some(next) = self.session.next_step()
                {
                    self.select(next);
                    self.track_next = true;
                }
            }
            Update::Output {
                step,
                attempt,
                stream,
                bytes,
            } => {
                self.last_output = Some((step.clone(), attempt, self.now));
                if self.session.runbook.step(&step).is_some_and(|d| d.tty) {
                    self.logs.push_tty(&step, attempt, &bytes);
                } else {
                    self.logs.push(&step, attempt, stream, &bytes);
                }
            }
            Update::HostOutput {
                step,
                host,
                stream,
                bytes,
            } => {
                let attempt = self
                    .session
                    .step(&step)
                    .map_or(1, |s| s.attempts.len() as u32);
                let prefixed = crate::tui::fleet::prefix_lines(&host, &bytes);
                self.logs.push(&step, attempt, stream, &prefixed);
                let own = super::host_pick::log_key(&step, &host);
                self.logs.push(&own, attempt, stream, &bytes);
            }
            Update::Idle => self.idle(),
            Update::Rejected(why) => self.status = Some(why),
            // A completed or aborted session stays on screen until a key:
            // the operator sees the last output and the outcome.
            Update::Ended(end @ (End::Completed | End::Aborted)) if !self.leaving => {
                self.finished = Some(end_of(end));
                self.modal = Some(Modal::Finished);
            }
            Update::Ended(end) => self.end = Some(end_of(end)),
        }
    }

    /// A step started again: a question still open about how it ended
    /// (failed, outcome unknown) is answered by that start, and goes.
    fn close_question_about(&mut self, started: &str) {
        let about = match &self.modal {
            Some(Modal::Failure { step } | Modal::FleetFailure { step }) => step,
            Some(Modal::Unknown(prompt)) => &prompt.step,
            _ => return,
        };
        if about == started {
            self.modal = None;
        }
    }

    /// The engine waits: show the next step, and ask about a failure or an
    /// unknown outcome that blocks it.
    fn idle(&mut self) {
        let Some(next) = self.session.next_step() else {
            return self.ask_before_closing();
        };
        let decided = std::mem::take(&mut self.decided);
        if self.track_next && (decided || !self.reading()) {
            self.select(next);
        }
        self.offer_optional_section(next);
        let st = &self.session.steps[next];
        let key = (st.id.clone(), st.attempts.len());
        if self.modal.is_some() || self.prompted.as_ref() == Some(&key) {
            return;
        }
        let asks = self
            .step_def(next)
            .is_none_or(|d| d.on_failure == OnFailure::Ask);
        let modal = match st.status {
            StepStatus::Failed if asks => self.failure_prompt(key.0.clone()),
            StepStatus::OutcomeUnknown { .. } => self.unknown_prompt(key.0.clone()),
            _ => return,
        };
        self.select(next);
        self.modal = Some(modal);
        self.prompted = Some(key);
    }

    /// Every step is settled but an update was not delivered, and the
    /// engine waits before it closes the session: ask what to do (resend,
    /// skip, close as is, leave open), unless something else is open.
    fn ask_before_closing(&mut self) {
        let retrying = self.session.steps.iter().any(|s| s.retry.is_some());
        if self.modal.is_some()
            || self.read_only
            || self.leaving
            || retrying
            || self.session.running().is_some()
            || self.session.status != crate::session::state::SessionStatus::Active
            || self.session.next_step().is_some()
        {
            return;
        }
        // The newest first: once it goes through, the older ones whose
        // refusing channels it reached are overtaken and no longer asked
        // about.
        let undelivered = self.session.undelivered_updates();
        let Some(&newest) = undelivered.last() else {
            return;
        };
        self.select(newest);
        let step = self.session.steps[newest].id.clone();
        // The question names every refusal and its own keys: the bar's
        // "r on it sends it again" would only repeat it, less exactly.
        self.status = None;
        self.modal = Some(Modal::Undelivered { step });
    }

    /// What its session folder tells of the last attempt of `step`: its
    /// process group (still running?) and its last output.
    fn group_facts(&self, step: &str) -> Option<crate::engine::process::survivor::GroupFacts> {
        self.session
            .step(step)
            .and_then(|s| s.attempts.last())
            .zip(self.session_dir.as_ref())
            .map(|(a, dir)| crate::engine::process::survivor::group_facts(&dir.join(&a.log)))
    }

    /// The outcome-unknown prompt of `step`, with what its session folder
    /// tells of the attempt (its process group, its last output).
    fn unknown_prompt(&self, step: String) -> Modal {
        let facts = self.group_facts(&step).unwrap_or_default();
        let mut prompt = super::modals::unknown::UnknownPrompt::new(step, facts);
        // A fleet step's output is in its hosts' logs, read from disk: a
        // resumed interface has none of it in memory.
        if let (Some(st), Some(dir)) = (self.session.step(&prompt.step), &self.session_dir)
            && st.fleet.is_fleet()
            && let Some(a) = st.attempts.last()
        {
            prompt.host_lines = crate::transcript::hosts_tail(dir, &st.id, a.number, &st.fleet);
        }
        Modal::Unknown(prompt)
    }

    /// Confirms a value given during the session, in the status bar.
    fn say_input_changed(&mut self, e: &Event) {
        if let Event::InputGiven {
            name,
            value,
            source: InputSource::Changed,
            ..
        } = e
        {
            let masked = self.secrets.contains(name)
                || self.session.runbook.input(name).is_some_and(|i| i.secret);
            let shown = if masked { MASK } else { value.as_str() };
            self.status = Some(format!("{name} is now {shown} from here on."));
        }
    }

    /// An update step's send that a channel refused: said on the bar, since
    /// the session goes on and the selection moves away from the step.
    fn say_update_refused(&mut self, e: &Event) {
        let Event::UpdateResult {
            step: Some(step),
            results,
            ..
        } = e
        else {
            return;
        };
        let refused: Vec<&str> = results
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.channel.as_str())
            .collect();
        if !refused.is_empty() {
            let def = self.session.step_index(step).and_then(|i| self.step_def(i));
            let title = def.map_or(step.as_str(), |d| d.title.as_str());
            self.status = Some(format!(
                "✉ “{title}” did not reach {}: r on it sends it again.",
                refused.join(", ")
            ));
        }
    }

    /// At an optional section nothing of which is done yet, say how to run
    /// or skip it (auto mode waits there).
    fn offer_optional_section(&mut self, next: usize) {
        let section = self.session.steps[next].section;
        let def = &self.session.runbook.sections[section];
        if crate::policy::enters_optional_section(&self.session, next) && self.modal.is_none() {
            self.status = Some(format!(
                "Optional section “{}”: Enter runs its steps, S skips it all.",
                def.title
            ));
        }
    }

    /// The attempt number whose log is shown for the selected step.
    pub fn shown_attempt(&self) -> Option<u32> {
        let attempts = &self.session.steps.get(self.selected)?.attempts;
        let last = attempts.last()?.number;
        Some(match self.attempt_choice {
            Some(n) if attempts.iter().any(|a| a.number == n) => n,
            _ => last,
        })
    }

    fn choose_attempt(&mut self, delta: i64) {
        let Some(current) = self.shown_attempt() else {
            self.status = Some("This step has not run yet.".into());
            return;
        };
        let attempts = &self.session.steps[self.selected].attempts;
        let pos = attempts
            .iter()
            .position(|a| a.number == current)
            .unwrap_or(0) as i64;
        let new = (pos + delta).clamp(0, attempts.len() as i64 - 1) as usize;
        self.attempt_choice = Some(attempts[new].number);
        self.follow = true;
    }

    /// The log shown in the log pane, if the selected step has any.
    pub fn shown_log(&self) -> Option<&LogPane> {
        let (key, attempt) = self.shown_log_key()?;
        self.logs.get(&key, attempt)
    }

    /// For a human step (which has no output of its own): the step and
    /// attempt that ran most recently, whose output is context for it.
    pub fn latest_output(&self) -> Option<(&str, u32)> {
        self.session
            .steps
            .iter()
            .flat_map(|s| s.attempts.iter().map(move |a| (s.id.as_str(), a)))
            .max_by_key(|(_, a)| a.started_at)
            .map(|(id, a)| (id, a.number))
    }

    /// The emulated screen shown in the log pane for a `tty: true` step.
    pub fn shown_screen(&self) -> Option<&vt100::Screen> {
        let attempt = self.shown_attempt()?;
        self.logs
            .screen(&self.session.steps[self.selected].id, attempt)
    }

    /// Rows of log that fit in the log pane.
    pub fn log_height(&self) -> usize {
        self.log_area().height.saturating_sub(2) as usize
    }

    /// Where the log pane is drawn: its place in the layout, less the rows
    /// a question about output covers (it is then drawn below that box).
    pub fn log_area(&self) -> ratatui::layout::Rect {
        let log = self.areas.log;
        let Some(question) = self.modal.as_ref().and_then(|m| m.above_log(&self.look())) else {
            return log;
        };
        let (w, h) = self.size;
        question.log_below(ratatui::layout::Rect::new(0, 0, w, h), log)
    }

    /// How log lines are laid out in the log pane: its width less the
    /// borders and the stream gutter, wrapped or cut.
    pub fn log_layout(&self) -> Layout {
        Layout {
            width: self.areas.log.width.saturating_sub(4) as usize,
            wrap: self.wrap,
            color: self.color,
        }
    }

    /// The top row shown in the log pane: the bottom while following.
    pub fn log_top_pos(&self) -> Pos {
        let Some(log) = self.shown_log() else {
            return Pos::default();
        };
        let layout = self.log_layout();
        let height = self.log_height();
        if self.follow {
            layout.bottom(log, height)
        } else {
            let anchor = Pos {
                line: self.anchor,
                row: self.anchor_row,
            };
            layout.clamp(log, height, anchor)
        }
    }

    /// The first line shown (or partly shown) in the log pane.
    pub fn log_top(&self) -> u64 {
        self.log_top_pos().line
    }

    /// Scrolls the log by `delta` rows; reaching the bottom follows again.
    fn scroll_by(&mut self, delta: i64) {
        let Some(log) = self.shown_log() else { return };
        let layout = self.log_layout();
        let bottom = layout.bottom(log, self.log_height());
        let top = layout.moved(log, self.log_top_pos(), delta).min(bottom);
        self.follow = top >= bottom;
        self.set_anchor(top);
    }

    pub(super) fn set_anchor(&mut self, pos: Pos) {
        self.anchor = pos.line;
        self.anchor_row = pos.row;
    }

    fn scroll_home(&mut self) {
        let Some(log) = self.shown_log() else { return };
        let first = Pos {
            line: log.first(),
            row: 0,
        };
        self.follow = self.log_layout().bottom(log, self.log_height()) == first;
        self.set_anchor(first);
    }

    /// `w`: wrap long lines, or cut them. A paused view keeps its top
    /// line at the top.
    fn toggle_wrap(&mut self) {
        let top = self.log_top();
        self.wrap = !self.wrap;
        self.set_anchor(Pos { line: top, row: 0 });
        self.status = Some(if self.shown_screen().is_some() {
            // The setting holds for the other logs; a screen is not lines.
            "w: a tty screen does not wrap.".into()
        } else if self.wrap {
            "Long lines wrap; w cuts them.".into()
        } else {
            "Long lines cut (…); w wraps.".into()
        });
    }

    /// Whether a log line in view is wider than the pane (for the hint).
    pub fn long_line_shown(&self) -> bool {
        let Some(log) = self.shown_log() else {
            return false;
        };
        let layout = self.log_layout();
        let top = self.log_top_pos();
        let end = (top.line + self.log_height() as u64).min(log.end());
        (top.line..end).any(|n| log.line(n).is_some_and(|l| layout.is_long(&l)))
    }

    /// Whether a human-prompt action does something (for key hints): the
    /// checklist keys only where there is a checklist.
    pub fn prompt_applies(&self, action: Action) -> bool {
        let has_list = matches!(&self.modal, Some(Modal::Human(p)) if !p.checked.is_empty());
        has_list
            || !matches!(
                action,
                Action::ToggleItem | Action::NextField | Action::Up | Action::Down
            )
    }

    /// Whether a main-screen action does something now (for key hints).
    pub fn applies(&self, action: Action) -> bool {
        if self.read_only && !keymap::changes_nothing(action) {
            return false;
        }
        let i = self.selected;
        let status = self.session.steps.get(i).map(|s| &s.status);
        let running = self.session.running().is_some();
        match action {
            Action::Act => {
                !running
                    || self.session.running() != Some(i)
                    || self.session.steps[i].fleet.waiting.is_some()
            }
            Action::Retry => matches!(
                status,
                Some(StepStatus::Failed | StepStatus::OutcomeUnknown { .. })
            ),
            Action::Skip => !self.session.is_settled(i) && self.session.running() != Some(i),
            Action::SkipSection => self.section_skippable(),
            Action::Cancel => running,
            Action::ChangeInput => !running && !self.session.runbook.inputs.is_empty(),
            Action::RegularUpdate => self.session.runbook.cadence.is_some(),
            Action::Follow => !self.follow,
            Action::TypeIntoStep => self.typeable().is_some(),
            Action::GoToNext => self.away_from_next().is_some(),
            Action::Hosts => status.is_some() && self.session.steps[i].fleet.is_fleet(),
            // Only when something is cut: then the key shows the rest.
            Action::ToggleWrap => !self.wrap && self.long_line_shown(),
            // Arrows are obvious; the bar keeps its room for the rest.
            Action::Quit | Action::Help | Action::Note | Action::ToggleAuto => true,
            _ => false,
        }
    }
}

impl App {
    /// What modals see of the app: read-only.
    pub fn look(&self) -> Look<'_> {
        Look {
            session: &self.session,
            color: self.color,
            now: self.now,
            secrets: &self.secrets,
            search: self.search.as_deref(),
            quit_note: self.quit_note.as_deref(),
            finished: self.finished.as_ref(),
            logs: &self.logs,
            size: self.size,
        }
    }

    /// The first line of the help overlay shown, when it is open.
    pub fn help_scroll(&self) -> u16 {
        match &self.modal {
            Some(Modal::Help(h)) => h.scroll,
            _ => 0,
        }
    }

    /// A key while a modal is open: the modal decides, the app carries out.
    fn modal_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(mut modal) = self.modal.take() else {
            return Vec::new();
        };
        // What still runs of an outcome-unknown attempt is looked at again
        // at each key: stopped meanwhile (the `kill` it names), `r` runs.
        if let Modal::Unknown(p) = &mut modal
            && let Some(facts) = self.group_facts(&p.step)
        {
            p.facts = facts;
            p.refused &= !p.facts.pids.is_empty();
        }
        let draft = match &modal {
            Modal::Human(p) => Some(p.clone()),
            _ => None,
        };
        let line = match &modal {
            Modal::Line { purpose, text, .. } => Some((purpose.clone(), text.lines().join(" "))),
            _ => None,
        };
        let mut outcome = modal.key(key, &self.look());
        if let Some(p) = draft {
            self.keep_draft(p, &outcome);
        }
        self.keep_line_draft(line, &mut outcome);
        match outcome {
            Outcome::Keep(m) => {
                self.modal = Some(m);
                Vec::new()
            }
            // `Modal::key` has already turned an opening into the new modal.
            Outcome::Open(_) => Vec::new(),
            // A question closed with nothing sent (a skip's reason given
            // up): the engine may still wait before closing the session.
            Outcome::Close => {
                self.ask_before_closing();
                Vec::new()
            }
            Outcome::Send(cmds) => cmds,
            Outcome::Search(text) => {
                self.find(&text);
                self.ask_before_closing();
                Vec::new()
            }
            Outcome::Leave => {
                self.leaving = true;
                self.status = Some("Leaving… the session is saved.".into());
                vec![Command::Leave]
            }
            Outcome::LeaveRunning => {
                self.leaving = true;
                self.status = Some("Leaving… the step runs on; resume re-attaches.".into());
                vec![Command::LeaveRunning]
            }
            Outcome::End => {
                self.end = self.finished.take();
                Vec::new()
            }
        }
    }

    /// A human step's prompt left with nothing sent keeps what was typed
    /// and ticked for the next Enter on the step; one answered drops it.
    fn keep_draft(&mut self, p: super::modals::HumanPrompt, outcome: &Outcome) {
        match outcome {
            Outcome::Keep(Modal::Human(_)) => {}
            Outcome::Send(_) => {
                self.human_drafts.remove(&p.step);
            }
            _ => {
                self.human_drafts.insert(p.step.clone(), p);
            }
        }
    }

    /// Drafts the record has made stale: a human step's prompt once the
    /// step is answered or skipped (by anyone); an abort's or an accepted
    /// failure's reason once another step starts (it was about the
    /// failure then on screen, not the next one).
    fn forget_drafts(&mut self, e: &Event) {
        match e {
            Event::HumanConfirmed { step, .. }
            | Event::StepSkipped { step, .. }
            | Event::MarkedDone { step, .. } => {
                self.human_drafts.remove(step);
            }
            Event::StepStarted { .. } => self.line_drafts.retain(|(p, _)| {
                matches!(
                    p,
                    LinePurpose::Skip { .. } | LinePurpose::SkipSection { .. }
                )
            }),
            _ => {}
        }
    }

    /// A reason given up keeps its text for the same question; one sent
    /// drops it. A question just opened from another (a skip from a human
    /// step's prompt, an abort from a failure) starts with its draft.
    fn keep_line_draft(&mut self, before: Option<(LinePurpose, String)>, outcome: &mut Outcome) {
        match (before, outcome) {
            (Some((purpose, text)), Outcome::Close)
                if purpose != LinePurpose::Search && !text.trim().is_empty() =>
            {
                self.line_drafts.retain(|(p, _)| *p != purpose);
                self.line_drafts.push((purpose, text));
            }
            (Some((purpose, _)), Outcome::Send(_)) => {
                self.line_drafts.retain(|(p, _)| *p != purpose);
            }
            (None, Outcome::Keep(m @ Modal::Line { .. })) => {
                if let Modal::Line { purpose, .. } = m {
                    let purpose = purpose.clone();
                    *m = self.line_modal(purpose);
                }
            }
            _ => {}
        }
    }

    /// `i` on the main screen: only while no step runs (a running command
    /// keeps the values it started with).
    fn ask_input(&mut self) {
        if self.session.runbook.inputs.is_empty() {
            self.status = Some("This runbook has no inputs.".into());
        } else if self.session.running().is_some() {
            // Short: the status bar of an 80-column terminal holds it.
            self.status = Some("A step runs: i works once it ends.".into());
        } else {
            self.modal = Some(Modal::Input(InputChange::open(&self.look())));
        }
    }
}

impl App {
    /// Whether the selected step's section is optional and has unsettled steps.
    fn section_skippable(&self) -> bool {
        let Some(section) = self.session.steps.get(self.selected).map(|s| s.section) else {
            return false;
        };
        let optional = self
            .session
            .runbook
            .sections
            .get(section)
            .is_some_and(|s| s.optional);
        optional
            && (0..self.session.steps.len())
                .any(|i| self.session.steps[i].section == section && !self.session.is_settled(i))
    }
}

fn end_of(end: End) -> TuiEnd {
    match end {
        End::Completed => TuiEnd::Completed,
        End::Aborted => TuiEnd::Aborted,
        End::Left => TuiEnd::Left,
        End::Interrupted(s) => TuiEnd::Interrupted(s),
        End::Failed(s) => TuiEnd::Failed(s),
    }
}
