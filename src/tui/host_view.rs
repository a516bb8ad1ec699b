//! The host grid of a fleet step as a view of its own, in the log pane:
//! `h` on a fleet step shows the grid there, ↑/↓ (or j/k) pick a host,
//! Enter opens that host's log in the same pane (the whole log from disk,
//! `/` search, n/N), Esc goes back to the grid, and Esc again (or `h`)
//! back to the step's log. State and keys only; `widgets/log_pane.rs`
//! draws it and `host_rows` gives its text.

use super::app::App;
use super::keymap::{self, Action, Context};
use crossterm::event::KeyEvent;

pub use super::host_pick::{HostView, log_key};

impl App {
    /// `h`: the host grid of the selected fleet step, or back to its log.
    pub(super) fn toggle_hosts(&mut self) {
        if self.hosts.take().is_some() {
            return;
        }
        let Some(st) = self.session.steps.get(self.selected) else {
            return;
        };
        if !st.fleet.is_fleet() {
            self.status = Some("h shows the hosts of a fleet step (a step with on:).".into());
            return;
        }
        self.hosts = Some(HostView {
            step: st.id.clone(),
            ..HostView::default()
        });
    }

    /// A key while the host grid or a host's log is shown; `None` when
    /// the main screen's table handles it.
    pub(super) fn hosts_key(&mut self, key: &KeyEvent) -> Option<()> {
        let view = self.hosts.as_ref()?;
        let action = keymap::action(Context::Hosts, key)?;
        let count = self
            .session
            .step(&view.step)
            .map_or(0, |s| s.fleet.hosts.len());
        let open = view.open.is_some();
        let view = self.hosts.as_mut()?;
        match action {
            Action::Dismiss if open => view.open = None,
            Action::Dismiss => self.hosts = None,
            Action::Up if !open => view.cursor = view.cursor.saturating_sub(1),
            Action::Down if !open => view.cursor = (view.cursor + 1).min(count.saturating_sub(1)),
            Action::Accept if !open => self.open_host(),
            _ => return None,
        }
        Some(())
    }

    /// Enter on the grid: the picked host's log, from its file.
    fn open_host(&mut self) {
        let Some(view) = self.hosts.clone() else {
            return;
        };
        let Some(h) = self
            .session
            .step(&view.step)
            .and_then(|s| s.fleet.hosts.get(view.cursor))
        else {
            return;
        };
        let (host, attempt, log) = (h.host.clone(), h.attempt, h.log.clone());
        let Some(log) = log else {
            self.status = Some(format!("{host} has not run yet: no log."));
            return;
        };
        if let Some(dir) = &self.session_dir {
            self.logs
                .attach(&log_key(&view.step, &host), attempt, dir.join(log));
        }
        self.follow = true;
        self.hit = None;
        self.focus = super::app::Pane::Log;
        if let Some(v) = self.hosts.as_mut() {
            v.open = Some(host);
        }
    }

    /// The (log key, attempt) shown in the log pane: a host's log when
    /// one is open, else the selected step's chosen attempt.
    pub fn shown_log_key(&self) -> Option<(String, u32)> {
        if let Some(HostView {
            step,
            open: Some(host),
            ..
        }) = &self.hosts
        {
            let attempt = self.session.step(step)?.fleet.host(host)?.attempt;
            return Some((log_key(step, host), attempt));
        }
        Some((self.selected_id(), self.shown_attempt()?))
    }

    /// Whether the log pane shows the host grid (no host's log open).
    pub fn grid_shown(&self) -> bool {
        self.hosts.as_ref().is_some_and(|v| v.open.is_none())
    }
}
