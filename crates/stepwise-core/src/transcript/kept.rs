//! Which journal records an export keeps while the journal streams by
//! (`session::verify::read_each`): the fold has every record already, and
//! the renderers need the records themselves only for the timeline, the
//! outcome and the JSON `events` list.
//!
//! Markdown and HTML leave `output_recorded` records out of the timeline,
//! so they are dropped, except where a renderer looks at one: the record
//! just before a resume (the timeline's gap starts at it) and the very
//! last record (the outcome of an unfinished session). What is kept is
//! then exactly what those readers saw in the whole list, and memory is
//! the size of the session's story, not of its output. JSON lists every
//! event, so it keeps every record. Pure: no I/O.

use super::context::Format;
use crate::session::event::{Event, Record};

/// The records kept so far.
pub struct Kept {
    all: bool,
    records: Vec<Record>,
    /// The last output record dropped, until the next record says
    /// whether a reader needs it.
    pending: Option<Record>,
}

impl Kept {
    pub fn new(format: Format) -> Kept {
        Kept {
            all: format == Format::Json,
            records: Vec::new(),
            pending: None,
        }
    }

    /// The next record of the journal, in order.
    pub fn push(&mut self, r: Record) {
        if self.all {
            self.records.push(r);
            return;
        }
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
    fn markdown_keeps_the_output_before_a_resume_and_the_last_record() {
        let mut k = Kept::new(Format::Markdown);
        k.push(rec(1, Event::SessionLeft));
        for seq in 2..5 {
            k.push(output(seq));
        }
        k.push(resumed(5));
        k.push(output(6));
        k.push(rec(7, Event::SessionLeft));
        k.push(output(8));
        k.push(output(9));
        assert_eq!(seqs(k), [1, 4, 5, 7, 9]);
    }

    #[test]
    fn json_keeps_every_record() {
        let mut k = Kept::new(Format::Json);
        for seq in 1..4 {
            k.push(output(seq));
        }
        assert_eq!(seqs(k), [1, 2, 3]);
    }
}
