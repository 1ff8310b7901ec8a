//! Manifest times: RFC 3339 in whole seconds, and expiry given as a
//! duration or a time.

use super::error::{ManifestError, ManifestErrorKind, Result, malformed};
use std::format;
use std::string::String;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// RFC 3339 of a time, whole seconds.
pub fn format_time(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).expect("times within RFC 3339's years format")
}

pub(super) fn parse_time(text: &str, what: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| malformed(format!("{what} {text:?} is not an RFC 3339 time: {e}")))
}

/// When a manifest made at `now` expires: `text` is a duration — a number
/// and a unit `s`, `m`, `h`, `d` or `w`, e.g. `90d` — or an RFC 3339 time.
pub fn parse_expires(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime> {
    let bad = || {
        ManifestError::new(
            ManifestErrorKind::BadRequest,
            format!("expiry {text:?} is neither a duration such as 90d, 12h or 30m nor an RFC 3339 time"),
        )
    };
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let unit_seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    let d = Duration::seconds(n.checked_mul(unit_seconds).ok_or_else(bad)?);
    now.checked_add(d).ok_or_else(bad)
}
