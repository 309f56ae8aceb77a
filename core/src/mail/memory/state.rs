//! The in-memory tenant's data: mailboxes, their folders and items, permissions, rules and the
//! directory that resolves legacyExchangeDNs.

use std::collections::HashMap;

use super::content::describe;
use crate::mail::{
    ExportData, FolderId, FolderPermission, FolderPermissions, Grantee, InboxRule, ItemId,
    ListedItem, MailError, MailFolder, PermissionScope,
};
use crate::model::ItemKey;

/// Folders every new mailbox has: display name, class, well-known name.
const STANDARD_FOLDERS: &[(&str, &str, &str)] = &[
    ("Inbox", "IPF.Note", "inbox"),
    ("Sent Items", "IPF.Note", "sentitems"),
    ("Deleted Items", "IPF.Note", "deleteditems"),
    ("Calendar", "IPF.Appointment", "calendar"),
    ("Contacts", "IPF.Contact", "contacts"),
    ("Tasks", "IPF.Task", "tasks"),
];

#[derive(Debug)]
pub(super) struct StoredItem {
    pub(super) id: ItemId,
    pub(super) folder: FolderId,
    pub(super) data: ExportData,
    listed: ListedItem,
    stamp: Option<ItemKey>,
}

#[derive(Debug)]
struct StoredFolder {
    folder: MailFolder,
    permissions: Vec<FolderPermission>,
}

#[derive(Debug)]
pub(super) struct Mailbox {
    address: String,
    pub(super) root: FolderId,
    legacy_dn: String,
    folders: Vec<StoredFolder>,
    items: Vec<StoredItem>,
    pub(super) rules: Vec<InboxRule>,
}

impl Mailbox {
    pub(super) fn item(&self, id: &ItemId) -> Option<&StoredItem> {
        self.items.iter().find(|item| item.id == *id)
    }

    pub(super) fn folder(&self, id: &FolderId) -> Result<&MailFolder, MailError> {
        self.folders
            .iter()
            .map(|stored| &stored.folder)
            .find(|folder| folder.id == *id)
            .ok_or_else(|| MailError::FolderNotFound(format!("no folder {id} in {}", self.address)))
    }

    fn folder_mut(&mut self, id: &FolderId) -> Result<&mut StoredFolder, MailError> {
        let address = self.address.clone();
        self.folders
            .iter_mut()
            .find(|stored| stored.folder.id == *id)
            .ok_or_else(|| MailError::FolderNotFound(format!("no folder {id} in {address}")))
    }
}

/// The whole tenant.
#[derive(Debug, Default)]
pub(super) struct Tenant {
    mailboxes: HashMap<String, Mailbox>,
    next_id: u64,
    pub(super) max_item_bytes: Option<usize>,
}

/// The permissions a new folder has.
fn default_permissions() -> Vec<FolderPermission> {
    vec![
        FolderPermission::with_level(Grantee::Default, "None"),
        FolderPermission::with_level(Grantee::Anonymous, "None"),
    ]
}

impl Tenant {
    fn fresh(&mut self, kind: &str) -> String {
        self.next_id += 1;
        format!("{kind}-{:06}", self.next_id)
    }

    pub(super) fn mailbox(&self, address: &str) -> Result<&Mailbox, MailError> {
        self.mailboxes
            .get(&address.to_ascii_lowercase())
            .ok_or_else(|| MailError::MailboxNotFound(format!("no mailbox {address}")))
    }

    fn mailbox_mut(&mut self, address: &str) -> Result<&mut Mailbox, MailError> {
        self.mailboxes
            .get_mut(&address.to_ascii_lowercase())
            .ok_or_else(|| MailError::MailboxNotFound(format!("no mailbox {address}")))
    }

    pub(super) fn add_mailbox(&mut self, address: &str) -> FolderId {
        let root = FolderId(self.fresh("folder"));
        let local = address.split('@').next().unwrap_or(address);
        let mailbox = Mailbox {
            address: address.to_string(),
            root: root.clone(),
            legacy_dn: format!(
                "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn={}",
                local.to_ascii_lowercase()
            ),
            folders: Vec::new(),
            items: Vec::new(),
            rules: Vec::new(),
        };
        self.mailboxes.insert(address.to_ascii_lowercase(), mailbox);
        for (name, class, well_known) in STANDARD_FOLDERS {
            // The mailbox and its root were just made, so these cannot fail.
            let _ = self.create_folder(address, &root, name, class, Some(well_known));
        }
        root
    }

