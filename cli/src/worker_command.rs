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
    /// Units worked on at once (and prefetched per project queue).
    #[arg(long, env = "FERRY_CONCURRENCY", default_value_t = 8)]
    concurrency: usize,
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
