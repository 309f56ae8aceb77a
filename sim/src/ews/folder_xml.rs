//! Folders as EWS writes them, properties in schema order, filtered by the requested shape.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::context::OpContext;
use super::shape::{BaseShape, Shape};
use crate::ids::ObjectId;
use crate::model::{Folder, Mailbox, MailboxState, Permission, PermissionUser, WellKnownFolder};
use crate::xml::XmlWriter;

/// The change key Exchange writes on a `ParentFolderId`: the folder kind alone, no version.
pub const PARENT_FOLDER_CHANGE_KEY: &str = "AQAAAA==";

/// A folder's id and its change key in Exchange's form: the folder kind (`u32`), the length 22
/// (`u32`), then the store's GUID and the 6-byte change number, 30 bytes in base64
/// (`AQAAABYAAAC30utV9Qm1Tp6i563HuBDKAAER7A8D`). Clients treat it as opaque.
pub fn folder_id_and_change_key(mailbox: &Mailbox, folder: &Folder) -> (String, String) {
    let mut key = Vec::with_capacity(30);
    key.extend_from_slice(&folder.change_key_kind().to_le_bytes());
    key.extend_from_slice(&22u32.to_le_bytes());
    key.extend_from_slice(mailbox.guid.as_bytes());
    key.extend_from_slice(&folder.last_change.to_be_bytes()[2..]);
    (
        ObjectId::folder(mailbox.guid, folder.seq).encode(),
        STANDARD.encode(key),
    )
}

/// Writes one folder element (`t:Folder`, `t:CalendarFolder`...).
pub fn write_folder(
    ctx: &OpContext<'_>,
    state: &MailboxState,
    folder: &Folder,
    shape: &Shape,
    writer: &mut XmlWriter,
) {
    let element = folder.element_name();
    writer.open(element, &[]);
    let (id, change_key) = folder_id_and_change_key(ctx.mailbox, folder);
    writer.empty("t:FolderId", &[("Id", &id), ("ChangeKey", &change_key)]);
    if let Some(parent) = folder.parent {
        if shape.wants("folder:ParentFolderId", BaseShape::AllProperties) {
            let parent_id = ObjectId::folder(ctx.mailbox.guid, parent).encode();
            writer.empty(
                "t:ParentFolderId",
                &[("Id", &parent_id), ("ChangeKey", PARENT_FOLDER_CHANGE_KEY)],
            );
        }
    }
    if shape.wants("folder:FolderClass", BaseShape::AllProperties)
        && !folder.folder_class.is_empty()
    {
        writer.leaf("t:FolderClass", &folder.folder_class);
    }
    if shape.wants("folder:DisplayName", BaseShape::Default) {
        ctx.text_leaf(writer, "t:DisplayName", &folder.display_name);
    }
    if shape.wants("folder:TotalCount", BaseShape::Default) {
        writer.leaf("t:TotalCount", &folder.items.len().to_string());
    }
    let child_count = state
        .folders
        .values()
        .filter(|candidate| candidate.parent == Some(folder.seq))
        .count();
    if shape.wants("folder:ChildFolderCount", BaseShape::Default) {
        writer.leaf("t:ChildFolderCount", &child_count.to_string());
    }
    for path in &shape.extended {
        let value = match path.key {
            crate::model::PropertyKey::Tag(0x3001) => Some(folder.display_name.clone()),
            crate::model::PropertyKey::Tag(0x3613) => Some(folder.folder_class.clone()),
            crate::model::PropertyKey::Tag(0x3602) => Some(folder.items.len().to_string()),
            crate::model::PropertyKey::Tag(0x3603) => Some(folder.unread.to_string()),
            crate::model::PropertyKey::Tag(0x360A) => Some((child_count > 0).to_string()),
            crate::model::PropertyKey::Tag(0x0E08) => Some(folder.total_bytes.to_string()),
            _ => None,
        };
        if let Some(value) = value {
            writer.open("t:ExtendedProperty", &[]);
            let attrs: Vec<(&str, &str)> = path
                .attrs
                .iter()
                .map(|(key, value)| (key.as_str(), value.as_str()))
                .collect();
            writer.empty("t:ExtendedFieldURI", &attrs);
            writer.leaf("t:Value", &value);
            writer.close("t:ExtendedProperty");
        }
    }
    // Exchange Online reports the Recoverable Items root as a managed (retention) folder; the
    // recorded `FindFolder` of `root` shows exactly these values.
    if folder.well_known == Some(WellKnownFolder::RecoverableItemsRoot)
        && shape.wants("folder:ManagedFolderInformation", BaseShape::AllProperties)
    {
        writer.open("t:ManagedFolderInformation", &[]);
        for (name, value) in [
            ("t:CanDelete", "true"),
            ("t:CanRenameOrMove", "true"),
            ("t:MustDisplayComment", "false"),
            ("t:HasQuota", "false"),
            ("t:IsManagedFoldersRoot", "false"),
        ] {
            writer.leaf(name, value);
        }
        writer.close("t:ManagedFolderInformation");
    }
    if shape.wants("folder:EffectiveRights", BaseShape::AllProperties) {
        writer.open("t:EffectiveRights", &[]);
        for (name, value) in [
            ("t:CreateAssociated", "true"),
            ("t:CreateContents", "true"),
            ("t:CreateHierarchy", "true"),
            // The owner's rights: Exchange says `true` on distinguished folders too (the
            // refusal to delete them is `ErrorDeleteDistinguishedFolder`, not a right).
            ("t:Delete", "true"),
            ("t:Modify", "true"),
            ("t:Read", "true"),
            ("t:ViewPrivateItems", "true"),
        ] {
            writer.leaf(name, value);
        }
        writer.close("t:EffectiveRights");
    }
    if let Some(well_known) = folder.well_known {
        if shape.fields.contains("folder:DistinguishedFolderId") {
            writer.leaf("t:DistinguishedFolderId", well_known.distinguished_id());
        }
    }
    let wants_permissions = shape.fields.contains("folder:PermissionSet");
    match element {
        "t:CalendarFolder" => {
            if wants_permissions {
                write_permission_set(writer, &folder.permissions, true);
            }
        }
        "t:ContactsFolder" => {
            if wants_permissions {
                write_permission_set(writer, &folder.permissions, false);
            }
        }
        _ => {
            if wants_permissions {
                write_permission_set(writer, &folder.permissions, false);
            }
            if shape.wants("folder:UnreadCount", BaseShape::Default) {
                writer.leaf("t:UnreadCount", &folder.unread.to_string());
            }
        }
    }
    writer.close(element);
}

