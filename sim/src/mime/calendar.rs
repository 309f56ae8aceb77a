//! iCalendar and vCard text: the few properties the store maps, read from and written to the
//! content lines (RFC 5545, RFC 6350), and the global object id meetings are matched by.

use bytes::Bytes;

/// The fixed start of every global object id (MS-OXOCAL 2.2.1.27).
pub const GLOBAL_OBJECT_ID_PREFIX: [u8; 16] = [
    0x04, 0x00, 0x00, 0x00, 0x82, 0x00, 0xE0, 0x00, 0x74, 0xC5, 0xB7, 0x10, 0x1A, 0x82, 0xE0, 0x08,
];
/// The marker of a global object id wrapping a UID that is not Outlook's own.
const VCAL_UID: &[u8] = b"vCal-Uid\x01\x00\x00\x00";

/// What an iCalendar event says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// `UID`.
    pub uid: String,
    /// `DTSTART`, seconds since the Unix epoch.
    pub start: Option<i64>,
    /// `DTEND`.
    pub end: Option<i64>,
    /// Whether `DTSTART` is a date (all day).
    pub all_day: bool,
    /// `LOCATION`.
    pub location: String,
    /// `SUMMARY`.
    pub summary: String,
    /// Whether there is an `RRULE`.
    pub recurring: bool,
    /// `ORGANIZER`: (name, address).
    pub organizer: Option<(String, String)>,
    /// `ATTENDEE`s: (name, address, `PARTSTAT`, `ROLE`).
    pub attendees: Vec<(String, String, String, String)>,
}

/// Unfolds content lines (a line starting with a space or tab continues the previous one).
pub fn unfolded_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let line = raw.trim_end_matches('\r');
        if let Some(continuation) = line.strip_prefix(' ').or_else(|| line.strip_prefix('\t')) {
            if let Some(last) = lines.last_mut() {
                last.push_str(continuation);
                continue;
            }
        }
        lines.push(line.to_string());
    }
    lines
}

/// Splits `NAME;PARAM=X:value` into (`NAME`, params, value).
fn content_line(line: &str) -> Option<(String, String, String)> {
    let (head, value) = line.split_once(':')?;
    let (name, params) = head.split_once(';').unwrap_or((head, ""));
    Some((
        name.to_ascii_uppercase(),
        params.to_string(),
        value.to_string(),
    ))
}

fn parameter(params: &str, name: &str) -> String {
    params
        .split(';')
        .filter_map(|param| param.split_once('='))
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim_matches('"').to_string())
        .unwrap_or_default()
}

fn mailto(value: &str) -> String {
    let value = value.trim();
    value
        .strip_prefix("mailto:")
        .or_else(|| value.strip_prefix("MAILTO:"))
        .unwrap_or(value)
        .to_string()
}

/// The first event of a calendar.
pub fn parse_event(text: &str) -> Option<Event> {
    let mut event = Event::default();
    let mut in_event = false;
    let mut seen = false;
    for line in unfolded_lines(text) {
        let Some((name, params, value)) = content_line(&line) else {
            continue;
        };
        match name.as_str() {
            "BEGIN" if value.eq_ignore_ascii_case("VEVENT") => {
                if seen {
                    break;
                }
                in_event = true;
                seen = true;
            }
            "END" if value.eq_ignore_ascii_case("VEVENT") => in_event = false,
            _ if !in_event => {}
            "DTSTART" => {
                let upper = params.to_ascii_uppercase();
                event.all_day = upper.contains("VALUE=DATE") && !upper.contains("VALUE=DATE-TIME");
                event.start = parse_time(&value);
            }
            "DTEND" => event.end = parse_time(&value),
            "LOCATION" => event.location = unescape(&value),
            "SUMMARY" => event.summary = unescape(&value),
            "RRULE" => event.recurring = true,
            "UID" => event.uid = value.trim().to_string(),
            "ORGANIZER" => event.organizer = Some((parameter(&params, "CN"), mailto(&value))),
            "ATTENDEE" => event.attendees.push((
                parameter(&params, "CN"),
                mailto(&value),
                parameter(&params, "PARTSTAT").to_ascii_uppercase(),
                parameter(&params, "ROLE").to_ascii_uppercase(),
            )),
            _ => {}
        }
    }
    seen.then_some(event)
}

/// What a vCard says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Card {
    /// Given name.
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// `FN`.
    pub full_name: String,
    /// `ORG`.
    pub company: String,
    /// `EMAIL`s, at most three.
    pub emails: Vec<String>,
    /// The first `TEL`.
    pub phone: String,
}

