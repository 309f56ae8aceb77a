//! Throughput of the whole pipeline (coordinator, broker, store, workers, EWS client) against the
//! simulator with throttling off, so the figure is Ferry's own ceiling, not Microsoft's limits.
//!
//!     cargo run --release -p ferry-bench --bin pipeline-bench -- --mailboxes 20 --items-median 300
//!     cargo run --release -p ferry-bench --bin pipeline-bench -- --amqp amqp://guest:guest@127.0.0.1:5672/%2f --redis redis://127.0.0.1:6379/0
//!     cargo run --release -p ferry-bench --bin pipeline-bench -- --recipient-mapping '@contoso.com->@fabrikam.com'
//!     cargo run --release -p ferry-bench --bin pipeline-bench -- --api graph
//!
//! Everything runs in this process (the simulator too, so it shares the machine's cores). The
//! pass is timed from its start to its last mailbox's end; the copy is verified afterwards.

use ferry_core::model::MailProtocol;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ferry_cli::demo::environment::{Environment, EnvironmentOptions};
use ferry_cli::progress::ProgressView;
use ferry_cli::services::Services;
use ferry_core::broker::amqp::AmqpBroker;
use ferry_core::store::redis::RedisStore;
use ferry_proto::v1;
use ferry_sim::SimConfig;

#[derive(Debug, Parser)]
struct Args {
    /// Source mailboxes.
    #[arg(long, default_value_t = 20)]
    mailboxes: usize,
    /// Median items per mailbox.
    #[arg(long, default_value_t = 300)]
    items_median: u32,
    /// Workers.
    #[arg(long, default_value_t = 3)]
    workers: usize,
    /// Units per worker at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// RabbitMQ (with --redis): real services instead of the embedded ones.
    #[arg(long)]
    amqp: Option<String>,
    /// Redis.
    #[arg(long)]
    redis: Option<String>,
    /// Recipient mapping expressions for the project (repeatable); none by default.
    /// The protocol both endpoints speak: `ews` or `graph`.
    #[arg(long, default_value = "ews", value_parser = ferry_cli::project_file::parse_protocol)]
    api: MailProtocol,
    #[arg(long = "recipient-mapping")]
    recipient_mapping: Vec<String>,
}

fn cpu_seconds() -> f64 {
    // utime and stime, fields 14 and 15 of /proc/self/stat, in clock ticks (100 per second).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|field| field.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let namespace = format!(
        "ferry-bench-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let services = match (&args.amqp, &args.redis) {
        (Some(amqp), Some(redis)) => Services {
            broker: Arc::new(AmqpBroker::connect(amqp).await?),
            store: Arc::new(RedisStore::connect(redis, &namespace).await?),
            embedded: false,
        },
        _ => Services::embedded(),
    };
    let mut sim = SimConfig {
        listen: "127.0.0.1:0".parse()?,
        ..SimConfig::default()
    };
    sim.seed.mailboxes = args.mailboxes;
    sim.seed.items_median = args.items_median;
    sim.throttling.enabled = false;
    let environment = Environment::start(
        EnvironmentOptions {
            sim,
            workers: args.workers,
            concurrency: args.concurrency,
            lease_ttl: Duration::from_secs(30),
            namespace: namespace.clone(),
            grpc_listen: "127.0.0.1:0".parse()?,
            api: args.api,
            destination_api: None,
        },
        services.clone(),
    )
    .await?;
    let options = v1::ProjectOptions {
        requests_per_second: 10_000.0,
        recipient_mapping: args.recipient_mapping.clone(),
        ..v1::ProjectOptions::default()
    };
    let project = environment
        .create_project_with("bench", Some(options))
        .await?;
    let (cpu_before, started) = (cpu_seconds(), Instant::now());
    let status = environment
        .run_full_pass(&project.id, &mut ProgressView::hidden())
        .await?;
    let (elapsed, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu_before);
    let counters = status.counters.clone().unwrap_or_default();
    let verification = environment.verify(&project).await?;
    println!(
        "- {} services; {} mailboxes, {} items, {:.1} MiB; {} workers × {} units; {}",
        if services.embedded {
            "embedded"
        } else {
            "RabbitMQ and Redis"
        },
        project.mailboxes.len(),
        counters.items_copied,
        counters.bytes_copied as f64 / 1048576.0,
        args.workers,
        args.concurrency,
        if args.recipient_mapping.is_empty() {
            "no recipient mapping".to_string()
        } else {
            format!(
                "recipient mapping {:?}: {} addresses rewritten",
                args.recipient_mapping, counters.addresses_rewritten
            )
        }
    );
    println!(
        "- full pass: {elapsed:.1} s, {:.0} items/s, {:.1} MiB/s; process CPU {cpu:.1} s ({:.0}% of one core, simulator included)",
        counters.items_copied as f64 / elapsed,
        counters.bytes_copied as f64 / 1048576.0 / elapsed,
        cpu / elapsed * 100.0
    );
    println!("- verification: {}", verification.summary());
    environment.stop().await?;
    if !services.embedded {
        if let Some(redis) = &args.redis {
            RedisStore::connect(redis, &namespace)
                .await?
                .delete_all()
                .await?;
        }
    }
    Ok(())
}
