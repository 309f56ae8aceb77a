//! Reading item properties out of MIME content: RFC 5322 headers, an iCalendar part for
//! appointments, a vCard for contacts. Used when a client creates an item from MIME and when the
//! seeder turns corpus messages into items.

use mail_parser::{MessageParser, MimeHeaders};

use crate::model::{ItemDetails, Person};

/// What the simulator takes from an item's MIME content.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MimeSummary {
    /// The decoded `Subject`.
    pub subject: Option<String>,
    /// `Date`, seconds since the Unix epoch.
    pub date: Option<i64>,
    /// `Message-ID`, with angle brackets.
    pub message_id: Option<String>,
    /// The first `From` mailbox.
    pub from: Option<Person>,
    /// The `To` line as display names.
    pub display_to: String,
    /// Whether there are attachments.
    pub has_attachments: bool,
    /// Appointment or contact details found in the content.
    pub details: ItemDetails,
}

/// Summarises MIME content; never fails (malformed content yields what could be read).
pub fn summarise(content: &[u8]) -> MimeSummary {
    let trimmed = trim_start(content);
    if trimmed.starts_with(b"BEGIN:VCARD") {
        return MimeSummary {
            details: vcard_details(&String::from_utf8_lossy(trimmed)),
            ..MimeSummary::default()
        };
    }
    // Content comes from clients and real-world corpora; a parser bug must cost the summary,
    // not the request.
    std::panic::catch_unwind(|| summarise_message(content)).unwrap_or_default()
}

