//! The mail API over Exchange Web Services (`ferry-ews`).

mod convert;

use std::collections::HashMap;

use async_trait::async_trait;
use ferry_core::mail::{
    Capabilities, DestinationItem, ExportData, Exported, ExportedItems, FolderId,
    FolderPermissions, InboxRule, ItemId, ListedItem, MailApi, MailError, MailFolder,
    PermissionScope, ReceivedRange, WELL_KNOWN_FOLDERS,
};
use ferry_core::model::{ApiSettings, EndpointConfig, ItemKey};
use ferry_ews::request::{FolderShape, FolderUpdate, ItemShape, MailboxTarget, NewFolder};
use ferry_ews::types::{
    self as ews, CreateAction, ExtendedPropertyPath, FolderKind, FolderRef, Restriction,
    RuleOperation, UploadItem,
};
use ferry_ews::{ClientConfig, Endpoints, EwsClient, EwsError, ExportStream};

pub use convert::error as mail_error;

/// The extended property a migrated item is stamped with: the hex key of its source item.
pub fn stamp_property() -> ExtendedPropertyPath {
    ExtendedPropertyPath::public_string(ferry_core::model::STAMP_PROPERTY_NAME)
}

/// Folders whose permissions one `GetFolder` reads (a mailbox has a few dozen, so usually
/// one call).
const PERMISSION_READS_PER_CALL: usize = 100;

fn permissions_from_ews(folder: &MailFolder, entries: Vec<ews::Permission>) -> FolderPermissions {
    FolderPermissions {
        scope: folder.permission_scope(),
        entries: entries
            .into_iter()
            .map(convert::permission_from_ews)
            .collect(),
        unsupported: Vec::new(),
    }
}

fn folder_ref(id: &FolderId) -> FolderRef {
    FolderRef::Id(ews::FolderId::new(id.0.clone()))
}

/// The mail API of one tenant over EWS.
#[derive(Debug)]
pub struct EwsMailApi {
    client: EwsClient,
}

impl EwsMailApi {
    /// An API using `client`.
    pub fn new(client: EwsClient) -> EwsMailApi {
        EwsMailApi { client }
    }

    /// The client for an endpoint configuration.
    pub fn from_endpoint(endpoint: &EndpointConfig) -> Result<EwsMailApi, MailError> {
        let credentials = crate::credentials::credentials(&endpoint.credentials)?;
        let ApiSettings::Ews { ews_url, resource } = &endpoint.api else {
            return Err(MailError::Permanent {
                code: "invalid_request".into(),
                message: format!("the endpoint speaks {}, not EWS", endpoint.protocol()),
            });
        };
        let endpoints = Endpoints {
            token_url: endpoint.token_url.clone(),
            ews_url: ews_url.clone(),
            resource: resource.clone(),
        };
        let client =
            EwsClient::new(ClientConfig::new(endpoints, credentials)).map_err(mail_error)?;
        Ok(EwsMailApi::new(client))
    }

    fn target(mailbox: &str) -> MailboxTarget {
        MailboxTarget::impersonated(mailbox)
    }

    /// The ids of the mailbox's well-known folders, by asking for each by its distinguished id:
    /// `FindFolder` does not report which folders are well-known on every server, and display
    /// names are localised, so this is the only reliable way to match them.
    async fn well_known_folders(
        &self,
        target: &MailboxTarget,
    ) -> Result<HashMap<String, String>, MailError> {
        let refs: Vec<FolderRef> = WELL_KNOWN_FOLDERS
            .iter()
            .map(|name| FolderRef::distinguished(*name))
            .collect();
        let folders = self
            .client
            .get_folders(target, &refs, &FolderShape::id_only())
            .await
            .map_err(mail_error)?;
        let mut ids = HashMap::new();
        for (name, folder) in WELL_KNOWN_FOLDERS.iter().zip(folders) {
            match folder {
                Ok(folder) => {
                    ids.insert(folder.id.id, (*name).to_string());
                }
                // A mailbox need not have every well-known folder (no archive, no journal).
                Err(EwsError::FolderNotFound { .. }) => {}
                Err(error) => return Err(mail_error(error)),
            }
        }
        Ok(ids)
    }
}

fn range_restriction(range: ReceivedRange) -> Option<Restriction> {
    let mut parts = Vec::new();
    if let Some(from) = range.from {
        parts.push(Restriction::received_since(from));
    }
    if let Some(before) = range.before {
        parts.push(Restriction::received_before(before));
    }
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Restriction::And(parts)),
    }
}

