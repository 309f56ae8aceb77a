//! One mailbox's contents: its folder tree, items, rules and change log.
//!
//! Every change gets the next number of a per-mailbox counter. Folders keep the latest change of
//! each item that is or was in them, which is all `SyncFolderItems` needs to answer "what changed
//! since watermark N" without scanning the folder; the mailbox keeps the same for folders, for
//! `SyncFolderHierarchy`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::folder::{Folder, ItemChange, Locale, Permission, PermissionUser, WellKnownFolder};
use super::item::Item;
use super::rules::InboxRule;

/// A change to the folder tree, as `SyncFolderHierarchy` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderChange {
    /// The folder's number.
    pub folder_seq: u64,
    /// The change number at which the folder was created.
    pub created_change: u64,
    /// True once the folder has been deleted.
    pub deleted: bool,
    /// The folder's parent (kept for deleted folders, so a sync of one folder's children can
    /// report their deletion).
    pub parent: Option<u64>,
}

/// Why a folder could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderError {
    /// A sibling already has this name (`ErrorFolderExists`).
    #[error("a folder with the same name already exists")]
    Exists,
    /// The parent does not exist (`ErrorParentFolderNotFound`).
    #[error("the parent folder does not exist")]
    ParentNotFound,
    /// The name is empty or too long (`ErrorInvalidFolderName`-like).
    #[error("the folder name is not valid: {0}")]
    InvalidName(String),
}

/// The mutable state of a mailbox. Always used under the mailbox's lock.
#[derive(Debug)]
pub struct MailboxState {
    /// Folders by number.
    pub folders: BTreeMap<u64, Folder>,
    /// Items by number.
    pub items: HashMap<u64, Item>,
    /// Well-known folders by kind.
    pub well_known: HashMap<WellKnownFolder, u64>,
    /// Inbox rules in priority order.
    pub rules: Vec<InboxRule>,
    /// The latest change of every folder, by change number.
    pub folder_changes: BTreeMap<u64, FolderChange>,
    /// The total size of all items.
    pub used_bytes: u64,
    next_seq: u64,
    change_number: u64,
    next_rule_id: u64,
}

impl MailboxState {
    /// A new mailbox with every well-known folder, named for `locale`, and default permissions.
    pub fn new(locale: Locale, now: i64) -> MailboxState {
        let mut state = MailboxState {
            folders: BTreeMap::new(),
            items: HashMap::new(),
            well_known: HashMap::new(),
            rules: Vec::new(),
            folder_changes: BTreeMap::new(),
            used_bytes: 0,
            next_seq: 1,
            change_number: 0,
            next_rule_id: 1,
        };
        for well_known in WellKnownFolder::ALL {
            let parent = well_known.parent().map(|parent| state.well_known[&parent]);
            let seq = state.insert_folder(
                parent,
                well_known.display_name(locale).to_string(),
                well_known.folder_class().to_string(),
                Some(well_known),
                now,
            );
            state.well_known.insert(well_known, seq);
        }
        state
    }

    /// The number of the last change made.
    pub fn change_number(&self) -> u64 {
        self.change_number
    }

    /// Takes the next change number.
    pub fn next_change(&mut self) -> u64 {
        self.change_number += 1;
        self.change_number
    }

    /// Takes the next object number (folders and items share the sequence).
    pub fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// The number of a well-known folder; every mailbox has all of them.
    pub fn well_known_folder(&self, folder: WellKnownFolder) -> u64 {
        self.well_known[&folder]
    }

    /// Creates a folder under `parent`, refusing a name a sibling already has.
    pub fn create_folder(
        &mut self,
        parent: u64,
        display_name: &str,
        folder_class: &str,
        now: i64,
    ) -> Result<u64, FolderError> {
        if !self.folders.contains_key(&parent) {
            return Err(FolderError::ParentNotFound);
        }
        let name = display_name.trim();
        if name.is_empty() {
            return Err(FolderError::InvalidName("the name is empty".into()));
        }
        if name.chars().count() > 255 {
            return Err(FolderError::InvalidName(
                "the name is longer than 255 characters".into(),
            ));
        }
        if self.child_named(parent, name).is_some() {
            return Err(FolderError::Exists);
        }
        Ok(self.insert_folder(
            Some(parent),
            name.to_string(),
            folder_class.to_string(),
            None,
            now,
        ))
    }

    fn insert_folder(
        &mut self,
        parent: Option<u64>,
        display_name: String,
        folder_class: String,
        well_known: Option<WellKnownFolder>,
        _now: i64,
    ) -> u64 {
        let seq = self.next_seq();
        let change = self.next_change();
        let permissions = vec![
            Permission::with_level(
                PermissionUser::Default,
                if well_known == Some(WellKnownFolder::Calendar) {
                    "FreeBusyTimeOnly"
                } else {
                    "None"
                },
            ),
            Permission::with_level(PermissionUser::Anonymous, "None"),
        ];
        self.folders.insert(
            seq,
            Folder {
                seq,
                parent,
                display_name,
                folder_class,
                well_known,
                permissions,
                items: BTreeSet::new(),
                item_changes: BTreeMap::new(),
                total_bytes: 0,
                unread: 0,
                created_change: change,
                last_change: change,
            },
        );
        self.folder_changes.insert(
            change,
            FolderChange {
                folder_seq: seq,
                created_change: change,
                deleted: false,
                parent,
            },
        );
        seq
    }