fn summarise_message(content: &[u8]) -> MimeSummary {
    let Some(message) = MessageParser::default().parse(content) else {
        return MimeSummary::default();
    };
    let from = message
        .from()
        .and_then(|from| from.first())
        .map(|address| Person {
            name: address.name().unwrap_or_default().to_string(),
            address: address.address().unwrap_or_default().to_string(),
        });
    let display_to = message
        .to()
        .map(|to| {
            to.iter()
                .map(|address| {
                    address
                        .name()
                        .or(address.address())
                        .unwrap_or_default()
                        .to_string()
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let calendar = message.parts.iter().find_map(|part| {
        let content_type = part.content_type()?;
        (content_type.ctype().eq_ignore_ascii_case("text")
            && content_type
                .subtype()
                .is_some_and(|subtype| subtype.eq_ignore_ascii_case("calendar")))
        .then(|| part.text_contents().map(str::to_string))
        .flatten()
    });
    MimeSummary {
        subject: message.subject().map(clean_text),
        date: message.date().map(|date| date.to_timestamp()),
        message_id: message.message_id().map(|id| format!("<{id}>")),
        from,
        display_to,
        has_attachments: message.attachment_count() > 0,
        details: calendar
            .map(|text| calendar_details(&text))
            .unwrap_or_default(),
    }
}

/// Removes characters XML 1.0 cannot carry, so a subject read from a broken message does not
/// make every later reply invalid.
pub fn clean_text(text: &str) -> String {
    text.chars()
        .filter(|character| {
            !matches!(*character as u32, 0..=8 | 0x0B | 0x0C | 0x0E..=0x1F | 0xFFFE | 0xFFFF)
        })
        .collect()
}

fn trim_start(content: &[u8]) -> &[u8] {
    let start = content
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(content.len());
    &content[start..]
}

/// Unfolds iCalendar/vCard content lines (a line starting with a space continues the previous).
fn unfolded_lines(text: &str) -> Vec<String> {
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
        params.to_ascii_uppercase(),
        value.to_string(),
    ))
}

fn calendar_details(text: &str) -> ItemDetails {
    let mut start = None;
    let mut end = None;
    let mut location = String::new();
    let mut is_recurring = false;
    let mut is_all_day = false;
    let mut uid = String::new();
    let mut in_event = false;
    for line in unfolded_lines(text) {
        let Some((name, params, value)) = content_line(&line) else {
            continue;
        };
        match name.as_str() {
            "BEGIN" if value.eq_ignore_ascii_case("VEVENT") => in_event = true,
            "END" if value.eq_ignore_ascii_case("VEVENT") => in_event = false,
            _ if !in_event => {}
            "DTSTART" => {
                is_all_day = params.contains("VALUE=DATE") && !params.contains("VALUE=DATE-TIME");
                start = parse_ical_time(&value);
            }
            "DTEND" => end = parse_ical_time(&value),
            "LOCATION" => location = unescape_ical(&value),
            "RRULE" => is_recurring = true,
            "UID" => uid = value.trim().to_string(),
            _ => {}
        }
    }
    match start {
        Some(start) => ItemDetails::Appointment {
            start,
            end: end.unwrap_or(start + 3600),
            location,
            is_recurring,
            is_all_day,
            uid,
        },
        None => ItemDetails::Plain,
    }
}

fn vcard_details(text: &str) -> ItemDetails {
    let mut given_name = String::new();
    let mut surname = String::new();
    let mut company = String::new();
    let mut email = String::new();
    for line in unfolded_lines(text) {
        let Some((name, _, value)) = content_line(&line) else {
            continue;
        };
        match name.as_str() {
            "N" => {
                let mut parts = value.split(';');
                surname = unescape_ical(parts.next().unwrap_or_default());
                given_name = unescape_ical(parts.next().unwrap_or_default());
            }
            "ORG" => company = unescape_ical(value.split(';').next().unwrap_or_default()),
            "EMAIL" if email.is_empty() => email = value.trim().to_string(),
            _ => {}
        }
    }
    ItemDetails::Contact {
        given_name,
        surname,
        company,
        email,
    }
}

fn parse_ical_time(value: &str) -> Option<i64> {
    let value = value.trim();
    let formats = ["%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S"];
    for format in formats {
        if let Ok(parsed) = chrono::NaiveDateTime::parse_from_str(value, format) {
            return Some(parsed.and_utc().timestamp());
        }
    }
    chrono::NaiveDate::parse_from_str(value, "%Y%m%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc().timestamp())
}

fn unescape_ical(value: &str) -> String {
    value
        .replace("\\n", "\n")
        .replace("\\N", "\n")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_headers_of_a_message() {
        let summary = summarise(
            b"From: Ann Lee <ann@example.com>\r\nTo: Bob <bob@example.com>, carol@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nDate: Tue, 1 Nov 2022 10:00:00 +0000\r\nMessage-ID: <x1@example.com>\r\n\r\nhello\r\n",
        );
        assert_eq!(summary.subject.as_deref(), Some("Grüße"));
        assert_eq!(summary.date, Some(1_667_296_800));
        assert_eq!(summary.message_id.as_deref(), Some("<x1@example.com>"));
        assert_eq!(
            summary.from.map(|from| from.address),
            Some("ann@example.com".into())
        );
        assert_eq!(summary.display_to, "Bob; carol@example.com");
    }

    #[test]
    fn reads_an_appointment_from_its_calendar_part() {
        let summary = summarise(
            b"Subject: Standup\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:abc-123\r\nDTSTART:20240102T090000Z\r\nDTEND:20240102T091500Z\r\nLOCATION:Room\r\n 42\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        );
        assert_eq!(
            summary.details,
            ItemDetails::Appointment {
                start: 1_704_186_000,
                end: 1_704_186_900,
                location: "Room42".into(),
                is_recurring: true,
                is_all_day: false,
                uid: "abc-123".into(),
            }
        );
    }

    #[test]
    fn reads_a_vcard_and_survives_garbage() {
        let summary = summarise(b"BEGIN:VCARD\r\nVERSION:3.0\r\nN:Lee;Ann;;;\r\nORG:Contoso\r\nEMAIL;TYPE=work:ann@example.com\r\nEND:VCARD\r\n");
        assert_eq!(
            summary.details,
            ItemDetails::Contact {
                given_name: "Ann".into(),
                surname: "Lee".into(),
                company: "Contoso".into(),
                email: "ann@example.com".into(),
            }
        );
        let _ = summarise(b"\x00\xff\xfe garbage");
        assert_eq!(clean_text("a\u{0}b\u{1b}c\td"), "abc\td");
    }
}
