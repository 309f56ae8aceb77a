//! The mail API over Microsoft Graph's mailbox import/export API (`ferry-graph`).
//!
//! Mailboxes are found by their primary address (`users/{upn}/settings/exchange`) and their
//! ids cached. The folder tree is one listing, cut to the IPM subtree below `msgfolderroot`
//! (the listing also holds the search-folders root and Recoverable Items) and ordered parents
//! first. Items are listed with three extended properties expanded (received time, subject,
//! Message-ID), so a listing shows what EWS's does; the stamp is read the same way.
//!
//! Inbox rules (`messageRules`) and the default calendar's permissions (`calendarPermissions`)
//! come from Graph's users API, which names folders by other ids; [`folder_bridge`] converts
//! rule folder references. What Graph cannot carry, [`Capabilities`] says, and those calls
//! answer `Unsupported`: permissions of any other folder (mail, contacts, tasks and other
//! calendars: Graph has no API for them), rule entries Graph has no name for (see [`rules`]),
//! calendar levels without a Graph role (see [`calendar`]), and directory lookups of Exchange
//! addresses.

mod calendar;
mod convert;
mod export;
mod folder_bridge;
mod rules;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferry_core::mail::{
    Capabilities, DestinationItem, ExportData, ExportedItems, FolderId, FolderPermissions,
    InboxRule, ItemId, ListedItem, MailApi, MailError, MailFolder, ReceivedRange, RequestSizes,
    RuleFolder, RuleValue, WELL_KNOWN_FOLDERS,
};
use ferry_core::model::{ApiSettings, EndpointConfig, ItemKey, STAMP_PROPERTY_NAME};
use ferry_graph::{GraphClient, GraphConfig, Item, MailboxId, MAX_EXPORT_IDS};

pub use convert::{error as mail_error, NotFound};

/// `PidTagMessageDeliveryTime`: when the item was received (what EWS calls DateTimeReceived).
pub const RECEIVED_PROPERTY: &str = "SystemTime 0x0E06";
/// `PidTagSubject`.
pub const SUBJECT_PROPERTY: &str = "String 0x0037";
/// `PidTagInternetMessageId`.
pub const MESSAGE_ID_PROPERTY: &str = "String 0x1035";

/// The Graph id of the stamp property (a named string property in `PS_PUBLIC_STRINGS`, the
/// property EWS writes as `PublicStrings`/`FerrySourceItem`).
pub fn stamp_property() -> String {
    format!("String {{00020329-0000-0000-C000-000000000046}} Name {STAMP_PROPERTY_NAME}")
}

/// What Graph carries besides items: inbox rules and the default calendar's permissions (see
/// the module's documentation).
pub const GRAPH_CAPABILITIES: Capabilities = Capabilities {
    folder_permissions: false,
    calendar_permissions: true,
    other_calendar_permissions: false,
    inbox_rules: true,
    resolve_exchange_addresses: false,
    // Pages of the client's default page size, `exportItems` of at most 20 ids, and one
    // import request per item.
    requests: RequestSizes {
        listing: ferry_graph::DEFAULT_PAGE_SIZE,
        export: MAX_EXPORT_IDS as u32,
        upload: 1,
    },
    // Outlook's limit: four concurrent requests per application and mailbox.
    mailbox_concurrency: 4,
};

/// The mail API of one tenant over Microsoft Graph.
#[derive(Debug)]
pub struct GraphMailApi {
    client: Arc<GraphClient>,
    mailbox_ids: Mutex<HashMap<String, MailboxId>>,
}

impl GraphMailApi {
    /// An API using `client`.
    pub fn new(client: GraphClient) -> GraphMailApi {
        GraphMailApi {
            client: Arc::new(client),
            mailbox_ids: Mutex::new(HashMap::new()),
        }
    }

    /// The client for an endpoint configuration.
    pub fn from_endpoint(endpoint: &EndpointConfig) -> Result<GraphMailApi, MailError> {
        let ApiSettings::Graph {
            graph_url,
            resource,
        } = &endpoint.api
        else {
            return Err(MailError::Permanent {
                code: "invalid_request".into(),
                message: format!("the endpoint speaks {}, not Graph", endpoint.protocol()),
            });
        };
        let credentials = crate::credentials::credentials(&endpoint.credentials)?;
        let config = GraphConfig::new(
            graph_url.clone(),
            endpoint.token_url.clone(),
            resource.clone(),
            credentials,
        );
        let client = GraphClient::new(config).map_err(|e| mail_error(e, NotFound::Mailbox))?;
        Ok(GraphMailApi::new(client))
    }

