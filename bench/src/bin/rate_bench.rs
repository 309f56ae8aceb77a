//! Whether a tenant's request rate holds for the whole cluster: one coordinator and `--workers`
//! worker processes (`ferry worker`, each its own process) on the machine's RabbitMQ and Redis
//! migrate the simulator's mailboxes with the project's rate set to `--rate` requests a second.
//! The simulator's throttling is off, so nothing but Ferry's own pacing holds the requests
//! back; its per-mailbox request counters, read every 250 ms, give the rate each tenant saw.
//!
//!     cargo build --release -p ferry-bench -p ferry-cli
//!     target/release/rate-bench --workers 3 --rate 20
//!     target/release/rate-bench --workers 3 --rate 20 --ferry /path/to/an/older/ferry
//!
//! With `--mailbox-concurrency N` the simulator refuses requests beyond N in flight at one
//! mailbox (its other limits stay off), and `--latency-ms` makes requests last long enough to
//! overlap, so the run shows whether the workers together keep each mailbox within Exchange's
//! limit (Graph's 4):
//!
//!     target/release/rate-bench --api graph --workers 4 --mailboxes 2 --rate 2000 \
//!         --mailbox-concurrency 4 --latency-ms 15
//!
//! Printed per tenant: requests, the time from its first request to its last, the mean rate
//! over that time, the highest rate over any 5 s and 10 s, and the requests refused by each of
//! the simulator's limits. The coordinator runs in this
//! process (it plans, and its planning requests count too); `--ferry` picks the binary the
//! workers run, so an older build can be measured side by side.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use ferry_bench::worker_process::{WorkerProcesses, WorkerServices};
use ferry_cli::demo::environment::{Environment, EnvironmentOptions};
use ferry_cli::services::ServiceArgs;
use ferry_core::model::MailProtocol;
use ferry_proto::v1;
use ferry_sim::SimConfig;

#[derive(Debug, Parser)]
struct Args {
    /// Worker processes.
    #[arg(long, default_value_t = 3)]
    workers: usize,
    /// The project's request rate per tenant.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Source mailboxes.
    #[arg(long, default_value_t = 12)]
    mailboxes: usize,
    /// Median count of items per mailbox.
    #[arg(long, default_value_t = 300)]
    items_median: u32,
    /// Items per export and upload batch (small batches make many requests).
    #[arg(long, default_value_t = 10)]
    batch_items: u32,
    /// The protocol both endpoints speak: `ews` or `graph`.
    #[arg(long, default_value = "ews", value_parser = ferry_cli::project_file::parse_protocol)]
    api: MailProtocol,
    /// The `ferry` binary the workers run (default: the one beside this benchmark).
    #[arg(long)]
    ferry: Option<PathBuf>,
    /// RabbitMQ.
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    amqp: String,
    /// Redis.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    /// Stop after this long.
    #[arg(long, default_value_t = 300)]
    max_seconds: u64,
    /// Turn on the simulator's per-mailbox concurrency limit at this many requests in flight
    /// (EWS and Graph), with its other limits off.
    #[arg(long)]
    mailbox_concurrency: Option<u32>,
    /// Latency the simulator adds to every reply, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
}

/// The simulator's throttling off except the per-mailbox concurrency limit, if one is given.
fn only_concurrency_limited(sim: &mut SimConfig, mailbox_concurrency: Option<u32>) {
    let Some(limit) = mailbox_concurrency else {
        sim.throttling.enabled = false;
        return;
    };
    let ews = &mut sim.throttling;
    ews.enabled = true;
    ews.max_concurrent_requests = limit;
    ews.max_concurrent_sync = limit;
    ews.budget_burst = u32::MAX / 2;
    ews.budget_recharge_per_sec = 1e9;
    ews.import_bytes_per_window = u64::MAX / 4;
    let graph = &mut sim.graph_throttling;
    graph.max_concurrent_requests = limit;
    graph.requests_per_window = u64::MAX / 4;
    graph.upload_bytes_per_window = u64::MAX / 4;
}

/// A tenant's simulator counters whose names start with `prefix`, by the rest of the name,
/// summed over its mailboxes (`throttled.` gives the requests each limit refused).
fn tenant_counters(environment: &Environment, tenant: &str, prefix: &str) -> BTreeMap<String, u64> {
    let mut counters = BTreeMap::new();
    if let Some(tenant) = environment.sim.state.directory.tenant(tenant) {
        for mailbox in tenant.mailboxes() {
            for (counter, count) in mailbox.counters.snapshot() {
                if let Some(rest) = counter.strip_prefix(prefix) {
                    *counters.entry(rest.to_string()).or_default() += count;
                }
            }
        }
    }
    counters
}

