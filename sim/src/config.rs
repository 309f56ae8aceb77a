//! The simulator's configuration: one typed struct, filled from flags, environment and an
//! optional JSON file, validated at start-up with errors that name the bad field.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::faults::FaultSettings;
use crate::graph::{GraphConfig, GraphThrottlePolicy};
use crate::throttle::ThrottlePolicy;

/// The port `ferry sim` listens on when none is given.
pub const DEFAULT_PORT: u16 = 7300;

/// Everything `ferry sim` can be told.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Address to listen on; port 0 picks a free port (the connection file says which).
    pub listen: SocketAddr,
    /// Where to write the connection file, if anywhere.
    pub connection_file: Option<PathBuf>,
    /// What to seed the source tenant with.
    pub seed: SeedConfig,
    /// Token issuance.
    pub identity: IdentityConfig,
    /// Throttling policies of EWS; `throttling.enabled` also switches Graph's off.
    pub throttling: ThrottlePolicy,
    /// The Microsoft Graph endpoint: page sizes, import session lifetime.
    pub graph: GraphConfig,
    /// Throttling of the Graph endpoint (Outlook's limits per app and mailbox).
    pub graph_throttling: GraphThrottlePolicy,
    /// Faults injected on demand.
    pub faults: FaultSettings,
    /// Size limits.
    pub limits: Limits,
    /// If set, every SOAP reply body (`NNNNNNN-<operation>.xml`) and every Graph JSON reply body
    /// (`NNNNNNN-<operation>.json`) is also written to a file in this directory, so a test can
    /// validate everything the simulator said against Microsoft's schemas and metadata.
    pub record_replies: Option<PathBuf>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            connection_file: None,
            seed: SeedConfig::default(),
            identity: IdentityConfig::default(),
            throttling: ThrottlePolicy::default(),
            graph: GraphConfig::default(),
            graph_throttling: GraphThrottlePolicy::default(),
            faults: FaultSettings::default(),
            limits: Limits::default(),
            record_replies: None,
        }
    }
}

/// What the seeded source tenant holds. The same values always produce the same data.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SeedConfig {
    /// Seed of the data generator.
    pub seed: u64,
    /// Mailboxes in the source tenant (user, shared, room and equipment).
    pub mailboxes: usize,
    /// Median number of items in a mailbox; counts are log-normal around it, a few ten times larger.
    pub items_median: u32,
    /// Items carrying one large attachment each, spread over the first mailboxes.
    pub large_attachments: u32,
    /// Size of each large attachment, in bytes.
    pub large_attachment_bytes: u64,
    /// Items larger than `limits.max_item_bytes`, which a destination refuses.
    pub oversize_items: u32,
    /// Directory of `.eml` files to take message content from; by default the shared corpus.
    pub corpus_dir: Option<PathBuf>,
    /// Item dates fall in the five years before this day (`YYYY-MM-DD`).
    pub anchor_date: String,
    /// Whether to provision the destination tenant (the same people, empty mailboxes).
    pub destination: bool,
}

impl Default for SeedConfig {
    fn default() -> Self {
        SeedConfig {
            seed: 42,
            mailboxes: 10,
            items_median: 150,
            large_attachments: 0,
            large_attachment_bytes: 25 * 1024 * 1024,
            oversize_items: 0,
            corpus_dir: None,
            anchor_date: "2026-11-01".into(),
            destination: true,
        }
    }
}

/// Token issuance settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct IdentityConfig {
    /// Lifetime of issued tokens, in seconds (Entra ID issues 60 to 90 minutes; tests use seconds).
    pub token_lifetime_secs: u64,
    /// The resource EWS tokens are for; their scopes must start with it.
    pub resource: String,
    /// The resource Microsoft Graph tokens are for; their scopes must start with it.
    pub graph_resource: String,
    /// A PEM certificate registered on every tenant's migration app, so it can sign in with a
    /// client assertion instead of its secret.
    pub certificate_pem: Option<PathBuf>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            token_lifetime_secs: 3599,
            resource: "https://outlook.office365.com".into(),
            graph_resource: "https://graph.microsoft.com".into(),
            certificate_pem: None,
        }
    }
}

/// Size limits, as Exchange Online enforces them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest request body accepted, in bytes.
    pub max_request_bytes: usize,
    /// Largest item a mailbox accepts (`ErrorMessageSizeExceeded` above it).
    pub max_item_bytes: u64,
    /// Most items or folders one `FindItem`/`FindFolder` page returns.
    pub max_page_size: usize,
    /// Storage quota of every mailbox, in bytes (`ErrorQuotaExceeded` when an import would pass it).
    pub mailbox_quota_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_bytes: 300 * 1024 * 1024,
            max_item_bytes: 150 * 1024 * 1024,
            max_page_size: 1000,
            mailbox_quota_bytes: 100 * 1024 * 1024 * 1024,
        }
    }
}

/// A configuration value that cannot be used, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {field}: {problem}")]
pub struct ConfigError {
    /// The dotted path of the bad field.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl SimConfig {
    /// Reads a configuration from a JSON file; missing fields take their defaults.
    pub fn from_json(text: &str) -> Result<SimConfig, ConfigError> {
        serde_json::from_str(text).map_err(|error| ConfigError {
            field: "file",
            problem: error.to_string(),
        })
    }

    /// Checks every field; the first bad one is named.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, problem: &str| {
            Err(ConfigError {
                field,
                problem: problem.to_string(),
            })
        };
        if self.seed.mailboxes > 100_000 {
            return bad("seed.mailboxes", "must be at most 100000");
        }
        if self.seed.items_median > 1_000_000 {
            return bad("seed.items_median", "must be at most 1000000");
        }
        if chrono::NaiveDate::parse_from_str(&self.seed.anchor_date, "%Y-%m-%d").is_err() {
            return bad("seed.anchor_date", "must be a date written YYYY-MM-DD");
        }
        if self.identity.token_lifetime_secs == 0 {
            return bad("identity.token_lifetime_secs", "must be at least 1");
        }
        if self.identity.graph_resource.trim().is_empty()
            || self
                .identity
                .graph_resource
                .trim_end_matches('/')
                .eq_ignore_ascii_case(self.identity.resource.trim_end_matches('/'))
        {
            return bad(
                "identity.graph_resource",
                "must be a resource URI other than identity.resource",
            );
        }
        if self.limits.max_page_size == 0 {
            return bad("limits.max_page_size", "must be at least 1");
        }
        if self.limits.max_request_bytes < 1024 {
            return bad("limits.max_request_bytes", "must be at least 1024");
        }
        self.throttling.validate()?;
        self.graph.validate()?;
        self.graph_throttling.validate()?;
        self.faults.validate()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_files_override_them() {
        assert!(SimConfig::default().validate().is_ok());
        let config = SimConfig::from_json(r#"{"seed": {"mailboxes": 3}}"#).expect("parses");
        assert_eq!(config.seed.mailboxes, 3);
        assert_eq!(config.seed.seed, 42);
    }

    #[test]
    fn errors_name_the_field() {
        let mut config = SimConfig::default();
        config.seed.anchor_date = "yesterday".into();
        let error = config.validate().expect_err("bad date");
        assert_eq!(error.field, "seed.anchor_date");
        let error = SimConfig::from_json(r#"{"seeed": {}}"#).expect_err("unknown field");
        assert!(error.problem.contains("seeed"), "{error}");
    }
}
