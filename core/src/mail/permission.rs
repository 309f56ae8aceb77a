//! Folder permissions, protocol-neutral: who, at which level, with which rights, and whether
//! the folder's permissions are a calendar's (whose levels include free/busy ones).

/// Which kind of permission set a folder has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PermissionScope {
    /// A mail, contacts, tasks... folder.
    Folder,
    /// A calendar: levels and read rights include free/busy (`TimeOnly`...).
    Calendar,
}

/// Who an entry is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Grantee {
    /// Every authenticated user without an entry of their own.
    Default,
    /// Unauthenticated users.
    Anonymous,
    /// A user, by primary SMTP address.
    User {
        /// Primary SMTP address.
        address: String,
        /// Display name as the service reports it.
        display_name: Option<String>,
    },
}

/// Which items a right covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ItemScope {
    /// None.
    #[default]
    None,
    /// Items the user created.
    Owned,
    /// Every item.
    All,
}

/// What a user may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ReadRights {
    /// Nothing.
    #[default]
    None,
    /// Everything.
    FullDetails,
    /// Calendars: free/busy times only.
    TimeOnly,
    /// Calendars: free/busy with subject and location.
    TimeAndSubjectAndLocation,
}

/// The rights of a custom entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PermissionRights {
    /// May create items.
    pub create_items: bool,
    /// May create subfolders.
    pub create_subfolders: bool,
    /// Owns the folder.
    pub folder_owner: bool,
    /// Sees the folder.
    pub folder_visible: bool,
    /// Is a folder contact.
    pub folder_contact: bool,
    /// May edit items.
    pub edit_items: ItemScope,
    /// May delete items.
    pub delete_items: ItemScope,
    /// May read items.
    pub read_items: ReadRights,
}

/// One entry of a folder's permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPermission {
    /// Who.
    pub grantee: Grantee,
    /// The named level (`Owner`, `Reviewer`, `Editor`, calendars also `FreeBusyTimeOnly`...);
    /// `Custom` means `rights` say what is allowed. The names are Exchange's own, which both
    /// EWS and Graph's calendar roles derive from.
    pub level: String,
    /// The rights; the service derives them from a named level.
    pub rights: PermissionRights,
}

impl FolderPermission {
    /// An entry with a named level.
    pub fn with_level(grantee: Grantee, level: impl Into<String>) -> FolderPermission {
        FolderPermission {
            grantee,
            level: level.into(),
            rights: PermissionRights::default(),
        }
    }

    /// Whether it only says what a new folder has anyway (Default or Anonymous, no rights).
    pub fn is_default_none(&self) -> bool {
        !matches!(self.grantee, Grantee::User { .. }) && self.level == "None"
    }
}

/// A folder's permissions with their scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPermissions {
    /// Calendar or folder permissions.
    pub scope: PermissionScope,
    /// The entries.
    pub entries: Vec<FolderPermission>,
    /// Entries the adapter could not represent, described (`ann@contoso.com: a custom
    /// role`): they are reported, not copied as something else.
    pub unsupported: Vec<String>,
}
