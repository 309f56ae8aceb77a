//! The simulated directory: tenants, mailboxes, folders, items, rules and permissions.
//!
//! The model knows nothing of SOAP; the `ews` module translates requests into calls on it.

pub mod folder;
pub mod item;
pub mod mailbox;
pub mod props;
pub mod rules;
pub mod tenant;

pub use folder::{Folder, Locale, Permission, PermissionUser, WellKnownFolder};
pub use item::{Item, ItemDetails, Person};
pub use mailbox::{FolderError, MailboxState};
pub use props::{ExtendedProperty, PropertyKey};
pub use rules::{InboxRule, RuleEntry, RuleValue};
pub use tenant::{
    AdminAccount, AppRegistration, Counters, Directory, Mailbox, MailboxKind, Secret, Tenant,
};
