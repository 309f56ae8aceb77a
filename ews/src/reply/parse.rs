//! Typed results from response message trees. Parsing is tolerant: a property the client cannot
//! read (a bad date, an unknown element) is left out rather than failing the item; only what a
//! result cannot exist without (an id) is required.

use uuid::Uuid;

use super::tree::Element;
use crate::types::{
    EmailAddress, ExportedItem, ExtendedProperty, ExtendedPropertyPath, Folder, FolderId,
    FolderKind, FolderRef, InboxRule, Item, ItemId, Page, Permission, PermissionUser, PropertyName,
    PropertySet, RuleEntry, RuleValue, SyncChange, SyncPage,
};
use crate::EwsError;

fn malformed(problem: impl Into<String>) -> EwsError {
    EwsError::MalformedReply(problem.into())
}

/// A `FolderId`-typed element.
pub fn folder_id(element: &Element) -> Option<FolderId> {
    Some(FolderId {
        id: element.attr("Id")?.to_string(),
        change_key: element.attr("ChangeKey").map(str::to_string),
    })
}

/// An `ItemId`-typed element.
pub fn item_id(element: &Element) -> Option<ItemId> {
    Some(ItemId {
        id: element.attr("Id")?.to_string(),
        change_key: element.attr("ChangeKey").map(str::to_string),
    })
}

fn number(element: &Element, name: &str) -> Option<u64> {
    element.child_text(name)?.parse().ok()
}

