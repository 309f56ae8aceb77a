//! Items as EWS writes them: the element for the item's class, properties in schema order,
//! filtered by the requested shape, every one read off the item's store model (people, bodies,
//! attachments and MIME content included).

use super::context::{folder_id_attrs, item_id_attrs, OpContext};
use super::shape::{BaseShape, Shape};
use crate::ids::ObjectId;
use crate::mime::render::{render, Directory};
use crate::model::address::Address;
use crate::model::tags::tag;
use crate::model::{Attachment, Item, MailboxState, PropValue, PropertyKey, RecipientType};
use crate::time::format_ews;
use crate::xml::XmlWriter;

/// Writes one item element (`t:Message`, `t:CalendarItem`...).
pub fn write_item(
    ctx: &OpContext<'_>,
    state: &MailboxState,
    item: &Item,
    shape: &Shape,
    writer: &mut XmlWriter,
) {
    let element = item.element_name();
    let wants = |uri: &str, level: BaseShape| shape.wants(uri, level);
    writer.open(element, &[]);
    if shape.include_mime {
        let tenant = ctx.tenant();
        let smtp_of = |legacy_dn: &str| {
            tenant
                .mailbox_by_exchange_address(legacy_dn)
                .map(|mailbox| mailbox.primary_address.clone())
        };
        let directory = Directory {
            smtp_of_exchange: &smtp_of,
            domain: &tenant.domain,
        };
        writer.open("t:MimeContent", &[("CharacterSet", "UTF-8")]);
        writer.base64(&render(item, &directory));
        writer.close("t:MimeContent");
    }
    let (id, change_key) = item_id_attrs(ctx.mailbox, item.seq, item.last_change);
    writer.empty("t:ItemId", &[("Id", &id), ("ChangeKey", &change_key)]);
    if wants("item:ParentFolderId", BaseShape::Default) {
        let (folder_id, folder_key) = folder_id_attrs(ctx.mailbox, state, item.folder);
        writer.empty(
            "t:ParentFolderId",
            &[("Id", &folder_id), ("ChangeKey", &folder_key)],
        );
    }
    if wants("item:ItemClass", BaseShape::Default) {
        writer.leaf("t:ItemClass", item.item_class());
    }
    if wants("item:Subject", BaseShape::Default) {
        ctx.text_leaf(writer, "t:Subject", item.subject());
    }
    if wants("item:Sensitivity", BaseShape::Default) {
        writer.leaf("t:Sensitivity", item.sensitivity());
    }
    if shape.fields.contains("item:Body") {
        write_body(ctx, item, writer);
    }
    if shape.fields.contains("item:Attachments") {
        write_attachments(ctx, item, writer);
    }
    if wants("item:DateTimeReceived", BaseShape::Default) {
        writer.leaf("t:DateTimeReceived", &format_ews(item.received()));
    }
    if wants("item:Size", BaseShape::Default) {
        writer.leaf("t:Size", &item.size().min(i32::MAX as u64).to_string());
    }
    let categories = item.categories();
    if wants("item:Categories", BaseShape::AllProperties) && !categories.is_empty() {
        writer.open("t:Categories", &[]);
        for category in &categories {
            writer.leaf("t:String", category);
        }
        writer.close("t:Categories");
    }
    if wants("item:Importance", BaseShape::Default) {
        writer.leaf("t:Importance", item.importance());
    }
    if wants("item:DateTimeSent", BaseShape::Default) {
        writer.leaf("t:DateTimeSent", &format_ews(item.sent()));
    }
    if wants("item:DateTimeCreated", BaseShape::Default) {
        writer.leaf("t:DateTimeCreated", &format_ews(item.created));
    }
    if wants("item:DisplayCc", BaseShape::AllProperties) {
        ctx.text_leaf(writer, "t:DisplayCc", &item.display_cc());
    }
    if wants("item:DisplayTo", BaseShape::AllProperties) {
        ctx.text_leaf(writer, "t:DisplayTo", &item.display_to());
    }
    if wants("item:HasAttachments", BaseShape::Default) {
        writer.leaf("t:HasAttachments", bool_text(item.has_attachments()));
    }
    for path in &shape.extended {
        if let Some(property) = item.extended(&path.key) {
            writer.open("t:ExtendedProperty", &[]);
            let attrs: Vec<(&str, &str)> = path
                .attrs
                .iter()
                .map(|(key, value)| (key.as_str(), value.as_str()))
                .collect();
            writer.empty("t:ExtendedFieldURI", &attrs);
            if property.is_array() {
                writer.open("t:Values", &[]);
                for value in &property.values {
                    writer.leaf("t:Value", value);
                }
                writer.close("t:Values");
            } else {
                writer.leaf(
                    "t:Value",
                    property.values.first().map(String::as_str).unwrap_or(""),
                );
            }
            writer.close("t:ExtendedProperty");
        }
    }
    if wants("item:Culture", BaseShape::AllProperties) {
        writer.leaf("t:Culture", ctx.mailbox.locale.culture());
    }
    if wants("item:LastModifiedTime", BaseShape::Default) {
        writer.leaf("t:LastModifiedTime", &format_ews(item.modified));
    }
    match element {
        "t:Message" => write_message_fields(ctx, item, shape, writer),
        "t:MeetingResponse" => {
            write_message_fields(ctx, item, shape, writer);
            if let Some(appointment) = item.appointment() {
                if wants("meeting:UID", BaseShape::AllProperties) && !appointment.uid.is_empty() {
                    writer.leaf("t:UID", &appointment.uid);
                }
                if wants("calendar:Start", BaseShape::Default) {
                    writer.leaf("t:Start", &format_ews(appointment.start));
                }
                if wants("calendar:End", BaseShape::Default) {
                    writer.leaf("t:End", &format_ews(appointment.end));
                }
            }
        }
        "t:PostItem" => {
            if wants("postitem:From", BaseShape::Default) || shape.fields.contains("message:From") {
                write_single(ctx, writer, "t:From", item.from());
            }
            if wants("message:InternetMessageId", BaseShape::AllProperties) {
                if let Some(message_id) = item.internet_message_id() {
                    writer.leaf("t:InternetMessageId", message_id);
                }
            }
            if wants("message:IsRead", BaseShape::Default) {
                writer.leaf("t:IsRead", bool_text(item.is_read()));
            }
            if wants("postitem:PostedTime", BaseShape::Default) {
                writer.leaf("t:PostedTime", &format_ews(item.sent()));
            }
        }
        "t:CalendarItem" => write_calendar_fields(ctx, item, shape, writer),
        "t:Contact" => write_contact_fields(ctx, item, shape, writer),
        "t:Task" => write_task_fields(item, shape, writer),
        _ => {}
    }
    writer.close(element);
}

