//! Times as EWS writes them: UTC, second precision, `2024-05-01T09:30:00Z`.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// Formats seconds since the Unix epoch as an EWS `dateTime`.
pub fn format_ews(unix_seconds: i64) -> String {
    Utc.timestamp_opt(unix_seconds, 0)
        .single()
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Parses an EWS `dateTime` (with offset or `Z`; a bare time is taken as UTC).
pub fn parse_ews(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
        return Some(parsed.timestamp());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc().timestamp())
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(format_ews(0), "1970-01-01T00:00:00Z");
        assert_eq!(parse_ews("2020-09-10T14:15:11Z"), Some(1_599_747_311));
        assert_eq!(parse_ews("2020-09-10T16:15:11+02:00"), Some(1_599_747_311));
        assert_eq!(parse_ews("2020-09-10T14:15:11.123"), Some(1_599_747_311));
        assert_eq!(parse_ews("yesterday"), None);
    }
}
