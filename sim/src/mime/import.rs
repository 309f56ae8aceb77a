//! MIME content into the store model, as Exchange's content conversion does on delivery and on
//! `CreateItem` with `MimeContent`: headers become the subject, dates, ids and the people (SMTP
//! addresses); the text and HTML bodies become `PidTagBody` and `PidTagHtml`; attachments become
//! attachment objects, a nested `message/rfc822` an embedded message; a `text/calendar` part
//! makes the item a calendar item and a vCard a contact. The raw header block is kept as
//! `PidTagTransportMessageHeaders`.

use bytes::Bytes;
use mail_parser::{MessageParser, MimeHeaders};

use super::calendar::{global_object_id, parse_card, parse_event};
use super::clean_text;
use crate::model::address::{set_contact_email, Address};
use crate::model::tags::{appointment_key, lid, meeting_key, tag};
use crate::model::{Blob, Message, PropValue, PropertyKey, RecipientType};

/// How deep nested messages are converted; deeper ones stay file attachments.
const MAX_DEPTH: usize = 8;

/// Converts MIME content into a message of `item_class` (the class a `CreateItem` element or the
/// content implies). Never fails: malformed content yields what could be read.
pub fn message_from_mime(content: &[u8], item_class: &str) -> Message {
    let trimmed = trim_start(content);
    if trimmed.starts_with(b"BEGIN:VCARD") {
        return contact_from_card(&String::from_utf8_lossy(trimmed));
    }
    // Content comes from clients and real-world corpora; a parser bug must cost the
    // conversion, not the request.
    std::panic::catch_unwind(|| convert(content, item_class, 0)).unwrap_or_else(|_| {
        let mut message = Message::of_class(item_class);
        message.set_body_text(&String::from_utf8_lossy(content));
        message
    })
}