fn write_message_fields(ctx: &OpContext<'_>, item: &Item, shape: &Shape, writer: &mut XmlWriter) {
    let wants = |uri: &str, level: BaseShape| shape.wants(uri, level);
    if wants("message:Sender", BaseShape::AllProperties) {
        write_single(ctx, writer, "t:Sender", item.sender());
    }
    for (uri, element, recipient_type) in [
        ("message:ToRecipients", "t:ToRecipients", RecipientType::To),
        ("message:CcRecipients", "t:CcRecipients", RecipientType::Cc),
        (
            "message:BccRecipients",
            "t:BccRecipients",
            RecipientType::Bcc,
        ),
    ] {
        let recipients = item.recipients(recipient_type);
        if wants(uri, BaseShape::AllProperties) && !recipients.is_empty() {
            writer.open(element, &[]);
            for recipient in &recipients {
                write_mailbox(ctx, writer, recipient);
            }
            writer.close(element);
        }
    }
    if wants("message:From", BaseShape::Default) {
        write_single(ctx, writer, "t:From", item.from());
    }
    if wants("message:InternetMessageId", BaseShape::AllProperties) {
        if let Some(message_id) = item.internet_message_id() {
            writer.leaf("t:InternetMessageId", message_id);
        }
    }
    if wants("message:IsRead", BaseShape::Default) {
        writer.leaf("t:IsRead", bool_text(item.is_read()));
    }
    let reply_to = reply_to(item);
    if wants("message:ReplyTo", BaseShape::AllProperties) && !reply_to.is_empty() {
        writer.open("t:ReplyTo", &[]);
        for address in &reply_to {
            write_mailbox(ctx, writer, address);
        }
        writer.close("t:ReplyTo");
    }
    if wants("message:ReceivedBy", BaseShape::AllProperties) {
        write_single(
            ctx,
            writer,
            "t:ReceivedBy",
            crate::model::address::RECEIVED_BY.read(&item.message.props),
        );
    }
}

/// The `Reply-To` addresses (`PidTagReplyRecipientEntries`).
pub fn reply_to(item: &Item) -> Vec<Address> {
    let Some(list) = item
        .message
        .tagged(tag::REPLY_RECIPIENT_ENTRIES)
        .and_then(PropValue::as_blob)
    else {
        return Vec::new();
    };
    crate::model::address::parse_flat_entry_list(&list.to_bytes())
        .iter()
        .filter_map(|id| crate::model::address::parse_entry_id(id))
        .map(|(address_type, email, name)| Address {
            smtp: (!address_type.eq_ignore_ascii_case("EX")).then(|| email.clone()),
            name,
            address_type,
            email,
        })
        .collect()
}

