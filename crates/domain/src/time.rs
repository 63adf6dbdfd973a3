//! Instants. Everything is stored as epoch milliseconds UTC and shown in Asia/Shanghai.
//! China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Epoch milliseconds, UTC.
pub type Millis = i64;

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Asia/Shanghai (UTC+8).
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The local (Shanghai) date and time of an instant.
pub fn to_local(at: Millis) -> NaiveDateTime {
    DateTime::<Utc>::from_timestamp_millis(at)
        .unwrap_or_default()
        .with_timezone(&shanghai())
        .naive_local()
}

/// The instant of a local (Shanghai) date and time.
pub fn from_local(local: NaiveDateTime) -> Millis {
    shanghai()
        .from_local_datetime(&local)
        .single()
        .expect("a fixed offset has exactly one mapping")
        .timestamp_millis()
}

/// The local date of an instant.
pub fn local_date(at: Millis) -> NaiveDate {
    to_local(at).date()
}

/// RFC 3339 text in Shanghai time, e.g. `2026-11-22T09:30:00+08:00`.
pub fn format_local(at: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(at)
        .unwrap_or_default()
        .with_timezone(&shanghai())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Parses RFC 3339 text (any offset) or a bare local date-time (taken as Shanghai time).
pub fn parse_instant(text: &str) -> Option<Millis> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, fmt) {
            return Some(from_local(local));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .map(|d| from_local(d.and_hms_opt(0, 0, 0).expect("midnight exists")))
}

/// Test and fixture helper: instant of a Shanghai wall-clock time.
pub fn at_local(y: i32, m: u32, d: u32, h: u32, min: u32) -> Millis {
    from_local(
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .expect("valid local date-time"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_shanghai_time() {
        let t = at_local(2026, 10, 1, 8, 0);
        assert_eq!(format_local(t), "2026-10-01T08:00:00+08:00");
        assert_eq!(parse_instant("2026-10-01T00:00:00Z"), Some(t));
        assert_eq!(parse_instant("2026-10-01 08:00:00"), Some(t));
        assert_eq!(local_date(t - 9 * HOUR_MS).to_string(), "2026-09-30");
    }
}
