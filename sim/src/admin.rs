//! The inspection API: a small JSON API over what the simulator holds and how it behaves.
//!
//! Tests use it to prove a destination holds exactly what the source held (per-item content
//! digests), to read throttle and fault counters, and to change fault and throttling settings
//! while running (`/admin/throttling` for EWS, `/admin/graph/throttling` for Graph). It never
//! returns secrets. It has no authentication: bind the simulator to
//! loopback.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::faults::FaultSettings;
use crate::graph::GraphThrottlePolicy;
use crate::ids::ObjectId;
use crate::model::address::{addresses, AddressUse};
use crate::model::{Mailbox, MailboxKind, PropertyKey, Tenant};
use crate::server::SimState;
use crate::throttle::ThrottlePolicy;

/// The admin routes, under `/admin`.
pub fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/admin/tenants", get(tenants))
        .route("/admin/tenants/{tenant}/mailboxes", get(mailboxes))
        .route(
            "/admin/tenants/{tenant}/mailboxes/{address}/folders",
            get(folders),
        )
        .route(
            "/admin/tenants/{tenant}/mailboxes/{address}/items",
            get(items),
        )
        .route(
            "/admin/tenants/{tenant}/mailboxes/{address}/quota",
            put(set_quota),
        )
        .route("/admin/counters", get(counters))
        .route("/admin/faults", get(get_faults).put(put_faults))
        .route("/admin/throttling", get(get_throttling).put(put_throttling))
        .route(
            "/admin/graph/throttling",
            get(get_graph_throttling).put(put_graph_throttling),
        )
        .route("/admin/identity", get(get_identity).put(put_identity))
        .route("/admin/identity/expire-tokens", post(expire_tokens))
        .route(
            "/admin/tenants/{tenant}/apps/{client_id}/certificates",
            post(register_certificate),
        )
}

/// A tenant, without its secrets.
#[derive(Debug, Serialize, Deserialize)]
pub struct TenantSummary {
    /// Short name.
    pub name: String,
    /// Directory id.
    pub tenant_id: String,
    /// Initial domain.
    pub domain: String,
    /// Number of mailboxes.
    pub mailboxes: usize,
}

/// A mailbox and its totals.
#[derive(Debug, Serialize, Deserialize)]
pub struct MailboxSummary {
    /// Primary SMTP address.
    pub address: String,
    /// Other addresses.
    pub aliases: Vec<String>,
    /// The mailbox's legacyExchangeDN (what `EX` addresses name it by).
    #[serde(default)]
    pub legacy_dn: String,
    /// Its `X500:` proxies.
    #[serde(default)]
    pub x500_addresses: Vec<String>,
    /// Display name.
    pub display_name: String,
    /// User, shared, room or equipment.
    pub kind: MailboxKind,
    /// Folders, the well-known ones included.
    pub folders: usize,
    /// Items in all folders.
    pub items: usize,
    /// Total item size.
    pub bytes: u64,
    /// Inbox rules.
    pub rules: usize,
    /// The mailbox's id in Microsoft Graph (`MBX:…`).
    #[serde(default)]
    pub graph_mailbox_id: String,
    /// The directory object id of the mailbox's user (`users/{id}` in Graph).
    #[serde(default)]
    pub graph_user_id: String,
}

/// A folder and its totals.
#[derive(Debug, Serialize, Deserialize)]
pub struct FolderSummary {
    /// The folder id, as EWS shows it.
    pub id: String,
    /// A locale-independent path: `{inbox}/Projects`; equal for a folder and its migrated copy.
    pub key: String,
    /// Display names from the top of the tree.
    pub path: Vec<String>,
    /// Display name.
    pub display_name: String,
    /// Folder class.
    pub folder_class: String,
    /// The distinguished id of a well-known folder.
    pub distinguished_id: Option<String>,
    /// Items in the folder.
    pub items: usize,
    /// Their total size.
    pub bytes: u64,
    /// Items per class.
    pub item_classes: BTreeMap<String, usize>,
    /// Permission entries as `user:level` (`Default:Reviewer`, `ann@x:Editor`).
    pub permissions: Vec<String>,
}