/// Counters as `name count, ...`, or `none`.
fn listed(counters: &BTreeMap<String, u64>) -> String {
    if counters.is_empty() {
        return "none".to_string();
    }
    counters
        .iter()
        .map(|(name, count)| format!("{name} {count}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How often the simulator's counters are read.
const SAMPLE: Duration = Duration::from_millis(250);

/// Requests each tenant of the simulator has served so far.
fn requests_by_tenant(environment: &Environment) -> BTreeMap<String, u64> {
    let mut requests = BTreeMap::new();
    for name in ["source", "destination"] {
        let Some(tenant) = environment.sim.state.directory.tenant(name) else {
            continue;
        };
        let total = tenant
            .mailboxes()
            .iter()
            .map(|mailbox| {
                mailbox
                    .counters
                    .snapshot()
                    .iter()
                    // Graph counts each request as `requests.graph` and again by operation.
                    .filter(|(counter, _)| {
                        counter.starts_with("requests.") && !counter.starts_with("requests.graph.")
                    })
                    .map(|(_, count)| count)
                    .sum::<u64>()
            })
            .sum();
        requests.insert(name.to_string(), total);
    }
    requests
}

/// The highest rate over any `span` of the samples `(time, total so far)`.
fn peak_rate(samples: &[(Duration, u64)], span: Duration) -> Option<f64> {
    let mut peak: Option<f64> = None;
    for (start, (at, count)) in samples.iter().enumerate() {
        let Some((end_at, end_count)) = samples[start..]
            .iter()
            .find(|(later, _)| later.saturating_sub(*at) >= span)
        else {
            break;
        };
        let rate = (end_count - count) as f64 / (*end_at - *at).as_secs_f64();
        peak = Some(peak.map_or(rate, |peak: f64| peak.max(rate)));
    }
    peak
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
        "ferry-rate-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let service_args = ServiceArgs {
        amqp_url: Some(args.amqp.clone()),
        redis_url: Some(args.redis.clone()),
        namespace: namespace.clone(),
    };
    let services = service_args.open_real().await?;
    let mut sim = SimConfig {
        listen: "127.0.0.1:0".parse()?,
        ..SimConfig::default()
    };
    sim.seed.mailboxes = args.mailboxes;
    sim.seed.items_median = args.items_median;
    only_concurrency_limited(&mut sim, args.mailbox_concurrency);
    if args.latency_ms > 0 {
        sim.faults.latency = ferry_sim::faults::Latency::Fixed {
            ms: args.latency_ms,
        };
    }
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
    let worker_services = WorkerServices {
        amqp: &args.amqp,
        redis: &args.redis,
        namespace: &namespace,
    };
    for number in 1..=args.workers {
        workers.spawn(
            &ferry,
            &worker_services,
            &format!("rate-worker-{number}"),
            &[],
        )?;
    }
    let options = v1::ProjectOptions {
        requests_per_second: args.rate,
        batch_items: args.batch_items,
        ..v1::ProjectOptions::default()
    };
    let project = environment
        .create_project_with("rate", Some(options))
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
    let mut samples: BTreeMap<String, Vec<(Duration, u64)>> = BTreeMap::new();
    let deadline = Duration::from_secs(args.max_seconds);
    let finished = loop {
        tokio::time::sleep(SAMPLE).await;
        let now = started.elapsed();
        for (tenant, total) in requests_by_tenant(&environment) {
            samples.entry(tenant).or_default().push((now, total));
        }
        if coordinator
            .get_project_status(&project.id, false)
            .await?
            .pass_complete
        {
            break true;
        }
        if now >= deadline {
            break false;
        }
    };
    let elapsed = started.elapsed();
    println!(
        "- {} worker processes running {}, {} mailboxes over {}, project rate {} requests/s per tenant, batches of {} items, simulator concurrency limit {}, latency {} ms",
        args.workers,
        ferry.display(),
        args.mailboxes,
        args.api,
        args.rate,
        args.batch_items,
        args.mailbox_concurrency
            .map_or("off".to_string(), |limit| format!("{limit} per mailbox")),
        args.latency_ms
    );
    let status = coordinator.get_project_status(&project.id, false).await?;
    let counters = status.counters.unwrap_or_default();
    println!(
        "- {}: {:.1} s, {} items copied",
        if finished {
            "pass complete"
        } else {
            "stopped at --max-seconds"
        },
        elapsed.as_secs_f64(),
        counters.items_copied
    );
    for (tenant, samples) in &samples {
        let Some(&(_, total)) = samples.last() else {
            continue;
        };
        // From the sample before the first request to the first sample holding the last.
        let first = samples
            .iter()
            .position(|(_, count)| *count > 0)
            .unwrap_or(0)
            .saturating_sub(1);
        let last = samples
            .iter()
            .position(|(_, count)| *count == total)
            .unwrap_or(samples.len() - 1);
        let busy = samples[first..=last].to_vec();
        let span = busy.last().map(|(at, _)| *at).unwrap_or_default()
            - busy.first().map(|(at, _)| *at).unwrap_or_default();
        let show = |rate: Option<f64>| rate.map_or("-".to_string(), |rate| format!("{rate:.2}"));
        println!(
            "- {tenant}: {total} requests in {:.1} s; mean {:.2}/s, highest over 5 s {}/s, over 10 s {}/s ({:+.1}% of the rate over 10 s)",
            span.as_secs_f64(),
            total as f64 / span.as_secs_f64().max(0.001),
            show(peak_rate(&busy, Duration::from_secs(5))),
            show(peak_rate(&busy, Duration::from_secs(10))),
            peak_rate(&busy, Duration::from_secs(10))
                .map_or(0.0, |peak| 100.0 * (peak - args.rate) / args.rate),
        );
    }
    for name in ["source", "destination"] {
        println!(
            "- {name} requests refused by the simulator's limits: {}",
            listed(&tenant_counters(&environment, name, "throttled."))
        );
        // Graph counts each request as `requests.graph` and again by operation.
        let mut by_operation = tenant_counters(&environment, name, "requests.");
        by_operation.remove("graph");
        println!("- {name} requests by operation: {}", listed(&by_operation));
    }
    if finished {
        let verification = environment.verify(&project).await?;
        println!("- verification: {}", verification.summary());
    }
    drop(workers);
    let stop = environment.stop();
    let _ = tokio::time::timeout(Duration::from_secs(20), stop).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_are_the_busiest_span() {
        let s = Duration::from_secs;
        let samples = [(s(0), 0), (s(5), 10), (s(10), 60), (s(15), 70)];
        assert_eq!(peak_rate(&samples, s(5)), Some(10.0));
        assert_eq!(peak_rate(&samples, s(10)), Some(6.0));
        assert_eq!(peak_rate(&samples, s(20)), None);
    }
}
