//! RFC 3339 times as the CLI reads and writes them: milliseconds since the
//! Unix epoch inside, RFC 3339 text in files, arguments and output. One
//! parser and one formatter for every command (report and monitor
//! timestamps, rollout windows and `--now`).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An RFC 3339 time as ms since the Unix epoch, or the message of why it is
/// not one. Sub-millisecond digits are dropped toward the past (floor), as
/// Parquet timestamps of finer units are.
pub fn parse_ms(text: &str) -> Result<i64, String> {
    let t = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| format!("{text:?} is not an RFC 3339 time: {e}"))?;
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000_000)).map_err(|_| format!("{text:?} is out of range"))
}

/// ms since the Unix epoch as RFC 3339 in UTC (`{ms} ms` for a time RFC
/// 3339 cannot write, beyond year 9999).
pub fn format_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("{ms} ms"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_floor_sub_milliseconds() {
        assert_eq!(parse_ms("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_ms("2026-03-01T00:00:00.0019+00:00"), Ok(1_772_323_200_001));
        assert_eq!(parse_ms("1969-12-31T23:59:59.9995Z"), Ok(-1));
        assert_eq!(format_ms(1_772_323_200_001), "2026-03-01T00:00:00.001Z");
        assert_eq!(parse_ms(&format_ms(-1)), Ok(-1));
        let bad = parse_ms("yesterday").unwrap_err();
        assert!(bad.starts_with("\"yesterday\" is not an RFC 3339 time: "), "{bad}");
    }
}