fn write_calendar_fields(ctx: &OpContext<'_>, item: &Item, shape: &Shape, writer: &mut XmlWriter) {
    let wants = |uri: &str, level: BaseShape| shape.wants(uri, level);
    let Some(appointment) = item.appointment() else {
        return;
    };
    if wants("calendar:UID", BaseShape::AllProperties) && !appointment.uid.is_empty() {
        writer.leaf("t:UID", &appointment.uid);
    }
    if wants("calendar:Start", BaseShape::Default) {
        writer.leaf("t:Start", &format_ews(appointment.start));
    }
    if wants("calendar:End", BaseShape::Default) {
        writer.leaf("t:End", &format_ews(appointment.end));
    }
    if wants("calendar:IsAllDayEvent", BaseShape::Default) {
        writer.leaf("t:IsAllDayEvent", bool_text(appointment.is_all_day));
    }
    if wants("calendar:Location", BaseShape::Default) {
        writer.leaf("t:Location", &appointment.location);
    }
    let is_meeting = !item.message.recipients.is_empty();
    if wants("calendar:IsMeeting", BaseShape::AllProperties) {
        writer.leaf("t:IsMeeting", bool_text(is_meeting));
    }
    if wants("calendar:IsRecurring", BaseShape::Default) {
        writer.leaf("t:IsRecurring", bool_text(appointment.is_recurring));
    }
    if wants("calendar:Organizer", BaseShape::Default) {
        write_single(ctx, writer, "t:Organizer", item.from());
    }
    for (uri, element, recipient_type) in [
        (
            "calendar:RequiredAttendees",
            "t:RequiredAttendees",
            RecipientType::To,
        ),
        (
            "calendar:OptionalAttendees",
            "t:OptionalAttendees",
            RecipientType::Cc,
        ),
        ("calendar:Resources", "t:Resources", RecipientType::Bcc),
    ] {
        let attendees: Vec<_> = item
            .message
            .recipients
            .iter()
            .filter(|recipient| recipient.recipient_type() == recipient_type)
            .collect();
        if wants(uri, BaseShape::AllProperties) && !attendees.is_empty() {
            writer.open(element, &[]);
            for attendee in attendees {
                writer.open("t:Attendee", &[]);
                write_mailbox(ctx, writer, &attendee.address());
                let response = match attendee
                    .props
                    .get(&PropertyKey::Tag(tag::RECIPIENT_TRACK_STATUS))
                    .and_then(PropValue::as_i64)
                {
                    Some(1) => "Organizer",
                    Some(2) => "Tentative",
                    Some(3) => "Accept",
                    Some(4) => "Decline",
                    Some(5) => "NoResponseReceived",
                    _ => "Unknown",
                };
                writer.leaf("t:ResponseType", response);
                writer.close("t:Attendee");
            }
            writer.close(element);
        }
    }
}

fn write_contact_fields(ctx: &OpContext<'_>, item: &Item, shape: &Shape, writer: &mut XmlWriter) {
    let wants = |uri: &str, level: BaseShape| shape.wants(uri, level);
    let contact = item.contact();
    let display_name = if contact.display_name.is_empty() {
        format!("{} {}", contact.given_name, contact.surname)
            .trim()
            .to_string()
    } else {
        contact.display_name.clone()
    };
    if wants("contacts:DisplayName", BaseShape::Default) {
        writer.leaf("t:DisplayName", &display_name);
    }
    if wants("contacts:GivenName", BaseShape::Default) {
        writer.leaf("t:GivenName", &contact.given_name);
    }
    if wants("contacts:CompanyName", BaseShape::Default) && !contact.company.is_empty() {
        writer.leaf("t:CompanyName", &contact.company);
    }
    let emails: Vec<(usize, Address)> = contact
        .emails
        .iter()
        .enumerate()
        .filter_map(|(slot, email)| email.clone().map(|email| (slot, email)))
        .collect();
    if wants("contacts:EmailAddresses", BaseShape::Default) && !emails.is_empty() {
        writer.open("t:EmailAddresses", &[]);
        for (slot, email) in &emails {
            let key = format!("EmailAddress{}", slot + 1);
            let shown = shown_address(ctx, email).0;
            writer.leaf_with("t:Entry", &[("Key", &key)], &shown);
        }
        writer.close("t:EmailAddresses");
    }
    if wants("contacts:Surname", BaseShape::Default) {
        writer.leaf("t:Surname", &contact.surname);
    }
}