    /// Records that a folder's own properties (name, permissions) changed.
    pub fn touch_folder(&mut self, seq: u64) {
        let change = self.next_change();
        if let Some(folder) = self.folders.get_mut(&seq) {
            self.folder_changes.remove(&folder.last_change);
            folder.last_change = change;
            self.folder_changes.insert(
                change,
                FolderChange {
                    folder_seq: seq,
                    created_change: folder.created_change,
                    deleted: false,
                    parent: folder.parent,
                },
            );
        }
    }

    /// The child of `parent` with this display name, compared as Exchange does (case-insensitive).
    pub fn child_named(&self, parent: u64, name: &str) -> Option<u64> {
        let wanted = name.trim().to_lowercase();
        self.folders
            .values()
            .find(|folder| {
                folder.parent == Some(parent) && folder.display_name.to_lowercase() == wanted
            })
            .map(|folder| folder.seq)
    }

    /// The direct children of a folder, in creation order.
    pub fn children(&self, parent: u64) -> Vec<u64> {
        self.folders
            .values()
            .filter(|folder| folder.parent == Some(parent))
            .map(|folder| folder.seq)
            .collect()
    }

    /// All folders below `ancestor`, depth first, each followed by its own subtree.
    pub fn descendants(&self, ancestor: u64) -> Vec<u64> {
        let mut by_parent: HashMap<u64, Vec<u64>> = HashMap::new();
        for folder in self.folders.values() {
            if let Some(parent) = folder.parent {
                by_parent.entry(parent).or_default().push(folder.seq);
            }
        }
        let mut ordered = Vec::new();
        let mut stack: Vec<u64> = by_parent.get(&ancestor).cloned().unwrap_or_default();
        stack.reverse();
        while let Some(seq) = stack.pop() {
            ordered.push(seq);
            if let Some(children) = by_parent.get(&seq) {
                stack.extend(children.iter().rev());
            }
        }
        ordered
    }

    /// Whether `folder` is `ancestor` or lies below it.
    pub fn is_within(&self, folder: u64, ancestor: u64) -> bool {
        let mut current = Some(folder);
        while let Some(seq) = current {
            if seq == ancestor {
                return true;
            }
            current = self.folders.get(&seq).and_then(|folder| folder.parent);
        }
        false
    }

    /// The display names from `msgfolderroot` down to the folder (empty for the root itself).
    pub fn folder_path(&self, seq: u64) -> Vec<String> {
        let top = self.well_known_folder(WellKnownFolder::MsgFolderRoot);
        let mut names = Vec::new();
        let mut current = Some(seq);
        while let Some(folder_seq) = current {
            if folder_seq == top {
                break;
            }
            let Some(folder) = self.folders.get(&folder_seq) else {
                break;
            };
            names.push(folder.display_name.clone());
            current = folder.parent;
        }
        names.reverse();
        names
    }

    /// A locale-independent path: well-known folders by distinguished id (`{inbox}`), others by name.
    ///
    /// Two mailboxes provisioned in different languages give the same key for the same folder,
    /// which is how tests compare a source with its migrated destination.
    pub fn folder_key(&self, seq: u64) -> String {
        let mut parts = Vec::new();
        let mut current = Some(seq);
        while let Some(folder_seq) = current {
            let Some(folder) = self.folders.get(&folder_seq) else {
                break;
            };
            match folder.well_known {
                Some(WellKnownFolder::MsgFolderRoot) => break,
                Some(well_known) => parts.push(format!("{{{}}}", well_known.distinguished_id())),
                None => parts.push(
                    folder
                        .display_name
                        .replace('\\', "\\\\")
                        .replace('/', "\\/"),
                ),
            }
            current = folder.parent;
        }
        parts.reverse();
        parts.join("/")
    }

    /// Adds an item to its folder, assigning its number and change; returns the number.
    pub fn insert_item(&mut self, mut item: Item) -> u64 {
        let seq = self.next_seq();
        let change = self.next_change();
        item.seq = seq;
        item.created_change = change;
        item.last_change = change;
        self.attach_item(item);
        seq
    }

    fn attach_item(&mut self, item: Item) {
        let size = item.size();
        if let Some(folder) = self.folders.get_mut(&item.folder) {
            folder.items.insert((item.received(), item.seq));
            folder.total_bytes += size;
            folder.unread += u64::from(!item.is_read());
            folder.item_changes.insert(
                item.last_change,
                ItemChange {
                    item_seq: item.seq,
                    created_change: item.created_change,
                    deleted: false,
                },
            );
        }
        self.used_bytes += size;
        self.items.insert(item.seq, item);
    }