/// Writes `PermissionSet` in its folder or calendar form.
pub fn write_permission_set(writer: &mut XmlWriter, permissions: &[Permission], calendar: bool) {
    let (list, entry, level) = if calendar {
        (
            "t:CalendarPermissions",
            "t:CalendarPermission",
            "t:CalendarPermissionLevel",
        )
    } else {
        ("t:Permissions", "t:Permission", "t:PermissionLevel")
    };
    writer.open("t:PermissionSet", &[]);
    writer.open(list, &[]);
    for permission in permissions {
        writer.open(entry, &[]);
        writer.open("t:UserId", &[]);
        match &permission.user {
            PermissionUser::Default => {
                writer.leaf("t:DistinguishedUser", "Default");
            }
            PermissionUser::Anonymous => {
                writer.leaf("t:DistinguishedUser", "Anonymous");
            }
            PermissionUser::User {
                address,
                display_name,
            } => {
                writer.leaf("t:PrimarySmtpAddress", address);
                writer.leaf("t:DisplayName", display_name);
            }
        }
        writer.close("t:UserId");
        let flag = |value: bool| if value { "true" } else { "false" };
        writer.leaf("t:CanCreateItems", flag(permission.can_create_items));
        writer.leaf(
            "t:CanCreateSubFolders",
            flag(permission.can_create_subfolders),
        );
        writer.leaf("t:IsFolderOwner", flag(permission.is_folder_owner));
        writer.leaf("t:IsFolderVisible", flag(permission.is_folder_visible));
        writer.leaf("t:IsFolderContact", flag(permission.is_folder_contact));
        writer.leaf("t:EditItems", &permission.edit_items);
        writer.leaf("t:DeleteItems", &permission.delete_items);
        let (read_items, level_name) = if calendar {
            (permission.read_items.as_str(), permission.level.as_str())
        } else {
            // Calendar-only values have no folder equivalent; Exchange shows them as custom.
            let read = match permission.read_items.as_str() {
                "FullDetails" => "FullDetails",
                _ => "None",
            };
            let level = match permission.level.as_str() {
                "FreeBusyTimeOnly" | "FreeBusyTimeAndSubjectAndLocation" => "Custom",
                other => other,
            };
            (read, level)
        };
        writer.leaf("t:ReadItems", read_items);
        writer.leaf(level, level_name);
        writer.close(entry);
    }
    writer.close(list);
    writer.close("t:PermissionSet");
}
