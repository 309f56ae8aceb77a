//! The simulated directory: tenants, mailboxes, folders, items, rules and permissions.
//!
//! Items are stored as Exchange stores them ([`message`]): a property bag ([`value`], keyed by
//! [`props::PropertyKey`]), a recipient table and attachments, embedded messages included.
//! [`address`] reads and writes the people an item names; [`compose`] builds messages the way
//! clients and transport fill them. The model knows nothing of SOAP; the `ews` module translates
//! requests into calls on it.

pub mod address;
pub mod compose;
pub mod folder;
pub mod item;
pub mod mailbox;
pub mod message;
pub mod props;
pub mod recurrence;
pub mod rules;
pub mod tags;
pub mod tenant;
pub mod value;

pub use address::Address;
pub use folder::{CalendarDelegate, Folder, Locale, Permission, PermissionUser, WellKnownFolder};
pub use item::{Item, Person};
pub use mailbox::{FolderError, MailboxState};
pub use message::{Attachment, Message, Recipient, RecipientType};
pub use props::{ExtendedProperty, PropertyKey};
pub use rules::{InboxRule, RuleEntry, RuleValue};
pub use tenant::{
    AdminAccount, AppRegistration, Counters, Directory, Mailbox, MailboxKind, Secret, Tenant,
};
pub use value::{Blob, PropValue};
