//! The records the coordinator keeps and workers read: projects (with their tenant endpoints),
//! mailboxes and their states, passes, per-mailbox counters, item keys and item errors.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A project's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProjectId(pub String);

/// A mailbox's id (unique within its project).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MailboxId(pub String);

/// A pass's id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PassId(pub String);

/// A work unit's id: derived from the pass, mailbox, folder and range, so planning the same
/// mailbox twice yields the same ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UnitId(pub String);

macro_rules! display_id {
    ($($id:ty),*) => {$(
        impl fmt::Display for $id {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}
display_id!(ProjectId, MailboxId, PassId, UnitId);

/// A fresh random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The 16-byte key of a migrated item: a hash of its source mailbox and source item id. This is
/// all the store keeps per migrated item, and the stamp written on the destination copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ItemKey(pub [u8; 16]);

/// The name of the named property (in `PS_PUBLIC_STRINGS`, a string) every copy carries: the
/// hex [`ItemKey`] of the item it copies. Written into the copy's export data before upload.
pub const STAMP_PROPERTY_NAME: &str = "FerrySourceItem";

impl ItemKey {
    /// The key of a source item.
    pub fn of(source_mailbox: &str, source_item_id: &str) -> ItemKey {
        let digest = Sha256::new()
            .chain_update(source_mailbox.to_ascii_lowercase().as_bytes())
            .chain_update([0u8])
            .chain_update(source_item_id.as_bytes())
            .finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        ItemKey(key)
    }

    /// Hex form, as stamped on destination items.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads the hex form.
    pub fn from_hex(text: &str) -> Option<ItemKey> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(ItemKey(bytes.try_into().ok()?))
    }
}

/// Which Microsoft cloud a tenant is in.
pub use ferry_auth::Cloud;

/// How to sign in to a tenant. Secrets never print.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CredentialConfig {
    /// App-only with a client secret.
    ClientSecret {
        /// Application id.
        client_id: String,
        /// Secret.
        client_secret: String,
    },
    /// App-only with a certificate.
    Certificate {
        /// Application id.
        client_id: String,
        /// PEM certificate.
        certificate_pem: String,
        /// PEM private key.
        private_key_pem: String,
    },
    /// A delegated admin.
    DelegatedAdmin {
        /// Public client application id.
        client_id: String,
        /// Admin UPN.
        username: String,
        /// Password.
        password: String,
    },
}

impl CredentialConfig {
    /// `client_secret`, `certificate` or `delegated_admin`.
    pub fn kind(&self) -> &'static str {
        match self {
            CredentialConfig::ClientSecret { .. } => "client_secret",
            CredentialConfig::Certificate { .. } => "certificate",
            CredentialConfig::DelegatedAdmin { .. } => "delegated_admin",
        }
    }

    /// The application id.
    pub fn client_id(&self) -> &str {
        match self {
            CredentialConfig::ClientSecret { client_id, .. }
            | CredentialConfig::Certificate { client_id, .. }
            | CredentialConfig::DelegatedAdmin { client_id, .. } => client_id,
        }
    }

    /// The admin UPN, for delegated credentials.
    pub fn username(&self) -> Option<&str> {
        match self {
            CredentialConfig::DelegatedAdmin { username, .. } => Some(username),
            _ => None,
        }
    }
}

impl fmt::Debug for CredentialConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialConfig")
            .field("kind", &self.kind())
            .field("client_id", &self.client_id())
            .field("username", &self.username())
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Which protocol an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailProtocol {
    /// Exchange Web Services (SOAP).
    Ews,
    /// Microsoft Graph's mailbox import/export API (v1.0).
    Graph,
}

impl MailProtocol {
    /// `ews` or `graph`.
    pub fn name(self) -> &'static str {
        match self {
            MailProtocol::Ews => "ews",
            MailProtocol::Graph => "graph",
        }
    }

    /// The protocol named `ews` or `graph` (any case).
    pub fn parse(name: &str) -> Option<MailProtocol> {
        match name.to_ascii_lowercase().as_str() {
            "ews" => Some(MailProtocol::Ews),
            "graph" => Some(MailProtocol::Graph),
            _ => None,
        }
    }
}

