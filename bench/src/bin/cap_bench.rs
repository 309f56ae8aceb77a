//! How close a migration comes to Exchange Online's per-mailbox import cap, the number that sets
//! a project's duration: with the simulator's throttling on and its import window scaled down
//! (15 MiB per 30 s by default, Microsoft's 150 MB per 5 minutes at a tenth of the window), one
//! worker at its default settings migrates `--mailboxes` mailboxes of about 60 MiB each.
//!
//!     cargo run --release -p ferry-bench --bin cap-bench -- --mailboxes 20
//!     cargo run --release -p ferry-bench --bin cap-bench -- --mailboxes 1
//!     cargo run --release -p ferry-bench --bin cap-bench -- --mailboxes 20 --configured-mib 20
//!
//! The figure of merit per mailbox: a mailbox that runs at its cap imports one window's worth at
//! once and then `window bytes / window length` per second, so it finishes after
//! `(bytes − window bytes) / rate`. Its share of the cap is that ideal time over the time it
//! took (its last byte imported, sampled every 250 ms); the combined share weighs mailboxes by
//! their time. Mailboxes smaller than two windows say little and are left out. The run stops
//! after `--max-seconds`; a mailbox still going then is counted up to that moment.

use std::collections::BTreeMap;
use std::sync::Arc;
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
    #[arg(long, default_value_t = 120)]
    items_median: u32,
    /// Items with a 1 MiB attachment per mailbox (about 0.7 MiB of export data each).
    #[arg(long, default_value_t = 80)]
    large_items: u32,
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

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let window_bytes = args.window_mib * 1024 * 1024;
    let window = Duration::from_secs(args.window_secs);
    let rate = window_bytes as f64 / window.as_secs_f64();
    let mut sim = SimConfig {
        listen: "127.0.0.1:0".parse()?,
        ..SimConfig::default()
    };
    sim.seed.mailboxes = args.mailboxes;
    sim.seed.items_median = args.items_median;
    sim.seed.large_attachments = args.large_items * args.mailboxes as u32;
    sim.seed.large_attachment_bytes = 1024 * 1024;
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
        tokio::time::sleep(Duration::from_millis(250)).await;
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
    let mut shares = Vec::new();
    for trace in traces.values() {
        if finished && trace.bytes < 2 * window_bytes {
            continue;
        }
        let took = if finished { trace.last_change } else { elapsed };
        let at_cap = trace.bytes.saturating_sub(window_bytes) as f64 / rate;
        ideal += at_cap;
        taken += took.as_secs_f64();
        counted += 1;
        shares.push(at_cap / took.as_secs_f64().max(0.001));
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
        "- share of the import cap: combined {:.1}% over {counted} mailboxes; per mailbox min {:.1}%, median {:.1}%, max {:.1}%",
        100.0 * ideal / taken.max(0.001),
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
    let _ = Arc::strong_count(&coordinator);
    Ok(())
}
