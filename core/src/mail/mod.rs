//! The mail API boundary: what the coordinator and workers need from a mailbox service, in the
//! domain's own types. Protocol adapters implement [`MailApi`] outside this crate (EWS and
//! Microsoft Graph in `ferry-mail`); [`memory::MemoryMailApi`] implements it in memory, with the
//! failures real services have on demand, for unit tests; [`conformance`] is the suite every
//! implementation passes.
//!
//! Mailboxes are named by primary SMTP address; folders and items by the service's own
//! [`FolderId`] and [`ItemId`]. Items travel as [`ExportData`], which both protocols share.

pub mod conformance;
mod error;
mod folder;
mod ids;
mod item;
pub mod memory;
mod permission;
mod rule;

use std::sync::Arc;

use async_trait::async_trait;

pub use error::{MailError, ThrottleScope};
pub use folder::{MailFolder, WELL_KNOWN_FOLDERS};
pub use ids::{FolderId, ItemId};
pub use item::{DestinationItem, ExportData, Exported, ExportedItems, ListedItem, ReceivedRange};
pub use permission::{
    FolderPermission, FolderPermissions, Grantee, ItemScope, PermissionRights, PermissionScope,
    ReadRights,
};
pub use rule::{InboxRule, RuleAddress, RuleEntry, RuleFolder, RuleValue};

use crate::model::EndpointConfig;

/// What a protocol can carry besides items, so the engine reports what it skips instead of
/// failing on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Permissions of mail, contacts, tasks... folders.
    pub folder_permissions: bool,
    /// Permissions of the default calendar.
    pub calendar_permissions: bool,
    /// Permissions of calendars other than the default one.
    pub other_calendar_permissions: bool,
    /// Inbox rules.
    pub inbox_rules: bool,
    /// Looking up a legacyExchangeDN or X500 address in the directory.
    pub resolve_exchange_addresses: bool,
    /// How many requests the calls that can send several make.
    pub requests: RequestSizes,
    /// Requests one application may have in flight at one mailbox: Exchange's limit for the
    /// protocol. Workers share it through the store, a unit holding a place at its source
    /// and its destination mailbox while it runs (a unit makes one call at a time to each).
    pub mailbox_concurrency: u32,
}

/// Exchange Online's concurrent EWS connections per mailbox (`EWSMaxConcurrency`), charged to
/// the target mailbox under impersonation.
pub const EWS_MAILBOX_CONCURRENCY: u32 = 27;

/// Items one request of each kind carries, for calls that send a request per so many items;
/// 0 means the call is one request whatever its size. Pacing takes one turn of the tenant's
/// request rate per request, so these must match what the adapter sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestSizes {
    /// Items per page of a listing (`items`, `stamped_items`).
    pub listing: u32,
    /// Items per export request.
    pub export: u32,
    /// Items per upload request.
    pub upload: u32,
}

impl RequestSizes {
    /// The requests a call over `items` items sends, `per` items a request (at least one).
    pub fn requests(per: u32, items: usize) -> u32 {
        if per == 0 {
            1
        } else {
            (items.div_ceil(per as usize)).clamp(1, u32::MAX as usize) as u32
        }
    }
}

impl Capabilities {
    /// Everything (EWS, and the in-memory service).
    pub const ALL: Capabilities = Capabilities {
        folder_permissions: true,
        calendar_permissions: true,
        other_calendar_permissions: true,
        inbox_rules: true,
        resolve_exchange_addresses: true,
        // EWS: FindItem pages of 1000 (`ews/src/ops/items.rs`); one ExportItems and one
        // UploadItems per batch.
        requests: RequestSizes {
            listing: 1000,
            export: 0,
            upload: 0,
        },
        mailbox_concurrency: EWS_MAILBOX_CONCURRENCY,
    };

    /// Whether permissions of `folder` can be read and written.
    pub fn carries_permissions_of(&self, folder: &MailFolder) -> bool {
        match folder.permission_scope() {
            PermissionScope::Folder => self.folder_permissions,
            PermissionScope::Calendar if folder.well_known.as_deref() == Some("calendar") => {
                self.calendar_permissions
            }
            PermissionScope::Calendar => self.other_calendar_permissions,
        }
    }
}

