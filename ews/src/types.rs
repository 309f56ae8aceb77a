//! What the client sends and receives: ids, folders, items, extended properties, permissions,
//! inbox rules, restrictions, sync changes.

use chrono::{DateTime, Utc};

pub use crate::data::ItemData;

/// A folder id with its change key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FolderId {
    /// The opaque id.
    pub id: String,
    /// The change key, when the server gave one.
    pub change_key: Option<String>,
}

impl FolderId {
    /// An id without a change key.
    pub fn new(id: impl Into<String>) -> FolderId {
        FolderId {
            id: id.into(),
            change_key: None,
        }
    }
}

/// An item id with its change key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId {
    /// The opaque id.
    pub id: String,
    /// The change key, when the server gave one.
    pub change_key: Option<String>,
}

impl ItemId {
    /// An id without a change key.
    pub fn new(id: impl Into<String>) -> ItemId {
        ItemId {
            id: id.into(),
            change_key: None,
        }
    }
}

/// A folder by id, or a well-known folder by its distinguished name (`inbox`, `msgfolderroot`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FolderRef {
    /// A folder id.
    Id(FolderId),
    /// A `DistinguishedFolderId` name.
    Distinguished(String),
}

impl FolderRef {
    /// A well-known folder.
    pub fn distinguished(name: impl Into<String>) -> FolderRef {
        FolderRef::Distinguished(name.into())
    }
}

impl From<FolderId> for FolderRef {
    fn from(id: FolderId) -> FolderRef {
        FolderRef::Id(id)
    }
}

/// The kind of folder element the server used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FolderKind {
    /// `t:Folder` (mail and others).
    Mail,
    /// `t:CalendarFolder`.
    Calendar,
    /// `t:ContactsFolder`.
    Contacts,
    /// `t:TasksFolder`.
    Tasks,
    /// `t:SearchFolder`.
    Search,
}

impl FolderKind {
    /// The element name for creating a folder of this kind.
    pub fn element(self) -> &'static str {
        match self {
            FolderKind::Mail => "t:Folder",
            FolderKind::Calendar => "t:CalendarFolder",
            FolderKind::Contacts => "t:ContactsFolder",
            FolderKind::Tasks => "t:TasksFolder",
            FolderKind::Search => "t:SearchFolder",
        }
    }

    /// The kind a folder class implies (`IPF.Appointment` is a calendar).
    pub fn for_class(folder_class: &str) -> FolderKind {
        if folder_class.starts_with("IPF.Appointment") {
            FolderKind::Calendar
        } else if folder_class.starts_with("IPF.Contact") {
            FolderKind::Contacts
        } else if folder_class.starts_with("IPF.Task") {
            FolderKind::Tasks
        } else {
            FolderKind::Mail
        }
    }
}

/// A folder as the server described it; absent properties were not returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// Element kind.
    pub kind: FolderKind,
    /// Id.
    pub id: FolderId,
    /// Parent id.
    pub parent_id: Option<FolderId>,
    /// `FolderClass`.
    pub folder_class: Option<String>,
    /// `DisplayName`.
    pub display_name: Option<String>,
    /// `TotalCount`.
    pub total_count: Option<u64>,
    /// `ChildFolderCount`.
    pub child_folder_count: Option<u64>,
    /// `UnreadCount`.
    pub unread_count: Option<u64>,
    /// `DistinguishedFolderId`, for well-known folders when asked for.
    pub distinguished_id: Option<String>,
    /// The permission set, when asked for.
    pub permissions: Option<Vec<Permission>>,
    /// Extended properties returned.
    pub extended_properties: Vec<ExtendedProperty>,
}

/// A mailbox as items name it (sender, recipients).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailAddress {
    /// Display name.
    pub name: Option<String>,
    /// SMTP address.
    pub address: Option<String>,
}

/// A mailbox `ResolveNames` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// Display name.
    pub name: String,
    /// Its address (the primary SMTP address for a mailbox).
    pub email_address: String,
    /// `SMTP` or `EX`.
    pub routing_type: String,
    /// `Mailbox`, `PublicDL`, `Contact`...
    pub mailbox_type: String,
}