impl fmt::Display for MailProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The protocol an endpoint speaks, with the settings only that protocol has. The adapter for
/// the protocol (in `ferry-mail`) is what reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "api", rename_all = "snake_case")]
pub enum ApiSettings {
    /// Exchange Web Services.
    Ews {
        /// The EWS endpoint (`https://outlook.office365.com/EWS/Exchange.asmx`).
        ews_url: String,
        /// The resource tokens are asked for (`https://outlook.office365.com`).
        resource: String,
    },
    /// Microsoft Graph.
    Graph {
        /// Graph's versioned root (`https://graph.microsoft.com/v1.0`).
        graph_url: String,
        /// The resource tokens are asked for (`https://graph.microsoft.com`).
        resource: String,
    },
}

impl ApiSettings {
    /// The settings of `protocol` in `cloud`.
    pub fn for_cloud(protocol: MailProtocol, cloud: Cloud) -> ApiSettings {
        match protocol {
            MailProtocol::Ews => ApiSettings::Ews {
                ews_url: format!("{}/EWS/Exchange.asmx", cloud.exchange_resource()),
                resource: cloud.exchange_resource().to_string(),
            },
            MailProtocol::Graph => ApiSettings::Graph {
                graph_url: format!("{}/v1.0", cloud.graph_resource()),
                resource: cloud.graph_resource().to_string(),
            },
        }
    }

    /// Which protocol.
    pub fn protocol(&self) -> MailProtocol {
        match self {
            ApiSettings::Ews { .. } => MailProtocol::Ews,
            ApiSettings::Graph { .. } => MailProtocol::Graph,
        }
    }

    /// The URL requests go to.
    pub fn service_url(&self) -> &str {
        match self {
            ApiSettings::Ews { ews_url, .. } => ews_url,
            ApiSettings::Graph { graph_url, .. } => graph_url,
        }
    }

    /// The resource tokens are asked for.
    pub fn resource(&self) -> &str {
        match self {
            ApiSettings::Ews { resource, .. } | ApiSettings::Graph { resource, .. } => resource,
        }
    }
}

/// How to reach one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StoredEndpoint")]
pub struct EndpointConfig {
    /// Cloud.
    pub cloud: Cloud,
    /// Tenant id or domain.
    pub tenant: String,
    /// Token endpoint (derived from the cloud unless overridden).
    pub token_url: String,
    /// The protocol and its settings.
    #[serde(flatten)]
    pub api: ApiSettings,
    /// Credentials.
    pub credentials: CredentialConfig,
}

/// An endpoint as stored, in this version's shape or the one before it had a protocol (no
/// `api`: EWS), so projects stored before Graph keep working.
#[derive(Deserialize)]
struct StoredEndpoint {
    cloud: Cloud,
    tenant: String,
    token_url: String,
    #[serde(default)]
    api: Option<MailProtocol>,
    #[serde(default)]
    ews_url: Option<String>,
    #[serde(default)]
    graph_url: Option<String>,
    resource: String,
    credentials: CredentialConfig,
}

impl TryFrom<StoredEndpoint> for EndpointConfig {
    type Error = String;

    fn try_from(stored: StoredEndpoint) -> Result<EndpointConfig, String> {
        let api = match stored.api.unwrap_or(MailProtocol::Ews) {
            MailProtocol::Ews => ApiSettings::Ews {
                ews_url: stored.ews_url.ok_or("an EWS endpoint without ews_url")?,
                resource: stored.resource,
            },
            MailProtocol::Graph => ApiSettings::Graph {
                graph_url: stored
                    .graph_url
                    .ok_or("a Graph endpoint without graph_url")?,
                resource: stored.resource,
            },
        };
        Ok(EndpointConfig {
            cloud: stored.cloud,
            tenant: stored.tenant,
            token_url: stored.token_url,
            api,
            credentials: stored.credentials,
        })
    }
}

impl EndpointConfig {
    /// The cloud's token endpoint for `tenant`.
    pub fn default_token_url(cloud: Cloud, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", cloud.authority())
    }

    /// The protocol it speaks.
    pub fn protocol(&self) -> MailProtocol {
        self.api.protocol()
    }

