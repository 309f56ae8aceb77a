//! Building items from what clients send (`CreateItem` elements, including the reply and
//! forward response objects, and `UploadItems` data) and the storage checks every import goes
//! through (size limit, quota).

use base64::Engine;
use bytes::Bytes;

use super::context::{resolve_item, OpContext};
use super::item_xml::reply_to;
use super::shape::parse_extended_property;
use super::soap::EwsError;
use crate::mime::clean_text;
use crate::mime::import::message_from_mime;
use crate::model::address::{set_contact_email, Address};
use crate::model::item::default_class_for_element;
use crate::model::tags::{appointment_key, lid, tag, task_key};
use crate::model::{ExtendedProperty, Item, MailboxState, Message, PropValue, RecipientType};
use crate::time::parse_ews;
use crate::xml::Element;

/// Builds an item from a `CreateItem` item element (`t:Message`, `t:CalendarItem`...) or a
/// response object (`t:ReplyToItem`, `t:ReplyAllToItem`, `t:ForwardItem`), which reads the item
/// it answers from `state`.
pub fn item_from_element(
    ctx: &OpContext<'_>,
    state: &MailboxState,
    element: &Element,
    folder: u64,
) -> Result<Item, EwsError> {
    let mut message = match element.name.as_str() {
        "ReplyToItem" | "ReplyAllToItem" | "ForwardItem" => response_to(ctx, state, element)?,
        _ => base_message(element)?,
    };
    apply_properties(&mut message, element)?;
    let mut item = Item::new(folder, message, ctx.now);
    if item.message.tagged(tag::MESSAGE_DELIVERY_TIME).is_none() {
        item.message
            .set_tagged(tag::MESSAGE_DELIVERY_TIME, PropValue::unix_time(ctx.now));
    }
    Ok(item)
}

fn base_message(element: &Element) -> Result<Message, EwsError> {
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
    match element.child("MimeContent") {
        Some(mime) => {
            let text: String = mime.text.split_ascii_whitespace().collect();
            let content = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| {
                    EwsError::new(
                        "ErrorMimeContentInvalidBase64String",
                        "The MIME content is not valid base64.",
                    )
                })?;
            let mut message = message_from_mime(&content, &item_class);
            message.set_tagged(tag::MESSAGE_CLASS, PropValue::text(&item_class));
            Ok(message)
        }
        None => Ok(Message::of_class(&item_class)),
    }
}

/// A reply or forward of the referenced item, addressed as Exchange addresses it: a reply goes
/// to the item's `Reply-To` or else its sender; reply-all adds the other recipients.
fn response_to(
    ctx: &OpContext<'_>,
    state: &MailboxState,
    element: &Element,
) -> Result<Message, EwsError> {
    let reference = element.child("ReferenceItemId").ok_or_else(|| {
        EwsError::new(
            "ErrorInvalidReferenceItem",
            "The response object has no ReferenceItemId.",
        )
    })?;
    let seq = resolve_item(ctx.mailbox, state, reference)?;
    let original = &state.items[&seq];
    let mut message = Message::of_class("IPM.Note");
    let prefix = if element.name == "ForwardItem" {
        "FW: "
    } else {
        "RE: "
    };
    message.set_subject(&format!("{prefix}{}", original.subject()));
    message.set_tagged(tag::MESSAGE_FLAGS, PropValue::Long(0x8)); // unsent
    if let Some(message_id) = original.internet_message_id() {
        message.set_tagged(tag::IN_REPLY_TO_ID, PropValue::text(message_id));
    }
    // A client that names the recipients itself (exchangelib does) gets those, not these.
    let names_recipients = ["ToRecipients", "CcRecipients", "BccRecipients"]
        .iter()
        .any(|name| element.child(name).is_some());
    if element.name != "ForwardItem" && !names_recipients {
        let mut to = reply_to(original);
        if to.is_empty() {
            to.extend(original.from());
        }
        let owner = |address: &Address| {
            address
                .smtp
                .as_deref()
                .is_some_and(|smtp| smtp.eq_ignore_ascii_case(&ctx.mailbox.primary_address))
                || ctx.mailbox.has_exchange_address(&address.email)
        };
        if element.name == "ReplyAllToItem" {
            to.extend(
                original
                    .recipients(RecipientType::To)
                    .into_iter()
                    .filter(|a| !owner(a)),
            );
            for cc in original
                .recipients(RecipientType::Cc)
                .into_iter()
                .filter(|a| !owner(a))
            {
                message.add_recipient(&cc, RecipientType::Cc);
            }
        }
        for address in &to {
            message.add_recipient(address, RecipientType::To);
        }
    }
    let owner = Address::exchange(
        &ctx.mailbox.display_name,
        &ctx.mailbox.legacy_dn,
        Some(&ctx.mailbox.primary_address),
    );
    message.set_from(&owner);
    let quoted = original.message.text(tag::BODY).unwrap_or("").to_string();
    let new_body = element
        .child("NewBodyContent")
        .map(|body| body.text.clone())
        .unwrap_or_default();
    message.set_body_text(&format!("{new_body}\r\n\r\n{quoted}"));
    Ok(message)
}