fn write_task_fields(item: &Item, shape: &Shape, writer: &mut XmlWriter) {
    let wants = |uri: &str, level: BaseShape| shape.wants(uri, level);
    let task = item.task();
    if let Some(delegator) = &task.delegator {
        if wants("task:Delegator", BaseShape::AllProperties) {
            writer.leaf("t:Delegator", delegator);
        }
    }
    if let Some(due) = task.due {
        if wants("task:DueDate", BaseShape::Default) {
            writer.leaf("t:DueDate", &format_ews(due));
        }
    }
    if let Some(owner) = &task.owner {
        if wants("task:Owner", BaseShape::AllProperties) {
            writer.leaf("t:Owner", owner);
        }
    }
    if wants("task:PercentComplete", BaseShape::Default) {
        writer.leaf("t:PercentComplete", &task.percent_complete.to_string());
    }
    if wants("task:Status", BaseShape::Default) {
        writer.leaf("t:Status", task.status);
    }
}

fn write_body(ctx: &OpContext<'_>, item: &Item, writer: &mut XmlWriter) {
    let html = item
        .message
        .tagged(tag::HTML)
        .and_then(PropValue::as_blob)
        .map(|blob| String::from_utf8_lossy(&blob.to_bytes()).into_owned());
    match html {
        Some(html) => {
            writer.open("t:Body", &[("BodyType", "HTML")]);
            writer.text(&crate::mime::clean_text(&html));
        }
        None => {
            writer.open("t:Body", &[("BodyType", "Text")]);
            writer.text(&crate::mime::clean_text(
                item.message.text(tag::BODY).unwrap_or(""),
            ));
        }
    }
    if ctx.poison_text {
        writer.raw("&#x0;");
    }
    writer.close("t:Body");
}

fn write_attachments(ctx: &OpContext<'_>, item: &Item, writer: &mut XmlWriter) {
    let visible: Vec<(usize, &Attachment)> = item
        .message
        .attachments
        .iter()
        .enumerate()
        .filter(|(_, attachment)| !attachment.is_hidden())
        .collect();
    if visible.is_empty() {
        return;
    }
    writer.open("t:Attachments", &[]);
    for (index, attachment) in visible {
        let element = if attachment.embedded.is_some() {
            "t:ItemAttachment"
        } else {
            "t:FileAttachment"
        };
        writer.open(element, &[]);
        let id = ObjectId::attachment(ctx.mailbox.guid, item.seq, index as u16).encode();
        writer.empty("t:AttachmentId", &[("Id", &id)]);
        writer.leaf("t:Name", attachment.file_name());
        let text = |id: u16| {
            attachment
                .props
                .get(&PropertyKey::Tag(id))
                .and_then(PropValue::as_text)
        };
        if let Some(mime_type) = text(tag::ATTACH_MIME_TAG) {
            writer.leaf("t:ContentType", mime_type);
        }
        if let Some(content_id) = text(tag::ATTACH_CONTENT_ID) {
            writer.leaf("t:ContentId", content_id);
        }
        writer.leaf(
            "t:Size",
            &attachment.size().min(i32::MAX as u64).to_string(),
        );
        writer.leaf("t:IsInline", "false");
        if attachment.embedded.is_none() {
            writer.leaf("t:IsContactPhoto", "false");
        }
        writer.close(element);
    }
    writer.close("t:Attachments");
}

fn write_single(
    ctx: &OpContext<'_>,
    writer: &mut XmlWriter,
    element: &str,
    address: Option<Address>,
) {
    if let Some(address) = address {
        writer.open(element, &[]);
        write_mailbox(ctx, writer, &address);
        writer.close(element);
    }
}

/// The address EWS shows and its mailbox type: an `EX` address the directory resolves is shown
/// as the mailbox's SMTP address (`Mailbox`); one it does not know stays `EX` (`OneOff`), as
/// Exchange shows people of another organisation.
fn shown_address(ctx: &OpContext<'_>, address: &Address) -> (String, &'static str, &'static str) {
    let tenant = ctx.tenant();
    if address.is_exchange() {
        return match tenant.mailbox_by_exchange_address(&address.email) {
            Some(mailbox) => (mailbox.primary_address.clone(), "SMTP", "Mailbox"),
            None => (address.email.clone(), "EX", "OneOff"),
        };
    }
    let kind = if tenant.mailbox_by_address(&address.email).is_some() {
        "Mailbox"
    } else {
        "OneOff"
    };
    (address.email.clone(), "SMTP", kind)
}

fn write_mailbox(ctx: &OpContext<'_>, writer: &mut XmlWriter, address: &Address) {
    writer.open("t:Mailbox", &[]);
    ctx.text_leaf(writer, "t:Name", &address.name);
    if !address.email.is_empty() {
        let (email, routing_type, mailbox_type) = shown_address(ctx, address);
        writer.leaf("t:EmailAddress", &email);
        writer.leaf("t:RoutingType", routing_type);
        writer.leaf("t:MailboxType", mailbox_type);
    }
    writer.close("t:Mailbox");
}

fn bool_text(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}