fn convert(content: &[u8], item_class: &str, depth: usize) -> Message {
    let mut message = Message::of_class(item_class);
    let Some(parsed) = MessageParser::default().parse(content) else {
        message.set_body_text(&String::from_utf8_lossy(content));
        return message;
    };
    let header_end = parsed.root_part().raw_body_offset() as usize;
    if let Some(headers) = content.get(..header_end.min(content.len())) {
        message.set_tagged(
            tag::TRANSPORT_MESSAGE_HEADERS,
            PropValue::text(clean_text(&String::from_utf8_lossy(headers))),
        );
    }
    message.set_subject(&clean_text(parsed.subject().unwrap_or("")));
    if let Some(date) = parsed.date() {
        let date = date.to_timestamp();
        message.set_times(date, date);
    }
    if let Some(message_id) = parsed.message_id() {
        message.set_tagged(
            tag::INTERNET_MESSAGE_ID,
            PropValue::text(format!("<{}>", clean_text(message_id))),
        );
    }
    if let Some(in_reply_to) = parsed.in_reply_to().as_text() {
        message.set_tagged(
            tag::IN_REPLY_TO_ID,
            PropValue::text(format!("<{}>", clean_text(in_reply_to))),
        );
    }
    if let Some(from) = parsed
        .from()
        .and_then(|from| from.first())
        .and_then(smtp_address)
    {
        message.set_from(&from);
        if let Some(sender) = parsed
            .sender()
            .and_then(|sender| sender.first())
            .and_then(smtp_address)
        {
            crate::model::address::SENDER.write(&mut message.props, &sender);
        }
    }
    for (list, recipient_type) in [
        (parsed.to(), RecipientType::To),
        (parsed.cc(), RecipientType::Cc),
        (parsed.bcc(), RecipientType::Bcc),
    ] {
        for address in list.into_iter().flat_map(|list| list.iter()) {
            if let Some(address) = smtp_address(address) {
                message.add_recipient(&address, recipient_type);
            }
        }
    }
    let reply_to: Vec<Address> = parsed
        .reply_to()
        .into_iter()
        .flat_map(|list| list.iter())
        .filter_map(smtp_address)
        .collect();
    if !reply_to.is_empty() {
        message.set_reply_to(&reply_to);
    }
    if let Some(text) = parsed.text_part(0).filter(|part| !part.is_text_html()) {
        if let Some(text) = text.text_contents() {
            message.set_body_text(text);
        }
    }
    if let Some(html) = parsed.html_part(0).filter(|part| part.is_text_html()) {
        if let Some(html) = html.text_contents() {
            message.set_body_html(Bytes::copy_from_slice(html.as_bytes()));
        }
    }
    let calendar = parsed.parts.iter().find_map(|part| {
        part.content_type()
            .filter(|content_type| {
                content_type.ctype().eq_ignore_ascii_case("text")
                    && content_type
                        .subtype()
                        .is_some_and(|subtype| subtype.eq_ignore_ascii_case("calendar"))
            })
            .and_then(|_| part.text_contents())
    });
    if let Some(calendar) = calendar {
        apply_event(&mut message, calendar);
    }
    for part in parsed.attachments() {
        if let (Some(nested), true) = (part.message(), depth < MAX_DEPTH) {
            let nested = convert(nested.raw_message(), "IPM.Note", depth + 1);
            let name = nested.text(tag::SUBJECT).unwrap_or("").to_string();
            message.add_embedded(&name, nested);
            continue;
        }
        let content_type = part
            .content_type()
            .map(|content_type| match content_type.subtype() {
                Some(subtype) => format!("{}/{subtype}", content_type.ctype()),
                None => content_type.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        if content_type.eq_ignore_ascii_case("text/calendar") && calendar.is_some() {
            continue;
        }
        let name = clean_text(part.attachment_name().unwrap_or("attachment"));
        let data = Blob::from(Bytes::copy_from_slice(part.contents()));
        let attachment = message.add_file_attachment(&name, &content_type, data);
        if let Some(content_id) = part.content_id() {
            attachment.props.insert(
                PropertyKey::Tag(tag::ATTACH_CONTENT_ID),
                PropValue::text(clean_text(content_id)),
            );
        }
    }
    message
}

fn smtp_address(address: &mail_parser::Addr<'_>) -> Option<Address> {
    let email = address.address()?.trim();
    if email.is_empty() {
        return None;
    }
    let name = clean_text(address.name().unwrap_or(email));
    Some(Address::smtp(&name, &clean_text(email)))
}

/// Sets the calendar properties an iCalendar event gives, and its organiser and attendees.
pub fn apply_event(message: &mut Message, calendar: &str) {
    let Some(event) = parse_event(calendar) else {
        return;
    };
    let Some(start) = event.start else {
        return;
    };
    message.set(
        appointment_key(lid::APPOINTMENT_START_WHOLE),
        PropValue::unix_time(start),
    );
    message.set(
        appointment_key(lid::APPOINTMENT_END_WHOLE),
        PropValue::unix_time(event.end.unwrap_or(start + 3600)),
    );
    message.set(
        appointment_key(lid::LOCATION),
        PropValue::text(clean_text(&event.location)),
    );
    message.set(
        appointment_key(lid::RECURRING),
        PropValue::Boolean(event.recurring),
    );
    message.set(
        appointment_key(lid::APPOINTMENT_SUB_TYPE),
        PropValue::Boolean(event.all_day),
    );
    if !event.uid.is_empty() {
        let id = global_object_id(&event.uid);
        for lid in [lid::GLOBAL_OBJECT_ID, lid::CLEAN_GLOBAL_OBJECT_ID] {
            message.set(meeting_key(lid), PropValue::binary(id.clone()));
        }
    }
    if let Some((name, address)) = &event.organizer {
        if message.text(tag::SENT_REPRESENTING_NAME).is_none() {
            let name = if name.is_empty() { address } else { name };
            message.set_from(&Address::smtp(&clean_text(name), address));
        }
    }
    if message.recipients.is_empty() {
        for (name, address, _status, role) in &event.attendees {
            let recipient_type = match role.as_str() {
                "OPT-PARTICIPANT" => RecipientType::Cc,
                "NON-PARTICIPANT" => RecipientType::Bcc,
                _ => RecipientType::To,
            };
            let name = if name.is_empty() { address } else { name };
            message.add_recipient(&Address::smtp(&clean_text(name), address), recipient_type);
        }
    }
}

/// A contact from a vCard.
fn contact_from_card(text: &str) -> Message {
    let card = parse_card(text);
    let mut message = Message::of_class("IPM.Contact");
    let full_name = if card.full_name.is_empty() {
        format!("{} {}", card.given_name, card.surname)
            .trim()
            .to_string()
    } else {
        card.full_name.clone()
    };
    message.set_subject(&clean_text(&full_name));
    for (id, value) in [
        (tag::GIVEN_NAME, &card.given_name),
        (tag::SURNAME, &card.surname),
        (tag::COMPANY_NAME, &card.company),
        (tag::DISPLAY_NAME, &full_name),
        (tag::BUSINESS_TELEPHONE_NUMBER, &card.phone),
    ] {
        if !value.is_empty() {
            message.set_tagged(id, PropValue::text(clean_text(value)));
        }
    }
    for (slot, email) in card.emails.iter().enumerate() {
        set_contact_email(&mut message, slot, &Address::smtp(&full_name, email));
    }
    message
}

fn trim_start(content: &[u8]) -> &[u8] {
    let start = content
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(content.len());
    &content[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Item;

    #[test]
    fn headers_become_properties_and_people() {
        let message = message_from_mime(
            b"From: Ann Lee <ann@example.com>\r\nTo: Bob <bob@example.com>, carol@example.com\r\nCc: dan@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nDate: Tue, 1 Nov 2022 10:00:00 +0000\r\nMessage-ID: <x1@example.com>\r\n\r\nhello\r\n",
            "IPM.Note",
        );
        let item = Item::new(1, message, 0);
        assert_eq!(item.subject(), "Grüße");
        assert_eq!(item.sent(), 1_667_296_800);
        assert_eq!(item.internet_message_id(), Some("<x1@example.com>"));
        assert_eq!(
            item.from().map(|from| from.email),
            Some("ann@example.com".into())
        );
        assert_eq!(item.display_to(), "Bob; carol@example.com");
        assert_eq!(item.display_cc(), "dan@example.com");
        assert_eq!(item.message.text(tag::BODY), Some("hello\r\n"));
    }

    #[test]
    fn attachments_and_nested_messages_become_objects() {
        let content = b"From: a@example.com\r\nSubject: outer\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@example.com\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n";
        let message = message_from_mime(content, "IPM.Note");
        assert_eq!(message.attachments.len(), 2);
        let file = &message.attachments[0];
        assert_eq!(file.file_name(), "a.pdf");
        assert_eq!(
            file.props
                .get(&PropertyKey::Tag(tag::ATTACH_DATA))
                .and_then(PropValue::as_blob)
                .map(Blob::to_bytes),
            Some(Bytes::from_static(&[0, 1, 2, 3]))
        );
        let inner = message.attachments[1].embedded.as_ref().expect("embedded");
        assert_eq!(inner.text(tag::SUBJECT), Some("inner"));
    }

    #[test]
    fn calendar_parts_and_cards_set_their_class_properties() {
        let message = message_from_mime(b"Subject: Standup\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:abc-123\r\nDTSTART:20240102T090000Z\r\nDTEND:20240102T091500Z\r\nLOCATION:Room 42\r\nORGANIZER;CN=Ann:mailto:ann@example.com\r\nATTENDEE;CN=Bob;ROLE=OPT-PARTICIPANT:mailto:bob@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "IPM.Appointment");
        let item = Item::new(1, message, 0);
        let appointment = item.appointment().expect("calendar properties");
        assert_eq!(appointment.start, 1_704_186_000);
        assert_eq!(appointment.location, "Room 42");
        assert_eq!(
            item.recipients(RecipientType::Cc)[0].email,
            "bob@example.com"
        );
        let card = message_from_mime(
            b"BEGIN:VCARD\r\nN:Lee;Ann;;;\r\nEMAIL:ann@example.com\r\nEND:VCARD\r\n",
            "IPM.Contact",
        );
        let contact = Item::new(1, card, 0).contact();
        assert_eq!(contact.given_name, "Ann");
        assert_eq!(
            contact.emails[0].as_ref().map(|email| email.email.as_str()),
            Some("ann@example.com")
        );
        let _ = message_from_mime(b"\x00\xff\xfe garbage", "IPM.Note");
    }
}