/// Applies the properties a client set explicitly on a created item.
fn apply_properties(message: &mut Message, element: &Element) -> Result<(), EwsError> {
    for child in &element.children {
        match child.name.as_str() {
            "Subject" => message.set_subject(&clean_text(child.text.trim())),
            "Body" => match child.attr("BodyType") {
                Some("HTML") => message.set_body_html(Bytes::from(child.text.clone())),
                _ => message.set_body_text(&child.text),
            },
            "Importance" => message.set_importance(&checked_token(
                &child.text,
                &["Low", "Normal", "High"],
                "Importance",
            )?),
            "Sensitivity" => message.set_sensitivity(&checked_token(
                &child.text,
                &["Normal", "Personal", "Private", "Confidential"],
                "Sensitivity",
            )?),
            "IsRead" => {
                let flags = message
                    .tagged(tag::MESSAGE_FLAGS)
                    .and_then(PropValue::as_i64)
                    .unwrap_or(0) as i32;
                let flags = if child.trimmed_text() == "true" {
                    flags | 1
                } else {
                    flags & !1
                };
                message.set_tagged(tag::MESSAGE_FLAGS, PropValue::Long(flags));
            }
            "Categories" => message.set_categories(
                child
                    .children_named("String")
                    .map(|string| string.text.clone())
                    .collect(),
            ),
            "ExtendedProperty" => {
                let property = parse_extended_property(child)?;
                set_extended(message, property)?;
            }
            "From" | "Sender" => {
                if let Some(address) = mailbox_address(child) {
                    message.set_from(&address);
                }
            }
            "ToRecipients" | "RequiredAttendees" => {
                add_recipients(message, child, RecipientType::To)
            }
            "CcRecipients" | "OptionalAttendees" => {
                add_recipients(message, child, RecipientType::Cc)
            }
            "BccRecipients" | "Resources" => add_recipients(message, child, RecipientType::Bcc),
            "Start" => message.set(
                appointment_key(lid::APPOINTMENT_START_WHOLE),
                PropValue::unix_time(parse_time(child)?),
            ),
            "End" => message.set(
                appointment_key(lid::APPOINTMENT_END_WHOLE),
                PropValue::unix_time(parse_time(child)?),
            ),
            "Location" => message.set(
                appointment_key(lid::LOCATION),
                PropValue::text(child.text.clone()),
            ),
            "IsAllDayEvent" => message.set(
                appointment_key(lid::APPOINTMENT_SUB_TYPE),
                PropValue::Boolean(child.trimmed_text() == "true"),
            ),
            "GivenName" => message.set_tagged(tag::GIVEN_NAME, PropValue::text(child.text.clone())),
            "Surname" => message.set_tagged(tag::SURNAME, PropValue::text(child.text.clone())),
            "CompanyName" => {
                message.set_tagged(tag::COMPANY_NAME, PropValue::text(child.text.clone()))
            }
            "DisplayName" => {
                message.set_tagged(tag::DISPLAY_NAME, PropValue::text(child.text.clone()))
            }
            "EmailAddresses" => {
                for entry in child.children_named("Entry") {
                    let slot = match entry.attr("Key") {
                        Some("EmailAddress2") => 1,
                        Some("EmailAddress3") => 2,
                        _ => 0,
                    };
                    let address = entry.trimmed_text();
                    let name = message
                        .text(tag::DISPLAY_NAME)
                        .unwrap_or(address)
                        .to_string();
                    set_contact_email(message, slot, &Address::smtp(&name, address));
                }
            }
            "DueDate" => message.set(
                task_key(lid::TASK_DUE_DATE),
                PropValue::unix_time(parse_time(child)?),
            ),
            _ => {}
        }
    }
    Ok(())
}

fn add_recipients(message: &mut Message, list: &Element, recipient_type: RecipientType) {
    for entry in &list.children {
        // Attendees wrap their mailbox in `t:Attendee`.
        let mailbox = if entry.name == "Attendee" {
            entry.child("Mailbox")
        } else {
            Some(entry)
        };
        if let Some(address) = mailbox.and_then(address_of_mailbox) {
            message.add_recipient(&address, recipient_type);
        }
    }
}

fn mailbox_address(holder: &Element) -> Option<Address> {
    holder.child("Mailbox").and_then(address_of_mailbox)
}

fn address_of_mailbox(mailbox: &Element) -> Option<Address> {
    let email = mailbox.child_text("EmailAddress")?.trim().to_string();
    let name = mailbox
        .child_text("Name")
        .map(|name| clean_text(name.trim()))
        .unwrap_or_else(|| email.clone());
    Some(match mailbox.child_text("RoutingType") {
        Some("EX") => Address::exchange(&name, &email, None),
        _ => Address::smtp(&name, &email),
    })
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

/// Sets an extended property on the message, in the type the client declared.
pub fn set_extended(message: &mut Message, property: ExtendedProperty) -> Result<(), EwsError> {
    let value =
        PropValue::from_ews(&property.property_type, &property.values).ok_or_else(|| {
            EwsError::new(
                "ErrorInvalidExtendedPropertyValue",
                format!(
                    "A {} value can't be stored in an extended property.",
                    property.property_type
                ),
            )
        })?;
    message.set(property.key, value);
    Ok(())
}

/// Refuses an item that is too large or that would take the mailbox over its quota.
pub fn check_storage(ctx: &OpContext<'_>, state: &MailboxState, size: u64) -> Result<(), EwsError> {
    crate::transfer::check_storage(ctx.sim, ctx.mailbox, state, size)
        .map_err(|error| EwsError::new(error.code(), error.message()))
}
