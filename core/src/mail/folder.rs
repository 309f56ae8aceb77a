//! Folders as a migration sees them, whatever the protocol.

use super::FolderId;

/// The well-known folders below the top of a mailbox's tree that a migration maps by name
/// rather than by display name (display names are localised). EWS calls these distinguished
/// folder ids and Graph well-known names; both use these spellings.
pub const WELL_KNOWN_FOLDERS: &[&str] = &[
    "inbox",
    "sentitems",
    "drafts",
    "deleteditems",
    "junkemail",
    "outbox",
    "calendar",
    "contacts",
    "tasks",
    "notes",
    "journal",
    "archive",
    "conversationhistory",
    "syncissues",
    "conflicts",
    "localfailures",
    "serverfailures",
];

/// A folder of a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFolder {
    /// Id.
    pub id: FolderId,
    /// Parent id (the top of the tree for top-level folders).
    pub parent_id: Option<FolderId>,
    /// Display name.
    pub display_name: String,
    /// Folder class (`IPF.Note`, `IPF.Appointment`...).
    pub folder_class: String,
    /// Its well-known name (one of [`WELL_KNOWN_FOLDERS`]), if it is one.
    pub well_known: Option<String>,
    /// Items in it.
    pub item_count: u64,
}

impl MailFolder {
    /// Whether its permissions are a calendar's (which have free/busy levels).
    pub fn permission_scope(&self) -> super::PermissionScope {
        if self.folder_class.starts_with("IPF.Appointment") {
            super::PermissionScope::Calendar
        } else {
            super::PermissionScope::Folder
        }
    }
}
