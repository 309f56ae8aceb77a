//! An item's `MimeContent`, generated from the store model as Exchange generates it: RFC 5322
//! headers from the subject, dates, ids and people; the bodies; a `text/calendar` part for
//! calendar items; attachments, embedded messages as `message/rfc822`. Contacts are vCards.
//!
//! Exchange addresses (`EX`, a legacyExchangeDN) are written as the SMTP address the directory
//! resolves them to; one the directory does not know is encapsulated as an `IMCEAEX-` address,
//! as Exchange does, so an item naming people of another tenant still says who they were.

use base64::Engine;
use bytes::{Bytes, BytesMut};

use super::calendar::{escape, format_date, format_time, uid_of};
use crate::model::address::contact_emails;
use crate::model::recurrence;
use crate::model::tags::{appointment_key, lid, meeting_key, tag};
use crate::model::{Address, Item, Message, PropValue, PropertyKey, RecipientType};

/// Raw bytes per base64 line (76 characters).
const RAW_PER_LINE: usize = 57;
/// Output chunks of encoded attachment data are about this large.
const CHUNK_BYTES: usize = 1024 * 1024;
/// How deep embedded messages are rendered.
const MAX_DEPTH: usize = 8;

/// What rendering needs from the directory.
pub struct Directory<'a> {
    /// The SMTP address of an Exchange address the tenant knows.
    pub smtp_of_exchange: &'a dyn Fn(&str) -> Option<String>,
    /// The tenant's domain, for `IMCEAEX-` addresses.
    pub domain: &'a str,
}

impl Directory<'_> {
    /// The address to write in a header for `address`.
    pub fn header_address(&self, address: &Address) -> String {
        if !address.is_exchange() {
            return address.email.clone();
        }
        address
            .smtp
            .clone()
            .or_else(|| (self.smtp_of_exchange)(&address.email))
            .unwrap_or_else(|| imceaex(&address.email, self.domain))
    }
}

/// The item's MIME content, as shared segments.
pub fn render(item: &Item, directory: &Directory<'_>) -> Vec<Bytes> {
    if item
        .item_class()
        .to_ascii_lowercase()
        .starts_with("ipm.contact")
    {
        return vec![Bytes::from(vcard(item))];
    }
    let mut out = Output::default();
    message(&item.message, directory, &mut out, 0);
    out.finish()
}

#[derive(Default)]
struct Output {
    head: BytesMut,
    segments: Vec<Bytes>,
}

impl Output {
    fn text(&mut self, text: &str) {
        self.head.extend_from_slice(text.as_bytes());
    }

    fn flush(&mut self) {
        if !self.head.is_empty() {
            self.segments.push(self.head.split().freeze());
        }
    }

    fn finish(mut self) -> Vec<Bytes> {
        self.flush();
        self.segments
    }

    /// Base64 of `segments` in 76-character lines, carried across segment boundaries.
    fn base64(&mut self, segments: &[Bytes]) {
        let engine = &base64::engine::general_purpose::STANDARD;
        let mut carry: Vec<u8> = Vec::with_capacity(RAW_PER_LINE);
        let mut encoded = BytesMut::with_capacity(CHUNK_BYTES.min(1 << 16));
        let mut line = [0u8; 80];
        let mut push_line = |raw: &[u8], encoded: &mut BytesMut, segments: &mut Vec<Bytes>| {
            let written = engine.encode_slice(raw, &mut line).unwrap_or(0);
            encoded.extend_from_slice(&line[..written]);
            encoded.extend_from_slice(b"\r\n");
            if encoded.len() >= CHUNK_BYTES {
                segments.push(encoded.split().freeze());
            }
        };
        self.flush();
        for segment in segments {
            let mut rest: &[u8] = segment;
            if !carry.is_empty() {
                let take = (RAW_PER_LINE - carry.len()).min(rest.len());
                carry.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if carry.len() == RAW_PER_LINE {
                    push_line(&carry, &mut encoded, &mut self.segments);
                    carry.clear();
                }
            }
            let mut lines = rest.chunks_exact(RAW_PER_LINE);
            for raw in &mut lines {
                push_line(raw, &mut encoded, &mut self.segments);
            }
            carry.extend_from_slice(lines.remainder());
        }
        if !carry.is_empty() {
            push_line(&carry, &mut encoded, &mut self.segments);
        }
        if !encoded.is_empty() {
            self.segments.push(encoded.freeze());
        }
    }
}