/// Reads a vCard.
pub fn parse_card(text: &str) -> Card {
    let mut card = Card::default();
    for line in unfolded_lines(text) {
        let Some((name, _, value)) = content_line(&line) else {
            continue;
        };
        match name.as_str() {
            "N" => {
                let mut parts = value.split(';');
                card.surname = unescape(parts.next().unwrap_or_default());
                card.given_name = unescape(parts.next().unwrap_or_default());
            }
            "FN" => card.full_name = unescape(&value),
            "ORG" => card.company = unescape(value.split(';').next().unwrap_or_default()),
            "EMAIL" if card.emails.len() < 3 => card.emails.push(value.trim().to_string()),
            "TEL" if card.phone.is_empty() => card.phone = value.trim().to_string(),
            _ => {}
        }
    }
    card
}

/// An iCalendar UTC time (`20240102T090000Z`), local time or date.
pub fn parse_time(value: &str) -> Option<i64> {
    let value = value.trim();
    for format in ["%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S"] {
        if let Ok(parsed) = chrono::NaiveDateTime::parse_from_str(value, format) {
            return Some(parsed.and_utc().timestamp());
        }
    }
    chrono::NaiveDate::parse_from_str(value, "%Y%m%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc().timestamp())
}

/// A UTC time in iCalendar form.
pub fn format_time(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// A date in iCalendar form.
pub fn format_date(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .format("%Y%m%d")
        .to_string()
}

fn unescape(value: &str) -> String {
    value
        .replace("\\n", "\n")
        .replace("\\N", "\n")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
}

/// Escapes text for a content line value.
pub fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
        .replace('\n', "\\n")
        .replace('\r', "")
}

/// The global object id for a UID: the UID itself when it is one in hex (Outlook's own), else
/// the UID wrapped the way Exchange wraps UIDs from other calendars.
pub fn global_object_id(uid: &str) -> Bytes {
    if let Ok(bytes) = hex::decode(uid) {
        if bytes.starts_with(&GLOBAL_OBJECT_ID_PREFIX) {
            return Bytes::from(bytes);
        }
    }
    let mut id = GLOBAL_OBJECT_ID_PREFIX.to_vec();
    id.extend_from_slice(&[0; 4]); // instance date: the series
    id.extend_from_slice(&[0; 8]); // creation time
    id.extend_from_slice(&[0; 8]); // reserved
    let data_len = VCAL_UID.len() + uid.len() + 1;
    id.extend_from_slice(&(data_len as u32).to_le_bytes());
    id.extend_from_slice(VCAL_UID);
    id.extend_from_slice(uid.as_bytes());
    id.push(0);
    Bytes::from(id)
}

/// The UID a global object id carries: the wrapped UID, or the id in upper-case hex.
pub fn uid_of(global_object_id: &[u8]) -> String {
    if let Some(wrapped) = global_object_id
        .get(40..)
        .and_then(|data| data.strip_prefix(VCAL_UID))
    {
        let uid = wrapped.split(|byte| *byte == 0).next().unwrap_or_default();
        return String::from_utf8_lossy(uid).into_owned();
    }
    hex::encode_upper(global_object_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_event_with_people() {
        let event = parse_event("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:abc-123\r\nDTSTART:20240102T090000Z\r\nDTEND:20240102T091500Z\r\nLOCATION:Room\r\n 42\r\nRRULE:FREQ=DAILY\r\nORGANIZER;CN=Ann Lee:mailto:ann@contoso.com\r\nATTENDEE;CN=\"Bob\";PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT:mailto:bob@contoso.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").expect("an event");
        assert_eq!(event.start, Some(1_704_186_000));
        assert_eq!(event.end, Some(1_704_186_900));
        assert_eq!(event.location, "Room42");
        assert!(event.recurring);
        assert_eq!(
            event.organizer,
            Some(("Ann Lee".into(), "ann@contoso.com".into()))
        );
        assert_eq!(event.attendees[0].2, "ACCEPTED");
    }

    #[test]
    fn uids_wrap_and_unwrap() {
        let outlook = "040000008200E00074C5B7101A82E00800000000ABCDEF";
        assert_eq!(uid_of(&global_object_id(outlook)), outlook);
        assert_eq!(
            uid_of(&global_object_id("abc-123@example.org")),
            "abc-123@example.org"
        );
    }

    #[test]
    fn reads_a_card() {
        let card = parse_card("BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Ann;;;\r\nFN:Ann Lee\r\nORG:Contoso\r\nEMAIL;TYPE=work:ann@example.com\r\nEMAIL:ann@home.example\r\nEND:VCARD\r\n");
        assert_eq!(card.given_name, "Ann");
        assert_eq!(card.emails, vec!["ann@example.com", "ann@home.example"]);
    }
}
