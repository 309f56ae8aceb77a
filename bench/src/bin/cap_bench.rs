//! How close a migration comes to Exchange Online's per-mailbox import cap, the number that sets
//! a project's duration: with the simulator's throttling on and its import window scaled down
//! (15 MiB per 30 s by default, Microsoft's 150 MB per 5 minutes at a tenth of the window), one
//! worker at its default settings migrates `--mailboxes` mailboxes of about 60 MiB each.
//!
//!     cargo run --release -p ferry-bench --bin cap-bench -- --mailboxes 20
//!     cargo run --release -p ferry-bench --bin cap-bench -- --mailboxes 1
//!     cargo run --release -p ferry-bench --bin cap-bench -- --mailboxes 20 --configured-mib 20
//!
//! The figure of merit per mailbox: under a sliding window of W bytes per T seconds, the soonest
//! a mailbox of B bytes can be done is `(ceil(B / W) − 1) × T` (a full window at once, then one
//! more each time the window reopens). Its share of the cap is that soonest time over the time
//! it took (its last byte imported, sampled every 250 ms); the combined share sums both over
//! the mailboxes. Mailboxes smaller than two windows say little and are left out. The run
//! stops after `--max-seconds`; a mailbox still going then counts the windows it could have
//! filled by then (`bytes / (W × (floor(elapsed / T) + 1))`). With `CAP_TRACE` set, each
//! mailbox's imported bytes are printed to standard error as they change.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Parser;
use ferry_cli::demo::environment::{Environment, EnvironmentOptions};
use ferry_cli::services::Services;
use ferry_core::model::MailProtocol;
use ferry_proto::v1;
use ferry_sim::SimConfig;

#[derive(Debug, Parser)]
struct Args {
    /// Source mailboxes.
    #[arg(long, default_value_t = 20)]
    mailboxes: usize,
    /// Median count of items per mailbox (log-normal; the first `--large-items` of each carry
    /// the large attachments).
    #[arg(long, default_value_t = 200)]
    items_median: u32,
    /// Items with a large attachment per mailbox.
    #[arg(long, default_value_t = 120)]
    large_items: u32,
    /// The size of each large attachment, in KiB.
    #[arg(long, default_value_t = 512)]
    large_kib: u64,
    /// The simulator's import limit per mailbox and window, in MiB.
    #[arg(long, default_value_t = 15)]
    window_mib: u64,
    /// The simulator's import window, in seconds.
    #[arg(long, default_value_t = 30)]
    window_secs: u64,
    /// The import limit the project is configured with, in MiB (by default the simulator's).
    #[arg(long)]
    configured_mib: Option<u64>,
    /// The protocol both endpoints speak: `ews` or `graph`.
    #[arg(long, default_value = "ews", value_parser = ferry_cli::project_file::parse_protocol)]
    api: MailProtocol,
    /// Stop measuring after this long.
    #[arg(long, default_value_t = 300)]
    max_seconds: u64,
}

/// What the simulator saw of one destination mailbox.
#[derive(Debug, Default, Clone)]
struct MailboxTrace {
    bytes: u64,
    first_import: Option<Duration>,
    last_change: Duration,
}

/// Per-mailbox counters of the destination tenant, summed by name prefix.
fn destination_counters(environment: &Environment) -> Vec<(String, BTreeMap<String, u64>)> {
    let Some(tenant) = environment.sim.state.directory.tenant("destination") else {
        return Vec::new();
    };
    tenant
        .mailboxes()
        .iter()
        .map(|mailbox| (mailbox.primary_address.clone(), mailbox.counters.snapshot()))
        .collect()
}

fn sum_prefix(counters: &BTreeMap<String, u64>, prefix: &str) -> u64 {
    counters
        .iter()
        .filter(|(name, _)| name.starts_with(prefix) && name.as_str() != "requests.graph")
        .map(|(_, count)| count)
        .sum()
}

