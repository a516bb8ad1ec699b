//! The `events` list of the JSON transcript: every journal record, secret
//! values masked, written one at a time as `serde_json`'s pretty printer
//! would write them at that depth (four spaces in), so the bytes are those
//! of serialising the whole transcript at once.
//!
//! This is the bulk of a long session's export (100,000 records, 21 MB):
//! each record is serialised into a reused buffer, and the commonest one,
//! `output_recorded`, is written by hand (no `flatten` map, no chrono
//! formatter). Never reorders, drops or adds a field; never writes a
//! secret value.

use super::context::{Context, JournalSource, MASK};
use super::report;
use crate::session::event::{Actor, Event, Record, Stream};
use crate::session::state::Session;
use crate::session::timefmt;
use std::io::{self, Write};

/// Indentation of a record's opening brace inside `"events": [`.
const INDENT: &[u8] = b"    ";

/// Writes `[ … ]`: the records the context names (read again from the
/// journal when it names one), each masked as it passes.
pub fn write(s: &Session, ctx: &Context, out: &mut impl Write) -> io::Result<()> {
    let mut list = List::new(out);
    match &ctx.journal {
        None => {
            for r in &ctx.records {
                list.push(&redacted(s, r.clone()))?;
            }
        }
        Some(source) => stream(s, source, &mut list)?,
    }
    list.end()
}

/// The first `source.count` records of the journal, written as read.
fn stream<W: Write>(s: &Session, source: &JournalSource, list: &mut List<'_, W>) -> io::Result<()> {
    let (mut written, mut failed) = (0, None);
    let scanned = crate::session::journal::scan_file_again(&source.path, |r| {
        if written == source.count || failed.is_some() {
            return;
        }
        written += 1;
        failed = list.push(&redacted(s, r)).err();
    });
    if let Some(e) = failed {
        return Err(e);
    }
    if written < source.count {
        let why = scanned
            .err()
            .map_or("it is shorter".to_owned(), |e| e.to_string());
        return Err(io::Error::other(format!(
            "the journal changed while it was exported: {why}"
        )));
    }
    Ok(())
}

/// A JSON array being written, element by element.
struct List<'a, W: Write> {
    out: &'a mut W,
    buf: Vec<u8>,
    scratch: Vec<u8>,
    any: bool,
}

impl<'a, W: Write> List<'a, W> {
    fn new(out: &'a mut W) -> Self {
        List {
            out,
            buf: Vec::with_capacity(4096),
            scratch: Vec::with_capacity(4096),
            any: false,
        }
    }

    fn push(&mut self, r: &Record) -> io::Result<()> {
        self.buf.clear();
        self.buf
            .extend_from_slice(if self.any { b",\n" } else { b"[\n" });
        self.buf.extend_from_slice(INDENT);
        self.any = true;
        record(&mut self.buf, &mut self.scratch, r)?;
        self.out.write_all(&self.buf)
    }

    fn end(self) -> io::Result<()> {
        self.out.write_all(if self.any { b"\n  ]" } else { b"[]" })
    }
}

/// One record as the pretty printer writes it at depth 2; `scratch`
/// holds the general case's text before it is indented.
fn record(buf: &mut Vec<u8>, scratch: &mut Vec<u8>, r: &Record) -> io::Result<()> {
    if let Event::OutputRecorded { .. } = &r.event {
        output_recorded(buf, r);
        return Ok(());
    }
    scratch.clear();
    serde_json::to_writer_pretty(&mut *scratch, r).map_err(io::Error::other)?;
    indented(buf, scratch);
    Ok(())
}

/// `text` with every line after the first moved four spaces in. A
/// pretty-printed value holds no raw newline inside a string (they are
/// escaped), so every newline in it is the printer's.
fn indented(buf: &mut Vec<u8>, text: &[u8]) {
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            buf.push(b'\n');
            buf.extend_from_slice(INDENT);
        }
        buf.extend_from_slice(line);
    }
}

