//! Throughput of the whole pipeline (coordinator, broker, store, workers, EWS client) against the
//! simulator with throttling off, so the figure is Ferry's own ceiling, not Microsoft's limits.
//!
//!     cargo run --release -p ferry-bench --bin pipeline-bench -- --mailboxes 20 --items-median 300
//!     cargo run --release -p ferry-bench --bin pipeline-bench -- --amqp amqp://guest:guest@127.0.0.1:5672/%2f --redis redis://127.0.0.1:6379/0
//!     cargo run --release -p ferry-bench --bin pipeline-bench -- --recipient-mapping '@contoso.com->@fabrikam.com'
//!     cargo run --release -p ferry-bench --bin pipeline-bench -- --api graph
//!
//! Everything runs in this process (the simulator too, so it shares the machine's cores, on a
//! runtime of its own whose CPU is reported apart from Ferry's). The pass is timed from its
//! start to its last mailbox's end; the copy is verified afterwards.

use ferry_core::model::MailProtocol;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ferry_bench::cpu;
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

/// The requests the simulator served a tenant's mailboxes, per mailbox and by operation
/// (`GetFolder 1.0, FindItem 3.2, …, all 9.4`).
fn requests_per_mailbox(environment: &Environment, tenant: &str) -> String {
    let Some(tenant) = environment.sim.state.directory.tenant(tenant) else {
        return "no such tenant".into();
    };
    let mailboxes = tenant.mailboxes();
    let mut by_operation: std::collections::BTreeMap<String, u64> = Default::default();
    for mailbox in mailboxes {
        for (name, count) in mailbox.counters.snapshot() {
            let Some(operation) = name.strip_prefix("requests.") else {
                continue;
            };
            // Graph counts every request as `requests.graph` and again by operation.
            if operation != "graph" {
                *by_operation.entry(operation.to_string()).or_default() += count;
            }
        }
    }
    let per = |count: u64| count as f64 / mailboxes.len().max(1) as f64;
    let all: u64 = by_operation.values().sum();
    let mut parts: Vec<String> = by_operation
        .iter()
        .map(|(operation, count)| format!("{operation} {:.1}", per(*count)))
        .collect();
    parts.push(format!("all {:.1}", per(all)));
    parts.join(", ")
}

/// The simulator's threads, so its CPU can be told from Ferry's.
const SIM_THREADS: &str = "ferry-sim";

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The simulator gets a runtime of its own, whose threads never retire during the run, so
    // the CPU its threads used is what it cost.
    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(SIM_THREADS)
        .thread_keep_alive(Duration::from_secs(24 * 3600))
        .enable_all()
        .build()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args, sim_runtime.handle().clone()))
}

async fn run(args: Args, sim_runtime: tokio::runtime::Handle) -> anyhow::Result<()> {
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
            sim_runtime: Some(sim_runtime),
            planning_concurrency: None,
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
    let cpu_before = (cpu::process_seconds(), cpu::threads_seconds(SIM_THREADS));
    let started = Instant::now();
    let status = environment
        .run_full_pass(&project.id, &mut ProgressView::hidden())
        .await?;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu::process_seconds() - cpu_before.0;
    let sim_cpu = cpu::threads_seconds(SIM_THREADS) - cpu_before.1;
    let ferry_cpu = cpu - sim_cpu;
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
        "- full pass: {elapsed:.1} s, {:.0} items/s, {:.1} MiB/s; process CPU {cpu:.1} s ({:.0}% of one core), of which the simulator {sim_cpu:.1} s",
        counters.items_copied as f64 / elapsed,
        counters.bytes_copied as f64 / 1048576.0 / elapsed,
        cpu / elapsed * 100.0
    );
    println!(
        "- Ferry's CPU (coordinator, workers, embedded services): {ferry_cpu:.1} s, {:.2} s per GB migrated (10^9 bytes)",
        ferry_cpu / (counters.bytes_copied as f64 / 1e9)
    );
    for tenant in ["source", "destination"] {
        println!(
            "- {tenant} requests per mailbox: {}",
            requests_per_mailbox(&environment, tenant)
        );
    }
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