/// How often the simulator's counters are read.
const SAMPLE: Duration = Duration::from_millis(250);

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Quiet unless asked: `RUST_LOG=ferry_worker::import_pacing=info` traces each refusal.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let window_bytes = args.window_mib * 1024 * 1024;
    let window = Duration::from_secs(args.window_secs);
    let mut sim = SimConfig {
        listen: "127.0.0.1:0".parse()?,
        ..SimConfig::default()
    };
    sim.seed.mailboxes = args.mailboxes;
    sim.seed.items_median = args.items_median;
    sim.seed.large_attachments = args.large_items * args.mailboxes as u32;
    sim.seed.large_attachment_bytes = args.large_kib * 1024;
    sim.throttling.import_bytes_per_window = window_bytes;
    sim.throttling.import_window_secs = args.window_secs;
    let environment = Environment::start(
        EnvironmentOptions {
            sim,
            workers: 1,
            concurrency: ferry_worker::WorkerConfig::default().concurrency,
            lease_ttl: Duration::from_secs(60),
            namespace: format!(
                "ferry-cap-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
            grpc_listen: "127.0.0.1:0".parse()?,
            api: args.api,
            destination_api: None,
            sim_runtime: None,
            planning_concurrency: None,
        },
        Services::embedded(),
    )
    .await?;
    let configured = args
        .configured_mib
        .map_or(window_bytes, |mib| mib * 1024 * 1024);
    let options = v1::ProjectOptions {
        import_bytes_per_window: configured,
        import_window_secs: args.window_secs,
        // Exchange Online's window is three of Ferry's default batches (50 MiB); scaled down,
        // so is this one.
        batch_bytes: (window_bytes / 3).max(1024 * 1024),
        ..v1::ProjectOptions::default()
    };
    let project = environment
        .create_project_with("cap", Some(options))
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
    let mut traces: BTreeMap<String, MailboxTrace> = BTreeMap::new();
    let deadline = Duration::from_secs(args.max_seconds);
    let finished = loop {
        tokio::time::sleep(SAMPLE).await;
        let now = started.elapsed();
        for (address, counters) in destination_counters(&environment) {
            let bytes = counters.get("import.window_bytes").copied().unwrap_or(0);
            let trace = traces.entry(address.clone()).or_default();
            if bytes != trace.bytes {
                if std::env::var_os("CAP_TRACE").is_some() {
                    eprintln!(
                        "{:.2} {address} {:.2}",
                        now.as_secs_f64(),
                        bytes as f64 / 1048576.0
                    );
                }
                trace.bytes = bytes;
                // The sample before the first bytes arrived, so the first window counts.
                trace.first_import.get_or_insert(now.saturating_sub(SAMPLE));
                trace.last_change = now;
            }
        }
        let status = coordinator.get_project_status(&project.id, false).await?;
        if status.pass_complete {
            break true;
        }
        if now >= deadline {
            break false;
        }
    };
    let elapsed = started.elapsed();

    // Each mailbox's time at the cap over the time it took.
    let (mut ideal, mut taken, mut counted) = (0.0f64, 0.0f64, 0usize);
    // The same, timed from each mailbox's first import: what scheduling alone achieves, apart
    // from the time its plan took to reach the queue.
    let mut taken_after_start = 0.0f64;
    let mut shares = Vec::new();
    for trace in traces.values() {
        if finished && trace.bytes < 2 * window_bytes {
            continue;
        }
        let windows = trace.bytes.div_ceil(window_bytes.max(1));
        let (soonest, took) = if finished {
            (
                windows.saturating_sub(1) as f64 * window.as_secs_f64(),
                trace.last_change.as_secs_f64(),
            )
        } else {
            // The time its bytes would have taken at the cap, against the time it had.
            let openings = (elapsed.as_secs_f64() / window.as_secs_f64()).floor() + 1.0;
            let share = trace.bytes as f64 / (window_bytes as f64 * openings);
            (share * elapsed.as_secs_f64(), elapsed.as_secs_f64())
        };
        ideal += soonest;
        taken += took;
        let started = trace.first_import.unwrap_or_default().as_secs_f64();
        taken_after_start += if finished { took - started } else { took };
        counted += 1;
        shares.push(soonest / took.max(0.001));
    }
    if std::env::var_os("CAP_TRACE").is_some() {
        for (address, trace) in &traces {
            eprintln!(
                "{address}: {:.1} MiB, last at {:.1} s",
                trace.bytes as f64 / 1048576.0,
                trace.last_change.as_secs_f64()
            );
        }
    }
    shares.sort_by(f64::total_cmp);
    let (mut requests, mut throttled) = (0u64, 0u64);
    let mut by_policy: BTreeMap<String, u64> = BTreeMap::new();
    for (_, counters) in destination_counters(&environment) {
        requests += sum_prefix(&counters, "requests.");
        for (name, count) in &counters {
            if let Some(policy) = name.strip_prefix("throttled.") {
                throttled += count;
                *by_policy.entry(policy.to_string()).or_default() += count;
            }
        }
    }
    let status = coordinator.get_project_status(&project.id, false).await?;
    let counters = status.counters.clone().unwrap_or_default();
    println!(
        "- {} mailboxes over {}, {:.1} MiB imported ({} items); simulator window {} MiB per {} s, project configured with {} MiB; one worker at its defaults",
        args.mailboxes,
        args.api,
        traces.values().map(|trace| trace.bytes).sum::<u64>() as f64 / 1048576.0,
        counters.items_copied,
        args.window_mib,
        args.window_secs,
        configured / (1024 * 1024),
    );
    println!(
        "- {}: {:.1} s{}",
        if finished { "pass complete" } else { "stopped" },
        elapsed.as_secs_f64(),
        if finished {
            String::new()
        } else {
            format!(
                " (the --max-seconds limit; {} items still to go)",
                counters
                    .items_planned
                    .saturating_sub(counters.items_copied + counters.items_failed)
            )
        }
    );
    println!(
        "- share of the import cap: combined {:.1}% over {counted} mailboxes from the pass's start ({:.1}% from each mailbox's first import); per mailbox min {:.1}%, median {:.1}%, max {:.1}%",
        100.0 * ideal / taken.max(0.001),
        100.0 * ideal / taken_after_start.max(0.001),
        100.0 * shares.first().copied().unwrap_or(0.0),
        100.0 * shares.get(shares.len() / 2).copied().unwrap_or(0.0),
        100.0 * shares.last().copied().unwrap_or(0.0),
    );
    println!(
        "- destination: {requests} requests, {throttled} throttled ({:.2} per 100){}",
        100.0 * throttled as f64 / requests.max(1) as f64,
        if by_policy.is_empty() {
            String::new()
        } else {
            format!(
                " by policy: {}",
                by_policy
                    .iter()
                    .map(|(policy, count)| format!("{policy} {count}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    if finished {
        let verification = environment.verify(&project).await?;
        println!("- verification: {}", verification.summary());
    }
    let stop = environment.stop();
    let _ = tokio::time::timeout(Duration::from_secs(20), stop).await;
    Ok(())
}