/// An item's identity and digest.
#[derive(Debug, Serialize, Deserialize)]
pub struct ItemSummary {
    /// The item id, as EWS shows it.
    pub id: String,
    /// The key of its folder.
    pub folder_key: String,
    /// Item class.
    pub item_class: String,
    /// Subject.
    pub subject: String,
    /// Size, as EWS reports it.
    pub size: u64,
    /// Hex SHA-256 over every property a migration must carry over: the message's, its
    /// recipients' and its attachments' (see `Item::digest`).
    pub digest: String,
    /// The same digest without the address properties (see `Item::digest_without_addresses`):
    /// what a migration that maps addresses leaves unchanged.
    #[serde(default)]
    pub digest_without_addresses: String,
    /// `Message-ID`, if any.
    pub internet_message_id: Option<String>,
    /// Named properties as `key=value` strings.
    pub extended_properties: Vec<String>,
    /// Every address the item names, with its role (sender, to, email1, attachment[0].to...).
    #[serde(default)]
    pub addresses: Vec<AddressUse>,
    /// Recipient rows.
    #[serde(default)]
    pub recipients: usize,
    /// Attachments, embedded messages and hidden ones included.
    #[serde(default)]
    pub attachments: usize,
}

/// Filters for the item listing.
#[derive(Debug, Deserialize)]
pub struct ItemQuery {
    /// Only items in the folder with this key.
    pub folder: Option<String>,
}

/// A tenant or mailbox the request names does not exist.
struct NotFound(&'static str);

impl IntoResponse for NotFound {
    fn into_response(self) -> Response {
        (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": format!("{} not found", self.0) })),
        )
            .into_response()
    }
}

fn find_tenant<'a>(state: &'a SimState, tenant: &str) -> Result<&'a Arc<Tenant>, NotFound> {
    state.directory.tenant(tenant).ok_or(NotFound("tenant"))
}

fn find_mailbox<'a>(
    state: &'a SimState,
    tenant: &str,
    address: &str,
) -> Result<&'a Arc<Mailbox>, NotFound> {
    find_tenant(state, tenant)?
        .mailbox_by_address(address)
        .ok_or(NotFound("mailbox"))
}

async fn tenants(State(state): State<Arc<SimState>>) -> Json<Vec<TenantSummary>> {
    Json(
        state
            .directory
            .tenants()
            .iter()
            .map(|tenant| TenantSummary {
                name: tenant.name.clone(),
                tenant_id: tenant.tenant_id.to_string(),
                domain: tenant.domain.clone(),
                mailboxes: tenant.mailboxes().len(),
            })
            .collect(),
    )
}

async fn mailboxes(State(state): State<Arc<SimState>>, Path(tenant): Path<String>) -> Response {
    let tenant = match find_tenant(&state, &tenant) {
        Ok(tenant) => tenant,
        Err(missing) => return missing.into_response(),
    };
    let summaries: Vec<MailboxSummary> = tenant
        .mailboxes()
        .iter()
        .map(|mailbox| {
            let contents = mailbox.lock();
            MailboxSummary {
                address: mailbox.primary_address.clone(),
                aliases: mailbox.aliases.clone(),
                legacy_dn: mailbox.legacy_dn.clone(),
                x500_addresses: mailbox.x500_addresses.clone(),
                display_name: mailbox.display_name.clone(),
                kind: mailbox.kind,
                folders: contents.folders.len(),
                items: contents.items.len(),
                bytes: contents.used_bytes,
                rules: contents.rules.len(),
                graph_mailbox_id: crate::graph::ids::display_mailbox_id(
                    state
                        .graph
                        .mailboxes
                        .id_of(&mailbox.guid)
                        .unwrap_or_default(),
                ),
                graph_user_id: crate::graph::ids::user_object_id(mailbox.guid).to_string(),
            }
        })
        .collect();
    Json(summaries).into_response()
}

