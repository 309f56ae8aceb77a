//! `ferry`: the one binary. Each subcommand parses its flags, builds its configuration and calls
//! the library that does the work.

mod shutdown;
mod sim_command;

use clap::{Parser, Subcommand};

/// Ferry: mailbox migration between Microsoft 365 tenants.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve a simulated Exchange Online (identity, EWS, throttling, faults) with seeded tenants.
    Sim(sim_command::SimArgs),
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Sim(args) => sim_command::run(args).await,
        }
    })
}
