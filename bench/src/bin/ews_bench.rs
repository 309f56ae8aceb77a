//! How much memory the EWS client needs to move large items: export items of about 100 MB each
//! in one `ExportItems` call and upload each as it arrives, then report the client's peak
//! resident memory. The simulator runs as a separate `ferry sim` process, so the figure is the
//! client's alone.
//!
//!     cargo build --release -p ferry-cli -p ferry-bench
//!     target/release/ews-bench --items 3 --item-mb 100

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use ferry_bench::sim_process::{ferry_binary, SimProcess};
use ferry_bench::{machine_description, peak_rss_mib};
use ferry_ews::request::{FolderShape, MailboxTarget};
use ferry_ews::types::{CreateAction, FolderRef, ItemId, UploadItem};
use ferry_ews::{ClientConfig, Credentials, Endpoints, EwsClient, Secret};
use ferry_sim::ConnectionInfo;

#[derive(Debug, Parser)]
struct Args {
    /// Large items to move, exported in one request.
    #[arg(long, default_value_t = 3)]
    items: u32,
    /// Size of each item's attachment, in MiB (the MIME item is about a third larger).
    #[arg(long, default_value_t = 100)]
    item_mb: u64,
    /// The `ferry` binary; by default the one beside this benchmark.
    #[arg(long)]
    ferry: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let ferry = ferry_binary(args.ferry.as_deref())?;
    let sim = SimProcess::start_with_large_items(&ferry, args.items, args.item_mb)?;
    let connection = &sim.connection;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?
        .block_on(run(&args, connection))
}

fn client(connection: &ConnectionInfo, tenant: &str) -> anyhow::Result<EwsClient> {
    let tenant = connection.tenant(tenant).context("tenant")?;
    let endpoints = Endpoints {
        token_url: tenant.token_url.clone(),
        ews_url: tenant.ews_url.clone(),
        resource: "https://outlook.office365.com".into(),
    };
    let credentials = Credentials::ClientSecret {
        client_id: tenant.client_id.clone(),
        secret: Secret::new(tenant.client_secret.clone()),
    };
    Ok(EwsClient::new(ClientConfig::new(endpoints, credentials))?)
}

async fn run(args: &Args, connection: &ConnectionInfo) -> anyhow::Result<()> {
    let source_client = client(connection, "source")?;
    let destination_client = client(connection, "destination")?;
    let source = MailboxTarget::impersonated(
        connection.tenant("source").context("source")?.mailboxes[0].clone(),
    );
    let destination = MailboxTarget::impersonated(
        connection
            .tenant("destination")
            .context("destination")?
            .mailboxes[0]
            .clone(),
    );
    let listing: Vec<ferry_sim::admin::ItemSummary> = reqwest::get(format!(
        "{}/tenants/source/mailboxes/{}/items",
        connection.admin_url, source.address
    ))
    .await?
    .json()
    .await?;
    let large: Vec<ItemId> = listing
        .iter()
        .filter(|item| item.size > args.item_mb * 1024 * 1024)
        .map(|item| ItemId::new(item.id.clone()))
        .collect();
    anyhow::ensure!(
        large.len() == args.items as usize,
        "expected {} large items, found {}",
        args.items,
        large.len()
    );
    let inbox = destination_client
        .get_folders(
            &destination,
            &[FolderRef::distinguished("inbox")],
            &FolderShape::tree(),
        )
        .await?
        .remove(0)?;
    // Warm both token caches so the measurement covers the transfer only.
    source_client.tokens().token().await?;
    destination_client.tokens().token().await?;
    let baseline = peak_rss_mib().unwrap_or(0);

    let started = Instant::now();
    let mut moved_bytes = 0usize;
    let mut largest = 0usize;
    let mut stream = source_client.export_items(&source, &large).await?;
    while let Some((id, exported)) = stream.next().await? {
        let exported = exported.with_context(|| format!("exporting {}", id.id))?;
        moved_bytes += exported.data.len();
        largest = largest.max(exported.data.len());
        let upload = UploadItem {
            parent: inbox.id.clone(),
            action: CreateAction::CreateNew,
            item_id: None,
            is_associated: false,
            data: exported.data,
        };
        destination_client
            .upload_items(&destination, std::slice::from_ref(&upload))
            .await?
            .remove(0)?;
    }
    let elapsed = started.elapsed();
    let peak = peak_rss_mib().unwrap_or(0);
    let mib = |bytes: usize| bytes as f64 / 1_048_576.0;
    println!("# ews-bench");
    println!();
    println!("- machine: {}", machine_description());
    println!(
        "- moved {} items of export data, {:.1} MiB in all, the largest {:.1} MiB, in one ExportItems call, each uploaded as it arrived",
        args.items,
        mib(moved_bytes),
        mib(largest)
    );
    println!(
        "- export + upload: {:.1} s, {:.1} MiB/s",
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