    /// A stable key for rate limiting and pausing: the tenant at its endpoint.
    pub fn tenant_key(&self) -> String {
        format!(
            "{}|{}",
            self.api.service_url().to_ascii_lowercase(),
            self.tenant.to_ascii_lowercase()
        )
    }
}

/// How a project migrates; see `ferry.v1.ProjectOptions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectOptions {
    /// Most items per export/upload batch.
    pub batch_items: u32,
    /// Most bytes per batch.
    pub batch_bytes: u64,
    /// Most items per work unit.
    pub unit_items: u32,
    /// EWS requests per second per tenant per process.
    pub requests_per_second: f64,
    /// Skip folder permissions.
    pub skip_permissions: bool,
    /// Skip inbox rules.
    pub skip_rules: bool,
    /// Recipient mapping expressions (`@contoso.com->@fabrikam.com`, `a@x.com->b@y.com`),
    /// checked when the project is created; see [`crate::mapping`].
    #[serde(default)]
    pub recipient_mapping: Vec<String>,
    /// Bytes each destination mailbox takes per import window; uploads are paced to it, by
    /// every worker together (Exchange Online: 150 MB per 5 minutes, on both protocols).
    #[serde(default = "default_import_bytes_per_window")]
    pub import_bytes_per_window: u64,
    /// The import window, in seconds.
    #[serde(default = "default_import_window_secs")]
    pub import_window_secs: u64,
}

fn default_import_bytes_per_window() -> u64 {
    150 * 1024 * 1024
}

fn default_import_window_secs() -> u64 {
    300
}

impl ProjectOptions {
    /// The import window as a duration.
    pub fn import_window(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.import_window_secs.max(1))
    }
}

impl Default for ProjectOptions {
    fn default() -> Self {
        ProjectOptions {
            batch_items: 50,
            batch_bytes: 50 * 1024 * 1024,
            unit_items: 2000,
            requests_per_second: 20.0,
            skip_permissions: false,
            skip_rules: false,
            recipient_mapping: Vec::new(),
            import_bytes_per_window: default_import_bytes_per_window(),
            import_window_secs: default_import_window_secs(),
        }
    }
}

/// A project: two tenants and how to migrate between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRecord {
    /// Id.
    pub id: ProjectId,
    /// Name.
    pub name: String,
    /// Source tenant.
    pub source: EndpointConfig,
    /// Destination tenant.
    pub destination: EndpointConfig,
    /// Options.
    pub options: ProjectOptions,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// The work unit queue of a project in a deployment. Each project has its own, so a project
/// whose tenant is throttled never holds up another's units.
pub fn unit_queue(namespace: &str, project: &ProjectId) -> String {
    format!("{namespace}.units.{project}")
}

/// The queue unit results go to in a deployment.
pub fn result_queue(namespace: &str) -> String {
    format!("{namespace}.results")
}

/// The namespace of a deployment unless configured otherwise: the prefix of its queues and of
/// its keys in the store, so deployments (and test runs) can share RabbitMQ and Redis.
pub const DEFAULT_NAMESPACE: &str = "ferry";

/// Where a mailbox is in its pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailboxState {
    /// No pass has included it.
    NotStarted,
    /// Being planned or its units are queued.
    Queued,
    /// A worker has finished at least one of its units.
    Running,
    /// Every unit finished without item errors.
    Completed,
    /// Every unit finished; some items could not be migrated.
    CompletedWithErrors,
    /// The mailbox could not be migrated (planning failed, mailbox missing...).
    Failed,
}

impl MailboxState {
    /// Whether the pass is over for the mailbox.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            MailboxState::Completed | MailboxState::CompletedWithErrors | MailboxState::Failed
        )
    }

    /// The name used in the API (`completed_with_errors`...).
    pub fn name(self) -> &'static str {
        match self {
            MailboxState::NotStarted => "not_started",
            MailboxState::Queued => "queued",
            MailboxState::Running => "running",
            MailboxState::Completed => "completed",
            MailboxState::CompletedWithErrors => "completed_with_errors",
            MailboxState::Failed => "failed",
        }
    }
}

