//! What the control plane costs as a project grows: the coordinator on the machine's RabbitMQ
//! and Redis plans a full pass over `--mailboxes` of the simulator's mailboxes (throttling off,
//! the project's request rate out of the way, no workers), then answers status calls, then
//! sits idle with every mailbox still in the pass.
//!
//!     cargo build --release -p ferry-bench
//!     target/release/control-bench --mailboxes 1000
//!     target/release/control-bench --mailboxes 10000
//!
//! Printed: the time to plan every mailbox and the coordinator's CPU for it (per mailbox), the
//! latency of a project status call (without the per-mailbox list, as `ferry status` and
//! dashboards poll it), and the coordinator's CPU while idle. "The coordinator's CPU" is this
//! process's minus the simulator's threads; Redis's own CPU is shown beside it. Every queue
//! and key the run made is deleted at the end.

use std::time::{Duration, Instant};

use clap::Parser;
use ferry_bench::cpu;
use ferry_cli::demo::environment::{Environment, EnvironmentOptions};
use ferry_cli::services::ServiceArgs;
use ferry_core::broker::amqp::AmqpBroker;
use ferry_core::model::{counter, result_queue, unit_queue, MailProtocol, PassKind};
use ferry_core::store::redis::RedisStore;
use ferry_proto::v1;
use ferry_sim::SimConfig;

#[derive(Debug, Parser)]
struct Args {
    /// Source mailboxes.
    #[arg(long, default_value_t = 1000)]
    mailboxes: usize,
    /// Median count of items per mailbox (planning lists them; few keep the simulator small).
    #[arg(long, default_value_t = 4)]
    items_median: u32,
    /// Mailboxes the coordinator plans at once (default: the coordinator's default).
    #[arg(long)]
    planning_concurrency: Option<usize>,
    /// Status calls timed.
    #[arg(long, default_value_t = 20)]
    status_calls: usize,
    /// Seconds the coordinator's idle CPU is measured over.
    #[arg(long, default_value_t = 10)]
    idle_seconds: u64,
    /// The protocol both endpoints speak: `ews` or `graph`.
    #[arg(long, default_value = "ews", value_parser = ferry_cli::project_file::parse_protocol)]
    api: MailProtocol,
    /// RabbitMQ.
    #[arg(long, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f")]
    amqp: String,
    /// Redis.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis: String,
    /// Give up planning after this long.
    #[arg(long, default_value_t = 1200)]
    max_seconds: u64,
}

/// Names of the simulator's runtime threads, whose CPU is not the coordinator's.
const SIM_THREADS: &str = "ferry-sim";

/// User plus system seconds of the Redis server, if one runs on this machine.
fn redis_seconds() -> Option<f64> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if stat.contains("(redis-server)") {
            let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
            let ticks = |index: usize| fields.get(index)?.parse::<f64>().ok();
            return Some((ticks(11)? + ticks(12)?) / 100.0);
        }
    }
    None
}

