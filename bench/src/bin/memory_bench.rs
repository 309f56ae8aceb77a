//! A worker's memory: the peak resident memory of one `ferry worker` process while it migrates
//! a pass, with many units in flight and large items, or with small items at its defaults.
//!
//!     cargo build --release -p ferry-bench -p ferry-cli
//!     target/release/memory-bench --large-items 32 --item-mb 100 --concurrency 32
//!     target/release/memory-bench --large-items 0 --mailboxes 20 --items-median 300
//!
//! The coordinator and the simulator (throttling off, Ferry's pacing too) run in this process, on the machine's
//! RabbitMQ and Redis; the worker is a process of its own, so its `VmHWM` is its own memory.
//! Every 250 ms the benchmark reads the worker's resident memory and counts the units holding a
//! place at a mailbox (the units running, over Redis's clock), so the report shows how many
//! units were in flight while the memory peaked. `--ferry` picks the binary the worker runs,
//! so an older build can be measured side by side.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use ferry_bench::machine_description;
use ferry_bench::worker_process::{resident_kib, WorkerProcesses, WorkerServices};
use ferry_cli::demo::environment::{Environment, EnvironmentOptions};
use ferry_cli::services::ServiceArgs;
use ferry_core::model::MailProtocol;
use ferry_proto::v1;
use ferry_sim::SimConfig;

#[derive(Debug, Parser)]
struct Args {
    /// Source mailboxes.
    #[arg(long, default_value_t = 16)]
    mailboxes: usize,
    /// Median count of ordinary items per mailbox.
    #[arg(long, default_value_t = 20)]
    items_median: u32,
    /// Items carrying one large attachment, spread over the mailboxes.
    #[arg(long, default_value_t = 32)]
    large_items: u32,
    /// Size of each large attachment, in MiB (the exported item is about a third larger).
    #[arg(long, default_value_t = 100)]
    item_mb: u64,
    /// The worker's `--concurrency` (default: the worker's own).
    #[arg(long)]
    concurrency: Option<usize>,
    /// The worker's `--units-per-mailbox` (default: the worker's own).
    #[arg(long)]
    units_per_mailbox: Option<u64>,
    /// The worker's `--max-mib-in-flight` (default: the worker's own).
    #[arg(long)]
    max_mib_in_flight: Option<u64>,
    /// The protocol both endpoints speak: `ews` or `graph`.
    #[arg(long, default_value = "ews", value_parser = ferry_cli::project_file::parse_protocol)]
    api: MailProtocol,
    /// The `ferry` binary the worker runs (default: the one beside this benchmark).
    #[arg(long)]
    ferry: Option<PathBuf>,
    /// RabbitMQ.
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    amqp: String,
    /// Redis.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    /// Stop after this long.
    #[arg(long, default_value_t = 900)]
    max_seconds: u64,
}

/// How often the worker's memory and the running units are read.
const SAMPLE: Duration = Duration::from_millis(250);

/// The worker's flags this run sets.
fn worker_flags(args: &Args) -> Vec<String> {
    let mut flags = Vec::new();
    let mut flag = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            flags.push(format!("--{name}"));
            flags.push(value);
        }
    };
    flag("concurrency", args.concurrency.map(|n| n.to_string()));
    // Enough units held to keep every slot busy.
    flag(
        "prefetch",
        args.concurrency.map(|n| n.clamp(64, 65_535).to_string()),
    );
    flag(
        "units-per-mailbox",
        args.units_per_mailbox.map(|n| n.to_string()),
    );
    flag(
        "max-mib-in-flight",
        args.max_mib_in_flight.map(|n| n.to_string()),
    );
    flags
}