fn flag(element: &Element, name: &str) -> Option<bool> {
    match element.child_text(name)? {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// A folder element (`Folder`, `CalendarFolder`, `ContactsFolder`, `TasksFolder`, `SearchFolder`).
pub fn folder(element: &Element) -> Result<Folder, EwsError> {
    let kind = match element.name.as_str() {
        "CalendarFolder" => FolderKind::Calendar,
        "ContactsFolder" => FolderKind::Contacts,
        "TasksFolder" => FolderKind::Tasks,
        "SearchFolder" => FolderKind::Search,
        _ => FolderKind::Mail,
    };
    let id = element
        .child("FolderId")
        .and_then(folder_id)
        .ok_or_else(|| malformed(format!("a {} has no FolderId", element.name)))?;
    Ok(Folder {
        kind,
        id,
        parent_id: element.child("ParentFolderId").and_then(folder_id),
        folder_class: element.child_text("FolderClass").map(str::to_string),
        display_name: element.child("DisplayName").map(|name| name.text.clone()),
        total_count: number(element, "TotalCount"),
        child_folder_count: number(element, "ChildFolderCount"),
        unread_count: number(element, "UnreadCount"),
        distinguished_id: element
            .child_text("DistinguishedFolderId")
            .map(str::to_string),
        permissions: element.child("PermissionSet").map(permission_set),
        extended_properties: element
            .children_named("ExtendedProperty")
            .filter_map(extended_property)
            .collect(),
    })
}

/// A `PermissionSet` (folder or calendar form).
pub fn permission_set(set: &Element) -> Vec<Permission> {
    let entries = set
        .child("Permissions")
        .or_else(|| set.child("CalendarPermissions"))
        .map(|list| list.children.iter().collect::<Vec<_>>())
        .unwrap_or_default();
    entries
        .into_iter()
        .filter_map(|entry| {
            let user_id = entry.child("UserId")?;
            let user = match user_id.child_text("DistinguishedUser") {
                Some("Default") => PermissionUser::Default,
                Some("Anonymous") => PermissionUser::Anonymous,
                _ => PermissionUser::User {
                    address: user_id.child_text("PrimarySmtpAddress")?.to_string(),
                    display_name: user_id.child_text("DisplayName").map(str::to_string),
                },
            };
            let token = |name: &str| entry.child_text(name).unwrap_or("None").to_string();
            Some(Permission {
                user,
                level: entry
                    .child_text("PermissionLevel")
                    .or_else(|| entry.child_text("CalendarPermissionLevel"))
                    .unwrap_or("Custom")
                    .to_string(),
                can_create_items: flag(entry, "CanCreateItems").unwrap_or(false),
                can_create_subfolders: flag(entry, "CanCreateSubFolders").unwrap_or(false),
                is_folder_owner: flag(entry, "IsFolderOwner").unwrap_or(false),
                is_folder_visible: flag(entry, "IsFolderVisible").unwrap_or(false),
                is_folder_contact: flag(entry, "IsFolderContact").unwrap_or(false),
                edit_items: token("EditItems"),
                delete_items: token("DeleteItems"),
                read_items: token("ReadItems"),
            })
        })
        .collect()
}

/// An `ExtendedProperty`.
pub fn extended_property(element: &Element) -> Option<ExtendedProperty> {
    let uri = element.child("ExtendedFieldURI")?;
    let property_type = uri.attr("PropertyType")?.to_string();
    let set = match (
        uri.attr("DistinguishedPropertySetId"),
        uri.attr("PropertySetId"),
    ) {
        (Some(name), _) => Some(PropertySet::Distinguished(name.to_string())),
        (None, Some(guid)) => Some(PropertySet::Guid(Uuid::parse_str(guid).ok()?)),
        (None, None) => None,
    };
    let name = match (
        set,
        uri.attr("PropertyTag"),
        uri.attr("PropertyName"),
        uri.attr("PropertyId"),
    ) {
        (None, Some(tag), _, _) => {
            let tag = tag.trim();
            let value = match tag.strip_prefix("0x").or_else(|| tag.strip_prefix("0X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => tag.parse().ok()?,
            };
            PropertyName::Tag(if value > 0xFFFF {
                (value >> 16) as u16
            } else {
                value as u16
            })
        }
        (Some(set), _, Some(name), _) => PropertyName::Name(set, name.to_string()),
        (Some(set), _, _, Some(id)) => PropertyName::Id(set, id.trim().parse().ok()?),
        _ => return None,
    };
    let values = match element.child("Values") {
        Some(values) => values
            .children_named("Value")
            .map(|value| value.text.clone())
            .collect(),
        None => vec![element
            .child("Value")
            .map(|value| value.text.clone())
            .unwrap_or_default()],
    };
    Some(ExtendedProperty {
        path: ExtendedPropertyPath {
            name,
            property_type,
        },
        values,
    })
}

fn email_address(element: &Element) -> EmailAddress {
    EmailAddress {
        name: element.child("Name").map(|name| name.text.clone()),
        address: element.child_text("EmailAddress").map(str::to_string),
    }
}

/// An item element (`Message`, `CalendarItem`, `Contact`, `Task`, `PostItem`, `Item`...).
pub fn item(element: &Element) -> Item {
    let time = |name: &str| element.child_text(name).and_then(crate::time::parse);
    Item {
        element: element.name.clone(),
        id: element.child("ItemId").and_then(item_id),
        parent_folder_id: element.child("ParentFolderId").and_then(folder_id),
        item_class: element.child_text("ItemClass").map(str::to_string),
        subject: element.child("Subject").map(|subject| subject.text.clone()),
        date_time_received: time("DateTimeReceived"),
        date_time_sent: time("DateTimeSent"),
        date_time_created: time("DateTimeCreated"),
        last_modified_time: time("LastModifiedTime"),
        size: number(element, "Size"),
        importance: element.child_text("Importance").map(str::to_string),
        has_attachments: flag(element, "HasAttachments"),
        is_read: flag(element, "IsRead"),
        internet_message_id: element.child_text("InternetMessageId").map(str::to_string),
        from: element.path(&["From", "Mailbox"]).map(email_address),
        categories: element
            .child("Categories")
            .map(|categories| {
                categories
                    .children_named("String")
                    .map(|string| string.text.clone())
                    .collect()
            })
            .unwrap_or_default(),
        extended_properties: element
            .children_named("ExtendedProperty")
            .filter_map(extended_property)
            .collect(),
        mime_content: element
            .child("MimeContent")
            .and_then(|mime| mime.binary.clone()),
    }
}

/// The items inside an `Items` element.
pub fn items_in(list: Option<&Element>) -> Vec<Item> {
    list.map(|list| list.children.iter().map(item).collect())
        .unwrap_or_default()
}

/// A `FindFolder` message's `RootFolder`.
pub fn folder_page(message: &Element) -> Result<Page<Folder>, EwsError> {
    let root = message
        .child("RootFolder")
        .ok_or_else(|| malformed("FindFolder reply has no RootFolder"))?;
    let entries = root
        .child("Folders")
        .map(|folders| {
            folders
                .children
                .iter()
                .map(folder)
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(page(root, entries))
}

/// A `FindItem` message's `RootFolder`.
pub fn item_page(message: &Element) -> Result<Page<Item>, EwsError> {
    let root = message
        .child("RootFolder")
        .ok_or_else(|| malformed("FindItem reply has no RootFolder"))?;
    Ok(page(root, items_in(root.child("Items"))))
}

fn page<T>(root: &Element, entries: Vec<T>) -> Page<T> {
    let attribute = |name: &str| root.attr(name).and_then(|value| value.parse::<u64>().ok());
    Page {
        entries,
        total: attribute("TotalItemsInView"),
        next_offset: attribute("IndexedPagingOffset"),
        includes_last: root.attr("IncludesLastItemInRange") != Some("false"),
    }
}

/// A `SyncFolderItems` message.
pub fn item_sync(message: &Element) -> Result<SyncPage<Item, ItemId>, EwsError> {
    let mut changes = Vec::new();
    for change in message
        .child("Changes")
        .map(|changes| changes.children.as_slice())
        .unwrap_or_default()
    {
        let first = change.children.first();
        match change.name.as_str() {
            "Create" => changes.extend(first.map(|element| SyncChange::Create(item(element)))),
            "Update" => changes.extend(first.map(|element| SyncChange::Update(item(element)))),
            "Delete" => changes.extend(
                change
                    .child("ItemId")
                    .and_then(item_id)
                    .map(SyncChange::Delete),
            ),
            "ReadFlagChange" => {
                if let Some(id) = change.child("ItemId").and_then(item_id) {
                    changes.push(SyncChange::ReadFlagChange(
                        id,
                        flag(change, "IsRead").unwrap_or(false),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(SyncPage {
        sync_state: message
            .child_text("SyncState")
            .unwrap_or_default()
            .to_string(),
        includes_last: flag(message, "IncludesLastItemInRange").unwrap_or(true),
        changes,
    })
}

/// A `SyncFolderHierarchy` message.
pub fn hierarchy_sync(message: &Element) -> Result<SyncPage<Folder, FolderId>, EwsError> {
    let mut changes = Vec::new();
    for change in message
        .child("Changes")
        .map(|changes| changes.children.as_slice())
        .unwrap_or_default()
    {
        match change.name.as_str() {
            "Create" | "Update" => {
                if let Some(element) = change.children.first() {
                    let folder = folder(element)?;
                    changes.push(if change.name == "Create" {
                        SyncChange::Create(folder)
                    } else {
                        SyncChange::Update(folder)
                    });
                }
            }
            "Delete" => changes.extend(
                change
                    .child("FolderId")
                    .and_then(folder_id)
                    .map(SyncChange::Delete),
            ),
            _ => {}
        }
    }
    Ok(SyncPage {
        sync_state: message
            .child_text("SyncState")
            .unwrap_or_default()
            .to_string(),
        includes_last: flag(message, "IncludesLastFolderInRange").unwrap_or(true),
        changes,
    })
}

/// An `ExportItems` message.
pub fn exported_item(message: &Element) -> Result<ExportedItem, EwsError> {
    let id = message
        .child("ItemId")
        .and_then(item_id)
        .ok_or_else(|| malformed("an exported item has no ItemId"))?;
    let data = message
        .child("Data")
        .and_then(|data| data.binary.clone())
        .ok_or_else(|| malformed("an exported item has no Data"))?;
    Ok(ExportedItem { id, data })
}

/// An inbox rule.
pub fn rule(element: &Element) -> InboxRule {
    let entries = |name: &str| -> Vec<RuleEntry> {
        element
            .child(name)
            .map(|list| list.children.iter().filter_map(rule_entry).collect())
            .unwrap_or_default()
    };
    let unsupported_entries = ["Conditions", "Exceptions", "Actions"]
        .iter()
        .filter_map(|name| element.child(name))
        .flat_map(|list| list.children.iter())
        .filter(|entry| rule_entry(entry).is_none())
        .map(|entry| entry.name.clone())
        .collect();
    InboxRule {
        unsupported_entries,
        id: element.child_text("RuleId").map(str::to_string),
        display_name: element
            .child("DisplayName")
            .map(|name| name.text.clone())
            .unwrap_or_default(),
        priority: element
            .child_text("Priority")
            .and_then(|priority| priority.parse().ok())
            .unwrap_or(1),
        is_enabled: flag(element, "IsEnabled").unwrap_or(true),
        conditions: entries("Conditions"),
        exceptions: entries("Exceptions"),
        actions: entries("Actions"),
    }
}

fn rule_entry(element: &Element) -> Option<RuleEntry> {
    let value = if let Some(folder) = element.child("FolderId").and_then(folder_id) {
        RuleValue::Folder(FolderRef::Id(folder))
    } else if let Some(distinguished) = element
        .child("DistinguishedFolderId")
        .and_then(|id| id.attr("Id"))
    {
        RuleValue::Folder(FolderRef::Distinguished(distinguished.to_string()))
    } else if element.child("String").is_some()
        || element.name.ends_with("Strings")
        || element.name.ends_with("Categories")
        || element.name == "ItemClasses"
    {
        RuleValue::Strings(
            element
                .children_named("String")
                .map(|string| string.text.clone())
                .collect(),
        )
    } else if element.child("Address").is_some()
        || element.name.ends_with("Addresses")
        || element.name.ends_with("Recipients")
    {
        RuleValue::Addresses(
            element
                .children_named("Address")
                .map(email_address)
                .collect(),
        )
    } else if element.name == "WithinSizeRange" {
        RuleValue::SizeRange {
            minimum: number(element, "MinimumSize"),
            maximum: number(element, "MaximumSize"),
        }
    } else if element.children.is_empty() {
        match element.text.trim() {
            "true" => RuleValue::Flag(true),
            "false" => RuleValue::Flag(false),
            token => RuleValue::Token(token.to_string()),
        }
    } else {
        // A predicate the client does not model (WithinDateRange...): not representable.
        return None;
    };
    Some(RuleEntry {
        name: element.name.clone(),
        value,
    })
}
