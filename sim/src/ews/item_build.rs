//! Building items from what clients send (`CreateItem` elements, `UploadItems` data) and the
//! storage checks every import goes through (size limit, quota).

use base64::Engine;
use bytes::Bytes;

use super::context::OpContext;
use super::shape::parse_extended_property;
use super::soap::EwsError;
use crate::export_stream::ImportedItem;
use crate::mime::{clean_text, summarise};
use crate::model::item::default_class_for_element;
use crate::model::{ExtendedProperty, Item, ItemDetails, MailboxState, PropertyKey};
use crate::time::parse_ews;
use crate::xml::Element;

/// `PidTagMessageDeliveryTime`: setting it on create sets the received time.
const TAG_DELIVERY_TIME: u16 = 0x0E06;
/// `PidTagClientSubmitTime`: setting it on create sets the sent time.
const TAG_SUBMIT_TIME: u16 = 0x0039;
/// `PidTagMessageFlags`: bit 0x1 is the read flag.
const TAG_MESSAGE_FLAGS: u16 = 0x0E07;

/// A new item with no content, to be filled by the builders below.
fn blank_item(folder: u64, item_class: &str, now: i64) -> Item {
    Item {
        seq: 0,
        folder,
        item_class: item_class.to_string(),
        subject: String::new(),
        received: now,
        sent: now,
        created: now,
        modified: now,
        importance: "Normal".into(),
        sensitivity: "Normal".into(),
        is_read: false,
        categories: Vec::new(),
        internet_message_id: None,
        from: None,
        display_to: String::new(),
        has_attachments: false,
        details: ItemDetails::Plain,
        content: Vec::new(),
        extended: Vec::new(),
        created_change: 0,
        last_change: 0,
        digest: Default::default(),
    }
}

/// Builds an item from a `CreateItem` item element (`t:Message`, `t:CalendarItem`...).
pub fn item_from_element(element: &Element, folder: u64, now: i64) -> Result<Item, EwsError> {
    let item_class = element
        .child_text("ItemClass")
        .map(str::to_string)
        .or_else(|| default_class_for_element(&element.name).map(str::to_string))
        .ok_or_else(|| {
            EwsError::new(
                "ErrorInvalidItemForOperationCreateItem",
                format!("'{}' items can't be created.", element.name),
            )
        })?;
    let mut item = blank_item(folder, &item_class, now);
    if let Some(mime) = element.child("MimeContent") {
        let text: String = mime.text.split_ascii_whitespace().collect();
        let content = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| {
                EwsError::new(
                    "ErrorMimeContentInvalidBase64String",
                    "The MIME content is not valid base64.",
                )
            })?;
        apply_mime(&mut item, Bytes::from(content));
    } else {
        let body = element.child("Body");
        let subject = element.child_text("Subject").unwrap_or("");
        let (content_type, text) = match body {
            Some(body) if body.attr("BodyType") == Some("HTML") => {
                ("text/html", body.text.as_str())
            }
            Some(body) => ("text/plain", body.text.as_str()),
            None => ("text/plain", ""),
        };
        let mime = format!(
            "Subject: {}\r\nMIME-Version: 1.0\r\nContent-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}",
            subject.replace(['\r', '\n'], " ")
        );
        item.content = vec![Bytes::from(mime)];
    }
    apply_properties(&mut item, element)?;
    Ok(item)
}

/// Fills an item's properties from its MIME content.
pub fn apply_mime(item: &mut Item, content: Bytes) {
    let summary = summarise(&content);
    item.subject = summary.subject.unwrap_or_default();
    if let Some(date) = summary.date {
        item.sent = date;
    }
    item.internet_message_id = summary.message_id;
    item.from = summary.from;
    item.display_to = summary.display_to;
    item.has_attachments = summary.has_attachments;
    if summary.details != ItemDetails::Plain {
        item.details = summary.details;
    }
    item.content = vec![content];
}

/// Applies the properties a client set explicitly on a created item.
fn apply_properties(item: &mut Item, element: &Element) -> Result<(), EwsError> {
    for child in &element.children {
        match child.name.as_str() {
            "Subject" => item.subject = clean_text(child.text.trim()),
            "Importance" => {
                item.importance =
                    checked_token(&child.text, &["Low", "Normal", "High"], "Importance")?
            }
            "Sensitivity" => {
                item.sensitivity = checked_token(
                    &child.text,
                    &["Normal", "Personal", "Private", "Confidential"],
                    "Sensitivity",
                )?
            }
            "IsRead" => item.is_read = child.trimmed_text() == "true",
            "Categories" => {
                item.categories = child
                    .children_named("String")
                    .map(|string| string.text.clone())
                    .collect()
            }
            "ExtendedProperty" => {
                let property = parse_extended_property(child)?;
                set_extended(item, property);
            }
            "Start" | "End" | "Location" => apply_calendar_field(item, child)?,
            _ => {}
        }
    }
    Ok(())
}