    fn detach_item(&mut self, seq: u64) -> Option<Item> {
        let item = self.items.remove(&seq)?;
        let size = item.size();
        if let Some(folder) = self.folders.get_mut(&item.folder) {
            folder.items.remove(&(item.received(), item.seq));
            folder.total_bytes = folder.total_bytes.saturating_sub(size);
            folder.unread = folder.unread.saturating_sub(u64::from(!item.is_read()));
            folder.item_changes.remove(&item.last_change);
        }
        self.used_bytes = self.used_bytes.saturating_sub(size);
        Some(item)
    }

    /// Changes an item in place and records the change; `false` if there is no such item.
    pub fn update_item(&mut self, seq: u64, now: i64, update: impl FnOnce(&mut Item)) -> bool {
        let Some(mut item) = self.detach_item(seq) else {
            return false;
        };
        update(&mut item);
        let change = self.next_change();
        item.touch(change, now);
        self.attach_item(item);
        true
    }

    /// Removes an item, leaving a tombstone in its folder's change log.
    pub fn delete_item(&mut self, seq: u64) -> Option<Item> {
        let item = self.detach_item(seq)?;
        let change = self.next_change();
        if let Some(folder) = self.folders.get_mut(&item.folder) {
            folder.item_changes.insert(
                change,
                ItemChange {
                    item_seq: item.seq,
                    created_change: item.created_change,
                    deleted: true,
                },
            );
        }
        Some(item)
    }

    /// Moves an item to another folder, where it gets a new number (as in Exchange, a moved item
    /// has a new id). Returns the new number.
    pub fn move_item(&mut self, seq: u64, to_folder: u64, now: i64) -> Option<u64> {
        let mut item = self.delete_item(seq)?;
        item.folder = to_folder;
        item.modified = now;
        item.digest = Default::default();
        Some(self.insert_item(item))
    }

    /// Deletes a folder, everything below it and every item in them, recording the deletions.
    pub fn delete_folder_tree(&mut self, seq: u64) {
        let mut doomed = self.descendants(seq);
        doomed.push(seq);
        for folder_seq in doomed {
            let items: Vec<u64> = self
                .folders
                .get(&folder_seq)
                .map(|folder| folder.items.iter().map(|(_, item)| *item).collect())
                .unwrap_or_default();
            for item in items {
                self.delete_item(item);
            }
            if let Some(folder) = self.folders.remove(&folder_seq) {
                self.folder_changes.remove(&folder.last_change);
                let change = self.next_change();
                self.folder_changes.insert(
                    change,
                    FolderChange {
                        folder_seq,
                        created_change: folder.created_change,
                        deleted: true,
                        parent: folder.parent,
                    },
                );
            }
        }
    }

    /// Assigns a new rule id.
    pub fn next_rule_id(&mut self) -> String {
        let id = self.next_rule_id;
        self.next_rule_id += 1;
        format!("AQAAAA{id:08}=")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::message::Message;

    fn message(folder: u64, received: i64) -> Item {
        let mut message = Message::of_class("IPM.Note");
        message.set_subject("s");
        message.set_times(received, received);
        Item::new(folder, message, received)
    }

    #[test]
    fn new_mailbox_has_localised_well_known_folders() {
        let state = MailboxState::new(Locale::German, 0);
        let inbox = state.well_known_folder(WellKnownFolder::Inbox);
        assert_eq!(state.folders[&inbox].display_name, "Posteingang");
        assert_eq!(state.folder_key(inbox), "{inbox}");
        assert_eq!(state.folder_path(inbox), vec!["Posteingang".to_string()]);
    }

    #[test]
    fn folder_names_clash_case_insensitively() {
        let mut state = MailboxState::new(Locale::English, 0);
        let inbox = state.well_known_folder(WellKnownFolder::Inbox);
        let child = state
            .create_folder(inbox, "Projects/2024", "IPF.Note", 0)
            .expect("created");
        assert_eq!(
            state.create_folder(inbox, "projects/2024", "IPF.Note", 0),
            Err(FolderError::Exists)
        );
        assert_eq!(state.folder_key(child), "{inbox}/Projects\\/2024");
        assert!(state.is_within(child, inbox));
        assert_eq!(state.descendants(inbox), vec![child]);
    }

    #[test]
    fn change_log_tracks_creates_updates_and_deletes() {
        let mut state = MailboxState::new(Locale::English, 0);
        let inbox = state.well_known_folder(WellKnownFolder::Inbox);
        let first = state.insert_item(message(inbox, 10));
        let watermark = state.change_number();
        let second = state.insert_item(message(inbox, 20));
        assert!(state.update_item(first, 5, |item| item.set_read(true)));
        state.delete_item(second);
        let changes: Vec<_> = state.folders[&inbox]
            .item_changes
            .range(watermark + 1..)
            .map(|(_, change)| *change)
            .collect();
        assert_eq!(
            changes.len(),
            2,
            "the update of first and the tombstone of second"
        );
        assert_eq!(changes[0].item_seq, first);
        assert!(changes[1].deleted && changes[1].item_seq == second);
        assert_eq!(state.folders[&inbox].items.len(), 1);
        assert_eq!(state.folders[&inbox].unread, 0);
    }
}