/// `output_recorded`, field for field as `Record`'s `Serialize` writes it.
fn output_recorded(buf: &mut Vec<u8>, r: &Record) {
    let Event::OutputRecorded {
        step,
        attempt,
        stream,
        offset,
        len,
    } = &r.event
    else {
        return;
    };
    buf.extend_from_slice(b"{\n      \"seq\": ");
    number(buf, r.seq);
    buf.extend_from_slice(b",\n      \"at\": \"");
    timefmt::write_utc(buf, &r.at);
    buf.push(b'"');
    if let Some(by) = &r.by {
        actor(buf, by);
    }
    buf.extend_from_slice(b",\n      \"type\": \"output_recorded\",\n      \"step\": ");
    string(buf, step);
    buf.extend_from_slice(b",\n      \"attempt\": ");
    number(buf, u64::from(*attempt));
    buf.extend_from_slice(match stream {
        Stream::Stdout => b",\n      \"stream\": \"stdout\",\n      \"offset\": ",
        Stream::Stderr => b",\n      \"stream\": \"stderr\",\n      \"offset\": ",
    });
    number(buf, *offset);
    buf.extend_from_slice(b",\n      \"len\": ");
    number(buf, *len);
    buf.extend_from_slice(b"\n    }");
}

fn actor(buf: &mut Vec<u8>, by: &Actor) {
    buf.extend_from_slice(b",\n      \"by\": {\n        \"user\": ");
    string(buf, &by.user);
    buf.extend_from_slice(b",\n        \"host\": ");
    string(buf, &by.host);
    buf.extend_from_slice(b"\n      }");
}

fn string(buf: &mut Vec<u8>, s: &str) {
    // Writing to a Vec cannot fail; serde_json escapes as it always does.
    let _ = serde_json::to_writer(&mut *buf, s);
}

fn number(buf: &mut Vec<u8>, n: u64) {
    let _ = serde_json::to_writer(&mut *buf, &n);
}

/// The record as in the journal, with any secret value masked.
pub fn redacted(s: &Session, mut r: Record) -> Record {
    match &mut r.event {
        Event::InputGiven {
            name,
            value,
            secret,
            ..
        }
        | Event::Captured {
            name,
            value,
            secret,
            ..
        } if report::is_secret(s, name, *secret) => {
            *value = MASK.to_owned();
        }
        _ => {}
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::event::Stream;
    use serde::Serialize;

    fn rec(seq: u64, nanos: u32, by: Option<Actor>, event: Event) -> Record {
        Record {
            seq,
            at: chrono::DateTime::from_timestamp(1_790_000_000 + seq as i64, nanos).unwrap(),
            by,
            event,
        }
    }

    fn output(step: &str, stream: Stream, offset: u64) -> Event {
        Event::OutputRecorded {
            step: step.into(),
            attempt: 3,
            stream,
            offset,
            len: u64::MAX,
        }
    }

    fn records() -> Vec<Record> {
        let who = Actor {
            user: "ops \"a\"\u{7}".into(),
            host: "hôst\\1".into(),
        };
        vec![
            rec(1, 0, None, output("s", Stream::Stdout, 0)),
            rec(
                2,
                1_000,
                Some(who.clone()),
                output("st\u{e9}p \"1\"\n", Stream::Stderr, 7),
            ),
            rec(3, 5_000_000, None, Event::SessionCompleted),
            rec(4, 123_456_789, Some(who), output("x", Stream::Stdout, 9)),
            rec(
                5,
                0,
                None,
                Event::SessionResumed {
                    pid: 7,
                    handed_over_from: None,
                    reason: Some("line\nbreak".into()),
                },
            ),
        ]
    }

    /// What serde_json writes for the same list inside an object.
    fn serde_bytes(records: &[Record]) -> Vec<u8> {
        #[derive(Serialize)]
        struct Whole<'a> {
            events: &'a [Record],
        }
        serde_json::to_vec_pretty(&Whole { events: records }).unwrap()
    }

    fn list_bytes(records: &[Record]) -> Vec<u8> {
        let mut out = b"{\n  \"events\": ".to_vec();
        let mut list = List::new(&mut out);
        for r in records {
            list.push(r).unwrap();
        }
        list.end().unwrap();
        out.extend_from_slice(b"\n}");
        out
    }

    #[test]
    fn the_list_is_byte_for_byte_what_serde_json_writes() {
        let all = records();
        for n in 0..=all.len() {
            let (ours, theirs) = (list_bytes(&all[..n]), serde_bytes(&all[..n]));
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap(),
                "{n} records"
            );
        }
    }
}
