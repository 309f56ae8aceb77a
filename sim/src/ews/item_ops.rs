//! Item operations: `FindItem`, `GetItem`, `CreateItem`, `UpdateItem`, `DeleteItem`.

use std::cmp::Ordering;

use super::context::{item_id_attrs, resolve_folder, resolve_item, OpContext};
use super::folder_ops::required;
use super::item_build::{check_storage, item_from_element, set_extended};
use super::item_xml::write_item;
use super::paging::Paging;
use super::restriction::Restriction;
use super::shape::{parse_extended_property, ExtendedFieldPath, Shape};
use super::soap::{error_message, response_end, response_start, success_start, EwsError};
use super::OpError;
use crate::model::{Item, MailboxState, WellKnownFolder};
use crate::xml::{Element, XmlWriter};

/// `FindItem`: the items of each parent folder, filtered, sorted and paged.
pub fn find_item(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let shape = Shape::parse(required(request, "ItemShape")?)?;
    let traversal = request.attr("Traversal").unwrap_or("Shallow");
    if !matches!(traversal, "Shallow" | "Associated") {
        return Err(EwsError::new(
            "ErrorInvalidRequest",
            format!("FindItem traversal '{traversal}' is not supported."),
        )
        .into());
    }
    for unsupported in [
        "FractionalPageItemView",
        "CalendarView",
        "ContactsView",
        "GroupBy",
        "DistinguishedGroupBy",
        "QueryString",
        "SeekToConditionPageItemView",
    ] {
        if request.child(unsupported).is_some() {
            return Err(EwsError::new(
                "ErrorInvalidRequest",
                format!("The simulator does not support {unsupported} in FindItem."),
            )
            .into());
        }
    }
    let paging = Paging::parse(
        request.child("IndexedPageItemView"),
        ctx.sim.config.limits.max_page_size,
    )?;
    let restriction = request
        .child("Restriction")
        .map(Restriction::parse::<Item>)
        .transpose()?;
    let sort = SortOrder::parse(request.child("SortOrder"))?;
    let parents = required(request, "ParentFolderIds")?;
    let state = ctx.mailbox.lock();
    response_start(writer, "FindItem");
    for parent in &parents.children {
        let folder = match resolve_folder(ctx.mailbox, &state, parent) {
            Ok(seq) => seq,
            Err(error) => {
                error_message(writer, "m:FindItemResponseMessage", &error);
                continue;
            }
        };
        if shape.include_mime {
            error_message(
                writer,
                "m:FindItemResponseMessage",
                &EwsError::new(
                    "ErrorInvalidPropertyRequest",
                    "The property MimeContent can't be used in FindItem requests.",
                ),
            );
            continue;
        }
        let mut matching: Vec<&Item> = if traversal == "Associated" {
            Vec::new()
        } else {
            state.folders[&folder]
                .items
                .iter()
                .rev()
                .filter_map(|(_, seq)| state.items.get(seq))
                .filter(|item| {
                    restriction
                        .as_ref()
                        .is_none_or(|restriction| restriction.matches(*item))
                })
                .collect()
        };
        sort.apply(&mut matching);
        let page = paging.select(matching.len());
        success_start(writer, "m:FindItemResponseMessage");
        page.open_root_folder(writer);
        writer.open("t:Items", &[]);
        for item in &matching[page.start..page.end] {
            write_item(ctx, &state, item, &shape, writer);
        }
        writer.close("t:Items");
        writer.close("m:RootFolder");
        writer.close("m:FindItemResponseMessage");
    }
    response_end(writer, "FindItem");
    Ok(())
}