/// A mailbox of a project and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxRecord {
    /// Project.
    pub project_id: ProjectId,
    /// Id.
    pub id: MailboxId,
    /// Source primary address.
    pub source_address: String,
    /// Destination primary address.
    pub destination_address: String,
    /// State in the current pass.
    pub state: MailboxState,
    /// The pass it is in (or was last in).
    pub pass_id: Option<PassId>,
    /// Units planned for the pass (set once planning is done).
    pub units_total: Option<u64>,
    /// When the pass started for it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a terminal state.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub failure: Option<String>,
}

/// What a pass migrates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PassKind {
    /// Everything not migrated yet.
    Full,
    /// Items received before a date.
    PreStage,
}

/// A pass over some of a project's mailboxes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassRecord {
    /// Id.
    pub id: PassId,
    /// Project.
    pub project_id: ProjectId,
    /// Kind.
    pub kind: PassKind,
    /// Mailboxes included.
    pub mailbox_ids: Vec<MailboxId>,
    /// For pre-stage passes: the cut-off.
    pub received_before: Option<DateTime<Utc>>,
    /// Start.
    pub started_at: DateTime<Utc>,
}

/// Counters of one mailbox in one pass; added up for projects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Numeric counters by name (`items_copied`, `bytes_copied`...).
    pub values: BTreeMap<String, u64>,
}

/// Counter names.
pub mod counter {
    /// Items in scope at planning.
    pub const ITEMS_PLANNED: &str = "items_planned";
    /// Bytes in scope at planning.
    pub const BYTES_PLANNED: &str = "bytes_planned";
    /// Items a worker found in scope when it ran the unit.
    pub const ITEMS_SEEN: &str = "items_seen";
    /// Items copied.
    pub const ITEMS_COPIED: &str = "items_copied";
    /// Bytes copied.
    pub const BYTES_COPIED: &str = "bytes_copied";
    /// Items found already migrated.
    pub const ITEMS_ALREADY_PRESENT: &str = "items_already_present";
    /// Items that failed.
    pub const ITEMS_FAILED: &str = "items_failed";
    /// Throttling replies met.
    pub const THROTTLE_EVENTS: &str = "throttle_events";
    /// Units finished.
    pub const UNITS_DONE: &str = "units_done";
    /// Units planned.
    pub const UNITS_TOTAL: &str = "units_total";
    /// 1 once a mailbox is planned for the pass (summed, the mailboxes planned so far).
    pub const MAILBOXES_PLANNED: &str = "mailboxes_planned";
    /// Units that could not be finished (their items are in the error log).
    pub const UNITS_FAILED: &str = "units_failed";
    /// Folders in scope.
    pub const FOLDERS_TOTAL: &str = "folders_total";
    /// Folders created at the destination.
    pub const FOLDERS_CREATED: &str = "folders_created";
    /// Addresses in migrated items that recipient mapping rewrote.
    pub const ADDRESSES_REWRITTEN: &str = "addresses_rewritten";
    /// Folders, permissions and rules planning could not migrate.
    pub const PLANNING_ERRORS: &str = "planning_errors";
    /// Prefix of per-code error counters.
    pub const ERRORS_PREFIX: &str = "errors.";
    /// Prefix of per-class item counters.
    pub const CLASS_ITEMS_PREFIX: &str = "class_items.";
    /// Prefix of per-class byte counters.
    pub const CLASS_BYTES_PREFIX: &str = "class_bytes.";
}

impl Counters {
    /// A counter's value (0 when unset).
    pub fn get(&self, name: &str) -> u64 {
        self.values.get(name).copied().unwrap_or(0)
    }

    /// Adds to a counter.
    pub fn add(&mut self, name: &str, amount: u64) {
        if amount > 0 {
            *self.values.entry(name.to_string()).or_insert(0) += amount;
        }
    }

    /// Counts one copied item of `item_class` and `bytes`, in total and by class.
    pub fn add_copied(&mut self, item_class: &str, bytes: u64) {
        self.add(counter::ITEMS_COPIED, 1);
        self.add(counter::BYTES_COPIED, bytes);
        self.add(&format!("{}{item_class}", counter::CLASS_ITEMS_PREFIX), 1);
        self.add(
            &format!("{}{item_class}", counter::CLASS_BYTES_PREFIX),
            bytes,
        );
    }