async fn folders(
    State(state): State<Arc<SimState>>,
    Path((tenant, address)): Path<(String, String)>,
) -> Response {
    let mailbox = match find_mailbox(&state, &tenant, &address) {
        Ok(mailbox) => mailbox,
        Err(missing) => return missing.into_response(),
    };
    let contents = mailbox.lock();
    let summaries: Vec<FolderSummary> = contents
        .folders
        .values()
        .map(|folder| {
            let mut item_classes = BTreeMap::new();
            for (_, seq) in &folder.items {
                if let Some(item) = contents.items.get(seq) {
                    *item_classes
                        .entry(item.item_class().to_string())
                        .or_insert(0) += 1;
                }
            }
            FolderSummary {
                id: ObjectId::folder(mailbox.guid, folder.seq).encode(),
                key: contents.folder_key(folder.seq),
                path: contents.folder_path(folder.seq),
                display_name: folder.display_name.clone(),
                folder_class: folder.folder_class.clone(),
                distinguished_id: folder
                    .well_known
                    .map(|known| known.distinguished_id().to_string()),
                items: folder.items.len(),
                bytes: folder.total_bytes,
                item_classes,
                permissions: folder
                    .permissions
                    .iter()
                    .map(|permission| {
                        let user = match &permission.user {
                            crate::model::PermissionUser::Default => "Default".to_string(),
                            crate::model::PermissionUser::Anonymous => "Anonymous".to_string(),
                            crate::model::PermissionUser::User { address, .. } => address.clone(),
                        };
                        format!("{user}:{}", permission.level)
                    })
                    .collect(),
            }
        })
        .collect();
    Json(summaries).into_response()
}