/// `GetItem`: one response message per id.
pub fn get_item(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let shape = Shape::parse(required(request, "ItemShape")?)?;
    let ids = required(request, "ItemIds")?;
    let mut state = ctx.mailbox.lock();
    response_start(writer, "GetItem");
    for id in &ids.children {
        match read_item(ctx, &mut state, id) {
            Ok(seq) => {
                success_start(writer, "m:GetItemResponseMessage");
                writer.open("m:Items", &[]);
                write_item(ctx, &state, &state.items[&seq], &shape, writer);
                writer.close("m:Items");
                writer.close("m:GetItemResponseMessage");
            }
            Err(error) => error_message(writer, "m:GetItemResponseMessage", &error),
        }
    }
    response_end(writer, "GetItem");
    Ok(())
}

/// Resolves an item that is about to be read, letting the item-vanishes fault delete it first
/// (its owner deleted it while the migration ran).
pub fn read_item(
    ctx: &OpContext<'_>,
    state: &mut MailboxState,
    id: &Element,
) -> Result<u64, EwsError> {
    let seq = resolve_item(ctx.mailbox, state, id)?;
    if crate::transfer::vanishes_before_read(ctx.sim, ctx.mailbox, state, seq, ctx.faults_apply) {
        return Err(EwsError::item_not_found());
    }
    Ok(seq)
}

/// `CreateItem`: saves items (from MIME or properties) in the target folder.
pub fn create_item(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let items = required(request, "Items")?;
    let disposition = request.attr("MessageDisposition");
    if matches!(disposition, Some("SendOnly" | "SendAndSaveCopy")) {
        return Err(EwsError::new(
            "ErrorInvalidRequest",
            "The simulator saves items but does not send mail; use MessageDisposition=\"SaveOnly\".",
        )
        .into());
    }
    let mut state = ctx.mailbox.lock();
    let target = match request.child("SavedItemFolderId") {
        Some(element) => resolve_folder(ctx.mailbox, &state, element),
        None => Ok(state.well_known_folder(WellKnownFolder::Drafts)),
    };
    let built: Vec<Result<Item, EwsError>> = items
        .children
        .iter()
        .map(|element| {
            let folder = target.clone()?;
            let is_message = matches!(
                element.name.as_str(),
                "Message" | "ReplyToItem" | "ReplyAllToItem" | "ForwardItem"
            );
            if is_message && disposition.is_none() {
                return Err(EwsError::new(
                    "ErrorInvalidRequest",
                    "MessageDisposition is required when creating messages.",
                ));
            }
            item_from_element(ctx, &state, element, folder)
        })
        .collect();
    let total: u64 = built.iter().flatten().map(Item::size).sum();
    ctx.sim
        .throttle
        .admit_import(ctx.mailbox.guid, total, built.len())
        .map_err(OpError::Throttled)?;
    response_start(writer, "CreateItem");
    for result in built {
        let stored = result.and_then(|item| {
            check_storage(ctx, &state, item.size())?;
            Ok(state.insert_item(item))
        });
        match stored {
            Ok(seq) => {
                ctx.count("import.items");
                success_start(writer, "m:CreateItemResponseMessage");
                write_item_id(ctx, &state, seq, writer);
                writer.close("m:CreateItemResponseMessage");
            }
            Err(error) => error_message(writer, "m:CreateItemResponseMessage", &error),
        }
    }
    response_end(writer, "CreateItem");
    Ok(())
}

