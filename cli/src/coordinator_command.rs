//! `ferry coordinator`: the coordinator with its gRPC API, on RabbitMQ and Redis.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use ferry_coordinator::{grpc, Coordinator, CoordinatorConfig};
use ferry_mail::ProtocolFactory;

use crate::services::ServiceArgs;

/// Flags of `ferry coordinator`.
#[derive(Debug, Args)]
pub struct CoordinatorArgs {
    #[command(flatten)]
    services: ServiceArgs,
    /// Address of the gRPC API.
    #[arg(long, env = "FERRY_LISTEN", default_value = "0.0.0.0:50051")]
    listen: SocketAddr,
    /// Mailboxes planned at once.
    #[arg(long, env = "FERRY_PLANNING_CONCURRENCY", default_value_t = 4)]
    planning_concurrency: usize,
}

/// Runs the coordinator until a shutdown signal.
pub async fn run(args: CoordinatorArgs) -> anyhow::Result<()> {
    let services = args.services.open_real().await?;
    let config = CoordinatorConfig {
        planning_concurrency: args.planning_concurrency,
        namespace: args.services.namespace.clone(),
        ..CoordinatorConfig::default()
    };
    let coordinator = Coordinator::new(
        config,
        services.store,
        services.broker,
        Arc::new(ProtocolFactory::new()),
    );
    let shutdown = crate::shutdown::on_signal();
    let (listener, address) = grpc::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    tracing::info!(%address, "gRPC API listening");
    let server = tokio::spawn(grpc::serve(coordinator.clone(), listener, shutdown.clone()));
    let outcome = coordinator.run(shutdown.clone()).await;
    shutdown.cancel();
    server.await??;
    Ok(outcome?)
}
