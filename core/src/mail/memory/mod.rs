//! An in-memory mail service: mailboxes with folders, items (held as export data), permissions,
//! rules and a directory, behaving as Exchange does where the engine relies on it (new ids on
//! upload, listings derived from what is stored, the stamp read from the stored stream,
//! `FolderExists`, per-item failures), and failing on demand as real services do ([`Fault`]).
//!
//! Unit tests of the worker and coordinator run against it; the [conformance
//! suite](crate::mail::conformance) checks it behaves like EWS and Graph on the simulator.

mod content;
mod faults;
mod state;

use std::sync::Mutex;

use async_trait::async_trait;

pub use content::{describe, message, with_stamp, Description};
pub use faults::{Fault, Operation};

use super::{
    Capabilities, DestinationItem, ExportData, Exported, ExportedItems, FolderId,
    FolderPermissions, InboxRule, ItemId, ListedItem, MailApi, MailError, MailFolder,
    ReceivedRange,
};
use faults::FaultPlan;
use state::Tenant;

/// One tenant's mail service, in memory.
#[derive(Debug, Default)]
pub struct MemoryMailApi {
    tenant: Mutex<Tenant>,
    faults: Mutex<FaultPlan>,
}

impl MemoryMailApi {
    /// An empty tenant.
    pub fn new() -> MemoryMailApi {
        MemoryMailApi::default()
    }

    fn tenant(&self) -> std::sync::MutexGuard<'_, Tenant> {
        self.tenant
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn plan(&self) -> std::sync::MutexGuard<'_, FaultPlan> {
        self.faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a mailbox with the usual well-known folders (Inbox, Sent Items, Deleted Items,
    /// Calendar, Contacts, Tasks); returns its root folder.
    pub fn add_mailbox(&self, address: &str) -> FolderId {
        self.tenant().add_mailbox(address)
    }

    /// The legacyExchangeDN the directory gives a mailbox.
    pub fn legacy_dn(&self, address: &str) -> Option<String> {
        self.tenant().legacy_dn(address)
    }

    /// The id of a mailbox's folder by path of display names (`Inbox/Projects`).
    pub fn folder_id(&self, mailbox: &str, path: &str) -> Option<FolderId> {
        self.tenant().folder_by_path(mailbox, path)
    }

    /// Stores an item directly (seeding), returning its id.
    pub fn add_item(
        &self,
        mailbox: &str,
        folder: &FolderId,
        data: ExportData,
    ) -> Result<ItemId, MailError> {
        self.tenant().store_item(mailbox, folder, data)
    }

    /// Deletes an item, as a user would.
    pub fn delete_item(&self, mailbox: &str, item: &ItemId) -> bool {
        self.tenant().delete_item(mailbox, item)
    }

    /// The export data of every item in a folder, in the order stored.
    pub fn folder_contents(&self, mailbox: &str, folder: &FolderId) -> Vec<ExportData> {
        self.tenant().contents(mailbox, folder)
    }

    /// Items larger than this are refused on upload (`ItemTooLarge`).
    pub fn set_max_item_bytes(&self, bytes: usize) {
        self.tenant().max_item_bytes = Some(bytes);
    }

    /// Makes the next `times` calls of `operation` meet `fault`.
    pub fn inject(&self, operation: Operation, fault: Fault, times: usize) {
        self.plan().inject(operation, fault, times);
    }

    /// How many times `operation` was called.
    pub fn calls(&self, operation: Operation) -> usize {
        self.plan().calls(operation)
    }

    /// The fault waiting for this call, if any; a `Fail` fault fails it here.
    fn admit(&self, operation: Operation) -> Result<Option<Fault>, MailError> {
        match self.plan().take(operation) {
            Some(Fault::Fail(error)) => Err(error),
            other => Ok(other),
        }
    }
}

/// What a fault does once the call took effect.
async fn after_effect<T>(fault: Option<Fault>, reply: T) -> Result<T, MailError> {
    match fault {
        Some(Fault::LoseReply) => Err(MailError::transient(
            "connection reset after the request was sent (injected)",
        )),
        Some(Fault::HangAfterEffect) => std::future::pending().await,
        _ => Ok(reply),
    }
}

struct Ready(std::vec::IntoIter<Exported>);

#[async_trait]
impl ExportedItems for Ready {
    async fn next(&mut self) -> Result<Option<Exported>, MailError> {
        Ok(self.0.next())
    }
}

#[async_trait]
impl MailApi for MemoryMailApi {
    fn protocol(&self) -> &'static str {
        "memory"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    async fn verify(&self, mailbox: &str) -> Result<(), MailError> {
        let fault = self.admit(Operation::Verify)?;
        let reply = self.tenant().mailbox(mailbox).map(|_| ())?;
        after_effect(fault, reply).await
    }

    async fn root_folder(&self, mailbox: &str) -> Result<FolderId, MailError> {
        let fault = self.admit(Operation::RootFolder)?;
        let root = self.tenant().mailbox(mailbox)?.root.clone();
        after_effect(fault, root).await
    }