fn apply_calendar_field(item: &mut Item, child: &Element) -> Result<(), EwsError> {
    if !matches!(item.details, ItemDetails::Appointment { .. }) {
        item.details = ItemDetails::Appointment {
            start: item.received,
            end: item.received + 3600,
            location: String::new(),
            is_recurring: false,
            is_all_day: false,
            uid: String::new(),
        };
    }
    if let ItemDetails::Appointment {
        start,
        end,
        location,
        ..
    } = &mut item.details
    {
        match child.name.as_str() {
            "Start" => *start = parse_time(child)?,
            "End" => *end = parse_time(child)?,
            _ => *location = child.text.clone(),
        }
    }
    Ok(())
}

fn parse_time(element: &Element) -> Result<i64, EwsError> {
    parse_ews(&element.text).ok_or_else(|| {
        EwsError::new(
            "ErrorInvalidValueForProperty",
            format!("'{}' is not a valid {}.", element.text.trim(), element.name),
        )
    })
}

fn checked_token(text: &str, allowed: &[&str], name: &str) -> Result<String, EwsError> {
    let value = text.trim();
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(EwsError::new(
            "ErrorInvalidValueForProperty",
            format!("'{value}' is not a valid {name}."),
        ))
    }
}

/// Sets an extended property, mapping the MAPI properties Exchange keeps as item fields
/// (delivery time, submit time, message flags) onto those fields.
pub fn set_extended(item: &mut Item, property: ExtendedProperty) {
    let first = property.values.first().cloned().unwrap_or_default();
    match property.key {
        PropertyKey::Tag(TAG_DELIVERY_TIME) => {
            if let Some(time) = parse_ews(&first) {
                item.received = time;
            }
        }
        PropertyKey::Tag(TAG_SUBMIT_TIME) => {
            if let Some(time) = parse_ews(&first) {
                item.sent = time;
            }
        }
        PropertyKey::Tag(TAG_MESSAGE_FLAGS) => {
            if let Ok(flags) = first.parse::<i64>() {
                item.is_read = flags & 1 != 0;
            }
        }
        _ => {
            item.extended
                .retain(|existing| existing.key != property.key);
            item.extended.push(property);
        }
    }
}

/// Builds an item from `UploadItems` data.
pub fn item_from_upload(imported: ImportedItem, raw: Bytes, folder: u64, now: i64) -> Item {
    let mut item = blank_item(
        folder,
        imported.item_class.as_deref().unwrap_or("IPM.Note"),
        now,
    );
    item.subject = imported.subject.unwrap_or_default();
    item.received = imported.received.unwrap_or(now);
    item.sent = imported.sent.unwrap_or(item.received);
    item.importance = imported.importance.unwrap_or_else(|| "Normal".into());
    item.sensitivity = imported.sensitivity.unwrap_or_else(|| "Normal".into());
    item.is_read = imported.is_read;
    item.has_attachments = imported.has_attachments;
    item.categories = imported.categories;
    item.internet_message_id = imported.internet_message_id;
    item.from = imported.from;
    item.display_to = imported.display_to.unwrap_or_default();
    item.details = imported.details;
    item.extended = imported.extended;
    // Data the simulator did not write (recorded from Exchange) is kept whole as the content.
    item.content = vec![imported.mime.unwrap_or(raw)];
    item
}

/// Refuses an item that is too large or that would take the mailbox over its quota.
pub fn check_storage(ctx: &OpContext<'_>, state: &MailboxState, size: u64) -> Result<(), EwsError> {
    let limit = ctx.sim.config.limits.max_item_bytes;
    if size > limit {
        ctx.count("storage.item_too_large");
        return Err(EwsError::new(
            "ErrorMessageSizeExceeded",
            format!("The message exceeds the maximum supported size of {limit} bytes."),
        ));
    }
    if state.used_bytes.saturating_add(size) > ctx.mailbox.quota() {
        ctx.count("storage.quota_exceeded");
        return Err(EwsError::new(
            "ErrorQuotaExceeded",
            "The mailbox quota has been exceeded.",
        ));
    }
    Ok(())
}