/// What the migration needs from one tenant's mail service.
#[async_trait]
pub trait MailApi: Send + Sync {
    /// The protocol's name (`ews`, `graph`, `memory`), for messages and metrics.
    fn protocol(&self) -> &'static str;
    /// What it carries besides items.
    fn capabilities(&self) -> Capabilities;
    /// Checks the credentials reach the mailbox.
    async fn verify(&self, mailbox: &str) -> Result<(), MailError>;
    /// The id of the top of the mailbox's folder tree.
    async fn root_folder(&self, mailbox: &str) -> Result<FolderId, MailError>;
    /// Every folder below the top of the tree that holds items (not search folders), parents
    /// before children, well-known folders marked with their name.
    async fn folders(&self, mailbox: &str) -> Result<Vec<MailFolder>, MailError>;
    /// Creates a folder; `FolderExists` if the parent has one of that name.
    async fn create_folder(
        &self,
        mailbox: &str,
        parent: &FolderId,
        name: &str,
        folder_class: &str,
    ) -> Result<FolderId, MailError>;
    /// A folder's items in a received-time range.
    async fn items(
        &self,
        mailbox: &str,
        folder: &FolderId,
        range: ReceivedRange,
    ) -> Result<Vec<ListedItem>, MailError>;
    /// A destination folder's items with their stamps.
    async fn stamped_items(
        &self,
        mailbox: &str,
        folder: &FolderId,
    ) -> Result<Vec<DestinationItem>, MailError>;
    /// Exports items, streaming them in the order asked.
    async fn export(
        &self,
        mailbox: &str,
        ids: &[ItemId],
    ) -> Result<Box<dyn ExportedItems>, MailError>;
    /// Uploads export data into a folder as new items; one result (the new id) per item, in
    /// order. A retryable error for the whole call, fewer results than items, or an item's
    /// [`MailError::OutcomeUnknown`] means those items may or may not have been made (a reply
    /// was lost): the caller looks for their copies at the destination before retrying them.
    /// Any other retryable per-item error means that item was not made.
    async fn upload(
        &self,
        mailbox: &str,
        folder: &FolderId,
        items: &[ExportData],
    ) -> Result<Vec<Result<ItemId, MailError>>, MailError>;
    /// The primary SMTP address of the mailbox an Exchange address (a legacyExchangeDN or an
    /// `X500:` proxy) names in this tenant's directory, looked up on behalf of `mailbox`;
    /// `None` if the directory knows no such mailbox (or the protocol cannot look it up).
    async fn resolve_exchange_address(
        &self,
        mailbox: &str,
        legacy_dn: &str,
    ) -> Result<Option<String>, MailError>;
    /// A folder's permissions; `Unsupported` where [`Capabilities`] says so.
    async fn permissions(
        &self,
        mailbox: &str,
        folder: &MailFolder,
    ) -> Result<FolderPermissions, MailError>;
    /// The permissions of several folders, one result per folder in order, in as few calls
    /// as the protocol allows (planning reads every folder's, and most have only the
    /// defaults). By default, one [`MailApi::permissions`] call per folder.
    async fn permissions_of(
        &self,
        mailbox: &str,
        folders: &[MailFolder],
    ) -> Result<Vec<Result<FolderPermissions, MailError>>, MailError> {
        let mut results = Vec::with_capacity(folders.len());
        for folder in folders {
            results.push(self.permissions(mailbox, folder).await);
        }
        Ok(results)
    }
    /// Replaces a folder's permissions; `Unsupported` where [`Capabilities`] says so.
    async fn set_permissions(
        &self,
        mailbox: &str,
        folder: &MailFolder,
        permissions: &FolderPermissions,
    ) -> Result<(), MailError>;
    /// The mailbox's inbox rules.
    async fn rules(&self, mailbox: &str) -> Result<Vec<InboxRule>, MailError>;
    /// Creates inbox rules.
    async fn create_rules(&self, mailbox: &str, rules: &[InboxRule]) -> Result<(), MailError>;
}

/// Builds the mail API for a tenant endpoint.
pub trait MailApiFactory: Send + Sync {
    /// The API for `endpoint` (implementations may cache one per endpoint).
    fn connect(&self, endpoint: &EndpointConfig) -> Result<Arc<dyn MailApi>, MailError>;
}
