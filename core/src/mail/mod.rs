//! The mail API boundary: what the coordinator and workers need from a mailbox service, as a
//! trait. EWS implements it today ([`ews::EwsMailApi`]); Microsoft Graph's mailbox import/export
//! API can implement it when Exchange Online retires EWS.

pub mod ews;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferry_ews::data::ItemData;
use ferry_ews::types::{InboxRule, Permission};

use crate::model::{EndpointConfig, ItemKey};

/// How far a throttling reply reaches.
pub use ferry_ews::ThrottleScope;

/// A mail service failure, classified for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Slow down: wait `back_off` (if given) before calling this mailbox or tenant again.
    #[error("throttled ({scope})")]
    Throttled {
        /// The server's requested back-off.
        back_off: Option<Duration>,
        /// Mailbox, tenant or connection.
        scope: ThrottleScope,
    },
    /// Credentials or permissions refused.
    #[error("unauthorised: {0}")]
    Unauthorized(String),
    /// No such mailbox.
    #[error("mailbox not found: {0}")]
    MailboxNotFound(String),
    /// No such folder.
    #[error("folder not found: {0}")]
    FolderNotFound(String),
    /// No such item (deleted meanwhile).
    #[error("item not found: {0}")]
    ItemNotFound(String),
    /// Destination full.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// Item over the size limit.
    #[error("item too large: {0}")]
    ItemTooLarge(String),
    /// A folder with that name exists.
    #[error("folder exists: {0}")]
    FolderExists(String),
    /// May pass if retried.
    #[error("transient: {message}")]
    Transient {
        /// What happened.
        message: String,
        /// Server's retry hint.
        retry_after: Option<Duration>,
    },
    /// Will not pass.
    #[error("{code}: {message}")]
    Permanent {
        /// Service error code.
        code: String,
        /// What happened.
        message: String,
    },
}

impl MailError {
    /// A stable code for counters and the error log.
    pub fn code(&self) -> String {
        match self {
            MailError::Throttled { .. } => "throttled".into(),
            MailError::Unauthorized(_) => "unauthorized".into(),
            MailError::MailboxNotFound(_) => "mailbox_not_found".into(),
            MailError::FolderNotFound(_) => "folder_not_found".into(),
            MailError::ItemNotFound(_) => "item_not_found".into(),
            MailError::QuotaExceeded(_) => "quota_exceeded".into(),
            MailError::ItemTooLarge(_) => "item_too_large".into(),
            MailError::FolderExists(_) => "folder_exists".into(),
            MailError::Transient { .. } => "transient".into(),
            MailError::Permanent { code, .. } => code.clone(),
        }
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            MailError::Throttled { .. } | MailError::Transient { .. }
        )
    }
}

/// A folder as the migration sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFolder {
    /// Id.
    pub id: String,
    /// Parent id.
    pub parent_id: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Folder class.
    pub folder_class: String,
    /// Distinguished id of a well-known folder (`inbox`...).
    pub distinguished: Option<String>,
    /// Items in it.
    pub item_count: u64,
}

/// An item as a folder listing shows it (source items, and copies at the destination).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceItem {
    /// Id.
    pub id: String,
    /// Received time.
    pub received: Option<DateTime<Utc>>,
    /// Size.
    pub size: u64,
    /// Class.
    pub item_class: String,
    /// Subject.
    pub subject: String,
    /// Message-ID.
    pub message_id: Option<String>,
}

/// An item in a destination folder, with the source key it was stamped with, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationItem {
    /// The item as listed.
    pub item: SourceItem,
    /// The key of the source item it is a copy of.
    pub stamp: Option<ItemKey>,
}

/// Items received in `[from, before)`; an open end is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReceivedRange {
    /// Inclusive start.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub before: Option<DateTime<Utc>>,
}

/// Items exported from a mailbox, one at a time.
#[async_trait]
pub trait ExportedItems: Send {
    /// The next item id asked for and its data or failure; `None` after the last.
    async fn next(&mut self) -> Result<Option<(String, Result<ItemData, MailError>)>, MailError>;
}

/// What the migration needs from one tenant's mail service.
#[async_trait]
pub trait MailApi: Send + Sync {
    /// Checks the credentials reach the mailbox.
    async fn verify(&self, mailbox: &str) -> Result<(), MailError>;
    /// The id of the top of the mailbox's folder tree.
    async fn root_folder(&self, mailbox: &str) -> Result<String, MailError>;
    /// Every folder below the top of the tree that holds items (not search folders), parents
    /// before children, well-known folders marked with their distinguished id.
    async fn folders(&self, mailbox: &str) -> Result<Vec<MailFolder>, MailError>;
    /// Creates a folder.
    async fn create_folder(
        &self,
        mailbox: &str,
        parent: &str,
        name: &str,
        folder_class: &str,
    ) -> Result<String, MailError>;
    /// A folder's items in a received-time range.
    async fn items(
        &self,
        mailbox: &str,
        folder: &str,
        range: ReceivedRange,
    ) -> Result<Vec<SourceItem>, MailError>;
    /// A destination folder's items with their stamps.
    async fn stamped_items(
        &self,
        mailbox: &str,
        folder: &str,
    ) -> Result<Vec<DestinationItem>, MailError>;
    /// Exports items, streaming them.
    async fn export(
        &self,
        mailbox: &str,
        ids: &[String],
    ) -> Result<Box<dyn ExportedItems>, MailError>;
    /// Uploads export data into a folder as new items; one result (the new id) per item.
    async fn upload(
        &self,
        mailbox: &str,
        folder: &str,
        items: &[ItemData],
    ) -> Result<Vec<Result<String, MailError>>, MailError>;
    /// The primary SMTP address of the mailbox an Exchange address (a legacyExchangeDN or an
    /// `X500:` proxy) names in this tenant's directory, looked up on behalf of `mailbox`;
    /// `None` if the directory knows no such mailbox.
    async fn resolve_exchange_address(
        &self,
        mailbox: &str,
        legacy_dn: &str,
    ) -> Result<Option<String>, MailError>;
    /// A folder's permissions.
    async fn permissions(&self, mailbox: &str, folder: &str) -> Result<Vec<Permission>, MailError>;
    /// Replaces a folder's permissions.
    async fn set_permissions(
        &self,
        mailbox: &str,
        folder: &str,
        calendar: bool,
        permissions: &[Permission],
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
