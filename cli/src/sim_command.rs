//! `ferry sim`: flags and environment onto [`SimConfig`], then serve until told to stop.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use ferry_sim::faults::Latency;
use ferry_sim::SimConfig;

/// Flags of `ferry sim`. Every flag can also be set as `FERRY_SIM_<NAME>`; flags override a
/// `--config` file, which overrides the defaults.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// JSON configuration file (see `ferry_sim::SimConfig`); flags override it.
    #[arg(long, env = "FERRY_SIM_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "FERRY_SIM_LISTEN")]
    listen: Option<SocketAddr>,
    /// Seed of the generated data.
    #[arg(long, env = "FERRY_SIM_SEED")]
    seed: Option<u64>,
    /// Mailboxes in the source tenant.
    #[arg(long, env = "FERRY_SIM_MAILBOXES")]
    mailboxes: Option<usize>,
    /// Median items per mailbox.
    #[arg(long, env = "FERRY_SIM_ITEMS_MEDIAN")]
    items_median: Option<u32>,
    /// Items with one large attachment.
    #[arg(long, env = "FERRY_SIM_LARGE_ATTACHMENTS")]
    large_attachments: Option<u32>,
    /// Size of each large attachment, in MiB.
    #[arg(long, env = "FERRY_SIM_LARGE_ATTACHMENT_MB")]
    large_attachment_mb: Option<u64>,
    /// Items over the destination's size limit.
    #[arg(long, env = "FERRY_SIM_OVERSIZE_ITEMS")]
    oversize_items: Option<u32>,
    /// Where to write the connection file (tenants, URLs, credentials).
    #[arg(
        long,
        env = "FERRY_SIM_CONNECTION_FILE",
        default_value = "ferry-sim.json"
    )]
    connection_file: PathBuf,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, env = "FERRY_SIM_TOKEN_LIFETIME_SECS")]
    token_lifetime_secs: Option<u64>,
    /// Turn every throttling policy off.
    #[arg(long, env = "FERRY_SIM_NO_THROTTLING")]
    no_throttling: bool,
    /// Write every SOAP reply to this directory (for schema validation).
    #[arg(long, env = "FERRY_SIM_RECORD_REPLIES")]
    record_replies: Option<PathBuf>,
    /// Seed of the fault generator.
    #[arg(long, env = "FERRY_SIM_FAULT_SEED")]
    fault_seed: Option<u64>,
    /// Share of requests failing with ErrorInternalServerError.
    #[arg(long, env = "FERRY_SIM_FAULT_INTERNAL_ERROR_RATE")]
    fault_internal_error_rate: Option<f64>,
    /// Share of replies cut off mid-body.
    #[arg(long, env = "FERRY_SIM_FAULT_CONNECTION_RESET_RATE")]
    fault_connection_reset_rate: Option<f64>,
    /// Share of requests whose token is refused as expired.
    #[arg(long, env = "FERRY_SIM_FAULT_TOKEN_EXPIRY_RATE")]
    fault_token_expiry_rate: Option<f64>,
    /// Share of item reads that find the item deleted by its owner.
    #[arg(long, env = "FERRY_SIM_FAULT_ITEM_VANISH_RATE")]
    fault_item_vanish_rate: Option<f64>,
    /// Share of replies whose text carries characters invalid in XML.
    #[arg(long, env = "FERRY_SIM_FAULT_INVALID_XML_CHAR_RATE")]
    fault_invalid_xml_char_rate: Option<f64>,
    /// Latency added to every request: median milliseconds of a log-normal distribution.
    #[arg(long, env = "FERRY_SIM_FAULT_LATENCY_MS")]
    fault_latency_ms: Option<u64>,
}

impl SimArgs {
    /// The configuration these flags describe.
    pub fn into_config(self) -> anyhow::Result<SimConfig> {
        let mut config = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("reading the configuration file {}", path.display())
                })?;
                SimConfig::from_json(&text)?
            }
            None => SimConfig::default(),
        };
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        let seed = &mut config.seed;
        set(&mut seed.seed, self.seed);
        set(&mut seed.mailboxes, self.mailboxes);
        set(&mut seed.items_median, self.items_median);
        set(&mut seed.large_attachments, self.large_attachments);
        set(
            &mut seed.large_attachment_bytes,
            self.large_attachment_mb.map(|mb| mb * 1024 * 1024),
        );
        set(&mut seed.oversize_items, self.oversize_items);
        config.connection_file = Some(self.connection_file);
        set(
            &mut config.identity.token_lifetime_secs,
            self.token_lifetime_secs,
        );
        if self.no_throttling {
            config.throttling.enabled = false;
        }
        if self.record_replies.is_some() {
            config.record_replies = self.record_replies;
        }
        let faults = &mut config.faults;
        set(&mut faults.seed, self.fault_seed);
        set(
            &mut faults.internal_error_rate,
            self.fault_internal_error_rate,
        );
        set(
            &mut faults.connection_reset_rate,
            self.fault_connection_reset_rate,
        );
        set(&mut faults.token_expiry_rate, self.fault_token_expiry_rate);
        set(&mut faults.item_vanish_rate, self.fault_item_vanish_rate);
        set(
            &mut faults.invalid_xml_char_rate,
            self.fault_invalid_xml_char_rate,
        );
        if let Some(median_ms) = self.fault_latency_ms {
            faults.latency = Latency::LogNormal {
                median_ms,
                sigma: 0.5,
            };
        }
        config.validate()?;
        Ok(config)
    }
}

fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

/// Runs the simulator until a shutdown signal.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let config = args.into_config()?;
    let connection_file = config.connection_file.clone();
    let shutdown = crate::shutdown::on_signal();
    let running = ferry_sim::start(config, shutdown.clone()).await?;
    for tenant in running.state.directory.tenants() {
        let (items, bytes) =
            tenant
                .mailboxes()
                .iter()
                .fold((0usize, 0u64), |(items, bytes), mailbox| {
                    let contents = mailbox.lock();
                    (items + contents.items.len(), bytes + contents.used_bytes)
                });
        tracing::info!(
            tenant = %tenant.name,
            domain = %tenant.domain,
            mailboxes = tenant.mailboxes().len(),
            items,
            megabytes = bytes / (1024 * 1024),
            "tenant ready"
        );
    }
    tracing::info!(
        address = %running.address,
        ews = %format!("{}/EWS/Exchange.asmx", running.base_url()),
        admin = %running.connection.admin_url,
        connection_file = %connection_file.as_ref().map(|path| path.display().to_string()).unwrap_or_default(),
        "simulated Exchange Online is serving; Ctrl-C stops it"
    );
    shutdown.cancelled().await;
    running.stop().await?;
    Ok(())
}