    pub(super) fn legacy_dn(&self, address: &str) -> Option<String> {
        Some(self.mailbox(address).ok()?.legacy_dn.clone())
    }

    pub(super) fn resolve(&self, legacy_dn: &str) -> Option<String> {
        let wanted = legacy_dn.strip_prefix("X500:").unwrap_or(legacy_dn);
        self.mailboxes
            .values()
            .find(|mailbox| mailbox.legacy_dn.eq_ignore_ascii_case(wanted))
            .map(|mailbox| mailbox.address.clone())
    }

    pub(super) fn folders(&self, address: &str) -> Result<Vec<MailFolder>, MailError> {
        let mailbox = self.mailbox(address)?;
        Ok(mailbox
            .folders
            .iter()
            .map(|stored| stored.folder.clone())
            .collect())
    }

    pub(super) fn folder_by_path(&self, address: &str, path: &str) -> Option<FolderId> {
        let mailbox = self.mailbox(address).ok()?;
        let mut parent = mailbox.root.clone();
        for name in path.split('/') {
            parent = mailbox
                .folders
                .iter()
                .find(|stored| {
                    stored.folder.parent_id.as_ref() == Some(&parent)
                        && stored.folder.display_name == name
                })?
                .folder
                .id
                .clone();
        }
        Some(parent)
    }

    pub(super) fn create_folder(
        &mut self,
        address: &str,
        parent: &FolderId,
        name: &str,
        folder_class: &str,
        well_known: Option<&str>,
    ) -> Result<FolderId, MailError> {
        let id = FolderId(self.fresh("folder"));
        let mailbox = self.mailbox_mut(address)?;
        if *parent != mailbox.root {
            mailbox.folder(parent)?;
        }
        let taken = mailbox.folders.iter().any(|stored| {
            stored.folder.parent_id.as_ref() == Some(parent)
                && stored.folder.display_name.eq_ignore_ascii_case(name)
        });
        if taken {
            return Err(MailError::FolderExists(format!(
                "{parent} already has a folder named {name}"
            )));
        }
        mailbox.folders.push(StoredFolder {
            folder: MailFolder {
                id: id.clone(),
                parent_id: Some(parent.clone()),
                display_name: name.to_string(),
                folder_class: if folder_class.is_empty() {
                    "IPF.Note".into()
                } else {
                    folder_class.to_string()
                },
                well_known: well_known.map(str::to_string),
                item_count: 0,
            },
            permissions: default_permissions(),
        });
        Ok(id)
    }

    /// Stores seeded data: it must describe an item.
    pub(super) fn store_item(
        &mut self,
        address: &str,
        folder: &FolderId,
        data: ExportData,
    ) -> Result<ItemId, MailError> {
        let description = describe(&data).map_err(|problem| MailError::Permanent {
            code: "invalid_item_data".into(),
            message: format!("the data is not an item: {problem}"),
        })?;
        let id = ItemId(self.fresh("item"));
        let mailbox = self.mailbox_mut(address)?;
        let stored_folder = mailbox.folder_mut(folder)?;
        stored_folder.folder.item_count += 1;
        mailbox.items.push(StoredItem {
            listed: ListedItem {
                id: id.clone(),
                received: description.received,
                size: data.len() as u64,
                item_class: description.item_class,
                subject: description.subject,
                message_id: description.message_id,
            },
            stamp: description.stamp,
            id: id.clone(),
            folder: folder.clone(),
            data,
        });
        Ok(id)
    }

    /// One item of an upload: refused per item as Exchange refuses it.
    pub(super) fn upload_item(
        &mut self,
        address: &str,
        folder: &FolderId,
        data: ExportData,
    ) -> Result<ItemId, MailError> {
        if let Some(limit) = self.max_item_bytes {
            if data.len() > limit {
                return Err(MailError::ItemTooLarge(format!(
                    "{} bytes is over the {limit}-byte limit",
                    data.len()
                )));
            }
        }
        self.store_item(address, folder, data)
    }

