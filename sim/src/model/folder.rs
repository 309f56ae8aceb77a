//! Folders: the well-known ones every mailbox has, their classes, and folder permissions.

use std::collections::{BTreeMap, BTreeSet};

/// A well-known folder, addressed in EWS by its `DistinguishedFolderId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WellKnownFolder {
    /// The mailbox root (non-IPM subtree parent).
    Root,
    /// The top of the user-visible folder tree (`Top of Information Store`).
    MsgFolderRoot,
    /// Inbox.
    Inbox,
    /// Sent Items.
    SentItems,
    /// Drafts.
    Drafts,
    /// Deleted Items.
    DeletedItems,
    /// Junk Email.
    JunkEmail,
    /// Outbox.
    Outbox,
    /// Calendar.
    Calendar,
    /// Contacts.
    Contacts,
    /// Tasks.
    Tasks,
    /// Notes.
    Notes,
    /// Journal.
    Journal,
    /// Archive (the in-mailbox one-click archive folder).
    Archive,
    /// Conversation History.
    ConversationHistory,
    /// Search folders root (non-IPM).
    SearchFolders,
    /// Recoverable Items root (non-IPM).
    RecoverableItemsRoot,
    /// Recoverable Items deletions (non-IPM).
    RecoverableItemsDeletions,
}

impl WellKnownFolder {
    /// Every well-known folder a new mailbox gets, parents before children.
    pub const ALL: [WellKnownFolder; 18] = [
        WellKnownFolder::Root,
        WellKnownFolder::MsgFolderRoot,
        WellKnownFolder::Inbox,
        WellKnownFolder::SentItems,
        WellKnownFolder::Drafts,
        WellKnownFolder::DeletedItems,
        WellKnownFolder::JunkEmail,
        WellKnownFolder::Outbox,
        WellKnownFolder::Calendar,
        WellKnownFolder::Contacts,
        WellKnownFolder::Tasks,
        WellKnownFolder::Notes,
        WellKnownFolder::Journal,
        WellKnownFolder::Archive,
        WellKnownFolder::ConversationHistory,
        WellKnownFolder::SearchFolders,
        WellKnownFolder::RecoverableItemsRoot,
        WellKnownFolder::RecoverableItemsDeletions,
    ];