/// An item as the server described it; absent properties were not returned.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    /// The element name without prefix (`Message`, `CalendarItem`, `Contact`...).
    pub element: String,
    /// Id.
    pub id: Option<ItemId>,
    /// Parent folder id.
    pub parent_folder_id: Option<FolderId>,
    /// `ItemClass`.
    pub item_class: Option<String>,
    /// `Subject`.
    pub subject: Option<String>,
    /// `DateTimeReceived`.
    pub date_time_received: Option<DateTime<Utc>>,
    /// `DateTimeSent`.
    pub date_time_sent: Option<DateTime<Utc>>,
    /// `DateTimeCreated`.
    pub date_time_created: Option<DateTime<Utc>>,
    /// `LastModifiedTime`.
    pub last_modified_time: Option<DateTime<Utc>>,
    /// `Size` in bytes.
    pub size: Option<u64>,
    /// `Importance`.
    pub importance: Option<String>,
    /// `HasAttachments`.
    pub has_attachments: Option<bool>,
    /// `IsRead`.
    pub is_read: Option<bool>,
    /// `InternetMessageId`.
    pub internet_message_id: Option<String>,
    /// `From`.
    pub from: Option<EmailAddress>,
    /// `Categories`.
    pub categories: Vec<String>,
    /// Extended properties returned.
    pub extended_properties: Vec<ExtendedProperty>,
    /// `MimeContent`, decoded, when asked for.
    pub mime_content: Option<ItemData>,
}

/// The property set of a named extended property.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PropertySet {
    /// A `DistinguishedPropertySetId` (`PublicStrings`, `Common`...).
    Distinguished(String),
    /// A property set GUID.
    Guid(uuid::Uuid),
}

/// Which extended property: a proptag, or a named property.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PropertyName {
    /// `PropertyTag` (the 16-bit id).
    Tag(u16),
    /// A named property with a numeric name.
    Id(PropertySet, u32),
    /// A named property with a string name.
    Name(PropertySet, String),
}

/// An `ExtendedFieldURI`: a property and its MAPI type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtendedPropertyPath {
    /// The property.
    pub name: PropertyName,
    /// The `MapiPropertyTypeType` (`String`, `Integer`, `SystemTime`, `StringArray`...).
    pub property_type: String,
}

impl ExtendedPropertyPath {
    /// A string property in `PublicStrings`, the usual home of application-defined properties.
    pub fn public_string(name: impl Into<String>) -> ExtendedPropertyPath {
        ExtendedPropertyPath {
            name: PropertyName::Name(
                PropertySet::Distinguished("PublicStrings".into()),
                name.into(),
            ),
            property_type: "String".into(),
        }
    }

    /// A tagged property.
    pub fn tag(tag: u16, property_type: impl Into<String>) -> ExtendedPropertyPath {
        ExtendedPropertyPath {
            name: PropertyName::Tag(tag),
            property_type: property_type.into(),
        }
    }

    /// Whether the type holds several values.
    pub fn is_array(&self) -> bool {
        self.property_type.ends_with("Array")
    }
}

/// An extended property and its value(s) in EWS text form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedProperty {
    /// Which property.
    pub path: ExtendedPropertyPath,
    /// One value, or several for array types.
    pub values: Vec<String>,
}

/// Who a folder permission is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PermissionUser {
    /// Every authenticated user without an entry of their own.
    Default,
    /// Unauthenticated users.
    Anonymous,
    /// A user by primary SMTP address.
    User {
        /// Primary SMTP address.
        address: String,
        /// Display name as the server reports it.
        display_name: Option<String>,
    },
}

/// One folder permission entry (`Permission` or `CalendarPermission`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// Who.
    pub user: PermissionUser,
    /// `PermissionLevel` or `CalendarPermissionLevel`; `Custom` means the rights below apply.
    pub level: String,
    /// `CanCreateItems`.
    pub can_create_items: bool,
    /// `CanCreateSubFolders`.
    pub can_create_subfolders: bool,
    /// `IsFolderOwner`.
    pub is_folder_owner: bool,
    /// `IsFolderVisible`.
    pub is_folder_visible: bool,
    /// `IsFolderContact`.
    pub is_folder_contact: bool,
    /// `EditItems`: `None`, `Owned`, `All`.
    pub edit_items: String,
    /// `DeleteItems`: `None`, `Owned`, `All`.
    pub delete_items: String,
    /// `ReadItems`: `None`, `FullDetails` (calendars also `TimeOnly`, `TimeAndSubjectAndLocation`).
    pub read_items: String,
}