    pub(super) fn delete_item(&mut self, address: &str, item: &ItemId) -> bool {
        let Ok(mailbox) = self.mailbox_mut(address) else {
            return false;
        };
        let Some(index) = mailbox.items.iter().position(|stored| stored.id == *item) else {
            return false;
        };
        let removed = mailbox.items.remove(index);
        if let Ok(folder) = mailbox.folder_mut(&removed.folder) {
            folder.folder.item_count = folder.folder.item_count.saturating_sub(1);
        }
        true
    }

    pub(super) fn listing(
        &self,
        address: &str,
        folder: &FolderId,
    ) -> Result<Vec<(ListedItem, Option<ItemKey>)>, MailError> {
        let mailbox = self.mailbox(address)?;
        mailbox.folder(folder)?;
        Ok(mailbox
            .items
            .iter()
            .filter(|item| item.folder == *folder)
            .map(|item| (item.listed.clone(), item.stamp))
            .collect())
    }

    pub(super) fn contents(&self, address: &str, folder: &FolderId) -> Vec<ExportData> {
        let Ok(mailbox) = self.mailbox(address) else {
            return Vec::new();
        };
        mailbox
            .items
            .iter()
            .filter(|item| item.folder == *folder)
            .map(|item| item.data.clone())
            .collect()
    }

    pub(super) fn permissions(
        &self,
        address: &str,
        folder: &FolderId,
    ) -> Result<FolderPermissions, MailError> {
        let mailbox = self.mailbox(address)?;
        let stored = mailbox
            .folders
            .iter()
            .find(|stored| stored.folder.id == *folder)
            .ok_or_else(|| MailError::FolderNotFound(format!("no folder {folder}")))?;
        Ok(FolderPermissions {
            scope: stored.folder.permission_scope(),
            entries: stored.permissions.clone(),
            unsupported: Vec::new(),
        })
    }

    pub(super) fn set_permissions(
        &mut self,
        address: &str,
        folder: &FolderId,
        permissions: FolderPermissions,
    ) -> Result<(), MailError> {
        let directory: Vec<String> = self
            .mailboxes
            .values()
            .map(|mailbox| mailbox.address.to_ascii_lowercase())
            .collect();
        let stored = self.mailbox_mut(address)?.folder_mut(folder)?;
        // Exchange refuses a calendar permission set on a mail folder and the reverse.
        if stored.folder.permission_scope() != permissions.scope {
            return Err(MailError::Permanent {
                code: "invalid_permission_settings".into(),
                message: format!(
                    "{} permissions do not apply to a {} folder",
                    scope_name(permissions.scope),
                    stored.folder.folder_class
                ),
            });
        }
        // Exchange refuses an entry for a user its directory does not know.
        for entry in &permissions.entries {
            if let Grantee::User { address, .. } = &entry.grantee {
                if !directory.contains(&address.to_ascii_lowercase()) {
                    return Err(MailError::Permanent {
                        code: "user_not_found".into(),
                        message: format!("no user {address} in the directory"),
                    });
                }
            }
        }
        stored.permissions = permissions.entries;
        Ok(())
    }

    pub(super) fn create_rules(
        &mut self,
        address: &str,
        rules: &[InboxRule],
    ) -> Result<(), MailError> {
        let ids: Vec<String> = rules.iter().map(|_| self.fresh("rule")).collect();
        let mailbox = self.mailbox_mut(address)?;
        for (rule, id) in rules.iter().zip(ids) {
            if rule.id.is_some() {
                return Err(MailError::Permanent {
                    code: "invalid_rule".into(),
                    message: "a rule to create has no id".into(),
                });
            }
            mailbox.rules.push(InboxRule {
                id: Some(id),
                ..rule.clone()
            });
        }
        Ok(())
    }
}

fn scope_name(scope: PermissionScope) -> &'static str {
    match scope {
        PermissionScope::Folder => "folder",
        PermissionScope::Calendar => "calendar",
    }
}
