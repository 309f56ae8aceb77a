//! How a worker runs.

use std::time::Duration;

use ferry_core::pacing::RetryPolicy;

/// A worker's settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Its name in logs and unit results (defaults to the host name).
    pub name: String,
    /// Units calling a tenant at once (a unit waiting for its mailbox holds no slot).
    pub concurrency: usize,
    /// Units it holds per project queue, running or waiting for their mailbox. Larger than
    /// `concurrency`, so slots a throttled mailbox leaves go to other mailboxes' units.
    pub prefetch: u16,
    /// Units of one destination mailbox it runs at once; further units of the mailbox are set
    /// aside for `defer_delay`, so the units it holds spread over many mailboxes.
    pub units_per_mailbox: usize,
    /// How long a unit set aside waits before it is back in its queue (at the tail). Units are
    /// set aside when their mailbox already runs `units_per_mailbox` units here, or is paused
    /// by throttling for longer than a couple of seconds.
    pub defer_delay: Duration,
    /// How long a unit's lease lasts without renewal. A worker that dies holds its units this
    /// long before another may take them over.
    pub lease_ttl: Duration,
    /// Attempts at a unit before it is reported failed.
    pub max_unit_attempts: u64,
    /// Rounds an item gets before it is logged as failed.
    pub max_item_attempts: u32,
    /// Items larger than this are logged as too large without being exported (Exchange
    /// Online's limit for EWS is 150 MB).
    pub max_item_bytes: u64,
    /// Item bytes all its units may hold at once between export and upload (by the items'
    /// listed sizes); a batch larger than this waits until it can take all of it.
    pub max_bytes_in_flight: u64,
    /// Retries of calls to the tenants.
    pub retry: RetryPolicy,
    /// How often it looks for new projects to serve.
    pub project_refresh: Duration,
    /// How long running units may finish after a shutdown is asked for.
    pub shutdown_grace: Duration,
    /// The deployment's namespace (queue names).
    pub namespace: String,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            name: std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into()),
            concurrency: 8,
            prefetch: 64,
            units_per_mailbox: 2,
            defer_delay: Duration::from_secs(2),
            lease_ttl: Duration::from_secs(60),
            max_unit_attempts: 5,
            max_item_attempts: 3,
            max_item_bytes: 150 * 1024 * 1024,
            max_bytes_in_flight: 192 * 1024 * 1024,
            retry: RetryPolicy::default(),
            project_refresh: Duration::from_secs(2),
            shutdown_grace: Duration::from_secs(30),
            namespace: ferry_core::model::DEFAULT_NAMESPACE.into(),
        }
    }
}