impl Permission {
    /// An entry with a named level; the server derives the rights.
    pub fn with_level(user: PermissionUser, level: impl Into<String>) -> Permission {
        Permission {
            user,
            level: level.into(),
            can_create_items: false,
            can_create_subfolders: false,
            is_folder_owner: false,
            is_folder_visible: false,
            is_folder_contact: false,
            edit_items: "None".into(),
            delete_items: "None".into(),
            read_items: "None".into(),
        }
    }
}

/// The value of one rule condition, exception or action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleValue {
    /// A boolean (`HasAttachments`, `MarkAsRead`, `StopProcessingRules`...).
    Flag(bool),
    /// A single token (`Importance`, `Sensitivity`, `MarkImportance`, `FlaggedForAction`).
    Token(String),
    /// Strings (`ContainsSubjectStrings`, `AssignCategories`...).
    Strings(Vec<String>),
    /// Addresses (`FromAddresses`, `ForwardToRecipients`...).
    Addresses(Vec<EmailAddress>),
    /// A folder (`MoveToFolder`, `CopyToFolder`).
    Folder(FolderRef),
    /// `WithinSizeRange`, in kilobytes.
    SizeRange {
        /// Minimum.
        minimum: Option<u64>,
        /// Maximum.
        maximum: Option<u64>,
    },
}

/// One named condition, exception or action of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEntry {
    /// The element name (`ContainsSubjectStrings`, `MoveToFolder`...).
    pub name: String,
    /// Its value.
    pub value: RuleValue,
}

/// An inbox rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRule {
    /// The server's id; `None` for a rule to create.
    pub id: Option<String>,
    /// Name.
    pub display_name: String,
    /// Evaluation order, from 1.
    pub priority: i32,
    /// Whether it runs.
    pub is_enabled: bool,
    /// Conditions.
    pub conditions: Vec<RuleEntry>,
    /// Exceptions.
    pub exceptions: Vec<RuleEntry>,
    /// Actions.
    pub actions: Vec<RuleEntry>,
    /// Names of conditions, exceptions or actions the client could not represent (so the rule
    /// cannot be recreated faithfully).
    pub unsupported_entries: Vec<String>,
}

/// A change to an inbox rule set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOperation {
    /// Create a rule (its id must be `None`).
    Create(InboxRule),
    /// Replace the rule with the same id.
    Set(InboxRule),
    /// Delete a rule by id.
    Delete(String),
}

/// A property a restriction or sort order can name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PropertyPath {
    /// A `FieldURI` (`item:DateTimeReceived`, `folder:DisplayName`...).
    Field(String),
    /// An `ExtendedFieldURI`.
    Extended(ExtendedPropertyPath),
}

/// A comparison in a restriction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `IsEqualTo`.
    Equal,
    /// `IsNotEqualTo`.
    NotEqual,
    /// `IsGreaterThan`.
    Greater,
    /// `IsGreaterThanOrEqualTo`.
    GreaterOrEqual,
    /// `IsLessThan`.
    Less,
    /// `IsLessThanOrEqualTo`.
    LessOrEqual,
}

/// A search restriction (`FindItem`, `FindFolder`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restriction {
    /// All must hold.
    And(Vec<Restriction>),
    /// One must hold.
    Or(Vec<Restriction>),
    /// Must not hold.
    Not(Box<Restriction>),
    /// The property is set.
    Exists(PropertyPath),
    /// Compares the property with a constant.
    Compare(PropertyPath, Comparison, String),
}

impl Restriction {
    /// Items received before `time`.
    pub fn received_before(time: DateTime<Utc>) -> Restriction {
        Restriction::Compare(
            PropertyPath::Field("item:DateTimeReceived".into()),
            Comparison::Less,
            crate::time::format(time),
        )
    }

