//! A client for Microsoft Graph's mailbox import/export API (v1.0): every call a migration
//! makes, with OAuth2 client credentials (secret or certificate) or a delegated admin, token
//! caching and renewal, typed errors and throttling hints, and replies that stream.
//!
//! - [`GraphClient`] / [`GraphConfig`]: one tenant's client.
//! - Discovery: [`GraphClient::mailbox_id`] (`users/{upn}/settings/exchange`).
//! - Folders: [`GraphClient::folders`] (the whole tree, paged), [`GraphClient::folder`],
//!   [`GraphClient::create_folder`], [`GraphClient::delete_folder`].
//! - Items: [`GraphClient::items`] (with expanded extended properties, which is how the stamp
//!   and the received time are read), [`GraphClient::item_delta`], [`GraphClient::delete_item`].
//! - Export: [`GraphClient::export_items`], at most [`MAX_EXPORT_IDS`] ids a call, results
//!   streamed one item at a time ([`ExportStream`]) with per-item errors.
//! - Inbox rules ([`GraphClient::message_rules`]), default-calendar permissions
//!   ([`GraphClient::calendar_permissions`]) and id translation ([`GraphClient::translate_ids`],
//!   [`GraphClient::folder_entry_ids`]) on the users API, which names folders by other ids than
//!   the mailbox API does (see [`ops::ids`]).
//! - Import: [`GraphClient::import_item`] posts one item to the mailbox's import session, made
//!   with `createImportSession`, kept per mailbox and replaced before it expires; the import
//!   URL is pre-authenticated, so it is sent without an `Authorization` header and never
//!   logged or printed.
//!
//! Item data is the same full-fidelity stream EWS's `ExportItems` returns and `UploadItems`
//! takes ([`ferry_fasttransfer::Chunks`]); request bodies are written and replies read in pieces,
//! so memory per call is about one item.

mod client;
mod error;
pub mod ops;
mod types;

pub use client::{GraphClient, GraphConfig, DEFAULT_PAGE_SIZE};
pub use error::{GraphError, ItemError};
pub use ops::calendar::{CalendarPermission, CalendarRole, EmailAddress};
pub use ops::export::{ExportStream, ExportedItem, MAX_EXPORT_IDS};
pub use ops::ids::{
    decode_id_bytes, FolderEntryId, IdFormat, ENTRY_ID_PROPERTY, MAX_TRANSLATED_IDS,
};
pub use ops::rules::MessageRule;
pub use types::{
    DeltaStart, ExchangeSettings, ExtendedProperty, Folder, ImportSession, ImportedItem, Item,
    ItemChange, ItemDelta, MailboxId,
};

#[doc(no_inline)]
pub use ferry_auth::{AuthError, ClientCertificate, Cloud, Credentials, Secret};
