//! How much memory the Graph client needs to move large items: export items of about 100 MB
//! each in one `exportItems` call and import each into the destination as it arrives, then
//! report the client's peak resident memory. The simulator runs as a separate `ferry sim`
//! process, so the figure is the client's alone; `ews-bench` measures the same over EWS.
//!
//!     cargo build --release -p ferry-cli -p ferry-bench
//!     target/release/graph-bench --items 3 --item-mb 100

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use ferry_bench::sim_process::{ferry_binary, SimProcess};
use ferry_bench::{machine_description, peak_rss_mib};
use ferry_graph::{Credentials, GraphClient, GraphConfig, Secret};
use ferry_sim::ConnectionInfo;

#[derive(Debug, Parser)]
struct Args {
    /// Large items to move, exported in one request (at most 20, Graph's limit per call).
    #[arg(long, default_value_t = 3)]
    items: u32,
    /// Size of each item's attachment, in MiB (the export data is about a third larger).
    #[arg(long, default_value_t = 100)]
    item_mb: u64,
    /// The `ferry` binary; by default the one beside this benchmark.
    #[arg(long)]
    ferry: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        (1..=20).contains(&args.items),
        "--items must be 1 to 20 (one exportItems call)"
    );
    let ferry = ferry_binary(args.ferry.as_deref())?;
    let sim = SimProcess::start_with_large_items(&ferry, args.items, args.item_mb)?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?
        .block_on(run(&args, &sim.connection))
}

fn client(connection: &ConnectionInfo, tenant: &str) -> anyhow::Result<(GraphClient, String)> {
    let tenant = connection.tenant(tenant).context("tenant")?;
    let credentials = Credentials::ClientSecret {
        client_id: tenant.client_id.clone(),
        secret: Secret::new(tenant.client_secret.clone()),
    };
    let config = GraphConfig::new(
        tenant.graph_url.clone(),
        tenant.token_url.clone(),
        "https://graph.microsoft.com",
        credentials,
    );
    Ok((GraphClient::new(config)?, tenant.mailboxes[0].clone()))
}

async fn run(args: &Args, connection: &ConnectionInfo) -> anyhow::Result<()> {
    let (source_client, source_address) = client(connection, "source")?;
    let (destination_client, destination_address) = client(connection, "destination")?;
    let source = source_client.mailbox_id(&source_address).await?;
    let destination = destination_client.mailbox_id(&destination_address).await?;
    let threshold = args.item_mb * 1024 * 1024;
    let mut large = Vec::new();
    for folder in source_client.folders(&source).await? {
        for item in source_client.items(&source, &folder.id, &[]).await? {
            if item.size.unwrap_or(0) > threshold {
                large.push(item.id);
            }
        }
    }
    anyhow::ensure!(
        large.len() == args.items as usize,
        "expected {} large items, found {}",
        args.items,
        large.len()
    );
    let inbox = destination_client.folder(&destination, "inbox").await?;
    // Warm both token caches and the import session so the measurement covers the transfer.
    source_client.tokens().token().await?;
    destination_client.tokens().token().await?;
    let baseline = peak_rss_mib().unwrap_or(0);

    let started = Instant::now();
    let mut moved_bytes = 0usize;
    let mut largest = 0usize;
    let mut stream = source_client.export_items(&source, &large).await?;
    while let Some(exported) = stream.next().await? {
        let data = exported
            .data
            .with_context(|| format!("exporting {}", exported.item_id))?;
        moved_bytes += data.len();
        largest = largest.max(data.len());
        destination_client
            .import_item(&destination, &inbox.id, &data)
            .await?;
    }
    let elapsed = started.elapsed();
    let peak = peak_rss_mib().unwrap_or(0);
    let mib = |bytes: usize| bytes as f64 / 1_048_576.0;
    println!("# graph-bench");
    println!();
    println!("- machine: {}", machine_description());
    println!(
        "- moved {} items of export data, {:.1} MiB in all, the largest {:.1} MiB, in one exportItems call, each imported as it arrived",
        args.items,
        mib(moved_bytes),
        mib(largest)
    );
    println!(
        "- export + import: {:.1} s, {:.1} MiB/s",
        elapsed.as_secs_f64(),
        mib(moved_bytes) / elapsed.as_secs_f64()
    );
    println!("- client peak resident memory: {peak} MiB (before the transfer: {baseline} MiB)");
    println!(
        "- peak minus baseline: {} MiB, {:.2} × the largest item",
        peak.saturating_sub(baseline),
        peak.saturating_sub(baseline) as f64 / mib(largest)
    );
    Ok(())
}