/// An item of a listing, or `None` if the server left out its id.
fn listed(item: ews::Item) -> Option<ListedItem> {
    Some(ListedItem {
        id: ItemId(item.id?.id),
        received: item.date_time_received,
        size: item.size.unwrap_or(0),
        item_class: item.item_class.unwrap_or_default(),
        subject: item.subject.unwrap_or_default(),
        message_id: item.internet_message_id,
    })
}

fn nothing_returned(operation: &str) -> MailError {
    MailError::transient(format!("{operation} returned nothing"))
}

struct EwsExport(ExportStream);

#[async_trait]
impl ExportedItems for EwsExport {
    async fn next(&mut self) -> Result<Option<Exported>, MailError> {
        Ok(self
            .0
            .next()
            .await
            .map_err(mail_error)?
            .map(|(id, result)| {
                (
                    ItemId(id.id),
                    result.map(|item| item.data).map_err(mail_error),
                )
            }))
    }
}

#[async_trait]
impl MailApi for EwsMailApi {
    fn protocol(&self) -> &'static str {
        "ews"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    async fn verify(&self, mailbox: &str) -> Result<(), MailError> {
        self.root_folder(mailbox).await.map(|_| ())
    }

    async fn root_folder(&self, mailbox: &str) -> Result<FolderId, MailError> {
        let mut folders = self
            .client
            .get_folders(
                &EwsMailApi::target(mailbox),
                &[FolderRef::distinguished("msgfolderroot")],
                &FolderShape::tree(),
            )
            .await
            .map_err(mail_error)?;
        let folder = folders
            .pop()
            .ok_or_else(|| nothing_returned("GetFolder"))?
            .map_err(mail_error)?;
        Ok(FolderId(folder.id.id))
    }

    async fn folders(&self, mailbox: &str) -> Result<Vec<MailFolder>, MailError> {
        let target = EwsMailApi::target(mailbox);
        let tree = self
            .client
            .folder_tree(
                &target,
                &FolderRef::distinguished("msgfolderroot"),
                &FolderShape::tree(),
            )
            .await
            .map_err(mail_error)?;
        let well_known = self.well_known_folders(&target).await?;
        Ok(tree
            .into_iter()
            .filter(|folder| folder.kind != FolderKind::Search)
            .map(|folder| MailFolder {
                well_known: folder
                    .distinguished_id
                    .or_else(|| well_known.get(&folder.id.id).cloned()),
                id: FolderId(folder.id.id),
                parent_id: folder.parent_id.map(|parent| FolderId(parent.id)),
                display_name: folder.display_name.unwrap_or_default(),
                folder_class: folder.folder_class.unwrap_or_default(),
                item_count: folder.total_count.unwrap_or(0),
            })
            .collect())
    }

    async fn create_folder(
        &self,
        mailbox: &str,
        parent: &FolderId,
        name: &str,
        folder_class: &str,
    ) -> Result<FolderId, MailError> {
        let mut created = self
            .client
            .create_folders(
                &EwsMailApi::target(mailbox),
                &folder_ref(parent),
                &[NewFolder {
                    display_name: name.to_string(),
                    folder_class: if folder_class.is_empty() {
                        "IPF.Note".into()
                    } else {
                        folder_class.to_string()
                    },
                }],
            )
            .await
            .map_err(mail_error)?;
        let id = created
            .pop()
            .ok_or_else(|| nothing_returned("CreateFolder"))?
            .map_err(mail_error)?;
        Ok(FolderId(id.id))
    }

    async fn items(
        &self,
        mailbox: &str,
        folder: &FolderId,
        range: ReceivedRange,
    ) -> Result<Vec<ListedItem>, MailError> {
        let items = self
            .client
            .all_items(
                &EwsMailApi::target(mailbox),
                &folder_ref(folder),
                &ItemShape::listing(),
                range_restriction(range).as_ref(),
            )
            .await
            .map_err(mail_error)?;
        Ok(items.into_iter().filter_map(listed).collect())
    }

    async fn stamped_items(
        &self,
        mailbox: &str,
        folder: &FolderId,
    ) -> Result<Vec<DestinationItem>, MailError> {
        let mut shape = ItemShape::listing();
        shape.extended.push(stamp_property());
        let items = self
            .client
            .all_items(
                &EwsMailApi::target(mailbox),
                &folder_ref(folder),
                &shape,
                None,
            )
            .await
            .map_err(mail_error)?;
        let stamp = stamp_property();
        Ok(items
            .into_iter()
            .filter_map(|mut item| {
                let key = item
                    .extended_properties
                    .iter()
                    .find(|property| property.path == stamp)
                    .and_then(|property| property.values.first())
                    .and_then(|value| ItemKey::from_hex(value));
                item.extended_properties.clear();
                Some(DestinationItem {
                    item: listed(item)?,
                    stamp: key,
                })
            })
            .collect())
    }

