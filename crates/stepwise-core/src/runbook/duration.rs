//! Durations as runbooks write them: `30s`, `10m`, `1h30m`, `500ms`.
//!
//! Parsing and formatting only; no knowledge of where durations are used.

use std::time::Duration;

/// Parses `1h30m`, `10m`, `30s`, `500ms`, or combinations in that order.
pub fn parse(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("a duration cannot be empty".into());
    }
    let mut total: u128 = 0;
    let mut rest = s;
    let mut last_rank = 0u8;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!(
                "`{s}` is not a duration: expected a number before the unit"
            ));
        }
        let number: u128 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{s}` has a number too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let (millis, rank) = match &rest[..unit_len] {
            "h" => (3_600_000, 1),
            "m" => (60_000, 2),
            "s" => (1_000, 3),
            "ms" => (1, 4),
            "" => {
                return Err(format!(
                    "`{s}` is missing a unit: write for example `{number}s`"
                ));
            }
            other => return Err(format!("`{other}` is not a unit: use h, m, s or ms")),
        };
        if rank <= last_rank {
            return Err(format!(
                "`{s}`: write units from largest to smallest, each once"
            ));
        }
        last_rank = rank;
        total = total
            .checked_add(number.saturating_mul(millis))
            .ok_or_else(|| format!("`{s}` is too long"))?;
        rest = &rest[unit_len..];
    }
    if total > u128::from(u64::MAX / 2) {
        return Err(format!("`{s}` is too long"));
    }
    Ok(Duration::from_millis(total as u64))
}

/// A wait still to come, in whole seconds rounded up: `in 4s`, never
/// `in 3.9s` or `999ms` a moment after it was announced (`0ms` once due).
pub fn countdown(d: Duration) -> String {
    format(Duration::from_secs(d.as_millis().div_ceil(1000) as u64))
}

/// Formats a duration compactly: `1h30m`, `45s`, `1.2s`, `250ms`.
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    if ms < 10_000 && !ms.is_multiple_of(1000) {
        return format!("{:.1}s", ms as f64 / 1000.0);
    }
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// Formats as a clock, `HH:MM:SS`.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
}

pub mod serde_millis {
    use serde::Serializer;
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
}

pub mod serde_millis_opt {
    use serde::Serializer;
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_unit_and_combinations() {
        assert_eq!(parse("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("1m5s").unwrap(), Duration::from_secs(65));
    }

    #[test]
    fn rejects_malformed_durations() {
        for bad in [
            "",
            "10",
            "s",
            "10x",
            "5s10m",
            "1m1m",
            "-3s",
            "1.5s",
            "99999999999999999999h",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(format(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format(Duration::from_millis(1234)), "1.2s");
        assert_eq!(format(Duration::from_millis(250)), "250ms");
        assert_eq!(format(Duration::from_secs(45)), "45s");
        assert_eq!(clock(Duration::from_secs(3723)), "01:02:03");
    }

    #[test]
    fn a_countdown_is_in_whole_seconds_rounded_up() {
        use std::time::Duration as D;
        assert_eq!(countdown(D::from_millis(999)), "1s");
        assert_eq!(countdown(D::from_millis(3_100)), "4s");
        assert_eq!(countdown(D::from_secs(90)), "1m30s");
        assert_eq!(countdown(D::ZERO), "0ms");
    }
}