    /// The EWS `DistinguishedFolderId` name.
    pub fn distinguished_id(self) -> &'static str {
        match self {
            WellKnownFolder::Root => "root",
            WellKnownFolder::MsgFolderRoot => "msgfolderroot",
            WellKnownFolder::Inbox => "inbox",
            WellKnownFolder::SentItems => "sentitems",
            WellKnownFolder::Drafts => "drafts",
            WellKnownFolder::DeletedItems => "deleteditems",
            WellKnownFolder::JunkEmail => "junkemail",
            WellKnownFolder::Outbox => "outbox",
            WellKnownFolder::Calendar => "calendar",
            WellKnownFolder::Contacts => "contacts",
            WellKnownFolder::Tasks => "tasks",
            WellKnownFolder::Notes => "notes",
            WellKnownFolder::Journal => "journal",
            WellKnownFolder::Archive => "archive",
            WellKnownFolder::ConversationHistory => "conversationhistory",
            WellKnownFolder::SearchFolders => "searchfolders",
            WellKnownFolder::RecoverableItemsRoot => "recoverableitemsroot",
            WellKnownFolder::RecoverableItemsDeletions => "recoverableitemsdeletions",
        }
    }

    /// Looks a folder up by its `DistinguishedFolderId` name.
    pub fn from_distinguished_id(name: &str) -> Option<WellKnownFolder> {
        WellKnownFolder::ALL
            .iter()
            .copied()
            .find(|folder| folder.distinguished_id() == name)
    }

    /// The folder this one sits under; `None` for the mailbox root.
    pub fn parent(self) -> Option<WellKnownFolder> {
        match self {
            WellKnownFolder::Root => None,
            WellKnownFolder::MsgFolderRoot
            | WellKnownFolder::SearchFolders
            | WellKnownFolder::RecoverableItemsRoot => Some(WellKnownFolder::Root),
            WellKnownFolder::RecoverableItemsDeletions => {
                Some(WellKnownFolder::RecoverableItemsRoot)
            }
            _ => Some(WellKnownFolder::MsgFolderRoot),
        }
    }

    /// The `FolderClass` the folder has; empty for folders Exchange gives no class.
    pub fn folder_class(self) -> &'static str {
        match self {
            WellKnownFolder::Calendar => "IPF.Appointment",
            WellKnownFolder::Contacts => "IPF.Contact",
            WellKnownFolder::Tasks => "IPF.Task",
            WellKnownFolder::Notes => "IPF.StickyNote",
            WellKnownFolder::Journal => "IPF.Journal",
            // `Top of Information Store` has no class on Exchange Online, like the other
            // folders directly under the root (recorded `FindFolder` of `root`).
            WellKnownFolder::Root
            | WellKnownFolder::MsgFolderRoot
            | WellKnownFolder::SearchFolders
            | WellKnownFolder::RecoverableItemsRoot
            | WellKnownFolder::RecoverableItemsDeletions => "",
            _ => "IPF.Note",
        }
    }

    /// The display name in a mailbox of the given locale (the names Outlook shows).
    pub fn display_name(self, locale: Locale) -> &'static str {
        use Locale::*;
        use WellKnownFolder::*;
        match (self, locale) {
            (Root, _) => "",
            (MsgFolderRoot, _) => "Top of Information Store",
            (SearchFolders, _) => "Finder",
            (RecoverableItemsRoot, _) => "Recoverable Items",
            (RecoverableItemsDeletions, _) => "Deletions",
            (Inbox, English) => "Inbox",
            (Inbox, German) => "Posteingang",
            (Inbox, French) => "Boîte de réception",
            (Inbox, Japanese) => "受信トレイ",
            (SentItems, English) => "Sent Items",
            (SentItems, German) => "Gesendete Elemente",
            (SentItems, French) => "Éléments envoyés",
            (SentItems, Japanese) => "送信済みアイテム",
            (Drafts, English) => "Drafts",
            (Drafts, German) => "Entwürfe",
            (Drafts, French) => "Brouillons",
            (Drafts, Japanese) => "下書き",
            (DeletedItems, English) => "Deleted Items",
            (DeletedItems, German) => "Gelöschte Elemente",
            (DeletedItems, French) => "Éléments supprimés",
            (DeletedItems, Japanese) => "削除済みアイテム",
            (JunkEmail, English) => "Junk Email",
            (JunkEmail, German) => "Junk-E-Mail",
            (JunkEmail, French) => "Courrier indésirable",
            (JunkEmail, Japanese) => "迷惑メール",
            (Outbox, English) => "Outbox",
            (Outbox, German) => "Postausgang",
            (Outbox, French) => "Boîte d'envoi",
            (Outbox, Japanese) => "送信トレイ",
            (Calendar, English) => "Calendar",
            (Calendar, German) => "Kalender",
            (Calendar, French) => "Calendrier",
            (Calendar, Japanese) => "予定表",
            (Contacts, English) => "Contacts",
            (Contacts, German) => "Kontakte",
            (Contacts, French) => "Contacts",
            (Contacts, Japanese) => "連絡先",
            (Tasks, English) => "Tasks",
            (Tasks, German) => "Aufgaben",
            (Tasks, French) => "Tâches",
            (Tasks, Japanese) => "タスク",
            (Notes, English) => "Notes",
            (Notes, German) => "Notizen",
            (Notes, French) => "Notes",
            (Notes, Japanese) => "メモ",
            (Journal, English) => "Journal",
            (Journal, German) => "Journal",
            (Journal, French) => "Journal",
            (Journal, Japanese) => "履歴",
            (Archive, English) => "Archive",
            (Archive, German) => "Archiv",
            (Archive, French) => "Archive",
            (Archive, Japanese) => "アーカイブ",
            (ConversationHistory, English) => "Conversation History",
            (ConversationHistory, German) => "Unterhaltungsverlauf",
            (ConversationHistory, French) => "Historique des conversations",
            (ConversationHistory, Japanese) => "会話の履歴",
        }
    }

    /// Whether the folder is part of the user-visible (IPM) tree under `msgfolderroot`.
    pub fn is_ipm(self) -> bool {
        !matches!(
            self,
            WellKnownFolder::Root
                | WellKnownFolder::SearchFolders
                | WellKnownFolder::RecoverableItemsRoot
                | WellKnownFolder::RecoverableItemsDeletions
        )
    }
}

