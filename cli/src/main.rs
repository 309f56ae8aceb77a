//! `ferry`: the one binary. Each subcommand parses its flags and calls the library that does the
//! work.

use clap::{Parser, Subcommand};
use ferry_cli::client::{
    self, ClientArgs, ErrorsArgs, MailboxCommand, PassCommand, ProjectCommand, StatusArgs,
};
use ferry_cli::{coordinator_command, demo, sim_command, worker_command};

/// jemalloc with an arena per CPU (`.cargo/config.toml`), not the system's allocator. A worker
/// frees item buffers on other threads than the ones that filled them (Graph decodes on
/// blocking threads); glibc keeps such memory cached in the filling thread's arena, so with 32
/// units over Graph a worker peaked at 707 MiB, against 180 MiB now (BENCHMARKS.md, "Worker
/// memory").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Ferry: mailbox migration between Microsoft 365 tenants.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate a seeded simulated tenant end to end in one process, and prove the copy exact.
    Demo(demo::DemoArgs),
    /// Run the coordinator and its gRPC API (RabbitMQ and Redis).
    Coordinator(coordinator_command::CoordinatorArgs),
    /// Run a worker (RabbitMQ and Redis).
    Worker(worker_command::WorkerArgs),
    /// Create and list projects.
    Project {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Add and list mailboxes.
    Mailbox {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: MailboxCommand,
    },
    /// Start passes.
    Pass {
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        command: PassCommand,
    },
    /// Show a project's progress (`--watch` to follow it).
    Status {
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        status: StatusArgs,
    },
    /// List the items of a mailbox that could not be migrated, with why.
    Errors {
        #[command(flatten)]
        client: ClientArgs,
        #[command(flatten)]
        errors: ErrorsArgs,
    },
    /// Serve a simulated Exchange Online (identity, EWS, throttling, faults) with seeded tenants.
    Sim(sim_command::SimArgs),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter(&std::env::args().collect::<Vec<_>>())),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Demo(args) => {
                if !demo::run(args).await? {
                    std::process::exit(1);
                }
                Ok(())
            }
            Command::Coordinator(args) => coordinator_command::run(args).await,
            Command::Worker(args) => worker_command::run(args).await,
            Command::Project { client, command } => client::project(&client, command).await,
            Command::Mailbox { client, command } => client::mailbox(&client, command).await,
            Command::Pass { client, command } => client::pass(&client, command).await,
            Command::Status { client, status } => client::status(&client, status).await,
            Command::Errors { client, errors } => client::errors(&client, errors).await,
            Command::Sim(args) => sim_command::run(args).await,
        }
    })
}

/// Logs: the demo and the client commands keep their output clean (warnings only); servers log
/// what they do.
fn default_filter(args: &[String]) -> tracing_subscriber::EnvFilter {
    let quiet = ["demo", "project", "mailbox", "pass", "status", "errors"];
    let level = match args.get(1) {
        Some(command) if quiet.contains(&command.as_str()) => "warn",
        _ => "info",
    };
    tracing_subscriber::EnvFilter::new(level)
}