async fn items(
    State(state): State<Arc<SimState>>,
    Path((tenant, address)): Path<(String, String)>,
    Query(query): Query<ItemQuery>,
) -> Response {
    let mailbox = match find_mailbox(&state, &tenant, &address) {
        Ok(mailbox) => Arc::clone(mailbox),
        Err(missing) => return missing.into_response(),
    };
    // Digests hash every item's content; do it off the async threads.
    let listing = tokio::task::spawn_blocking(move || {
        let contents = mailbox.lock();
        let mut summaries = Vec::with_capacity(contents.items.len());
        for folder in contents.folders.values() {
            let key = contents.folder_key(folder.seq);
            if query.folder.as_ref().is_some_and(|wanted| *wanted != key) {
                continue;
            }
            for (_, seq) in &folder.items {
                let Some(item) = contents.items.get(seq) else {
                    continue;
                };
                summaries.push(ItemSummary {
                    id: ObjectId::item(mailbox.guid, item.seq).encode(),
                    folder_key: key.clone(),
                    item_class: item.item_class().to_string(),
                    subject: item.subject().to_string(),
                    size: item.size(),
                    digest: hex::encode(item.digest()),
                    digest_without_addresses: hex::encode(item.digest_without_addresses()),
                    internet_message_id: item.internet_message_id().map(str::to_string),
                    extended_properties: item
                        .message
                        .props
                        .iter()
                        .filter(|(key, _)| !matches!(key, PropertyKey::Tag(_)))
                        .map(|(key, value)| {
                            format!("{}={}", key_text(key), value.ews_values().join(","))
                        })
                        .collect(),
                    addresses: addresses(&item.message),
                    recipients: item.message.recipients.len(),
                    attachments: item.message.attachments.len(),
                });
            }
        }
        summaries
    })
    .await;
    match listing {
        Ok(summaries) => Json(summaries).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

fn key_text(key: &PropertyKey) -> String {
    match key {
        PropertyKey::Tag(tag) => format!("0x{tag:04X}"),
        PropertyKey::NamedId { set, id } => format!("{{{set}}}/0x{id:04X}"),
        PropertyKey::NamedString { set, name } => format!("{{{set}}}/{name}"),
    }
}

/// A quota change.
#[derive(Debug, Deserialize)]
pub struct QuotaChange {
    /// The new quota in bytes.
    pub bytes: u64,
}

async fn set_quota(
    State(state): State<Arc<SimState>>,
    Path((tenant, address)): Path<(String, String)>,
    Json(change): Json<QuotaChange>,
) -> Response {
    match find_mailbox(&state, &tenant, &address) {
        Ok(mailbox) => {
            mailbox
                .quota_bytes
                .store(change.bytes, std::sync::atomic::Ordering::Relaxed);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(missing) => missing.into_response(),
    }
}

/// Counters of a tenant and its mailboxes.
#[derive(Debug, Serialize, Deserialize)]
pub struct TenantCounters {
    /// Tenant name.
    pub tenant: String,
    /// Counters not tied to a mailbox.
    pub counters: BTreeMap<String, u64>,
    /// The sum of every mailbox's counters.
    pub mailbox_totals: BTreeMap<String, u64>,
    /// Per mailbox, those with any counter set.
    pub mailboxes: BTreeMap<String, BTreeMap<String, u64>>,
}

async fn counters(State(state): State<Arc<SimState>>) -> Json<Vec<TenantCounters>> {
    Json(
        state
            .directory
            .tenants()
            .iter()
            .map(|tenant| {
                let mut totals = BTreeMap::new();
                let mut mailboxes = BTreeMap::new();
                for mailbox in tenant.mailboxes() {
                    let snapshot = mailbox.counters.snapshot();
                    for (name, value) in &snapshot {
                        *totals.entry(name.clone()).or_insert(0) += value;
                    }
                    if !snapshot.is_empty() {
                        mailboxes.insert(mailbox.primary_address.clone(), snapshot);
                    }
                }
                TenantCounters {
                    tenant: tenant.name.clone(),
                    counters: tenant.counters.snapshot(),
                    mailbox_totals: totals,
                    mailboxes,
                }
            })
            .collect(),
    )
}

async fn get_faults(State(state): State<Arc<SimState>>) -> Json<FaultSettings> {
    Json(state.faults.settings())
}

async fn put_faults(
    State(state): State<Arc<SimState>>,
    Json(settings): Json<FaultSettings>,
) -> Response {
    match settings.validate() {
        Ok(()) => {
            state.faults.set_settings(settings);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": error.to_string() })),
        )
            .into_response(),
    }
}

async fn get_throttling(State(state): State<Arc<SimState>>) -> Json<ThrottlePolicy> {
    Json(state.throttle.policy())
}

async fn put_throttling(
    State(state): State<Arc<SimState>>,
    Json(policy): Json<ThrottlePolicy>,
) -> Response {
    match policy.validate() {
        Ok(()) => {
            state.throttle.set_policy(policy);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": error.to_string() })),
        )
            .into_response(),
    }
}

async fn get_graph_throttling(State(state): State<Arc<SimState>>) -> Json<GraphThrottlePolicy> {
    Json(state.graph.throttle.policy())
}

async fn put_graph_throttling(
    State(state): State<Arc<SimState>>,
    Json(policy): Json<GraphThrottlePolicy>,
) -> Response {
    match policy.validate() {
        Ok(()) => {
            state.graph.throttle.set_policy(policy);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": error.to_string() })),
        )
            .into_response(),
    }
}

/// Identity settings that can change while running.
#[derive(Debug, Serialize, Deserialize)]
pub struct IdentitySettings {
    /// Lifetime of tokens issued from now on, in seconds.
    pub token_lifetime_secs: u64,
}

async fn get_identity(State(state): State<Arc<SimState>>) -> Json<IdentitySettings> {
    Json(IdentitySettings {
        token_lifetime_secs: state.identity.lifetime().as_secs(),
    })
}

async fn put_identity(
    State(state): State<Arc<SimState>>,
    Json(settings): Json<IdentitySettings>,
) -> Response {
    if settings.token_lifetime_secs == 0 {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": "token_lifetime_secs must be at least 1" })),
        )
            .into_response();
    }
    state
        .identity
        .set_lifetime(Duration::from_secs(settings.token_lifetime_secs));
    StatusCode::NO_CONTENT.into_response()
}

async fn expire_tokens(State(state): State<Arc<SimState>>) -> StatusCode {
    state.identity.expire_all();
    StatusCode::NO_CONTENT
}

async fn register_certificate(
    State(state): State<Arc<SimState>>,
    Path((tenant, client_id)): Path<(String, String)>,
    certificate_pem: String,
) -> Response {
    let tenant = match find_tenant(&state, &tenant) {
        Ok(tenant) => tenant,
        Err(missing) => return missing.into_response(),
    };
    let Some(app) = tenant.app(&client_id) else {
        return NotFound("app").into_response();
    };
    match state
        .identity
        .certificates
        .register(tenant.tenant_id, app.client_id, &certificate_pem)
    {
        Ok(thumbprint) => Json(serde_json::json!({ "x5t": thumbprint })).into_response(),
        Err(problem) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": problem })),
        )
            .into_response(),
    }
}