    /// Adds every counter of `other`.
    pub fn merge(&mut self, other: &Counters) {
        for (name, value) in &other.values {
            self.add(name, *value);
        }
    }

    /// The counters whose names start with `prefix`, with the prefix removed.
    pub fn with_prefix(&self, prefix: &str) -> BTreeMap<String, u64> {
        self.values
            .iter()
            .filter_map(|(name, value)| {
                name.strip_prefix(prefix)
                    .map(|rest| (rest.to_string(), *value))
            })
            .collect()
    }
}

/// An item that could not be migrated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemErrorRecord {
    /// Source item id.
    pub source_item_id: String,
    /// Folder path in the source.
    pub folder_path: String,
    /// Error code.
    pub code: String,
    /// What happened.
    pub message: String,
    /// Subject, if known.
    pub subject: String,
    /// Item class, if known.
    pub item_class: String,
    /// Size, if known.
    pub size: u64,
    /// The pass.
    pub pass_id: PassId,
    /// When.
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_round_trip_and_ones_stored_before_graph_read_as_ews() {
        let credentials = CredentialConfig::ClientSecret {
            client_id: "c".into(),
            client_secret: "s".into(),
        };
        for protocol in [MailProtocol::Ews, MailProtocol::Graph] {
            let endpoint = EndpointConfig {
                cloud: Cloud::Worldwide,
                tenant: "contoso.com".into(),
                token_url: EndpointConfig::default_token_url(Cloud::Worldwide, "contoso.com"),
                api: ApiSettings::for_cloud(protocol, Cloud::Worldwide),
                credentials: credentials.clone(),
            };
            let json = serde_json::to_value(&endpoint).expect("json");
            assert_eq!(json["api"], protocol.name());
            let back: EndpointConfig = serde_json::from_value(json).expect("reads back");
            assert_eq!(back, endpoint);
        }
        let before_graph = serde_json::json!({
            "cloud": "worldwide",
            "tenant": "contoso.com",
            "token_url": "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token",
            "ews_url": "https://outlook.office365.com/EWS/Exchange.asmx",
            "resource": "https://outlook.office365.com",
            "credentials": serde_json::to_value(&credentials).expect("json"),
        });
        let old: EndpointConfig = serde_json::from_value(before_graph.clone()).expect("old record");
        assert_eq!(old.protocol(), MailProtocol::Ews);
        assert_eq!(
            old.api.service_url(),
            "https://outlook.office365.com/EWS/Exchange.asmx"
        );
        let mut graph_without_url = before_graph;
        graph_without_url["api"] = "graph".into();
        let error =
            serde_json::from_value::<EndpointConfig>(graph_without_url).expect_err("no url");
        assert!(error.to_string().contains("graph_url"), "{error}");
    }

    #[test]
    fn item_keys_are_stable_and_distinct() {
        let key = ItemKey::of("Ann@Contoso.com", "AAMk1");
        assert_eq!(
            key,
            ItemKey::of("ann@contoso.com", "AAMk1"),
            "addresses compare case-insensitively"
        );
        assert_ne!(key, ItemKey::of("ann@contoso.com", "AAMk2"));
        assert_eq!(ItemKey::from_hex(&key.to_hex()), Some(key));
        assert_eq!(ItemKey::from_hex("zz"), None);
    }

    #[test]
    fn credentials_never_print_secrets() {
        let credentials = CredentialConfig::DelegatedAdmin {
            client_id: "c".into(),
            username: "admin@contoso.com".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{credentials:?}").contains("hunter2"));
    }

    #[test]
    fn counters_merge_and_select_by_prefix() {
        let mut total = Counters::default();
        let mut one = Counters::default();
        one.add("class_items.IPM.Note", 3);
        one.add(counter::ITEMS_COPIED, 3);
        total.merge(&one);
        total.merge(&one);
        assert_eq!(total.get(counter::ITEMS_COPIED), 6);
        assert_eq!(
            total
                .with_prefix(counter::CLASS_ITEMS_PREFIX)
                .get("IPM.Note"),
            Some(&6)
        );
    }
}