    /// Items received at or after `time`.
    pub fn received_since(time: DateTime<Utc>) -> Restriction {
        Restriction::Compare(
            PropertyPath::Field("item:DateTimeReceived".into()),
            Comparison::GreaterOrEqual,
            crate::time::format(time),
        )
    }
}

/// A change reported by `SyncFolderItems` or `SyncFolderHierarchy`.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncChange<T, I> {
    /// Created since the sync state.
    Create(T),
    /// Changed since the sync state.
    Update(T),
    /// Deleted since the sync state.
    Delete(I),
    /// Read flag changed (items only).
    ReadFlagChange(I, bool),
}

/// One page of sync changes and where to continue.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncPage<T, I> {
    /// The state to send next time.
    pub sync_state: String,
    /// Whether there is nothing more to fetch now.
    pub includes_last: bool,
    /// The changes, in order.
    pub changes: Vec<SyncChange<T, I>>,
}

/// One page of a `FindItem` or `FindFolder`.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The entries.
    pub entries: Vec<T>,
    /// `TotalItemsInView`.
    pub total: Option<u64>,
    /// `IndexedPagingOffset`: where the next page starts.
    pub next_offset: Option<u64>,
    /// `IncludesLastItemInRange`.
    pub includes_last: bool,
}

/// One exported item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedItem {
    /// Its id in the source mailbox.
    pub id: ItemId,
    /// The opaque full-fidelity data.
    pub data: ItemData,
}

/// What `UploadItems` does with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateAction {
    /// Always a new item with a new id.
    CreateNew,
    /// Replace the item with the given id.
    Update,
    /// Replace it if it exists, else create.
    UpdateOrCreate,
}

impl CreateAction {
    /// The EWS name.
    pub fn as_str(self) -> &'static str {
        match self {
            CreateAction::CreateNew => "CreateNew",
            CreateAction::Update => "Update",
            CreateAction::UpdateOrCreate => "UpdateOrCreate",
        }
    }
}

/// An item to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadItem {
    /// The folder to put it in.
    pub parent: FolderId,
    /// What to do.
    pub action: CreateAction,
    /// The item to update, for `Update` and `UpdateOrCreate`.
    pub item_id: Option<ItemId>,
    /// Whether it is a folder-associated item.
    pub is_associated: bool,
    /// Export data from `ExportItems`.
    pub data: ItemData,
}

/// An item to create from MIME (`CreateItem`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MimeItem {
    /// `ItemClass`; the element is chosen from it.
    pub item_class: String,
    /// RFC 5322 content.
    pub mime: ItemData,
    /// Read flag.
    pub is_read: Option<bool>,
    /// Extended properties to set.
    pub extended_properties: Vec<ExtendedProperty>,
}

/// How `DeleteItem` deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteType {
    /// Permanently.
    HardDelete,
    /// To the recoverable items.
    SoftDelete,
    /// Move to Deleted Items.
    MoveToDeletedItems,
}

/// `ConvertId` formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdFormat {
    /// `EwsLegacyId`.
    EwsLegacyId,
    /// `EwsId`.
    EwsId,
    /// `EntryId`.
    EntryId,
    /// `HexEntryId`.
    HexEntryId,
    /// `StoreId`.
    StoreId,
    /// `OwaId`.
    OwaId,
}

impl IdFormat {
    /// The EWS name.
    pub fn as_str(self) -> &'static str {
        match self {
            IdFormat::EwsLegacyId => "EwsLegacyId",
            IdFormat::EwsId => "EwsId",
            IdFormat::EntryId => "EntryId",
            IdFormat::HexEntryId => "HexEntryId",
            IdFormat::StoreId => "StoreId",
            IdFormat::OwaId => "OwaId",
        }
    }
}

/// What the server says about itself in `ServerVersionInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerVersion {
    /// `MajorVersion`.
    pub major: u32,
    /// `MinorVersion`.
    pub minor: u32,
    /// `MajorBuildNumber`.
    pub major_build: u32,
    /// `MinorBuildNumber`.
    pub minor_build: u32,
    /// `Version` (schema version name).
    pub version: Option<String>,
}