    async fn export(
        &self,
        mailbox: &str,
        ids: &[ItemId],
    ) -> Result<Box<dyn ExportedItems>, MailError> {
        let ids: Vec<ews::ItemId> = ids
            .iter()
            .map(|id| ews::ItemId::new(id.0.clone()))
            .collect();
        let stream = self
            .client
            .export_items(&EwsMailApi::target(mailbox), &ids)
            .await
            .map_err(mail_error)?;
        Ok(Box::new(EwsExport(stream)))
    }

    async fn upload(
        &self,
        mailbox: &str,
        folder: &FolderId,
        items: &[ExportData],
    ) -> Result<Vec<Result<ItemId, MailError>>, MailError> {
        let uploads: Vec<UploadItem> = items
            .iter()
            .map(|data| UploadItem {
                parent: ews::FolderId::new(folder.0.clone()),
                action: CreateAction::CreateNew,
                item_id: None,
                is_associated: false,
                data: data.clone(),
            })
            .collect();
        let results = self
            .client
            .upload_items(&EwsMailApi::target(mailbox), &uploads)
            .await
            .map_err(mail_error)?;
        Ok(results
            .into_iter()
            .map(|result| result.map(|id| ItemId(id.id)).map_err(mail_error))
            .collect())
    }

    async fn resolve_exchange_address(
        &self,
        mailbox: &str,
        legacy_dn: &str,
    ) -> Result<Option<String>, MailError> {
        let found = self
            .client
            .resolve_names(&EwsMailApi::target(mailbox), legacy_dn)
            .await
            .map_err(mail_error)?;
        // Only an unambiguous mailbox with an SMTP address answers the question.
        Ok(match found.as_slice() {
            [only] if only.routing_type.eq_ignore_ascii_case("SMTP") => {
                Some(only.email_address.clone())
            }
            _ => None,
        })
    }

    async fn permissions(
        &self,
        mailbox: &str,
        folder: &MailFolder,
    ) -> Result<FolderPermissions, MailError> {
        let entries = self
            .client
            .folder_permissions(&EwsMailApi::target(mailbox), &folder_ref(&folder.id))
            .await
            .map_err(mail_error)?;
        Ok(permissions_from_ews(folder, entries))
    }

    async fn permissions_of(
        &self,
        mailbox: &str,
        folders: &[MailFolder],
    ) -> Result<Vec<Result<FolderPermissions, MailError>>, MailError> {
        let target = EwsMailApi::target(mailbox);
        let mut results = Vec::with_capacity(folders.len());
        for batch in folders.chunks(PERMISSION_READS_PER_CALL) {
            let refs: Vec<FolderRef> = batch.iter().map(|folder| folder_ref(&folder.id)).collect();
            let read = self
                .client
                .folders_permissions(&target, &refs)
                .await
                .map_err(mail_error)?;
            results.extend(batch.iter().zip(read).map(|(folder, entries)| {
                entries
                    .map(|entries| permissions_from_ews(folder, entries))
                    .map_err(mail_error)
            }));
        }
        Ok(results)
    }

    async fn set_permissions(
        &self,
        mailbox: &str,
        folder: &MailFolder,
        permissions: &FolderPermissions,
    ) -> Result<(), MailError> {
        self.client
            .update_folder(
                &EwsMailApi::target(mailbox),
                &folder_ref(&folder.id),
                &FolderUpdate::Permissions {
                    permissions: permissions
                        .entries
                        .iter()
                        .map(convert::permission_to_ews)
                        .collect(),
                    calendar: permissions.scope == PermissionScope::Calendar,
                },
            )
            .await
            .map_err(mail_error)
    }

    async fn rules(&self, mailbox: &str) -> Result<Vec<InboxRule>, MailError> {
        let rules = self
            .client
            .inbox_rules(&EwsMailApi::target(mailbox))
            .await
            .map_err(mail_error)?;
        Ok(rules.into_iter().map(convert::rule_from_ews).collect())
    }

    async fn create_rules(&self, mailbox: &str, rules: &[InboxRule]) -> Result<(), MailError> {
        if rules.is_empty() {
            return Ok(());
        }
        let operations: Vec<RuleOperation> = rules
            .iter()
            .map(|rule| RuleOperation::Create(convert::rule_to_ews(rule)))
            .collect();
        self.client
            .update_inbox_rules(&EwsMailApi::target(mailbox), &operations)
            .await
            .map_err(mail_error)
    }
}
