//! `ferry demo`: the whole product in one process with nothing installed. A seeded source
//! tenant and an empty destination from the simulator, the coordinator, several workers, the
//! in-memory broker and store (or RabbitMQ and Redis with `--amqp` and `--redis`); it migrates
//! every mailbox with live progress, prints a summary, and proves with the simulator's digests
//! that the destination holds exactly the source's items, exiting non-zero if not.

pub mod environment;
pub mod summary;

use ferry_core::model::MailProtocol;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Args;
use ferry_core::model::{new_id, DEFAULT_NAMESPACE};
use ferry_sim::SimConfig;

use crate::progress::ProgressView;
use crate::services::ServiceArgs;
use environment::{Environment, EnvironmentOptions};

/// Flags of `ferry demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    services: ServiceArgs,
    /// The protocol both endpoints speak: `ews` (Exchange Web Services) or `graph` (Microsoft
    /// Graph's mailbox import/export API, which carries no folder permissions or inbox rules).
    #[arg(long, default_value = "ews", value_parser = crate::project_file::parse_protocol)]
    api: MailProtocol,
    /// Source mailboxes to seed and migrate.
    #[arg(long, default_value_t = 10)]
    mailboxes: usize,
    /// Median items per mailbox.
    #[arg(long, default_value_t = 150)]
    items_median: u32,
    /// Seed of the generated tenants.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Workers.
    #[arg(long, default_value_t = 3)]
    workers: usize,
    /// Units each worker works on at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Items over the destination's size limit (they end in the error log).
    #[arg(long, default_value_t = 0)]
    oversize_items: u32,
    /// Share of EWS requests the simulator fails transiently (internal errors and connections
    /// cut mid-reply, half each).
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Turn the simulator's throttling off.
    #[arg(long)]
    no_throttling: bool,
    /// Run a second (delta) pass afterwards: it must copy nothing.
    #[arg(long)]
    delta_pass: bool,
    /// Address of the gRPC API while the demo runs (`ferry status --server` can watch).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Keep the queues and Redis keys of a run on real services (they are deleted by default).
    #[arg(long)]
    keep: bool,
    /// Map recipients, e.g. `@contoso.com->@fabrikam.com` or `a@x.com->b@y.com` (repeatable):
    /// migrated items then name the destination's addresses, and verification checks that none
    /// still names a mapped source mailbox.
    #[arg(long = "recipient-mapping", value_name = "EXPRESSION")]
    recipient_mapping: Vec<String>,
    /// After the demo, keep the simulator serving until Ctrl-C, so outside clients (exchangelib,
    /// curl) can look at the migrated mailboxes; its connection file is written to
    /// `--connection-file`.
    #[arg(long)]
    keep_serving: bool,
    /// Where `--keep-serving` writes the simulator's connection file.
    #[arg(long, default_value = "ferry-demo-sim.json")]
    connection_file: std::path::PathBuf,
    /// Save every SOAP reply of the simulator in this directory (for schema checks).
    #[arg(long)]
    record_replies: Option<std::path::PathBuf>,
}