/// `UpdateItem`: sets or deletes properties (extended properties, subject, read flag...).
pub fn update_item(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let changes = required(request, "ItemChanges")?;
    let never_overwrite = request.attr("ConflictResolution") == Some("NeverOverwrite");
    let mut state = ctx.mailbox.lock();
    response_start(writer, "UpdateItem");
    for change in changes.children_named("ItemChange") {
        let result = change
            .child("ItemId")
            .ok_or_else(|| EwsError::new("ErrorInvalidRequest", "The item change has no ItemId."))
            .and_then(|id| {
                let seq = resolve_item(ctx.mailbox, &state, id)?;
                let current = crate::ids::change_key(state.items[&seq].last_change);
                if never_overwrite && id.attr("ChangeKey").is_some_and(|key| key != current) {
                    return Err(EwsError::new(
                        "ErrorIrresolvableConflict",
                        "The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.",
                    ));
                }
                let updates = change
                    .child("Updates")
                    .ok_or_else(|| EwsError::new("ErrorInvalidRequest", "The item change has no Updates."))?;
                let mut edited = state.items[&seq].clone();
                for update in &updates.children {
                    apply_update(&mut edited, update)?;
                }
                state.update_item(seq, ctx.now, move |item| *item = Item { seq: item.seq, created_change: item.created_change, ..edited });
                Ok(seq)
            });
        match result {
            Ok(seq) => {
                success_start(writer, "m:UpdateItemResponseMessage");
                write_item_id(ctx, &state, seq, writer);
                writer.open("m:ConflictResults", &[]);
                writer.leaf("t:Count", "0");
                writer.close("m:ConflictResults");
                writer.close("m:UpdateItemResponseMessage");
            }
            Err(error) => error_message(writer, "m:UpdateItemResponseMessage", &error),
        }
    }
    response_end(writer, "UpdateItem");
    Ok(())
}

fn apply_update(item: &mut Item, update: &Element) -> Result<(), EwsError> {
    let extended_path = update
        .child("ExtendedFieldURI")
        .map(ExtendedFieldPath::parse)
        .transpose()?;
    let uri = update
        .child("FieldURI")
        .and_then(|path| path.attr("FieldURI"))
        .unwrap_or("");
    let holder = update.children.iter().find(|child| {
        !matches!(
            child.name.as_str(),
            "FieldURI" | "ExtendedFieldURI" | "IndexedFieldURI"
        )
    });
    match (update.name.as_str(), extended_path) {
        ("SetItemField", Some(path)) => {
            let property_element = holder
                .and_then(|holder| holder.child("ExtendedProperty"))
                .ok_or_else(|| {
                    EwsError::new(
                        "ErrorInvalidRequest",
                        "SetItemField has no ExtendedProperty.",
                    )
                })?;
            let property = parse_extended_property(property_element)?;
            if property.key != path.key {
                return Err(EwsError::new(
                    "ErrorInvalidPropertySet",
                    "The property set does not match the ExtendedFieldURI of the update.",
                ));
            }
            set_extended(&mut item.message, property)?;
        }
        ("DeleteItemField", Some(path)) => {
            item.message.props.remove(&path.key);
        }
        ("SetItemField", None) => {
            let holder = holder
                .ok_or_else(|| EwsError::new("ErrorInvalidRequest", "SetItemField has no item."))?;
            let value = |name: &str| {
                holder.child(name).ok_or_else(|| {
                    EwsError::new(
                        "ErrorInvalidRequest",
                        format!("SetItemField of {uri} has no {name}."),
                    )
                })
            };
            match uri {
                "item:Subject" => item.message.set_subject(&value("Subject")?.text),
                "message:IsRead" => item.set_read(value("IsRead")?.trimmed_text() == "true"),
                "item:Importance" => item
                    .message
                    .set_importance(value("Importance")?.trimmed_text()),
                "item:Sensitivity" => item
                    .message
                    .set_sensitivity(value("Sensitivity")?.trimmed_text()),
                "item:Categories" => item.message.set_categories(
                    value("Categories")?
                        .children_named("String")
                        .map(|string| string.text.clone())
                        .collect(),
                ),
                other => {
                    return Err(EwsError::new(
                        "ErrorInvalidPropertyForOperation",
                        format!("The simulator does not support setting '{other}'."),
                    ))
                }
            }
        }
        ("DeleteItemField", None) if uri == "item:Categories" => {
            item.message.set_categories(Vec::new())
        }
        (kind, _) => {
            return Err(EwsError::new(
                "ErrorInvalidPropertyForOperation",
                format!("{kind} of '{uri}' is not supported."),
            ))
        }
    }
    Ok(())
}

