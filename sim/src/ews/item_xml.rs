//! Items as EWS writes them: the element for the item's class, properties in schema order,
//! filtered by the requested shape.

use super::context::{folder_id_attrs, item_id_attrs, OpContext};
use super::shape::{BaseShape, Shape};
use crate::model::{Item, ItemDetails, MailboxState, Person};
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
        writer.open("t:MimeContent", &[("CharacterSet", "UTF-8")]);
        writer.base64(&item.content);
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
        writer.leaf("t:ItemClass", &item.item_class);
    }
    if wants("item:Subject", BaseShape::Default) {
        ctx.text_leaf(writer, "t:Subject", &item.subject);
    }
    if wants("item:Sensitivity", BaseShape::Default) {
        writer.leaf("t:Sensitivity", &item.sensitivity);
    }
    if wants("item:DateTimeReceived", BaseShape::Default) {
        writer.leaf("t:DateTimeReceived", &format_ews(item.received));
    }
    if wants("item:Size", BaseShape::Default) {
        writer.leaf("t:Size", &item.size().min(i32::MAX as u64).to_string());
    }
    if wants("item:Categories", BaseShape::AllProperties) && !item.categories.is_empty() {
        writer.open("t:Categories", &[]);
        for category in &item.categories {
            writer.leaf("t:String", category);
        }
        writer.close("t:Categories");
    }
    if wants("item:Importance", BaseShape::Default) {
        writer.leaf("t:Importance", &item.importance);
    }
    if wants("item:DateTimeSent", BaseShape::Default) {
        writer.leaf("t:DateTimeSent", &format_ews(item.sent));
    }
    if wants("item:DateTimeCreated", BaseShape::Default) {
        writer.leaf("t:DateTimeCreated", &format_ews(item.created));
    }
    if wants("item:DisplayTo", BaseShape::AllProperties) {
        writer.leaf("t:DisplayTo", &item.display_to);
    }
    if wants("item:HasAttachments", BaseShape::Default) {
        writer.leaf("t:HasAttachments", bool_text(item.has_attachments));
    }
    for path in &shape.extended {
        if let Some(property) = item.extended.iter().find(|property| path.matches(property)) {
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
        "t:Message" | "t:MeetingResponse" => write_message_fields(ctx, item, shape, writer),
        "t:PostItem" => {
            write_from(ctx, item, shape, writer, "postitem:From");
            if wants("message:InternetMessageId", BaseShape::AllProperties) {
                if let Some(message_id) = &item.internet_message_id {
                    writer.leaf("t:InternetMessageId", message_id);
                }
            }
            if wants("message:IsRead", BaseShape::Default) {
                writer.leaf("t:IsRead", bool_text(item.is_read));
            }
            if wants("postitem:PostedTime", BaseShape::Default) {
                writer.leaf("t:PostedTime", &format_ews(item.sent));
            }
        }
        _ => write_details(item, shape, writer),
    }
    writer.close(element);
}

fn write_message_fields(ctx: &OpContext<'_>, item: &Item, shape: &Shape, writer: &mut XmlWriter) {
    write_from(ctx, item, shape, writer, "message:From");
    if shape.wants("message:InternetMessageId", BaseShape::AllProperties) {
        if let Some(message_id) = &item.internet_message_id {
            writer.leaf("t:InternetMessageId", message_id);
        }
    }
    if shape.wants("message:IsRead", BaseShape::Default) {
        writer.leaf("t:IsRead", bool_text(item.is_read));
    }
}

fn write_from(ctx: &OpContext<'_>, item: &Item, shape: &Shape, writer: &mut XmlWriter, uri: &str) {
    if let Some(from) = &item.from {
        if shape.wants(uri, BaseShape::Default) || shape.fields.contains("message:From") {
            writer.open("t:From", &[]);
            write_mailbox(ctx, writer, from);
            writer.close("t:From");
        }
    }
}

fn write_mailbox(ctx: &OpContext<'_>, writer: &mut XmlWriter, person: &Person) {
    writer.open("t:Mailbox", &[]);
    ctx.text_leaf(writer, "t:Name", &person.name);
    if !person.address.is_empty() {
        writer.leaf("t:EmailAddress", &person.address);
        writer.leaf("t:RoutingType", "SMTP");
    }
    writer.leaf("t:MailboxType", "OneOff");
    writer.close("t:Mailbox");
}

fn write_details(item: &Item, shape: &Shape, writer: &mut XmlWriter) {
    let wants = |uri: &str, level: BaseShape| shape.wants(uri, level);
    match &item.details {
        ItemDetails::Appointment {
            start,
            end,
            location,
            is_recurring,
            is_all_day,
            uid,
        } => {
            if wants("calendar:UID", BaseShape::AllProperties) && !uid.is_empty() {
                writer.leaf("t:UID", uid);
            }
            if wants("calendar:Start", BaseShape::Default) {
                writer.leaf("t:Start", &format_ews(*start));
            }
            if wants("calendar:End", BaseShape::Default) {
                writer.leaf("t:End", &format_ews(*end));
            }
            if wants("calendar:IsAllDayEvent", BaseShape::Default) {
                writer.leaf("t:IsAllDayEvent", bool_text(*is_all_day));
            }
            if wants("calendar:Location", BaseShape::Default) {
                writer.leaf("t:Location", location);
            }
            if wants("calendar:IsRecurring", BaseShape::Default) {
                writer.leaf("t:IsRecurring", bool_text(*is_recurring));
            }
        }
        ItemDetails::Contact {
            given_name,
            surname,
            company,
            email,
        } => {
            if wants("contacts:DisplayName", BaseShape::Default) {
                writer.leaf("t:DisplayName", format!("{given_name} {surname}").trim());
            }
            if wants("contacts:GivenName", BaseShape::Default) {
                writer.leaf("t:GivenName", given_name);
            }
            if wants("contacts:CompanyName", BaseShape::Default) && !company.is_empty() {
                writer.leaf("t:CompanyName", company);
            }
            if wants("contacts:EmailAddresses", BaseShape::Default) && !email.is_empty() {
                writer.open("t:EmailAddresses", &[]);
                writer.leaf_with("t:Entry", &[("Key", "EmailAddress1")], email);
                writer.close("t:EmailAddresses");
            }
            if wants("contacts:Surname", BaseShape::Default) {
                writer.leaf("t:Surname", surname);
            }
        }
        ItemDetails::Task {
            due,
            status,
            percent_complete,
        } => {
            if let Some(due) = due {
                if wants("task:DueDate", BaseShape::Default) {
                    writer.leaf("t:DueDate", &format_ews(*due));
                }
            }
            if wants("task:PercentComplete", BaseShape::Default) {
                writer.leaf("t:PercentComplete", &percent_complete.to_string());
            }
            if wants("task:Status", BaseShape::Default) {
                writer.leaf("t:Status", status);
            }
        }
        ItemDetails::Plain => {}
    }
}

fn bool_text(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}
