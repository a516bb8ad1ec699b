//! What the app does for fleet steps: it opens the question between two
//! batches when the engine waits (and closes it once answered), and picks
//! the fleet failure prompt for a failed fleet step. Part of `App`'s
//! update; no I/O, no drawing.

use super::app::App;
use super::modals::Modal;
use crate::session::event::Event;

impl App {
    /// After a record is folded: the batch question opens when a batch
    /// waits (unless another modal is open: Enter on the step opens it
    /// then), and closes when nothing waits any more.
    pub(super) fn fleet_record(&mut self, e: &Event) {
        // A follower answers nothing: its Details pane says the batch
        // waits, with no question and no keys.
        if let Event::BatchWaiting { step, .. } = e
            && self.modal.is_none()
            && self.typing.is_none()
            && !self.read_only
        {
            if let Some(i) = self.session.step_index(step) {
                self.select(i);
            }
            self.modal = Some(Modal::Batch { step: step.clone() });
        }
        if let Some(Modal::Batch { step }) = &self.modal
            && self
                .session
                .step(step)
                .is_none_or(|s| s.fleet.waiting.is_none())
        {
            self.modal = None;
        }
    }

    /// The prompt for a failed step: the fleet one for a fleet step.
    pub(super) fn failure_prompt(&self, step: String) -> Modal {
        match self.session.step(&step).is_some_and(|s| s.fleet.is_fleet()) {
            true => Modal::FleetFailure { step },
            false => Modal::Failure { step },
        }
    }
}
