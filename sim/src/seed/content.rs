//! MIME content for seeded items: mail from the corpus (optionally with an attachment), iCalendar
//! appointments and replies, vCards, and plain notes, tasks and journal entries.

use base64::Engine;
use bytes::Bytes;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::corpus::CorpusMessage;
use crate::model::Person;

/// Raw bytes behind the shared attachment text; larger attachments repeat it.
const BLOB_RAW_BYTES: usize = 4 * 1024 * 1024;
/// Raw bytes per base64 line (76 characters).
const RAW_PER_LINE: usize = 57;
/// Bytes per base64 line with its CRLF.
const LINE_BYTES: usize = 78;

/// Pseudo-random attachment content as base64 lines, generated once and shared by every
/// attachment (each takes a prefix, repeated for large ones).
#[derive(Debug, Clone)]
pub struct AttachmentBlob {
    text: Bytes,
}

impl AttachmentBlob {
    /// Generates the blob from a seed.
    pub fn new(seed: u64) -> AttachmentBlob {
        let mut raw = vec![0u8; BLOB_RAW_BYTES];
        ChaCha8Rng::seed_from_u64(seed ^ 0xA77A_C4ED).fill_bytes(&mut raw);
        let mut text = Vec::with_capacity(BLOB_RAW_BYTES / RAW_PER_LINE * LINE_BYTES + LINE_BYTES);
        for line in raw.chunks(RAW_PER_LINE) {
            text.extend_from_slice(
                base64::engine::general_purpose::STANDARD
                    .encode(line)
                    .as_bytes(),
            );
            text.extend_from_slice(b"\r\n");
        }
        AttachmentBlob {
            text: Bytes::from(text),
        }
    }

    /// Base64 text for an attachment of about `raw_len` bytes, as shared slices.
    pub fn encoded(&self, raw_len: u64) -> Vec<Bytes> {
        let mut lines = (raw_len as usize).div_ceil(RAW_PER_LINE).max(1);
        let lines_in_blob = BLOB_RAW_BYTES / RAW_PER_LINE;
        let mut parts = Vec::new();
        while lines > 0 {
            let take = lines.min(lines_in_blob);
            parts.push(self.text.slice(..take * LINE_BYTES));
            lines -= take;
        }
        parts
    }
}

/// An RFC 5322 date.
pub fn rfc5322_date(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

/// A mailbox for a `From`/`To` header, the display name encoded when it is not plain ASCII.
pub fn header_address(person: &Person) -> String {
    let plain = person
        .name
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || " .-'".contains(character));
    if plain {
        format!("\"{}\" <{}>", person.name, person.address)
    } else {
        format!(
            "=?utf-8?b?{}?= <{}>",
            base64::engine::general_purpose::STANDARD.encode(person.name.as_bytes()),
            person.address
        )
    }
}

/// The envelope headers every generated message starts with.
pub fn envelope_headers(message_id: &str, date: i64, from: &Person, to: &Person) -> String {
    format!(
        "Message-ID: {message_id}\r\nDate: {}\r\nFrom: {}\r\nTo: {}\r\n",
        rfc5322_date(date),
        header_address(from),
        header_address(to)
    )
}

/// Mail made from a corpus message: fresh envelope headers, the message's own subject and
/// content, and optionally an attachment (which wraps the original in `multipart/mixed`).
pub fn mail(
    envelope: &str,
    message: &CorpusMessage,
    attachment: Option<(&str, Vec<Bytes>)>,
    boundary: &str,
) -> Vec<Bytes> {
    let mut head = Vec::with_capacity(envelope.len() + 256);
    head.extend_from_slice(envelope.as_bytes());
    head.extend_from_slice(&message.subject_header);
    match attachment {
        None => {
            head.extend_from_slice(&message.content_headers);
            head.extend_from_slice(b"\r\n");
            vec![Bytes::from(head), message.body.clone()]
        }
        Some((file_name, encoded)) => {
            head.extend_from_slice(
                format!(
                    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n"
                )
                .as_bytes(),
            );
            head.extend_from_slice(&message.content_headers);
            head.extend_from_slice(b"\r\n");
            let attachment_head = format!(
                "\r\n--{boundary}\r\nContent-Type: application/octet-stream; name=\"{file_name}\"\r\nContent-Disposition: attachment; filename=\"{file_name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            );
            let mut parts = vec![
                Bytes::from(head),
                message.body.clone(),
                Bytes::from(attachment_head),
            ];
            parts.extend(encoded);
            parts.push(Bytes::from(format!("--{boundary}--\r\n")));
            parts
        }
    }
}

/// The details of a seeded appointment.
pub struct Appointment<'a> {
    /// iCalendar UID.
    pub uid: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// Start, seconds since the Unix epoch.
    pub start: i64,
    /// End.
    pub end: i64,
    /// Location.
    pub location: &'a str,
    /// An `RRULE`, if the appointment recurs.
    pub recurrence: Option<&'a str>,
    /// Organizer.
    pub organizer: &'a Person,
}

