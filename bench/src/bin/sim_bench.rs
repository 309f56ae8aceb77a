//! How fast the simulator serves the full-fidelity path, on one core.
//!
//! The simulator runs on a single-threaded runtime in its own thread (one core); the client runs
//! on another. The benchmark exports the seeded source mailboxes in batches (`ExportItems`), then
//! uploads that data into the destination mailboxes (`UploadItems`), each for a fixed time with a
//! fixed number of concurrent requests, and reports requests/s, items/s and MB/s of SOAP bodies.
//! Throttling is off: this measures the simulator, not the policies it imposes.
//!
//!     cargo run --release -p ferry-bench --bin sim-bench -- --seconds 10

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine;
use clap::Parser;
use ferry_bench::{machine_description, peak_rss_mib, percentile};
use ferry_sim::ids::ObjectId;
use ferry_sim::model::WellKnownFolder;
use ferry_sim::{SimConfig, SimState};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
struct Args {
    /// Seconds each phase runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent requests.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Items per request.
    #[arg(long, default_value_t = 20)]
    batch: usize,
    /// Source mailboxes to seed.
    #[arg(long, default_value_t = 6)]
    mailboxes: usize,
    /// Median items per mailbox.
    #[arg(long, default_value_t = 400)]
    items_median: u32,
    /// Stop the upload phase after this many items, to bound the simulator's memory.
    #[arg(long, default_value_t = 60_000)]
    max_uploads: usize,
}

struct Work {
    /// (impersonated mailbox, request body), shared by the workers.
    requests: Arc<Vec<(String, String)>>,
}

struct PhaseReport {
    name: &'static str,
    requests: usize,
    items: usize,
    body_bytes: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl PhaseReport {
    fn print(&mut self) {
        let seconds = self.elapsed.as_secs_f64();
        let p50 = percentile(&mut self.latencies, 0.5);
        let p99 = percentile(&mut self.latencies, 0.99);
        println!(
            "| {:<11} | {:>8} | {:>9.1} | {:>9.0} | {:>8.1} | {:>7.1} | {:>7.1} |",
            self.name,
            self.requests,
            self.requests as f64 / seconds,
            self.items as f64 / seconds,
            self.body_bytes as f64 / seconds / 1_048_576.0,
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0,
        );
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = SimConfig {
        listen: "127.0.0.1:0".parse()?,
        ..SimConfig::default()
    };
    config.seed.mailboxes = args.mailboxes;
    config.seed.items_median = args.items_median;
    config.throttling.enabled = false;

    let shutdown = CancellationToken::new();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let server_shutdown = shutdown.clone();
    let server = std::thread::spawn(move || -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let sim = ferry_sim::start(config, server_shutdown.clone()).await?;
            let _ = started_tx.send((
                sim.base_url(),
                Arc::clone(&sim.state),
                sim.connection.clone(),
            ));
            server_shutdown.cancelled().await;
            sim.stop().await?;
            Ok(())
        })
    });
    let (base_url, state, connection) = started_rx.recv().context("the simulator did not start")?;
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let result = client_runtime.block_on(run(&args, &base_url, &state, &connection));
    shutdown.cancel();
    server
        .join()
        .map_err(|_| anyhow::anyhow!("server thread panicked"))??;
    result
}