/// The coordinator's CPU seconds so far (the process's, less the simulator's threads).
fn coordinator_seconds() -> f64 {
    cpu::process_seconds() - cpu::threads_seconds(SIM_THREADS)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(SIM_THREADS)
        // Seeding runs on the blocking pool; a thread that exits takes its CPU out of the
        // simulator's count (`cpu::threads_seconds` sees live threads only), which would then
        // show as the coordinator's.
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
        "ferry-control-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let services = ServiceArgs {
        amqp_url: Some(args.amqp.clone()),
        redis_url: Some(args.redis.clone()),
        namespace: namespace.clone(),
    }
    .open_real()
    .await?;
    let mut sim = SimConfig {
        listen: "127.0.0.1:0".parse()?,
        ..SimConfig::default()
    };
    sim.seed.mailboxes = args.mailboxes;
    sim.seed.items_median = args.items_median;
    sim.throttling.enabled = false;
    let seeding = Instant::now();
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
            sim_runtime: Some(sim_runtime),
            planning_concurrency: args.planning_concurrency,
        },
        services,
    )
    .await?;
    eprintln!(
        "simulator seeded in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let options = v1::ProjectOptions {
        requests_per_second: 10_000.0,
        ..v1::ProjectOptions::default()
    };
    let project = environment
        .create_project_with("control", Some(options))
        .await?;
    let mailboxes = project.mailboxes.len() as u64;
    let coordinator = environment.coordinator.clone();
    let store = coordinator.store().clone();
    let (cpu_before, redis_before) = (coordinator_seconds(), redis_seconds());
    let started = Instant::now();
    let pass = coordinator
        .start_pass(ferry_coordinator::requests::NewPass {
            project: project.id.clone(),
            kind: PassKind::Full,
            mailboxes: Vec::new(),
            received_before: None,
        })
        .await?;
    // Planned or failed, read from the kept summary: polling costs nothing per mailbox.
    let planned = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let summary = store.project_summary(&project.id, Some(&pass.id)).await?;
        let planned = summary.pass_counters.get(counter::MAILBOXES_PLANNED)
            + summary.by_state.get("failed").copied().unwrap_or(0);
        if planned >= mailboxes || started.elapsed() > Duration::from_secs(args.max_seconds) {
            break summary;
        }
    };
    let planning = started.elapsed();
    let planning_cpu = coordinator_seconds() - cpu_before;
    let planning_redis = redis_seconds()
        .zip(redis_before)
        .map(|(after, before)| after - before);
    let counters = &planned.pass_counters;
    println!(
        "- {} mailboxes over {}, {} folders ({:.1} per mailbox), {} items, {} units; planning concurrency {}",
        mailboxes,
        args.api,
        counters.get(counter::FOLDERS_TOTAL),
        counters.get(counter::FOLDERS_TOTAL) as f64 / mailboxes.max(1) as f64,
        counters.get(counter::ITEMS_PLANNED),
        counters.get(counter::UNITS_TOTAL),
        args.planning_concurrency
            .unwrap_or(ferry_coordinator::CoordinatorConfig::default().planning_concurrency),
    );
    println!(
        "- planned {} of {} in {:.1} s ({:.0} mailboxes/s); coordinator CPU {:.1} s ({:.2} ms per mailbox){}",
        counters.get(counter::MAILBOXES_PLANNED),
        mailboxes,
        planning.as_secs_f64(),
        mailboxes as f64 / planning.as_secs_f64().max(0.001),
        planning_cpu,
        1000.0 * planning_cpu / mailboxes.max(1) as f64,
        planning_redis.map_or(String::new(), |redis| format!(", Redis CPU {redis:.1} s")),
    );

    let mut latencies = Vec::with_capacity(args.status_calls);
    for _ in 0..args.status_calls {
        let call = Instant::now();
        let status = coordinator.get_project_status(&project.id, false).await?;
        latencies.push(call.elapsed());
        assert_eq!(status.mailboxes_total as u64, mailboxes);
    }
    let median = ferry_bench::percentile(&mut latencies, 0.5);
    let worst = ferry_bench::percentile(&mut latencies, 1.0);
    println!(
        "- status call: median {:.2} ms, slowest {:.2} ms over {} calls",
        median.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0,
        args.status_calls
    );

    let (cpu_before, redis_before) = (coordinator_seconds(), redis_seconds());
    tokio::time::sleep(Duration::from_secs(args.idle_seconds)).await;
    let idle_cpu = coordinator_seconds() - cpu_before;
    let idle_redis = redis_seconds()
        .zip(redis_before)
        .map(|(after, before)| after - before);
    println!(
        "- idle, every mailbox still in the pass: coordinator {:.1}% of a core{} over {} s",
        100.0 * idle_cpu / args.idle_seconds as f64,
        idle_redis.map_or(String::new(), |redis| format!(
            ", Redis {:.1}%",
            100.0 * redis / args.idle_seconds as f64
        )),
        args.idle_seconds
    );

    let stop = environment.stop();
    let _ = tokio::time::timeout(Duration::from_secs(20), stop).await;
    let broker = AmqpBroker::connect(&args.amqp).await?;
    let units = unit_queue(&namespace, &project.id);
    broker.delete(&units).await?;
    broker.delete(&format!("{units}.later")).await?;
    broker.delete(&result_queue(&namespace)).await?;
    RedisStore::connect(&args.redis, &namespace)
        .await?
        .delete_all()
        .await?;
    Ok(())
}
