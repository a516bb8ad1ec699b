//! The journal's commonest line, `output_recorded`, read in the exact
//! shape the journal writes it, without serde: a long session's journal is
//! mostly these lines, and an export reads each twice.
//!
//! `{"seq":N,"at":"…Z"[,"by":{"user":"…","host":"…"}],"type":"output_recorded",
//! "step":"…","attempt":N,"stream":"stdout|stderr","offset":N,"len":N[,"hash":"…"]}`
//!
//! Anything else (another order, spaces, an escape or control character in
//! a string, a number serde would refuse or read differently) gives `None`,
//! and the caller reads the line the general way: this never accepts a line
//! serde would refuse, and never reads one differently.

use super::event::{Actor, Event, Record, Stream};
use super::timefmt;

/// The record of an `output_recorded` line in the writer's own shape.
pub fn parse(line: &str) -> Option<Record> {
    let mut c = Cursor(line.as_bytes());
    c.lit(b"{\"seq\":")?;
    let seq = c.number()?;
    c.lit(b",\"at\":")?;
    let at = timefmt::parse_utc(c.string()?)?;
    let by = if c.0.starts_with(b",\"by\":") {
        c.lit(b",\"by\":{\"user\":")?;
        let user = c.string()?.to_owned();
        c.lit(b",\"host\":")?;
        let host = c.string()?.to_owned();
        c.lit(b"}")?;
        Some(Actor { user, host })
    } else {
        None
    };
    c.lit(b",\"type\":\"output_recorded\",\"step\":")?;
    let step = c.string()?.to_owned();
    c.lit(b",\"attempt\":")?;
    let attempt = u32::try_from(c.number()?).ok()?;
    c.lit(b",\"stream\":")?;
    let stream = match c.string()? {
        "stdout" => Stream::Stdout,
        "stderr" => Stream::Stderr,
        _ => return None,
    };
    c.lit(b",\"offset\":")?;
    let offset = c.number()?;
    c.lit(b",\"len\":")?;
    let len = c.number()?;
    if c.0.starts_with(b",\"hash\":") {
        c.lit(b",\"hash\":")?;
        c.string()?;
    }
    c.lit(b"}")?;
    if !c.0.is_empty() {
        return None;
    }
    let event = Event::OutputRecorded {
        step,
        attempt,
        stream,
        offset,
        len,
    };
    Some(Record { seq, at, by, event })
}

/// What is left of the line.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn lit(&mut self, expected: &[u8]) -> Option<()> {
        self.0 = self.0.strip_prefix(expected)?;
        Some(())
    }

    /// A JSON integer as serde reads it into a `u64`: `0` or digits not
    /// starting with `0`, no sign, fraction or exponent, no overflow.
    fn number(&mut self) -> Option<u64> {
        let end = self
            .0
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(self.0.len());
        let (digits, rest) = self.0.split_at(end);
        if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') {
            return None;
        }
        if matches!(rest.first(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let n = digits.iter().try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })?;
        self.0 = rest;
        Some(n)
    }

    /// A JSON string with nothing to unescape: no `\`, no control
    /// character (serde refuses those raw).
    fn string(&mut self) -> Option<&'a str> {
        let rest = self.0.strip_prefix(b"\"")?;
        let end = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest[end] != b'"' {
            return None;
        }
        let text = std::str::from_utf8(&rest[..end]).ok()?;
        self.0 = &rest[end + 1..];
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general(line: &str) -> Option<Record> {
        serde_json::from_str(line).ok()
    }

    #[test]
    fn the_writers_lines_read_as_serde_reads_them() {
        let lines = [
            r#"{"seq":3,"at":"2026-01-01T00:00:00.003000Z","type":"output_recorded","step":"s000","attempt":1,"stream":"stdout","offset":0,"len":400,"hash":"1aae"}"#,
            r#"{"seq":18446744073709551615,"at":"2026-01-01T00:00:00Z","by":{"user":"ops","host":"h\u00e9"},"type":"output_recorded","step":"st\u00e9p","attempt":4294967295,"stream":"stderr","offset":7,"len":0}"#,
            r#"{"seq":0,"at":"2026-01-01T00:00:00.5Z","by":{"user":"a b","host":""},"type":"output_recorded","step":"ü","attempt":0,"stream":"stdout","offset":1,"len":2}"#,
        ];
        for line in lines {
            let ours = parse(line);
            let unescaped = line.contains('\\');
            if unescaped {
                assert_eq!(ours, None, "{line}");
            } else {
                assert!(ours.is_some(), "{line}");
                assert_eq!(ours, general(line), "{line}");
            }
        }
    }

    #[test]
    fn anything_else_goes_the_general_way() {
        let base = r#"{"seq":3,"at":"2026-01-01T00:00:00Z","type":"output_recorded","step":"s","attempt":1,"stream":"stdout","offset":0,"len":4}"#;
        assert!(parse(base).is_some());
        let odd = [
            base.replace("\"seq\":3", "\"seq\":03"),
            base.replace("\"seq\":3", "\"seq\":-3"),
            base.replace("\"seq\":3", "\"seq\":3.0"),
            base.replace("\"seq\":3", "\"seq\":3e0"),
            base.replace("\"seq\":3", "\"seq\":18446744073709551616"),
            base.replace("\"attempt\":1", "\"attempt\":4294967296"),
            base.replace("\"s\"", "\"a\\\"b\""),
            base.replace("\"s\"", "\"a\tb\""),
            base.replace("stdout", "stdin"),
            base.replace("Z\"", "+00:00\""),
            base.replace(",\"len\":4", ",\"len\":4,\"extra\":1"),
            base.replace("{\"seq\"", "{ \"seq\""),
            format!("{base} "),
            base.replace("output_recorded", "step_started"),
        ];
        for line in &odd {
            assert_eq!(parse(line), None, "{line}");
        }
    }
}