async fn run(
    args: &Args,
    base_url: &str,
    state: &SimState,
    connection: &ferry_sim::ConnectionInfo,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let ews_url = format!("{base_url}/EWS/Exchange.asmx");
    let source_token = token(&http, connection, "source").await?;
    let destination_token = token(&http, connection, "destination").await?;
    let source = state.directory.tenant("source").context("source tenant")?;
    let destination = state
        .directory
        .tenant("destination")
        .context("destination tenant")?;

    let mut export_requests = Vec::new();
    let mut seeded_items = 0usize;
    let mut seeded_bytes = 0u64;
    for mailbox in source.mailboxes() {
        let contents = mailbox.lock();
        seeded_bytes += contents.used_bytes;
        let ids: Vec<String> = contents
            .items
            .keys()
            .map(|seq| ObjectId::item(mailbox.guid, *seq).encode())
            .collect();
        seeded_items += ids.len();
        for chunk in ids.chunks(args.batch) {
            let list: String = chunk
                .iter()
                .map(|id| format!(r#"<t:ItemId Id="{id}"/>"#))
                .collect();
            export_requests.push((
                mailbox.primary_address.clone(),
                format!("<m:ExportItems><m:ItemIds>{list}</m:ItemIds></m:ExportItems>"),
            ));
        }
    }
    let export_work = Work {
        requests: Arc::new(export_requests),
    };
    println!("# sim-bench");
    println!();
    println!("- machine: {}", machine_description());
    println!(
        "- seeded: {} mailboxes, {seeded_items} items, {:.1} MiB; batches of {}, {} concurrent requests, {} s per phase",
        source.mailboxes().len(),
        seeded_bytes as f64 / 1_048_576.0,
        args.batch,
        args.concurrency,
        args.seconds
    );

    // Untimed: one export of everything, to have real export data to upload.
    let mut payloads: Vec<String> = Vec::new();
    for (mailbox, body) in export_work.requests.iter() {
        let reply = post(&http, &ews_url, &source_token, mailbox, body).await?;
        payloads.extend(extract_data(&reply));
    }
    let mut upload_requests = Vec::new();
    let targets: Vec<(String, String)> = destination
        .mailboxes()
        .iter()
        .map(|mailbox| {
            let inbox = mailbox.lock().well_known_folder(WellKnownFolder::Inbox);
            (
                mailbox.primary_address.clone(),
                ObjectId::folder(mailbox.guid, inbox).encode(),
            )
        })
        .collect();
    for (index, chunk) in payloads.chunks(args.batch).enumerate() {
        let (mailbox, folder) = &targets[index % targets.len()];
        let items: String = chunk
            .iter()
            .map(|data| format!(r#"<t:Item CreateAction="CreateNew"><t:ParentFolderId Id="{folder}"/><t:Data>{data}</t:Data></t:Item>"#))
            .collect();
        upload_requests.push((
            mailbox.clone(),
            format!("<m:UploadItems><m:Items>{items}</m:Items></m:UploadItems>"),
        ));
    }

    drop(payloads);
    let upload_work = Work {
        requests: Arc::new(upload_requests),
    };
    println!();
    println!("| phase       | requests |  req/s    |  items/s  |  MiB/s   | p50 ms  | p99 ms  |");
    println!("|-------------|---------:|----------:|----------:|---------:|--------:|--------:|");
    let export = phase(
        "ExportItems",
        args,
        &http,
        &ews_url,
        &source_token,
        &export_work,
        usize::MAX,
        true,
    )
    .await?;
    let upload = phase(
        "UploadItems",
        args,
        &http,
        &ews_url,
        &destination_token,
        &upload_work,
        args.max_uploads,
        false,
    )
    .await?;
    for mut report in [export, upload] {
        report.print();
    }
    println!();
    println!("MiB/s counts SOAP bodies: replies for ExportItems, requests for UploadItems.");
    if let Some(peak) = peak_rss_mib() {
        println!("Peak resident memory of the process (simulator and client): {peak} MiB.");
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn phase(
    name: &'static str,
    args: &Args,
    http: &reqwest::Client,
    ews_url: &str,
    token: &str,
    work: &Work,
    max_items: usize,
    count_reply_bytes: bool,
) -> anyhow::Result<PhaseReport> {
    let next = Arc::new(AtomicUsize::new(0));
    let items_done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let next = Arc::clone(&next);
        let items_done = Arc::clone(&items_done);
        let http = http.clone();
        let ews_url = ews_url.to_string();
        let token = token.to_string();
        let requests = Arc::clone(&work.requests);
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut bytes = 0u64;
            let mut items = 0usize;
            while Instant::now() < deadline && items_done.load(Ordering::Relaxed) < max_items {
                let index = next.fetch_add(1, Ordering::Relaxed) % requests.len();
                let (mailbox, body) = &requests[index];
                let sent = Instant::now();
                let reply = post(&http, &ews_url, &token, mailbox, body).await?;
                latencies.push(sent.elapsed());
                let done = reply.matches("ResponseClass=\"Success\"").count();
                items += done;
                items_done.fetch_add(done, Ordering::Relaxed);
                bytes += if count_reply_bytes {
                    reply.len()
                } else {
                    body.len()
                } as u64;
            }
            anyhow::Ok((latencies, bytes, items))
        }));
    }
    let mut report = PhaseReport {
        name,
        requests: 0,
        items: 0,
        body_bytes: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for worker in workers {
        let (latencies, bytes, items) = worker.await??;
        report.requests += latencies.len();
        report.latencies.extend(latencies);
        report.body_bytes += bytes;
        report.items += items;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

async fn token(
    http: &reqwest::Client,
    connection: &ferry_sim::ConnectionInfo,
    tenant: &str,
) -> anyhow::Result<String> {
    let tenant = connection
        .tenant(tenant)
        .context("tenant in connection info")?;
    let reply: serde_json::Value = http
        .post(&tenant.token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", tenant.client_id.as_str()),
            ("client_secret", tenant.client_secret.as_str()),
            ("scope", "https://outlook.office365.com/.default"),
        ])
        .send()
        .await?
        .json()
        .await?;
    reply["access_token"]
        .as_str()
        .map(str::to_string)
        .context("no access token")
}

async fn post(
    http: &reqwest::Client,
    ews_url: &str,
    token: &str,
    mailbox: &str,
    body: &str,
) -> anyhow::Result<String> {
    let envelope = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{mailbox}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
    );
    let reply = http
        .post(ews_url)
        .bearer_auth(token)
        .header("content-type", "text/xml; charset=utf-8")
        .header("x-anchormailbox", mailbox)
        .body(envelope)
        .send()
        .await?;
    anyhow::ensure!(
        reply.status().is_success(),
        "{} from the simulator",
        reply.status()
    );
    Ok(reply.text().await?)
}

/// The base64 `Data` of every exported item in a reply, checked to decode.
fn extract_data(reply: &str) -> Vec<String> {
    reply
        .split("<m:Data>")
        .skip(1)
        .filter_map(|rest| rest.split("</m:Data>").next())
        .filter(|data| {
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .is_ok()
        })
        .map(str::to_string)
        .collect()
}
