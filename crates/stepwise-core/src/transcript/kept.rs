//! Which journal records an export keeps while the journal streams by
//! (`session::verify::read_each`): the fold has every record already, and
//! the renderers need the records themselves only for the timeline and
//! the outcome (the JSON `events` list reads the journal again, see
//! `json::Events`).
//!
//! Markdown and HTML leave `output_recorded` records out of the timeline,
//! so they are dropped, except where a renderer looks at one: the record
//! just before a resume (the timeline's gap starts at it) and the very
//! last record (the outcome of an unfinished session). What is kept is
//! then exactly what those readers saw in the whole list, and memory is
//! the size of the session's story, not of its output. Pure: no I/O.

use crate::session::event::{Event, Record};

/// The records kept so far.
#[derive(Default)]
pub struct Kept {
    records: Vec<Record>,
    /// The last output record dropped, until the next record says
    /// whether a reader needs it.
    pending: Option<Record>,
}

impl Kept {
    pub fn new() -> Kept {
        Kept::default()
    }

    /// The next record of the journal, in order.
    pub fn push(&mut self, r: Record) {
        if matches!(r.event, Event::OutputRecorded { .. }) {
            self.pending = Some(r);
            return;
        }
        if let Some(before) = self.pending.take()
            && matches!(r.event, Event::SessionResumed { .. })
        {
            self.records.push(before);
        }
        self.records.push(r);
    }

    /// The records kept, the journal's last among them.
    pub fn finish(mut self) -> Vec<Record> {
        self.records.extend(self.pending.take());
        self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::event::Stream;

    fn rec(seq: u64, event: Event) -> Record {
        Record {
            seq,
            at: chrono::DateTime::from_timestamp(seq as i64, 0).unwrap(),
            by: None,
            event,
        }
    }

    fn output(seq: u64) -> Record {
        rec(
            seq,
            Event::OutputRecorded {
                step: "s".into(),
                attempt: 1,
                stream: Stream::Stdout,
                offset: 0,
                len: 1,
            },
        )
    }

    fn resumed(seq: u64) -> Record {
        rec(
            seq,
            Event::SessionResumed {
                pid: 1,
                handed_over_from: None,
                reason: None,
            },
        )
    }

    fn seqs(kept: Kept) -> Vec<u64> {
        kept.finish().iter().map(|r| r.seq).collect()
    }

    #[test]
    fn the_output_before_a_resume_and_the_last_record_are_kept() {
        let mut k = Kept::new();
        k.push(rec(1, Event::SessionLeft { reason: None }));
        for seq in 2..5 {
            k.push(output(seq));
        }
        k.push(resumed(5));
        k.push(output(6));
        k.push(rec(7, Event::SessionLeft { reason: None }));
        k.push(output(8));
        k.push(output(9));
        assert_eq!(seqs(k), [1, 4, 5, 7, 9]);
    }
}