    /// The client, for tests and tools.
    pub fn client(&self) -> &GraphClient {
        &self.client
    }

    /// The Graph id of the mailbox with this primary address, looked up once.
    async fn mailbox(&self, mailbox: &str) -> Result<MailboxId, MailError> {
        let key = mailbox.to_ascii_lowercase();
        if let Some(id) = self.cached_id(&key) {
            return Ok(id);
        }
        let id = self
            .client
            .mailbox_id(mailbox)
            .await
            .map_err(|error| mail_error(error, NotFound::Mailbox))?;
        self.mailbox_ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key, id.clone());
        Ok(id)
    }

    fn cached_id(&self, key: &str) -> Option<MailboxId> {
        self.mailbox_ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(key)
            .cloned()
    }

    async fn listed_items(
        &self,
        mailbox: &str,
        folder: &FolderId,
        extra: Option<&str>,
    ) -> Result<Vec<Item>, MailError> {
        let id = self.mailbox(mailbox).await?;
        let mut properties = vec![RECEIVED_PROPERTY, SUBJECT_PROPERTY, MESSAGE_ID_PROPERTY];
        properties.extend(extra);
        self.client
            .items(&id, folder.as_str(), &properties)
            .await
            .map_err(|error| mail_error(error, NotFound::Folder))
    }
}

fn unsupported(what: &str) -> MailError {
    MailError::Unsupported {
        protocol: "graph",
        what: what.into(),
    }
}

fn listed(item: &Item) -> ListedItem {
    ListedItem {
        id: ItemId::new(item.id.clone()),
        received: item
            .property(RECEIVED_PROPERTY)
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|at| at.with_timezone(&Utc)),
        size: item.size.unwrap_or(0),
        item_class: item.item_class.clone().unwrap_or_else(|| "IPM.Note".into()),
        subject: item
            .property(SUBJECT_PROPERTY)
            .unwrap_or_default()
            .to_string(),
        message_id: item.property(MESSAGE_ID_PROPERTY).map(str::to_string),
    }
}

/// The folders below `root`, each followed by its subtree (so parents come before children),
/// siblings in listing order, from a listing in any order.
fn subtree(root: &str, folders: Vec<ferry_graph::Folder>) -> Vec<MailFolder> {
    let mut children: HashMap<String, Vec<ferry_graph::Folder>> = HashMap::new();
    for folder in folders {
        if let Some(parent) = folder.parent_folder_id.clone() {
            children.entry(parent).or_default().push(folder);
        }
    }
    let mut ordered = Vec::new();
    walk(root, &mut children, &mut ordered);
    ordered
}

fn walk(
    parent: &str,
    children: &mut HashMap<String, Vec<ferry_graph::Folder>>,
    ordered: &mut Vec<MailFolder>,
) {
    // Removing a parent's children as they are visited also ends any cycle a broken listing
    // might describe.
    for folder in children.remove(parent).unwrap_or_default() {
        let id = folder.id.clone();
        ordered.push(MailFolder {
            id: FolderId::new(folder.id),
            parent_id: Some(FolderId::new(parent)),
            display_name: folder.display_name,
            folder_class: folder.folder_class.unwrap_or_else(|| "IPF.Note".into()),
            well_known: folder
                .well_known_name
                .map(|name| name.to_ascii_lowercase())
                .filter(|name| WELL_KNOWN_FOLDERS.contains(&name.as_str())),
            item_count: folder.total_item_count.unwrap_or(0),
        });
        walk(&id, children, ordered);
    }
}

