//! Item requests: `FindItem`, `GetItem`, `SyncFolderItems`, `CreateItem` (MIME), `UpdateItem`,
//! `DeleteItem`, and `ConvertId`.

use super::common::{
    write_extended_path, write_extended_property, write_folder_ref, write_item_id,
    write_restriction, ItemShape, Paging,
};
use super::{envelope, MailboxTarget, Request};
use crate::types::{
    DeleteType, ExtendedProperty, ExtendedPropertyPath, FolderRef, IdFormat, ItemId, MimeItem,
    Restriction,
};

/// A sort key for `FindItem`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortOrder {
    /// The `FieldURI` to sort by.
    pub field: String,
    /// Descending (newest first) or ascending.
    pub descending: bool,
}

/// What `FindItem` should return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindItemQuery {
    /// Properties.
    pub shape: ItemShape,
    /// Page.
    pub paging: Paging,
    /// Filter.
    pub restriction: Option<Restriction>,
    /// Order; the server's default (newest received first) when empty.
    pub sort: Vec<SortOrder>,
}

/// One page of `FindItem` in a folder.
pub fn find_items(
    mailbox: &MailboxTarget,
    version: &str,
    folder: &FolderRef,
    query: &FindItemQuery,
) -> Request {
    envelope("FindItem", mailbox, version, |writer| {
        writer.open("m:FindItem", &[("Traversal", "Shallow")]);
        query.shape.write(writer);
        query.paging.write(writer, "m:IndexedPageItemView");
        if let Some(restriction) = &query.restriction {
            writer.open("m:Restriction", &[]);
            write_restriction(writer, restriction);
            writer.close("m:Restriction");
        }
        if !query.sort.is_empty() {
            writer.open("m:SortOrder", &[]);
            for order in &query.sort {
                writer.open(
                    "t:FieldOrder",
                    &[(
                        "Order",
                        if order.descending {
                            "Descending"
                        } else {
                            "Ascending"
                        },
                    )],
                );
                writer.empty("t:FieldURI", &[("FieldURI", &order.field)]);
                writer.close("t:FieldOrder");
            }
            writer.close("m:SortOrder");
        }
        writer.open("m:ParentFolderIds", &[]);
        write_folder_ref(writer, folder, mailbox);
        writer.close("m:ParentFolderIds");
        writer.close("m:FindItem");
    })
}

/// `GetItem` of several items.
pub fn get_items(
    mailbox: &MailboxTarget,
    version: &str,
    items: &[ItemId],
    shape: &ItemShape,
) -> Request {
    envelope("GetItem", mailbox, version, |writer| {
        writer.open("m:GetItem", &[]);
        shape.write(writer);
        writer.open("m:ItemIds", &[]);
        for item in items {
            write_item_id(writer, "t:ItemId", item);
        }
        writer.close("m:ItemIds");
        writer.close("m:GetItem");
    })
}

/// `SyncFolderItems` from a sync state (none for the first call).
pub fn sync_folder_items(
    mailbox: &MailboxTarget,
    version: &str,
    folder: &FolderRef,
    sync_state: Option<&str>,
    max_changes: u32,
    shape: &ItemShape,
) -> Request {
    envelope("SyncFolderItems", mailbox, version, |writer| {
        writer.open("m:SyncFolderItems", &[]);
        shape.write(writer);
        writer.open("m:SyncFolderId", &[]);
        write_folder_ref(writer, folder, mailbox);
        writer.close("m:SyncFolderId");
        if let Some(state) = sync_state.filter(|state| !state.is_empty()) {
            writer.leaf("m:SyncState", state);
        }
        writer.leaf(
            "m:MaxChangesReturned",
            &max_changes.clamp(1, 512).to_string(),
        );
        writer.close("m:SyncFolderItems");
    })
}

/// The element `CreateItem` uses for an item class.
fn element_for_class(item_class: &str) -> &'static str {
    let class = item_class.to_ascii_lowercase();
    if class.starts_with("ipm.appointment") {
        "t:CalendarItem"
    } else if class.starts_with("ipm.contact") {
        "t:Contact"
    } else if class.starts_with("ipm.task") {
        "t:Task"
    } else if class.starts_with("ipm.post") {
        "t:PostItem"
    } else if class.starts_with("ipm.note") || class.starts_with("ipm.schedule") {
        "t:Message"
    } else {
        "t:Item"
    }
}