    async fn folders(&self, mailbox: &str) -> Result<Vec<MailFolder>, MailError> {
        let fault = self.admit(Operation::Folders)?;
        let folders = self.tenant().folders(mailbox)?;
        after_effect(fault, folders).await
    }

    async fn create_folder(
        &self,
        mailbox: &str,
        parent: &FolderId,
        name: &str,
        folder_class: &str,
    ) -> Result<FolderId, MailError> {
        let fault = self.admit(Operation::CreateFolder)?;
        let id = self
            .tenant()
            .create_folder(mailbox, parent, name, folder_class, None)?;
        after_effect(fault, id).await
    }

    async fn items(
        &self,
        mailbox: &str,
        folder: &FolderId,
        range: ReceivedRange,
    ) -> Result<Vec<ListedItem>, MailError> {
        let fault = self.admit(Operation::Items)?;
        let items = {
            let mut tenant = self.tenant();
            let items: Vec<ListedItem> = tenant
                .listing(mailbox, folder)?
                .into_iter()
                .filter(|(item, _)| range.contains(item.received))
                .map(|(item, _)| item)
                .collect();
            if fault == Some(Fault::VanishFirstListed) {
                if let Some(first) = items.first() {
                    tenant.delete_item(mailbox, &first.id);
                }
            }
            items
        };
        after_effect(fault, items).await
    }

    async fn stamped_items(
        &self,
        mailbox: &str,
        folder: &FolderId,
    ) -> Result<Vec<DestinationItem>, MailError> {
        let fault = self.admit(Operation::StampedItems)?;
        let items = self
            .tenant()
            .listing(mailbox, folder)?
            .into_iter()
            .map(|(item, stamp)| DestinationItem { item, stamp })
            .collect();
        after_effect(fault, items).await
    }

    async fn export(
        &self,
        mailbox: &str,
        ids: &[ItemId],
    ) -> Result<Box<dyn ExportedItems>, MailError> {
        let fault = self.admit(Operation::Export)?;
        let exported: Vec<Exported> = {
            let tenant = self.tenant();
            let mailbox = tenant.mailbox(mailbox)?;
            ids.iter()
                .map(|id| {
                    let data = mailbox
                        .item(id)
                        .map(|item| item.data.clone())
                        .ok_or_else(|| MailError::ItemNotFound(format!("no item {id}")));
                    (id.clone(), data)
                })
                .collect()
        };
        let stream: Box<dyn ExportedItems> = Box::new(Ready(exported.into_iter()));
        after_effect(fault, stream).await
    }

    async fn upload(
        &self,
        mailbox: &str,
        folder: &FolderId,
        items: &[ExportData],
    ) -> Result<Vec<Result<ItemId, MailError>>, MailError> {
        let fault = self.admit(Operation::Upload)?;
        let mut results: Vec<Result<ItemId, MailError>> = {
            let mut tenant = self.tenant();
            tenant.mailbox(mailbox)?.folder(folder)?;
            items
                .iter()
                .map(|data| tenant.upload_item(mailbox, folder, data.clone()))
                .collect()
        };
        if matches!(fault, Some(Fault::LoseFirstItemReply)) {
            if let Some(first) = results.first_mut() {
                *first = Err(MailError::OutcomeUnknown(
                    "the reply to this item was cut off (injected)".into(),
                ));
            }
        }
        after_effect(fault, results).await
    }

    async fn resolve_exchange_address(
        &self,
        mailbox: &str,
        legacy_dn: &str,
    ) -> Result<Option<String>, MailError> {
        let fault = self.admit(Operation::ResolveAddress)?;
        let found = {
            let tenant = self.tenant();
            tenant.mailbox(mailbox)?;
            tenant.resolve(legacy_dn)
        };
        after_effect(fault, found).await
    }

    async fn permissions(
        &self,
        mailbox: &str,
        folder: &MailFolder,
    ) -> Result<FolderPermissions, MailError> {
        let fault = self.admit(Operation::Permissions)?;
        let permissions = self.tenant().permissions(mailbox, &folder.id)?;
        after_effect(fault, permissions).await
    }

    async fn set_permissions(
        &self,
        mailbox: &str,
        folder: &MailFolder,
        permissions: &FolderPermissions,
    ) -> Result<(), MailError> {
        let fault = self.admit(Operation::SetPermissions)?;
        self.tenant()
            .set_permissions(mailbox, &folder.id, permissions.clone())?;
        after_effect(fault, ()).await
    }

    async fn rules(&self, mailbox: &str) -> Result<Vec<InboxRule>, MailError> {
        let fault = self.admit(Operation::Rules)?;
        let rules = self.tenant().mailbox(mailbox)?.rules.clone();
        after_effect(fault, rules).await
    }

    async fn create_rules(&self, mailbox: &str, rules: &[InboxRule]) -> Result<(), MailError> {
        let fault = self.admit(Operation::CreateRules)?;
        self.tenant().create_rules(mailbox, rules)?;
        after_effect(fault, ()).await
    }
}

#[cfg(test)]
mod tests;