#[async_trait]
impl MailApi for GraphMailApi {
    fn protocol(&self) -> &'static str {
        "graph"
    }

    fn capabilities(&self) -> Capabilities {
        GRAPH_CAPABILITIES
    }

    async fn verify(&self, mailbox: &str) -> Result<(), MailError> {
        self.root_folder(mailbox).await.map(|_| ())
    }

    async fn root_folder(&self, mailbox: &str) -> Result<FolderId, MailError> {
        let id = self.mailbox(mailbox).await?;
        let root = self
            .client
            .folder(&id, "msgfolderroot")
            .await
            .map_err(|error| mail_error(error, NotFound::Folder))?;
        Ok(FolderId::new(root.id))
    }

    async fn folders(&self, mailbox: &str) -> Result<Vec<MailFolder>, MailError> {
        let root = self.root_folder(mailbox).await?;
        let id = self.mailbox(mailbox).await?;
        let folders = self
            .client
            .folders(&id)
            .await
            .map_err(|error| mail_error(error, NotFound::Folder))?;
        Ok(subtree(root.as_str(), folders))
    }

    async fn create_folder(
        &self,
        mailbox: &str,
        parent: &FolderId,
        name: &str,
        folder_class: &str,
    ) -> Result<FolderId, MailError> {
        let id = self.mailbox(mailbox).await?;
        let folder = self
            .client
            .create_folder(&id, parent.as_str(), name, folder_class)
            .await
            .map_err(|error| mail_error(error, NotFound::Folder))?;
        Ok(FolderId::new(folder.id))
    }

    async fn items(
        &self,
        mailbox: &str,
        folder: &FolderId,
        range: ReceivedRange,
    ) -> Result<Vec<ListedItem>, MailError> {
        // Listings take no filter on the received time (mailboxItem has no such property), so
        // the range is applied here to what the listing shows.
        Ok(self
            .listed_items(mailbox, folder, None)
            .await?
            .iter()
            .map(listed)
            .filter(|item| range.contains(item.received))
            .collect())
    }

    async fn stamped_items(
        &self,
        mailbox: &str,
        folder: &FolderId,
    ) -> Result<Vec<DestinationItem>, MailError> {
        let stamp = stamp_property();
        Ok(self
            .listed_items(mailbox, folder, Some(&stamp))
            .await?
            .iter()
            .map(|item| DestinationItem {
                item: listed(item),
                stamp: item.property(&stamp).and_then(ItemKey::from_hex),
            })
            .collect())
    }

    async fn export(
        &self,
        mailbox: &str,
        ids: &[ItemId],
    ) -> Result<Box<dyn ExportedItems>, MailError> {
        let id = self.mailbox(mailbox).await?;
        Ok(Box::new(export::GraphExport::new(
            self.client.clone(),
            id,
            ids.to_vec(),
        )))
    }

    async fn upload(
        &self,
        mailbox: &str,
        folder: &FolderId,
        items: &[ExportData],
    ) -> Result<Vec<Result<ItemId, MailError>>, MailError> {
        // One import per item, in order. Throttling refuses an item before it is made, so it
        // and the rest (not sent) are answered with it. Any other retryable failure (a reply
        // lost, a server error) leaves that item's outcome unknown, for the caller to settle
        // at the destination, and the rest go on.
        let id = self.mailbox(mailbox).await?;
        let mut results = Vec::with_capacity(items.len());
        for (at, data) in items.iter().enumerate() {
            let error = match self.client.import_item(&id, folder.as_str(), data).await {
                Ok(imported) => {
                    results.push(Ok(ItemId::new(imported.item_id)));
                    continue;
                }
                Err(error) => mail_error(error, NotFound::Folder),
            };
            match error {
                MailError::Throttled { .. } if at == 0 => return Err(error),
                MailError::Throttled { .. } => {
                    results.extend(std::iter::repeat_n(Err(error), items.len() - at));
                    break;
                }
                // A folder or mailbox that is not there fails every item alike.
                MailError::FolderNotFound(_)
                | MailError::MailboxNotFound(_)
                | MailError::Unauthorized(_)
                    if at == 0 =>
                {
                    return Err(error)
                }
                error if error.is_retryable() => {
                    results.push(Err(MailError::OutcomeUnknown(error.to_string())));
                }
                error => results.push(Err(error)),
            }
        }
        Ok(results)
    }

    async fn resolve_exchange_address(
        &self,
        _mailbox: &str,
        _legacy_dn: &str,
    ) -> Result<Option<String>, MailError> {
        // Graph's mailbox API has no directory lookup of legacyExchangeDN or X500 addresses;
        // callers that need one check `capabilities().resolve_exchange_addresses`.
        Ok(None)
    }

    async fn permissions(
        &self,
        mailbox: &str,
        folder: &MailFolder,
    ) -> Result<FolderPermissions, MailError> {
        if !GRAPH_CAPABILITIES.carries_permissions_of(folder) {
            return Err(unsupported(PERMISSIONS_NOT_CARRIED));
        }
        let entries = self
            .client
            .calendar_permissions(mailbox)
            .await
            .map_err(|error| mail_error(error, NotFound::Mailbox))?;
        Ok(calendar::from_graph(&entries))
    }

    async fn set_permissions(
        &self,
        mailbox: &str,
        folder: &MailFolder,
        permissions: &FolderPermissions,
    ) -> Result<(), MailError> {
        if !GRAPH_CAPABILITIES.carries_permissions_of(folder) {
            return Err(unsupported(PERMISSIONS_NOT_CARRIED));
        }
        let failed = |error| mail_error(error, NotFound::Mailbox);
        let current = self
            .client
            .calendar_permissions(mailbox)
            .await
            .map_err(failed)?;
        let (changes, refused) = calendar::plan(&current, permissions);
        for change in changes {
            match change {
                calendar::Change::Add(grantee, role) => self
                    .client
                    .add_calendar_permission(mailbox, &grantee, role)
                    .await
                    .map(drop),
                calendar::Change::Update(id, role) => self
                    .client
                    .update_calendar_permission(mailbox, &id, role)
                    .await
                    .map(drop),
                calendar::Change::Remove(id) => {
                    self.client.delete_calendar_permission(mailbox, &id).await
                }
            }
            .map_err(failed)?;
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(calendar::refused_error(&refused))
        }
    }

    async fn rules(&self, mailbox: &str) -> Result<Vec<InboxRule>, MailError> {
        let failed = |error| mail_error(error, NotFound::Mailbox);
        let rules = self.client.message_rules(mailbox).await.map_err(failed)?;
        let rest_ids: Vec<String> = rules
            .iter()
            .flat_map(rules::referenced_rest_ids)
            .map(str::to_string)
            .collect();
        let folders = if rest_ids.is_empty() {
            HashMap::new()
        } else {
            let id = self.mailbox(mailbox).await?;
            folder_bridge::rest_to_mailbox(&self.client, &id, mailbox, &rest_ids)
                .await
                .map_err(failed)?
        };
        Ok(rules
            .iter()
            .map(|rule| rules::rule_from_graph(rule, &folders))
            .collect())
    }

    async fn create_rules(&self, mailbox: &str, rules: &[InboxRule]) -> Result<(), MailError> {
        let failed = |error| mail_error(error, NotFound::Mailbox);
        let references: Vec<RuleFolder> = rules
            .iter()
            .flat_map(|rule| rule.actions.iter())
            .filter_map(|entry| match &entry.value {
                RuleValue::Folder(reference) => Some(reference.clone()),
                _ => None,
            })
            .collect();
        let folders = if references.is_empty() {
            HashMap::new()
        } else {
            let id = self.mailbox(mailbox).await?;
            folder_bridge::mailbox_to_rest(&self.client, &id, mailbox, &references)
                .await
                .map_err(failed)?
        };
        for rule in rules {
            let graph_rule =
                rules::rule_to_graph(rule, |reference| folders.get(reference).cloned()).map_err(
                    |why| unsupported(&format!("the inbox rule \"{}\": {why}", rule.display_name)),
                )?;
            self.client
                .create_message_rule(mailbox, &graph_rule)
                .await
                .map_err(failed)?;
        }
        Ok(())
    }
}