/// Units holding a place at a mailbox now: distinct holders of the namespace's mailbox slots
/// whose place has not expired (each running unit holds one at its source mailbox and one at
/// its destination mailbox).
async fn units_running(
    redis: &mut redis::aio::MultiplexedConnection,
    namespace: &str,
) -> anyhow::Result<usize> {
    let (seconds, micros): (u64, u64) = redis::cmd("TIME").query_async(redis).await?;
    let now_ms = seconds * 1000 + micros / 1000;
    let mut keys: Vec<String> = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, page): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{namespace}:slots:mailbox:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(redis)
            .await?;
        keys.extend(page);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    let mut holders = HashSet::new();
    for key in keys {
        let live: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg(&key)
            .arg(format!("({now_ms}"))
            .arg("+inf")
            .query_async(redis)
            .await?;
        holders.extend(live);
    }
    Ok(holders.len())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let ferry = ferry_bench::sim_process::ferry_binary(args.ferry.as_deref())?;
    let namespace = format!(
        "ferry-memory-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let services = ServiceArgs {
        amqp_url: Some(args.amqp.clone()),
        redis_url: Some(args.redis.clone()),
        namespace: namespace.clone(),
    }
    .open_real()
    .await?;
    let mut redis = redis::Client::open(args.redis.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    let mut sim = SimConfig {
        listen: "127.0.0.1:0".parse()?,
        ..SimConfig::default()
    };
    sim.seed.mailboxes = args.mailboxes;
    sim.seed.items_median = args.items_median;
    sim.seed.large_attachments = args.large_items;
    sim.seed.large_attachment_bytes = args.item_mb * 1024 * 1024;
    sim.throttling.enabled = false;
    let environment = Environment::start(
        EnvironmentOptions {
            sim,
            workers: 0,
            concurrency: 8,
            lease_ttl: Duration::from_secs(60),
            namespace: namespace.clone(),
            grpc_listen: "127.0.0.1:0".parse()?,
            api: args.api,
            destination_api: None,
            sim_runtime: None,
            planning_concurrency: None,
        },
        services,
    )
    .await?;
    let mut workers = WorkerProcesses::default();
    let flags = worker_flags(&args);
    let worker = workers.spawn(
        &ferry,
        &WorkerServices {
            amqp: &args.amqp,
            redis: &args.redis,
            namespace: &namespace,
        },
        "memory-worker",
        &flags,
    )?;
    // The worker connected and idle, before any unit reaches it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (idle_kib, _) = resident_kib(worker).ok_or_else(|| anyhow::anyhow!("the worker exited"))?;

    // Ferry's own pacing off too (import window and tenant rate at their highest), so as many
    // units and bytes are in flight as the worker allows.
    let unpaced = v1::ProjectOptions {
        requests_per_second: 10_000.0,
        import_bytes_per_window: 1 << 40,
        ..v1::ProjectOptions::default()
    };
    let project = environment
        .create_project_with("memory", Some(unpaced))
        .await?;
    let coordinator = environment.coordinator.clone();
    let started = Instant::now();
    coordinator
        .start_pass(ferry_coordinator::requests::NewPass {
            project: project.id.clone(),
            kind: ferry_core::model::PassKind::Full,
            mailboxes: Vec::new(),
            received_before: None,
        })
        .await?;
    let deadline = Duration::from_secs(args.max_seconds);
    let mut most_running = 0usize;
    let mut running_at_peak = 0usize;
    let mut highest_sampled_kib = 0u64;
    let finished = loop {
        tokio::time::sleep(SAMPLE).await;
        let running = units_running(&mut redis, &namespace).await?;
        most_running = most_running.max(running);
        let (now_kib, _) =
            resident_kib(worker).ok_or_else(|| anyhow::anyhow!("the worker exited"))?;
        if now_kib > highest_sampled_kib {
            highest_sampled_kib = now_kib;
            running_at_peak = running;
        }
        if coordinator
            .get_project_status(&project.id, false)
            .await?
            .pass_complete
        {
            break true;
        }
        if started.elapsed() >= deadline {
            break false;
        }
    };
    let elapsed = started.elapsed();
    let (_, peak_kib) = resident_kib(worker).ok_or_else(|| anyhow::anyhow!("the worker exited"))?;
    let status = coordinator.get_project_status(&project.id, false).await?;
    let counters = status.counters.unwrap_or_default();
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!("- machine: {}", machine_description());
    println!(
        "- one worker process running {} with flags [{}], {} over {}",
        ferry.display(),
        flags.join(" "),
        args.mailboxes,
        args.api
    );
    println!(
        "- {} mailboxes of about {} items, {} of them with a {} MiB attachment",
        args.mailboxes, args.items_median, args.large_items, args.item_mb
    );
    println!(
        "- {}: {:.1} s, {} items, {:.1} MiB copied",
        if finished {
            "pass complete"
        } else {
            "stopped at --max-seconds"
        },
        elapsed.as_secs_f64(),
        counters.items_copied,
        counters.bytes_copied as f64 / (1024.0 * 1024.0)
    );
    println!(
        "- units running: at most {most_running} at once; {running_at_peak} when the sampled memory peaked"
    );
    println!(
        "- worker resident memory: idle {:.0} MiB, highest sampled {:.0} MiB, peak (VmHWM) {:.0} MiB",
        mib(idle_kib),
        mib(highest_sampled_kib),
        mib(peak_kib)
    );
    if finished {
        let verification = environment.verify(&project).await?;
        println!("- verification: {}", verification.summary());
    }
    drop(workers);
    let _ = tokio::time::timeout(Duration::from_secs(20), environment.stop()).await;
    Ok(())
}