/// The language a mailbox was provisioned in, which decides its well-known folder names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// en-US.
    English,
    /// de-DE.
    German,
    /// fr-FR.
    French,
    /// ja-JP.
    Japanese,
}

impl Locale {
    /// The culture name EWS reports.
    pub fn culture(self) -> &'static str {
        match self {
            Locale::English => "en-US",
            Locale::German => "de-DE",
            Locale::French => "fr-FR",
            Locale::Japanese => "ja-JP",
        }
    }
}

/// Who a folder permission entry is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PermissionUser {
    /// Every authenticated user without an entry of their own.
    Default,
    /// Unauthenticated users.
    Anonymous,
    /// A specific user, by primary SMTP address.
    User {
        /// Primary SMTP address.
        address: String,
        /// Display name, as Exchange reports it back.
        display_name: String,
    },
}

/// One entry of a folder's permission set, in EWS terms.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Permission {
    /// Who the entry is for.
    pub user: PermissionUser,
    /// May create items.
    pub can_create_items: bool,
    /// May create subfolders.
    pub can_create_subfolders: bool,
    /// Owns the folder.
    pub is_folder_owner: bool,
    /// Can see the folder.
    pub is_folder_visible: bool,
    /// Is a contact of the folder.
    pub is_folder_contact: bool,
    /// `None`, `Owned` or `All`.
    pub edit_items: String,
    /// `None`, `Owned` or `All`.
    pub delete_items: String,
    /// `None` or `FullDetails` (calendars also `TimeOnly`, `TimeAndSubjectAndLocation`).
    pub read_items: String,
    /// `PermissionLevel` or `CalendarPermissionLevel` name (`Reviewer`, `Editor`, `Custom`...).
    pub level: String,
    /// Set when Graph made the user a calendar delegate (`delegateWith…PrivateEventAccess`),
    /// which EWS shows as `Editor`; `None` for every other entry.
    pub calendar_delegate: Option<CalendarDelegate>,
}

/// The two delegate roles of Graph's `calendarPermission`, kept beside an `Editor` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalendarDelegate {
    /// `delegateWithoutPrivateEventAccess`.
    WithoutPrivateEventAccess,
    /// `delegateWithPrivateEventAccess`.
    WithPrivateEventAccess,
}

impl Permission {
    /// An entry with the rights that a named permission level implies.
    pub fn with_level(user: PermissionUser, level: &str) -> Permission {
        let (create, subfolders, owner, visible, contact, edit, delete, read) = match level {
            "Owner" => (true, true, true, true, true, "All", "All", "FullDetails"),
            "PublishingEditor" => (true, true, false, true, false, "All", "All", "FullDetails"),
            "Editor" => (true, false, false, true, false, "All", "All", "FullDetails"),
            "PublishingAuthor" => (
                true,
                true,
                false,
                true,
                false,
                "Owned",
                "Owned",
                "FullDetails",
            ),
            "Author" => (
                true,
                false,
                false,
                true,
                false,
                "Owned",
                "Owned",
                "FullDetails",
            ),
            "NoneditingAuthor" => (
                true,
                false,
                false,
                true,
                false,
                "None",
                "Owned",
                "FullDetails",
            ),
            "Reviewer" => (
                false,
                false,
                false,
                true,
                false,
                "None",
                "None",
                "FullDetails",
            ),
            "Contributor" => (true, false, false, true, false, "None", "None", "None"),
            "FreeBusyTimeOnly" => (
                false, false, false, false, false, "None", "None", "TimeOnly",
            ),
            "FreeBusyTimeAndSubjectAndLocation" => (
                false,
                false,
                false,
                false,
                false,
                "None",
                "None",
                "TimeAndSubjectAndLocation",
            ),
            _ => (false, false, false, false, false, "None", "None", "None"),
        };
        Permission {
            user,
            can_create_items: create,
            can_create_subfolders: subfolders,
            is_folder_owner: owner,
            is_folder_visible: visible,
            is_folder_contact: contact,
            edit_items: edit.into(),
            delete_items: delete.into(),
            read_items: read.into(),
            level: level.into(),
            calendar_delegate: None,
        }
    }
}

