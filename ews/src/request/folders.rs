//! Folder requests: `GetFolder`, `FindFolder`, `SyncFolderHierarchy`, `CreateFolder`,
//! `UpdateFolder`, `DeleteFolder`.

use ferry_xml::XmlWriter;

use super::common::{
    write_folder_id, write_folder_ref, write_restriction, FolderShape, Paging, Traversal,
};
use super::{envelope, MailboxTarget, Request};
use crate::types::{FolderId, FolderKind, FolderRef, Permission, PermissionUser, Restriction};

/// `GetFolder` for several folders.
pub fn get_folders(
    mailbox: &MailboxTarget,
    version: &str,
    folders: &[FolderRef],
    shape: &FolderShape,
) -> Request {
    envelope("GetFolder", mailbox, version, |writer| {
        writer.open("m:GetFolder", &[]);
        shape.write(writer);
        writer.open("m:FolderIds", &[]);
        for folder in folders {
            write_folder_ref(writer, folder, mailbox);
        }
        writer.close("m:FolderIds");
        writer.close("m:GetFolder");
    })
}

/// One page of `FindFolder` below `parent`.
pub fn find_folders(
    mailbox: &MailboxTarget,
    version: &str,
    parent: &FolderRef,
    traversal: Traversal,
    shape: &FolderShape,
    paging: Paging,
    restriction: Option<&Restriction>,
) -> Request {
    let traversal = match traversal {
        Traversal::Shallow => "Shallow",
        Traversal::Deep => "Deep",
    };
    envelope("FindFolder", mailbox, version, |writer| {
        writer.open("m:FindFolder", &[("Traversal", traversal)]);
        shape.write(writer);
        paging.write(writer, "m:IndexedPageFolderView");
        if let Some(restriction) = restriction {
            writer.open("m:Restriction", &[]);
            write_restriction(writer, restriction);
            writer.close("m:Restriction");
        }
        writer.open("m:ParentFolderIds", &[]);
        write_folder_ref(writer, parent, mailbox);
        writer.close("m:ParentFolderIds");
        writer.close("m:FindFolder");
    })
}

/// `SyncFolderHierarchy` from a sync state (none for the first call).
pub fn sync_folder_hierarchy(
    mailbox: &MailboxTarget,
    version: &str,
    root: Option<&FolderRef>,
    sync_state: Option<&str>,
    shape: &FolderShape,
) -> Request {
    envelope("SyncFolderHierarchy", mailbox, version, |writer| {
        writer.open("m:SyncFolderHierarchy", &[]);
        shape.write(writer);
        if let Some(root) = root {
            writer.open("m:SyncFolderId", &[]);
            write_folder_ref(writer, root, mailbox);
            writer.close("m:SyncFolderId");
        }
        if let Some(state) = sync_state.filter(|state| !state.is_empty()) {
            writer.leaf("m:SyncState", state);
        }
        writer.close("m:SyncFolderHierarchy");
    })
}

/// A folder to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFolder {
    /// Display name.
    pub display_name: String,
    /// Folder class (`IPF.Note`, `IPF.Appointment`...); the element kind follows from it.
    pub folder_class: String,
}

/// `CreateFolder` of several folders under one parent.
pub fn create_folders(
    mailbox: &MailboxTarget,
    version: &str,
    parent: &FolderRef,
    folders: &[NewFolder],
) -> Request {
    envelope("CreateFolder", mailbox, version, |writer| {
        writer.open("m:CreateFolder", &[]);
        writer.open("m:ParentFolderId", &[]);
        write_folder_ref(writer, parent, mailbox);
        writer.close("m:ParentFolderId");
        writer.open("m:Folders", &[]);
        for folder in folders {
            let element = FolderKind::for_class(&folder.folder_class).element();
            writer.open(element, &[]);
            writer.leaf("t:FolderClass", &folder.folder_class);
            writer.leaf("t:DisplayName", &folder.display_name);
            writer.close(element);
        }
        writer.close("m:Folders");
        writer.close("m:CreateFolder");
    })
}

/// A change to a folder's own properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderUpdate {
    /// Replace the display name.
    DisplayName(String),
    /// Replace the permission set; `calendar` selects the calendar form.
    Permissions {
        /// The complete new set.
        permissions: Vec<Permission>,
        /// Whether the folder is a calendar (calendar permission levels).
        calendar: bool,
    },
}

/// `UpdateFolder` of one folder.
pub fn update_folder(
    mailbox: &MailboxTarget,
    version: &str,
    folder: &FolderRef,
    update: &FolderUpdate,
) -> Request {
    envelope("UpdateFolder", mailbox, version, |writer| {
        writer.open("m:UpdateFolder", &[]);
        writer.open("m:FolderChanges", &[]);
        writer.open("t:FolderChange", &[]);
        write_folder_ref(writer, folder, mailbox);
        writer.open("t:Updates", &[]);
        writer.open("t:SetFolderField", &[]);
        match update {
            FolderUpdate::DisplayName(name) => {
                writer.empty("t:FieldURI", &[("FieldURI", "folder:DisplayName")]);
                writer.open("t:Folder", &[]);
                writer.leaf("t:DisplayName", name);
                writer.close("t:Folder");
            }
            FolderUpdate::Permissions {
                permissions,
                calendar,
            } => {
                writer.empty("t:FieldURI", &[("FieldURI", "folder:PermissionSet")]);
                let element = if *calendar {
                    "t:CalendarFolder"
                } else {
                    "t:Folder"
                };
                writer.open(element, &[]);
                write_permission_set(writer, permissions, *calendar);
                writer.close(element);
            }
        }
        writer.close("t:SetFolderField");
        writer.close("t:Updates");
        writer.close("t:FolderChange");
        writer.close("m:FolderChanges");
        writer.close("m:UpdateFolder");
    })
}

/// `DeleteFolder`.
pub fn delete_folders(
    mailbox: &MailboxTarget,
    version: &str,
    folders: &[FolderId],
    hard: bool,
) -> Request {
    envelope("DeleteFolder", mailbox, version, |writer| {
        writer.open(
            "m:DeleteFolder",
            &[("DeleteType", if hard { "HardDelete" } else { "SoftDelete" })],
        );
        writer.open("m:FolderIds", &[]);
        for folder in folders {
            write_folder_id(writer, "t:FolderId", folder);
        }
        writer.close("m:FolderIds");
        writer.close("m:DeleteFolder");
    })
}

fn write_permission_set(writer: &mut XmlWriter, permissions: &[Permission], calendar: bool) {
    let (list, entry, level_element) = if calendar {
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
            PermissionUser::User { address, .. } => {
                writer.leaf("t:PrimarySmtpAddress", address);
            }
        }
        writer.close("t:UserId");
        // A named level implies its rights; Exchange refuses both together.
        if permission.level == "Custom" {
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
            writer.leaf("t:ReadItems", &permission.read_items);
        }
        writer.leaf(level_element, &permission.level);
        writer.close(entry);
    }
    writer.close(list);
    writer.close("t:PermissionSet");
}