/// `DeleteItem`: hard, soft, or move to Deleted Items.
pub fn delete_item(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let ids = required(request, "ItemIds")?;
    let delete_type = request.attr("DeleteType").unwrap_or("");
    if !matches!(
        delete_type,
        "HardDelete" | "SoftDelete" | "MoveToDeletedItems"
    ) {
        return Err(super::soap::SoapFault::schema(
            "DeleteType must be HardDelete, SoftDelete or MoveToDeletedItems.",
        )
        .into());
    }
    let mut state = ctx.mailbox.lock();
    let deleted_items = state.well_known_folder(WellKnownFolder::DeletedItems);
    response_start(writer, "DeleteItem");
    for id in &ids.children {
        let result = resolve_item(ctx.mailbox, &state, id).map(|seq| {
            if delete_type == "MoveToDeletedItems" && state.items[&seq].folder != deleted_items {
                state.move_item(seq, deleted_items, ctx.now);
            } else {
                state.delete_item(seq);
            }
        });
        match result {
            Ok(()) => {
                success_start(writer, "m:DeleteItemResponseMessage");
                writer.close("m:DeleteItemResponseMessage");
            }
            Err(error) => error_message(writer, "m:DeleteItemResponseMessage", &error),
        }
    }
    response_end(writer, "DeleteItem");
    Ok(())
}

/// Writes `<m:Items>` holding the item's element with just its id and change key.
fn write_item_id(ctx: &OpContext<'_>, state: &MailboxState, seq: u64, writer: &mut XmlWriter) {
    let item = &state.items[&seq];
    writer.open("m:Items", &[]);
    writer.open(item.element_name(), &[]);
    let (id, change_key) = item_id_attrs(ctx.mailbox, seq, item.last_change);
    writer.empty("t:ItemId", &[("Id", &id), ("ChangeKey", &change_key)]);
    writer.close(item.element_name());
    writer.close("m:Items");
}

/// A `SortOrder`: keys applied in order, newest-received first when none is given.
struct SortOrder(Vec<(String, bool)>);

impl SortOrder {
    fn parse(element: Option<&Element>) -> Result<SortOrder, EwsError> {
        let Some(element) = element else {
            return Ok(SortOrder(Vec::new()));
        };
        let mut keys = Vec::new();
        for order in element.children_named("FieldOrder") {
            let uri = order
                .child("FieldURI")
                .and_then(|path| path.attr("FieldURI"))
                .ok_or_else(|| {
                    EwsError::new("ErrorInvalidRequest", "FieldOrder has no FieldURI.")
                })?;
            if !matches!(
                uri,
                "item:DateTimeReceived"
                    | "item:DateTimeSent"
                    | "item:DateTimeCreated"
                    | "item:LastModifiedTime"
                    | "item:Subject"
                    | "item:Size"
            ) {
                return Err(EwsError::new(
                    "ErrorUnsupportedPathForSortGroup",
                    format!("The simulator can't sort by '{uri}'."),
                ));
            }
            keys.push((uri.to_string(), order.attr("Order") != Some("Ascending")));
        }
        Ok(SortOrder(keys))
    }

    /// Sorts items already in newest-received-first order; the sort is stable.
    fn apply(&self, items: &mut [&Item]) {
        if self.0.is_empty() {
            return;
        }
        items.sort_by(|left, right| {
            for (uri, descending) in &self.0 {
                let ordering = match uri.as_str() {
                    "item:DateTimeReceived" => left.received().cmp(&right.received()),
                    "item:DateTimeSent" => left.sent().cmp(&right.sent()),
                    "item:DateTimeCreated" => left.created.cmp(&right.created),
                    "item:LastModifiedTime" => left.modified.cmp(&right.modified),
                    "item:Subject" => left
                        .subject()
                        .to_lowercase()
                        .cmp(&right.subject().to_lowercase()),
                    _ => left.size().cmp(&right.size()),
                };
                let ordering = if *descending {
                    ordering.reverse()
                } else {
                    ordering
                };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            left.seq.cmp(&right.seq)
        });
    }
}