/// A change to a folder's contents, as `SyncFolderItems` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemChange {
    /// The item's number.
    pub item_seq: u64,
    /// The change number at which the item entered this folder.
    pub created_change: u64,
    /// True when the item has left the folder (deleted or moved away).
    pub deleted: bool,
}

/// A folder and the index of the items it holds.
#[derive(Debug, Clone)]
pub struct Folder {
    /// The folder's number inside its mailbox.
    pub seq: u64,
    /// The parent folder; `None` for the mailbox root.
    pub parent: Option<u64>,
    /// The display name.
    pub display_name: String,
    /// The folder class (`IPF.Note`, `IPF.Appointment`...).
    pub folder_class: String,
    /// Set for well-known folders.
    pub well_known: Option<WellKnownFolder>,
    /// The folder's permission entries.
    pub permissions: Vec<Permission>,
    /// Items by (received time, item number), which is the order `FindItem` pages through.
    pub items: BTreeSet<(i64, u64)>,
    /// The latest change of every item that is or was in the folder, by change number.
    pub item_changes: BTreeMap<u64, ItemChange>,
    /// The total size of the folder's items.
    pub total_bytes: u64,
    /// Unread items in the folder.
    pub unread: u64,
    /// The change number at which the folder was created.
    pub created_change: u64,
    /// The change number of the folder's last change of its own properties.
    pub last_change: u64,
}

impl Folder {
    /// Whether the folder holds calendar items, which use calendar permission levels.
    pub fn is_calendar(&self) -> bool {
        self.folder_class.starts_with("IPF.Appointment")
    }

    /// The element name EWS uses for this folder in replies.
    pub fn element_name(&self) -> &'static str {
        let class = self.folder_class.as_str();
        if class.starts_with("IPF.Appointment") {
            "t:CalendarFolder"
        } else if class.starts_with("IPF.Contact") {
            "t:ContactsFolder"
        } else if class.starts_with("IPF.Task") {
            "t:TasksFolder"
        } else {
            "t:Folder"
        }
    }

    /// The kind that starts the folder's change key on Exchange: 1 for a folder, 2 a calendar,
    /// 3 a contacts folder, 4 a tasks folder (recorded keys begin `AQAAAB`, `AgAAAB`, `AwAAAB`,
    /// `BAAAAB`). It follows the class, not the element a client created the folder with.
    pub fn change_key_kind(&self) -> u32 {
        match self.element_name() {
            "t:CalendarFolder" => 2,
            "t:ContactsFolder" => 3,
            "t:TasksFolder" => 4,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_folders_have_parents_in_order() {
        for (index, folder) in WellKnownFolder::ALL.iter().enumerate() {
            if let Some(parent) = folder.parent() {
                let parent_index = WellKnownFolder::ALL
                    .iter()
                    .position(|candidate| *candidate == parent)
                    .expect("parent is well known");
                assert!(parent_index < index, "{folder:?} listed before its parent");
            }
            assert_eq!(
                WellKnownFolder::from_distinguished_id(folder.distinguished_id()),
                Some(*folder)
            );
        }
    }

    #[test]
    fn permission_levels_imply_rights() {
        let reviewer = Permission::with_level(PermissionUser::Default, "Reviewer");
        assert_eq!(reviewer.read_items, "FullDetails");
        assert!(!reviewer.can_create_items);
        let owner = Permission::with_level(PermissionUser::Default, "Owner");
        assert!(owner.is_folder_owner && owner.can_create_subfolders);
    }
}