/// Runs the demo; `Ok(false)` if the destination is not exact.
pub async fn run(args: DemoArgs) -> anyhow::Result<bool> {
    let namespace = if args.services.is_embedded() || args.services.namespace != DEFAULT_NAMESPACE {
        args.services.namespace.clone()
    } else {
        // A demo on shared services never touches a real deployment's queues or keys.
        format!("ferry-demo-{}", &new_id()[..8])
    };
    let services = args
        .services
        .with_namespace(&namespace)
        .open_or_embedded()
        .await?;
    let mut sim = SimConfig {
        listen: "127.0.0.1:0".parse()?,
        ..SimConfig::default()
    };
    sim.seed.seed = args.seed;
    sim.seed.mailboxes = args.mailboxes;
    sim.seed.items_median = args.items_median;
    sim.seed.oversize_items = args.oversize_items;
    sim.throttling.enabled = !args.no_throttling;
    sim.faults.internal_error_rate = args.fault_rate / 2.0;
    sim.faults.connection_reset_rate = args.fault_rate / 2.0;
    sim.record_replies = args.record_replies.clone();
    sim.validate()?;
    // Refuse a mistyped mapping before seeding anything: the coordinator would
    // refuse it too, but only after the simulator and workers were started.
    ferry_core::mapping::RecipientMapping::parse(&args.recipient_mapping)
        .map_err(|error| anyhow::anyhow!("--recipient-mapping: {error}"))?;
    let options = EnvironmentOptions {
        sim,
        workers: args.workers.max(1),
        concurrency: args.concurrency.max(1),
        lease_ttl: Duration::from_secs(10),
        namespace: namespace.clone(),
        grpc_listen: args.listen,
        api: args.api,
        destination_api: None,
        sim_runtime: None,
        planning_concurrency: None,
    };
    eprintln!(
        "Seeding {} mailboxes and starting the simulator, the coordinator and {} workers on {}…",
        args.mailboxes,
        options.workers,
        if services.embedded {
            "embedded services".to_string()
        } else {
            format!("RabbitMQ and Redis (namespace {namespace})")
        }
    );
    let environment = Environment::start(options, services.clone()).await?;
    eprintln!(
        "gRPC API on {} (try `ferry status --server http://{} --project <id> --watch`)",
        environment.grpc_address, environment.grpc_address
    );
    let options = (!args.recipient_mapping.is_empty()).then(|| ferry_proto::v1::ProjectOptions {
        recipient_mapping: args.recipient_mapping.clone(),
        ..ferry_proto::v1::ProjectOptions::default()
    });
    let project = environment
        .create_project_with("Demo: contoso.com to fabrikam.com", options)
        .await?;
    eprintln!(
        "Project {} with {} mailboxes; full pass starting",
        project.id,
        project.mailboxes.len()
    );

    let started = Instant::now();
    let mut view = ProgressView::new();
    let status = environment.run_full_pass(&project.id, &mut view).await?;
    print!(
        "{}",
        summary::summary(&status, started.elapsed(), "Full pass")
    );
    let mut exact = true;
    if args.delta_pass {
        let started = Instant::now();
        let status = environment
            .run_full_pass(&project.id, &mut ProgressView::new())
            .await?;
        print!(
            "{}",
            summary::summary(&status, started.elapsed(), "Delta pass")
        );
        let copied = status
            .counters
            .as_ref()
            .map_or(0, |counters| counters.items_copied);
        if copied > 0 {
            println!("  the delta pass copied {copied} items that were already migrated");
            exact = false;
        }
    }
    let verification = environment.verify(&project).await?;
    println!("Verification: {}", verification.summary());
    for problem in verification
        .missing
        .iter()
        .map(|item| format!("missing {item}"))
        .chain(
            verification
                .duplicated
                .iter()
                .map(|item| format!("duplicated {item}")),
        )
        .chain(
            verification
                .unexpected
                .iter()
                .map(|item| format!("unexpected {item}")),
        )
        .chain(
            verification
                .failed_but_present
                .iter()
                .map(|item| format!("logged as failed but present {item}")),
        )
        .take(20)
    {
        println!("  {problem}");
    }
    for problem in verification.unmapped_addresses.iter().take(20) {
        println!("  unmapped {problem}");
    }
    exact &= verification.is_exact();
    if args.keep_serving {
        environment.sim.connection.write(&args.connection_file)?;
        println!(
            "The simulator keeps serving on {} (connection file {}); stop with Ctrl-C.",
            environment.sim.base_url(),
            args.connection_file.display()
        );
        use std::io::Write;
        std::io::stdout().flush()?;
        crate::shutdown::on_signal().cancelled().await;
    }
    environment.stop().await?;
    if !services.embedded && !args.keep {
        cleanup(&args.services, &namespace, &project.id).await;
    }
    Ok(exact)
}

/// Deletes a demo's queues and keys on real services.
async fn cleanup(services: &ServiceArgs, namespace: &str, project: &ferry_core::model::ProjectId) {
    if let Some(url) = &services.redis_url {
        if let Ok(store) = ferry_core::store::redis::RedisStore::connect(url, namespace).await {
            let _ = store.delete_all().await;
        }
    }
    if let Some(url) = &services.amqp_url {
        if let Ok(broker) = ferry_core::broker::amqp::AmqpBroker::connect(url).await {
            let _ = broker
                .delete(&ferry_core::model::unit_queue(namespace, project))
                .await;
            let _ = broker
                .delete(&ferry_core::model::result_queue(namespace))
                .await;
        }
    }
}
