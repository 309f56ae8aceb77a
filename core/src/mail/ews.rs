//! The mail API over Exchange Web Services (`ferry-ews`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ferry_ews::data::ItemData;
use ferry_ews::request::{FolderShape, FolderUpdate, ItemShape, MailboxTarget, NewFolder};
use ferry_ews::types::{
    CreateAction, ExtendedPropertyPath, FolderId, FolderKind, FolderRef, InboxRule, ItemId,
    Permission, Restriction, RuleOperation, UploadItem,
};
use ferry_ews::{
    ClientCertificate, ClientConfig, Credentials, Endpoints, EwsClient, EwsError, ExportStream,
    Secret,
};
use sha2::{Digest, Sha256};

use super::{
    DestinationItem, ExportedItems, MailApi, MailApiFactory, MailError, MailFolder, ReceivedRange,
    SourceItem,
};
use crate::model::{CredentialConfig, EndpointConfig, ItemKey};

/// The well-known folders below `msgfolderroot` that a migration maps by distinguished id.
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

/// The extended property a migrated item is stamped with: the hex key of its source item.
pub fn stamp_property() -> ExtendedPropertyPath {
    ExtendedPropertyPath::public_string(crate::model::STAMP_PROPERTY_NAME)
}

impl From<EwsError> for MailError {
    fn from(error: EwsError) -> MailError {
        match error {
            EwsError::Throttled { back_off, scope } => MailError::Throttled { back_off, scope },
            EwsError::Unauthorized(message) => MailError::Unauthorized(message),
            EwsError::MailboxNotFound(message) => MailError::MailboxNotFound(message),
            EwsError::FolderNotFound { message, .. } => MailError::FolderNotFound(message),
            EwsError::ItemNotFound(message) => MailError::ItemNotFound(message),
            EwsError::QuotaExceeded(message) => MailError::QuotaExceeded(message),
            EwsError::ItemTooLarge(message) => MailError::ItemTooLarge(message),
            EwsError::Transient {
                message,
                retry_after,
            } => MailError::Transient {
                message,
                retry_after,
            },
            EwsError::Permanent { code, message } if code == "ErrorFolderExists" => {
                MailError::FolderExists(message)
            }
            EwsError::Permanent { code, message } => MailError::Permanent { code, message },
            EwsError::MalformedReply(message) => MailError::Transient {
                message: format!("malformed reply: {message}"),
                retry_after: None,
            },
            EwsError::InvalidRequest(message) => MailError::Permanent {
                code: "invalid_request".into(),
                message,
            },
        }
    }
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
        let credentials = match &endpoint.credentials {
            CredentialConfig::ClientSecret {
                client_id,
                client_secret,
            } => Credentials::ClientSecret {
                client_id: client_id.clone(),
                secret: Secret::new(client_secret.clone()),
            },
            CredentialConfig::Certificate {
                client_id,
                certificate_pem,
                private_key_pem,
            } => Credentials::Certificate {
                client_id: client_id.clone(),
                certificate: Box::new(
                    ClientCertificate::from_pem(certificate_pem, private_key_pem)
                        .map_err(EwsError::from)?,
                ),
            },
            CredentialConfig::DelegatedAdmin {
                client_id,
                username,
                password,
            } => Credentials::Password {
                client_id: client_id.clone(),
                username: username.clone(),
                password: Secret::new(password.clone()),
            },
        };
        let endpoints = Endpoints {
            token_url: endpoint.token_url.clone(),
            ews_url: endpoint.ews_url.clone(),
            resource: endpoint.resource.clone(),
        };
        Ok(EwsMailApi::new(EwsClient::new(ClientConfig::new(
            endpoints,
            credentials,
        ))?))
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
            .await?;
        let mut ids = HashMap::new();
        for (name, folder) in WELL_KNOWN_FOLDERS.iter().zip(folders) {
            match folder {
                Ok(folder) => {
                    ids.insert(folder.id.id, (*name).to_string());
                }
                // A mailbox need not have every well-known folder (no archive, no journal).
                Err(EwsError::FolderNotFound { .. }) => {}
                Err(error) => return Err(error.into()),
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
fn listed(item: ferry_ews::types::Item) -> Option<SourceItem> {
    Some(SourceItem {
        id: item.id?.id,
        received: item.date_time_received,
        size: item.size.unwrap_or(0),
        item_class: item.item_class.unwrap_or_default(),
        subject: item.subject.unwrap_or_default(),
        message_id: item.internet_message_id,
    })
}

struct EwsExport(ExportStream);

#[async_trait]
impl ExportedItems for EwsExport {
    async fn next(&mut self) -> Result<Option<(String, Result<ItemData, MailError>)>, MailError> {
        Ok(self
            .0
            .next()
            .await?
            .map(|(id, result)| (id.id, result.map(|item| item.data).map_err(MailError::from))))
    }
}

#[async_trait]
impl MailApi for EwsMailApi {
    async fn verify(&self, mailbox: &str) -> Result<(), MailError> {
        self.root_folder(mailbox).await.map(|_| ())
    }

    async fn root_folder(&self, mailbox: &str) -> Result<String, MailError> {
        let mut folders = self
            .client
            .get_folders(
                &EwsMailApi::target(mailbox),
                &[FolderRef::distinguished("msgfolderroot")],
                &FolderShape::tree(),
            )
            .await?;
        let folder = folders.pop().ok_or_else(|| MailError::Transient {
            message: "GetFolder returned nothing".into(),
            retry_after: None,
        })??;
        Ok(folder.id.id)
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
            .await?;
        let well_known = self.well_known_folders(&target).await?;
        Ok(tree
            .into_iter()
            .filter(|folder| folder.kind != FolderKind::Search)
            .map(|folder| MailFolder {
                distinguished: folder
                    .distinguished_id
                    .or_else(|| well_known.get(&folder.id.id).cloned()),
                id: folder.id.id,
                parent_id: folder.parent_id.map(|parent| parent.id),
                display_name: folder.display_name.unwrap_or_default(),
                folder_class: folder.folder_class.unwrap_or_default(),
                item_count: folder.total_count.unwrap_or(0),
            })
            .collect())
    }

    async fn create_folder(
        &self,
        mailbox: &str,
        parent: &str,
        name: &str,
        folder_class: &str,
    ) -> Result<String, MailError> {
        let mut created = self
            .client
            .create_folders(
                &EwsMailApi::target(mailbox),
                &FolderRef::Id(FolderId::new(parent)),
                &[NewFolder {
                    display_name: name.to_string(),
                    folder_class: if folder_class.is_empty() {
                        "IPF.Note".into()
                    } else {
                        folder_class.to_string()
                    },
                }],
            )
            .await?;
        let id = created.pop().ok_or_else(|| MailError::Transient {
            message: "CreateFolder returned nothing".into(),
            retry_after: None,
        })??;
        Ok(id.id)
    }

    async fn items(
        &self,
        mailbox: &str,
        folder: &str,
        range: ReceivedRange,
    ) -> Result<Vec<SourceItem>, MailError> {
        let items = self
            .client
            .all_items(
                &EwsMailApi::target(mailbox),
                &FolderRef::Id(FolderId::new(folder)),
                &ItemShape::listing(),
                range_restriction(range).as_ref(),
            )
            .await?;
        Ok(items.into_iter().filter_map(listed).collect())
    }

    async fn stamped_items(
        &self,
        mailbox: &str,
        folder: &str,
    ) -> Result<Vec<DestinationItem>, MailError> {
        let mut shape = ItemShape::listing();
        shape.extended.push(stamp_property());
        let items = self
            .client
            .all_items(
                &EwsMailApi::target(mailbox),
                &FolderRef::Id(FolderId::new(folder)),
                &shape,
                None,
            )
            .await?;
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
        ids: &[String],
    ) -> Result<Box<dyn ExportedItems>, MailError> {
        let ids: Vec<ItemId> = ids.iter().map(|id| ItemId::new(id.clone())).collect();
        let stream = self
            .client
            .export_items(&EwsMailApi::target(mailbox), &ids)
            .await?;
        Ok(Box::new(EwsExport(stream)))
    }

    async fn upload(
        &self,
        mailbox: &str,
        folder: &str,
        items: &[ItemData],
    ) -> Result<Vec<Result<String, MailError>>, MailError> {
        let uploads: Vec<UploadItem> = items
            .iter()
            .map(|data| UploadItem {
                parent: FolderId::new(folder),
                action: CreateAction::CreateNew,
                item_id: None,
                is_associated: false,
                data: data.clone(),
            })
            .collect();
        let results = self
            .client
            .upload_items(&EwsMailApi::target(mailbox), &uploads)
            .await?;
        Ok(results
            .into_iter()
            .map(|result| result.map(|id| id.id).map_err(MailError::from))
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
            .await?;
        // Only an unambiguous mailbox with an SMTP address answers the question.
        Ok(match found.as_slice() {
            [only] if only.routing_type.eq_ignore_ascii_case("SMTP") => {
                Some(only.email_address.clone())
            }
            _ => None,
        })
    }

    async fn permissions(&self, mailbox: &str, folder: &str) -> Result<Vec<Permission>, MailError> {
        Ok(self
            .client
            .folder_permissions(
                &EwsMailApi::target(mailbox),
                &FolderRef::Id(FolderId::new(folder)),
            )
            .await?)
    }

    async fn set_permissions(
        &self,
        mailbox: &str,
        folder: &str,
        calendar: bool,
        permissions: &[Permission],
    ) -> Result<(), MailError> {
        Ok(self
            .client
            .update_folder(
                &EwsMailApi::target(mailbox),
                &FolderRef::Id(FolderId::new(folder)),
                &FolderUpdate::Permissions {
                    permissions: permissions.to_vec(),
                    calendar,
                },
            )
            .await?)
    }

    async fn rules(&self, mailbox: &str) -> Result<Vec<InboxRule>, MailError> {
        Ok(self
            .client
            .inbox_rules(&EwsMailApi::target(mailbox))
            .await?)
    }

    async fn create_rules(&self, mailbox: &str, rules: &[InboxRule]) -> Result<(), MailError> {
        if rules.is_empty() {
            return Ok(());
        }
        let operations: Vec<RuleOperation> =
            rules.iter().cloned().map(RuleOperation::Create).collect();
        Ok(self
            .client
            .update_inbox_rules(&EwsMailApi::target(mailbox), &operations)
            .await?)
    }
}

/// Builds EWS mail APIs, one per endpoint and credentials, so a process shares one token cache
/// per tenant.
#[derive(Debug, Default)]
pub struct EwsMailApiFactory {
    cache: Mutex<HashMap<String, Arc<EwsMailApi>>>,
}

impl MailApiFactory for EwsMailApiFactory {
    fn connect(&self, endpoint: &EndpointConfig) -> Result<Arc<dyn MailApi>, MailError> {
        // The whole configuration, secrets included, keys the cache (hashed, never kept in
        // clear), so a project whose credentials change gets a fresh client.
        let key = hex::encode(Sha256::digest(
            serde_json::to_vec(endpoint).unwrap_or_default(),
        ));
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(api) = cache.get(&key) {
            return Ok(api.clone());
        }
        let api = Arc::new(EwsMailApi::from_endpoint(endpoint)?);
        cache.insert(key, api.clone());
        Ok(api)
    }
}