fn message(message: &Message, directory: &Directory<'_>, out: &mut Output, depth: usize) {
    headers(message, directory, out);
    let calendar = calendar_part(message, directory);
    let attachments: Vec<_> = message
        .attachments
        .iter()
        .filter(|attachment| !attachment.is_hidden())
        .collect();
    if attachments.is_empty() && calendar.is_none() {
        body(message, out);
        return;
    }
    let boundary = format!("_000_ferry{:x}_", depth + 1 + message.props.len() * 31);
    out.text(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    ));
    out.text(&format!("--{boundary}\r\n"));
    body(message, out);
    if let Some(calendar) = calendar {
        out.text(&format!("\r\n--{boundary}\r\n"));
        out.text("Content-Type: text/calendar; charset=\"utf-8\"; method=PUBLISH\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        out.base64(&[Bytes::from(calendar)]);
    }
    for attachment in attachments {
        out.text(&format!("\r\n--{boundary}\r\n"));
        let name = encode_word(attachment.file_name());
        match &attachment.embedded {
            Some(embedded) if depth < MAX_DEPTH => {
                out.text("Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n");
                self::message(embedded, directory, out, depth + 1);
            }
            _ => {
                let mime_type = attachment
                    .props
                    .get(&PropertyKey::Tag(tag::ATTACH_MIME_TAG))
                    .and_then(PropValue::as_text)
                    .unwrap_or("application/octet-stream");
                out.text(&format!("Content-Type: {mime_type}; name=\"{name}\"\r\n"));
                if let Some(content_id) = attachment
                    .props
                    .get(&PropertyKey::Tag(tag::ATTACH_CONTENT_ID))
                    .and_then(PropValue::as_text)
                {
                    out.text(&format!("Content-ID: <{content_id}>\r\n"));
                }
                out.text(&format!(
                    "Content-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                ));
                let data = attachment
                    .props
                    .get(&PropertyKey::Tag(tag::ATTACH_DATA))
                    .and_then(PropValue::as_blob)
                    .map(|blob| blob.segments().to_vec())
                    .unwrap_or_default();
                out.base64(&data);
            }
        }
    }
    out.text(&format!("\r\n--{boundary}--\r\n"));
}

fn headers(message: &Message, directory: &Directory<'_>, out: &mut Output) {
    use crate::model::address::{SENDER, SENT_REPRESENTING};
    let mailbox = |address: &Address| {
        let email = directory.header_address(address);
        if address.name.is_empty() || address.name == email {
            email
        } else {
            format!("{} <{email}>", quote_name(&address.name))
        }
    };
    let from = SENT_REPRESENTING.read(&message.props);
    if let Some(from) = &from {
        out.text(&format!("From: {}\r\n", mailbox(from)));
    }
    if let Some(sender) = SENDER.read(&message.props) {
        if from.as_ref().is_some_and(|from| from.email != sender.email) {
            out.text(&format!("Sender: {}\r\n", mailbox(&sender)));
        }
    }
    for (recipient_type, header) in [(RecipientType::To, "To"), (RecipientType::Cc, "Cc")] {
        let list: Vec<String> = message
            .recipients
            .iter()
            .filter(|recipient| recipient.recipient_type() == recipient_type)
            .map(|recipient| mailbox(&recipient.address()))
            .collect();
        if !list.is_empty() {
            out.text(&format!("{header}: {}\r\n", list.join(",\r\n\t")));
        }
    }
    let subject = message.text(tag::SUBJECT).unwrap_or("");
    out.text(&format!("Subject: {}\r\n", encode_word(subject)));
    if let Some(sent) = message
        .tagged(tag::CLIENT_SUBMIT_TIME)
        .or_else(|| message.tagged(tag::MESSAGE_DELIVERY_TIME))
        .and_then(PropValue::as_unix_time)
    {
        let date = chrono::DateTime::from_timestamp(sent, 0).unwrap_or_default();
        out.text(&format!(
            "Date: {}\r\n",
            date.format("%a, %d %b %Y %H:%M:%S +0000")
        ));
    }
    for (id, header) in [
        (tag::INTERNET_MESSAGE_ID, "Message-ID"),
        (tag::IN_REPLY_TO_ID, "In-Reply-To"),
        (tag::INTERNET_REFERENCES, "References"),
    ] {
        if let Some(value) = message.text(id) {
            out.text(&format!("{header}: {value}\r\n"));
        }
    }
    match message.tagged(tag::IMPORTANCE).and_then(PropValue::as_i64) {
        Some(0) => out.text("Importance: low\r\n"),
        Some(2) => out.text("Importance: high\r\n"),
        _ => {}
    }
    out.text("MIME-Version: 1.0\r\n");
}

fn body(message: &Message, out: &mut Output) {
    let text = message.text(tag::BODY);
    let html = message
        .tagged(tag::HTML)
        .and_then(PropValue::as_blob)
        .map(|blob| blob.to_bytes());
    let text_part = |out: &mut Output, text: &str| {
        out.text("Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        out.base64(&[Bytes::copy_from_slice(text.as_bytes())]);
    };
    let html_part = |out: &mut Output, html: &Bytes| {
        out.text("Content-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        out.base64(std::slice::from_ref(html));
    };
    match (text, html) {
        (Some(text), Some(html)) => {
            let boundary = "_000_ferry_alternative_";
            out.text(&format!(
                "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n"
            ));
            text_part(out, text);
            out.text(&format!("\r\n--{boundary}\r\n"));
            html_part(out, &html);
            out.text(&format!("\r\n--{boundary}--\r\n"));
        }
        (None, Some(html)) => html_part(out, &html),
        (text, None) => text_part(out, text.unwrap_or("")),
    }
}

/// The `VCALENDAR` of a calendar item or meeting message; `None` for other items.
fn calendar_part(message: &Message, directory: &Directory<'_>) -> Option<String> {
    let appointment = |id: u32| message.get(&appointment_key(id));
    let start = appointment(lid::APPOINTMENT_START_WHOLE)?.as_unix_time()?;
    let end = appointment(lid::APPOINTMENT_END_WHOLE)
        .and_then(PropValue::as_unix_time)
        .unwrap_or(start);
    let all_day = appointment(lid::APPOINTMENT_SUB_TYPE)
        .and_then(PropValue::as_bool)
        .unwrap_or(false);
    let uid = message
        .get(&meeting_key(lid::GLOBAL_OBJECT_ID))
        .and_then(PropValue::as_blob)
        .map(|blob| uid_of(&blob.to_bytes()))
        .unwrap_or_default();
    let time = |seconds: i64| {
        if all_day {
            format!(";VALUE=DATE:{}", format_date(seconds))
        } else {
            format!(":{}", format_time(seconds))
        }
    };
    let mut event = String::from("BEGIN:VCALENDAR\r\nPRODID:-//Ferry//Simulated Exchange//EN\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n");
    event.push_str(&format!(
        "UID:{uid}\r\nDTSTART{}\r\nDTEND{}\r\n",
        time(start),
        time(end)
    ));
    event.push_str(&format!(
        "SUMMARY:{}\r\n",
        escape(message.text(tag::SUBJECT).unwrap_or(""))
    ));
    if let Some(location) = appointment(lid::LOCATION).and_then(PropValue::as_text) {
        event.push_str(&format!("LOCATION:{}\r\n", escape(location)));
    }
    if let Some(organizer) = crate::model::address::SENT_REPRESENTING.read(&message.props) {
        event.push_str(&format!(
            "ORGANIZER;CN=\"{}\":mailto:{}\r\n",
            organizer.name.replace('"', "'"),
            directory.header_address(&organizer)
        ));
    }
    for recipient in &message.recipients {
        let address = recipient.address();
        let role = match recipient.recipient_type() {
            RecipientType::To => "REQ-PARTICIPANT",
            RecipientType::Cc => "OPT-PARTICIPANT",
            RecipientType::Bcc => "NON-PARTICIPANT",
        };
        let status = match recipient
            .props
            .get(&PropertyKey::Tag(tag::RECIPIENT_TRACK_STATUS))
            .and_then(PropValue::as_i64)
        {
            Some(2) => "TENTATIVE",
            Some(3) => "ACCEPTED",
            Some(4) => "DECLINED",
            _ => "NEEDS-ACTION",
        };
        event.push_str(&format!(
            "ATTENDEE;ROLE={role};PARTSTAT={status};CN=\"{}\":mailto:{}\r\n",
            address.name.replace('"', "'"),
            directory.header_address(&address)
        ));
    }
    if let Some(pattern) = appointment(lid::APPOINTMENT_RECUR)
        .and_then(PropValue::as_blob)
        .and_then(|blob| recurrence::Pattern::decode(&blob.to_bytes()))
    {
        event.push_str(&format!("RRULE:{}\r\n", pattern.rrule()));
        for deleted in pattern.deleted_starts(start) {
            event.push_str(&format!("EXDATE{}\r\n", time(deleted)));
        }
    }
    event.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    Some(event)
}

fn vcard(item: &Item) -> String {
    let contact = item.contact();
    let mut card = format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:{};{};;;\r\nFN:{}\r\n",
        escape(&contact.surname),
        escape(&contact.given_name),
        escape(if contact.display_name.is_empty() {
            item.subject()
        } else {
            &contact.display_name
        })
    );
    if !contact.company.is_empty() {
        card.push_str(&format!("ORG:{}\r\n", escape(&contact.company)));
    }
    for email in contact_emails(&item.message).into_iter().flatten() {
        card.push_str(&format!(
            "EMAIL;TYPE=INTERNET:{}\r\n",
            email.smtp.unwrap_or(email.email)
        ));
    }
    if let Some(phone) = item.message.text(tag::BUSINESS_TELEPHONE_NUMBER) {
        card.push_str(&format!("TEL;TYPE=WORK:{phone}\r\n"));
    }
    card.push_str("END:VCARD\r\n");
    card
}

/// An `IMCEAEX-` address: the legacyExchangeDN encapsulated in SMTP form.
pub fn imceaex(legacy_dn: &str, domain: &str) -> String {
    let mut local = String::from("IMCEAEX-");
    for character in legacy_dn.chars() {
        match character {
            '/' => local.push('_'),
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '=' | '.' => local.push(character),
            other => {
                let mut buffer = [0u8; 4];
                for byte in other.encode_utf8(&mut buffer).bytes() {
                    local.push_str(&format!("+{byte:02X}"));
                }
            }
        }
    }
    format!("{local}@{domain}")
}

/// A display name for a header, RFC 2047-encoded when it is not plain.
fn quote_name(name: &str) -> String {
    if name
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || " .-'".contains(character))
    {
        format!("\"{name}\"")
    } else {
        encode_word(name)
    }
}

/// Header text, RFC 2047-encoded when it is not plain ASCII.
fn encode_word(text: &str) -> String {
    if text.is_ascii() && !text.contains(['\r', '\n', '"']) {
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
    use crate::mime::import::message_from_mime;
    use crate::model::value::Blob;

    fn directory_knowing_ann(dn: &str) -> Option<String> {
        (dn == "/o=ExchangeLabs/cn=ann").then(|| "ann@contoso.com".to_string())
    }

    fn joined(segments: Vec<Bytes>) -> Vec<u8> {
        segments.concat()
    }

    #[test]
    fn renders_people_bodies_and_attachments_that_parse_back() {
        let mut message = Message::of_class("IPM.Note");
        message.set_subject("Grüße");
        message.set_times(1_700_000_000, 1_700_000_000);
        message.set_from(&Address::exchange(
            "Ann Lee",
            "/o=ExchangeLabs/cn=ann",
            None,
        ));
        message.add_recipient(
            &Address::exchange("Old Colleague", "/o=Other/cn=old", None),
            RecipientType::To,
        );
        message.add_recipient(&Address::smtp("Bob", "bob@example.org"), RecipientType::Cc);
        message.set_body_text("hello");
        let data: Vec<u8> = (0..200_000u32).map(|value| value as u8).collect();
        message.add_file_attachment(
            "data.bin",
            "application/octet-stream",
            Blob::new(vec![
                Bytes::from(data[..1000].to_vec()),
                Bytes::from(data[1000..].to_vec()),
            ]),
        );
        let item = Item::new(1, message, 0);
        let directory = Directory {
            smtp_of_exchange: &directory_knowing_ann,
            domain: "fabrikam.com",
        };
        let mime = joined(render(&item, &directory));
        let text = String::from_utf8_lossy(&mime);
        assert!(
            text.contains("From: \"Ann Lee\" <ann@contoso.com>"),
            "{text}"
        );
        assert!(
            text.contains("IMCEAEX-_o=Other_cn=old@fabrikam.com"),
            "{text}"
        );
        let back = message_from_mime(&mime, "IPM.Note");
        assert_eq!(back.text(tag::SUBJECT), Some("Grüße"));
        assert_eq!(back.text(tag::BODY), Some("hello"));
        let attachment = back.attachments.first().expect("the attachment");
        assert_eq!(
            attachment
                .props
                .get(&PropertyKey::Tag(tag::ATTACH_DATA))
                .and_then(PropValue::as_blob)
                .map(|blob| blob.to_bytes().to_vec()),
            Some(data)
        );
    }
}