/// Why a folder's permissions are refused.
const PERMISSIONS_NOT_CARRIED: &str =
    "permissions of folders other than the default calendar (Graph has no API for them)";

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(id: &str, parent: &str, well_known: Option<&str>) -> ferry_graph::Folder {
        ferry_graph::Folder {
            id: id.into(),
            display_name: id.to_uppercase(),
            parent_folder_id: Some(parent.into()),
            folder_class: Some("IPF.Note".into()),
            well_known_name: well_known.map(str::to_string),
            total_item_count: Some(1),
            child_folder_count: None,
            single_value_extended_properties: Vec::new(),
        }
    }

    #[test]
    fn the_tree_is_cut_below_the_ipm_root_and_ordered_parents_first() {
        let listing = vec![
            folder("sub", "inbox", None),
            folder("top", "root", Some("msgfolderroot")),
            folder("recoverable", "root", Some("recoverableitemsroot")),
            folder(
                "deletions",
                "recoverable",
                Some("recoverableitemsdeletions"),
            ),
            folder("inbox", "top", Some("Inbox")),
            folder("subsub", "sub", None),
            folder("sent", "top", Some("sentitems")),
        ];
        let tree = subtree("top", listing);
        let ids: Vec<&str> = tree.iter().map(|folder| folder.id.as_str()).collect();
        assert_eq!(ids, ["inbox", "sub", "subsub", "sent"]);
        assert_eq!(tree[0].well_known.as_deref(), Some("inbox"));
        assert_eq!(tree[1].well_known, None);
        assert_eq!(
            tree[1].parent_id.as_ref().map(FolderId::as_str),
            Some("inbox")
        );
    }
}