/// An appointment (`METHOD:PUBLISH`) or a meeting reply (`METHOD:REPLY` with a participation
/// status), as a message with a `text/calendar` body.
pub fn calendar(envelope: &str, appointment: &Appointment<'_>, reply: Option<&str>) -> Vec<Bytes> {
    let ical_time = |time: i64| {
        chrono::DateTime::from_timestamp(time, 0)
            .unwrap_or_default()
            .format("%Y%m%dT%H%M%SZ")
            .to_string()
    };
    let method = if reply.is_some() { "REPLY" } else { "PUBLISH" };
    let mut event = format!(
        "BEGIN:VCALENDAR\r\nPRODID:-//Ferry//Simulator//EN\r\nVERSION:2.0\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\nUID:{}\r\nDTSTAMP:{}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{}\r\nLOCATION:{}\r\nORGANIZER;CN={}:mailto:{}\r\n",
        appointment.uid,
        ical_time(appointment.start),
        ical_time(appointment.start),
        ical_time(appointment.end),
        appointment.subject.replace(',', "\\,"),
        appointment.location.replace(',', "\\,"),
        appointment.organizer.name,
        appointment.organizer.address,
    );
    if let Some(rule) = appointment.recurrence {
        event.push_str(&format!("RRULE:{rule}\r\n"));
    }
    if let Some(status) = reply {
        event.push_str(&format!(
            "ATTENDEE;PARTSTAT={status}:mailto:{}\r\n",
            appointment.organizer.address
        ));
    }
    event.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let head = format!(
        "{envelope}Subject: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/calendar; charset=\"utf-8\"; method={method}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        encode_header_text(appointment.subject)
    );
    vec![Bytes::from(head), Bytes::from(event)]
}

/// A contact as a vCard 3.0.
pub fn vcard(
    given_name: &str,
    surname: &str,
    company: &str,
    email: &str,
    phone: &str,
) -> Vec<Bytes> {
    vec![Bytes::from(format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:{surname};{given_name};;;\r\nFN:{given_name} {surname}\r\nORG:{company}\r\nEMAIL;TYPE=INTERNET:{email}\r\nTEL;TYPE=WORK:{phone}\r\nEND:VCARD\r\n"
    ))]
}

/// A plain-text item (task, note, journal entry).
pub fn plain(envelope: &str, subject: &str, text: &str) -> Vec<Bytes> {
    vec![Bytes::from(format!(
        "{envelope}Subject: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n",
        encode_header_text(subject)
    ))]
}

/// Header text, RFC 2047-encoded when it is not plain ASCII.
fn encode_header_text(text: &str) -> String {
    if text.is_ascii() {
        text.to_string()
    } else {
        format!(
            "=?utf-8?b?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::summarise;

    #[test]
    fn attachment_text_is_valid_base64_of_the_requested_size() {
        let blob = AttachmentBlob::new(1);
        let parts = blob.encoded(1000);
        let joined: Vec<u8> = parts
            .iter()
            .flat_map(|p| p.iter().copied())
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(joined)
            .expect("base64");
        assert_eq!(decoded.len(), 1000usize.div_ceil(57) * 57);
        let large = blob.encoded(10 * 1024 * 1024);
        assert_eq!(large.len(), 3, "repeats the blob for large attachments");
    }

    #[test]
    fn generated_messages_parse_back() {
        let ann = Person {
            name: "Zoë Müller".into(),
            address: "zoe@example.com".into(),
        };
        let envelope = envelope_headers("<1@example.com>", 1_700_000_000, &ann, &ann);
        let appointment = Appointment {
            uid: "u1",
            subject: "Réunion",
            start: 1_700_000_000,
            end: 1_700_003_600,
            location: "Teams",
            recurrence: Some("FREQ=WEEKLY;COUNT=10"),
            organizer: &ann,
        };
        let joined: Vec<u8> = calendar(&envelope, &appointment, None)
            .iter()
            .flat_map(|p| p.iter().copied())
            .collect();
        let summary = summarise(&joined);
        assert_eq!(summary.subject.as_deref(), Some("Réunion"));
        assert_eq!(
            summary.from.map(|from| from.name),
            Some("Zoë Müller".into())
        );
        assert!(matches!(
            summary.details,
            crate::model::ItemDetails::Appointment {
                is_recurring: true,
                ..
            }
        ));
    }
}
