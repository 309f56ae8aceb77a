//! `ferry worker`: a worker on RabbitMQ and Redis.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use ferry_mail::ProtocolFactory;
use ferry_worker::{Worker, WorkerConfig};

use crate::services::ServiceArgs;

/// Flags of `ferry worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    services: ServiceArgs,
    /// Units calling a tenant at once (a unit waiting for its mailbox's import window or a
    /// throttling pause holds no slot).
    #[arg(long, env = "FERRY_CONCURRENCY", default_value_t = 8)]
    concurrency: usize,
    /// Units held per project queue, running or waiting for their mailbox (at least
    /// `--concurrency`): with 2 units per mailbox, 64 keeps 32 mailboxes at their import cap.
    #[arg(long, env = "FERRY_PREFETCH", default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    prefetch: u16,
    /// Units of one destination mailbox run at once; further ones are set aside for 2 s.
    #[arg(long, env = "FERRY_UNITS_PER_MAILBOX", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    units_per_mailbox: u64,
    /// Name in logs and results (default: the host name).
    #[arg(long, env = "FERRY_WORKER_NAME")]
    name: Option<String>,
    /// Seconds a unit's lease lasts unrenewed: how long a dead worker's units wait before
    /// another worker takes them over.
    #[arg(long, env = "FERRY_LEASE_TTL_SECS", default_value_t = 60)]
    lease_ttl_secs: u64,
    /// MiB of items all units may hold at once between export and upload (a larger batch waits
    /// until it can take all of it).
    #[arg(long, env = "FERRY_MAX_MIB_IN_FLIGHT", default_value_t = 192, value_parser = clap::value_parser!(u64).range(1..))]
    max_mib_in_flight: u64,
    /// Seconds running units may take to finish after a shutdown signal.
    #[arg(long, env = "FERRY_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    shutdown_grace_secs: u64,
}

/// Runs a worker until a shutdown signal.
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let services = args.services.open_real().await?;
    let defaults = WorkerConfig::default();
    let config = WorkerConfig {
        name: args.name.unwrap_or(defaults.name.clone()),
        concurrency: args.concurrency.max(1),
        prefetch: args.prefetch,
        units_per_mailbox: args.units_per_mailbox as usize,
        lease_ttl: Duration::from_secs(args.lease_ttl_secs.max(3)),
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        max_bytes_in_flight: args.max_mib_in_flight.saturating_mul(1024 * 1024),
        namespace: args.services.namespace.clone(),
        ..defaults
    };
    let worker = Worker::new(
        config,
        services.store,
        services.broker,
        Arc::new(ProtocolFactory::new()),
    );
    worker.run(crate::shutdown::on_signal()).await;
    Ok(())
}
