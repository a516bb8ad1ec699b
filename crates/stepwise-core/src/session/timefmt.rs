//! RFC 3339 UTC times read and written without chrono's general format
//! machinery: the journal's `at` of every record, 100,000 times in a long
//! journal's export (parsing and formatting them was a sixth of its time).
//!
//! Both functions handle only the one common shape, exactly as chrono would
//! (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`, years 0–9999, no leap second), and
//! say so when they do not apply; callers then use chrono. They must never
//! give a result chrono would not give for the same input.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`; `None` for anything else (any
/// other offset, lower-case letters, a leap second, an invalid date), which
/// the caller hands to `DateTime::parse_from_rfc3339`.
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let (month, day) = (digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, min, sec) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let nano = fraction(&b[19..b.len() - 1])?;
    if sec > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some(date.and_hms_nano_opt(hour, min, sec, nano)?.and_utc())
}

/// `""` → 0; `".123"` → 123,000,000 nanoseconds; at most 9 digits.
fn fraction(b: &[u8]) -> Option<u32> {
    match b {
        [] => Some(0),
        [b'.', rest @ ..] if (1..=9).contains(&rest.len()) => {
            let n = digits(rest)?;
            Some(n * 10u32.pow(9 - rest.len() as u32))
        }
        _ => None,
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

/// Appends `at` as chrono's `Serialize` writes it (RFC 3339, `Z`, the
/// fraction in 0, 3, 6 or 9 digits), without the quotes.
pub fn write_utc(out: &mut Vec<u8>, at: &DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    let nano = at.nanosecond();
    if !(0..=9999).contains(&at.year()) || nano >= 1_000_000_000 {
        let text = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        out.extend_from_slice(text.as_bytes());
        return;
    }
    let year = at.year() as u32;
    two(out, year / 100);
    two(out, year % 100);
    out.push(b'-');
    two(out, at.month());
    out.push(b'-');
    two(out, at.day());
    out.push(b'T');
    two(out, at.hour());
    out.push(b':');
    two(out, at.minute());
    out.push(b':');
    two(out, at.second());
    let (value, width) = match nano {
        0 => return out.push(b'Z'),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    out.push(b'.');
    let start = out.len();
    out.resize(start + width, b'0');
    let mut v = value;
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.push(b'Z');
}

fn two(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn chrono_text(at: &DateTime<Utc>) -> String {
        serde_json::to_string(at)
            .unwrap()
            .trim_matches('"')
            .to_owned()
    }

    #[test]
    fn written_as_chrono_serializes_it() {
        let base = Utc.with_ymd_and_hms(2026, 11, 30, 4, 5, 6).unwrap();
        let nanos = [
            0,
            1,
            999,
            1_000,
            1_000_000,
            7_000_000,
            123_456_789,
            999_999_999,
        ];
        let days = [0i64, 1, 400, -739_000, 2_900_000, -10_000_000];
        for d in days {
            for n in nanos {
                let at = base + chrono::Duration::days(d) + chrono::Duration::nanoseconds(n);
                let mut out = Vec::new();
                write_utc(&mut out, &at);
                assert_eq!(String::from_utf8(out).unwrap(), chrono_text(&at), "{at:?}");
            }
        }
    }

    #[test]
    fn parsed_as_chrono_parses_it() {
        let good = [
            "2026-01-01T00:00:00.001000Z",
            "2026-01-01T00:00:00Z",
            "1999-12-31T23:59:59.5Z",
            "2024-02-29T12:00:00.123456789Z",
            "0000-01-01T00:00:00Z",
        ];
        for t in good {
            let chrono = DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
            assert_eq!(parse_utc(t), Some(chrono), "{t}");
        }
    }

    #[test]
    fn anything_unusual_is_left_to_chrono() {
        let odd = [
            "2026-01-01T00:00:00+01:00",
            "2026-01-01t00:00:00Z",
            "2026-01-01 00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2016-12-31T23:59:60Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00.1234567890Z",
            "2026-01-01T00:00:00,5Z",
            "+2026-01-01T00:00:00Z",
            "2026-1-01T00:00:00Z",
            "",
        ];
        for t in odd {
            assert_eq!(parse_utc(t), None, "{t}");
        }
    }
}