/// `CreateItem` of items from MIME, saved (not sent) in `folder`.
pub fn create_items_from_mime(
    mailbox: &MailboxTarget,
    version: &str,
    folder: &FolderRef,
    items: &[MimeItem],
) -> Request {
    envelope("CreateItem", mailbox, version, |writer| {
        writer.open(
            "m:CreateItem",
            &[
                ("MessageDisposition", "SaveOnly"),
                ("SendMeetingInvitations", "SendToNone"),
            ],
        );
        writer.open("m:SavedItemFolderId", &[]);
        write_folder_ref(writer, folder, mailbox);
        writer.close("m:SavedItemFolderId");
        writer.open("m:Items", &[]);
        for item in items {
            let element = element_for_class(&item.item_class);
            writer.open(element, &[]);
            writer.open("t:MimeContent", &[("CharacterSet", "UTF-8")]);
            writer.base64(item.mime.chunks());
            writer.close("t:MimeContent");
            writer.leaf("t:ItemClass", &item.item_class);
            for property in &item.extended_properties {
                write_extended_property(writer, &property.path, &property.values);
            }
            if let (Some(is_read), "t:Message") = (item.is_read, element) {
                writer.leaf("t:IsRead", if is_read { "true" } else { "false" });
            }
            writer.close(element);
        }
        writer.close("m:Items");
        writer.close("m:CreateItem");
    })
}

/// Changes to one item's properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemUpdate {
    /// The item.
    pub id: ItemId,
    /// Extended properties to set.
    pub set_extended: Vec<ExtendedProperty>,
    /// Extended properties to remove.
    pub delete_extended: Vec<ExtendedPropertyPath>,
    /// The read flag to set (messages).
    pub is_read: Option<bool>,
}

/// `UpdateItem` of several items; changes always overwrite (the migration owns the copies).
pub fn update_items(mailbox: &MailboxTarget, version: &str, updates: &[ItemUpdate]) -> Request {
    envelope("UpdateItem", mailbox, version, |writer| {
        writer.open(
            "m:UpdateItem",
            &[
                ("ConflictResolution", "AlwaysOverwrite"),
                ("MessageDisposition", "SaveOnly"),
                ("SendMeetingInvitationsOrCancellations", "SendToNone"),
            ],
        );
        writer.open("m:ItemChanges", &[]);
        for update in updates {
            writer.open("t:ItemChange", &[]);
            write_item_id(writer, "t:ItemId", &update.id);
            writer.open("t:Updates", &[]);
            for property in &update.set_extended {
                writer.open("t:SetItemField", &[]);
                write_extended_path(writer, &property.path);
                writer.open("t:Item", &[]);
                write_extended_property(writer, &property.path, &property.values);
                writer.close("t:Item");
                writer.close("t:SetItemField");
            }
            for path in &update.delete_extended {
                writer.open("t:DeleteItemField", &[]);
                write_extended_path(writer, path);
                writer.close("t:DeleteItemField");
            }
            if let Some(is_read) = update.is_read {
                writer.open("t:SetItemField", &[]);
                writer.empty("t:FieldURI", &[("FieldURI", "message:IsRead")]);
                writer.open("t:Message", &[]);
                writer.leaf("t:IsRead", if is_read { "true" } else { "false" });
                writer.close("t:Message");
                writer.close("t:SetItemField");
            }
            writer.close("t:Updates");
            writer.close("t:ItemChange");
        }
        writer.close("m:ItemChanges");
        writer.close("m:UpdateItem");
    })
}

/// `DeleteItem`.
pub fn delete_items(
    mailbox: &MailboxTarget,
    version: &str,
    items: &[ItemId],
    delete_type: DeleteType,
) -> Request {
    let delete_type = match delete_type {
        DeleteType::HardDelete => "HardDelete",
        DeleteType::SoftDelete => "SoftDelete",
        DeleteType::MoveToDeletedItems => "MoveToDeletedItems",
    };
    envelope("DeleteItem", mailbox, version, |writer| {
        writer.open(
            "m:DeleteItem",
            &[
                ("DeleteType", delete_type),
                ("SendMeetingCancellations", "SendToNone"),
                ("AffectedTaskOccurrences", "AllOccurrences"),
            ],
        );
        writer.open("m:ItemIds", &[]);
        for item in items {
            write_item_id(writer, "t:ItemId", item);
        }
        writer.close("m:ItemIds");
        writer.close("m:DeleteItem");
    })
}

/// `ConvertId` of ids in `from` format to `to` format.
pub fn convert_ids(
    mailbox: &MailboxTarget,
    version: &str,
    ids: &[String],
    from: IdFormat,
    to: IdFormat,
) -> Request {
    envelope("ConvertId", mailbox, version, |writer| {
        writer.open("m:ConvertId", &[("DestinationFormat", to.as_str())]);
        writer.open("m:SourceIds", &[]);
        for id in ids {
            writer.empty(
                "t:AlternateId",
                &[
                    ("Format", from.as_str()),
                    ("Id", id),
                    ("Mailbox", &mailbox.address),
                ],
            );
        }
        writer.close("m:SourceIds");
        writer.close("m:ConvertId");
    })
}
