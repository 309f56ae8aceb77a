//! EWS `dateTime` values: written in UTC with a `Z`, read with any offset.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Formats a time as EWS expects it.
pub fn format(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Parses a `dateTime` from a reply; a time without an offset is taken as UTC.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
        return Some(parsed.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_offsets() {
        let time = parse("2020-09-10T16:15:11+02:00").expect("parses");
        assert_eq!(format(time), "2020-09-10T14:15:11Z");
        assert!(parse("2020-09-10T14:15:11.1234567").is_some());
        assert!(parse("not a date").is_none());
    }
}
