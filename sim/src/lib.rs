//! A simulated Exchange Online: the identity (Entra ID token) endpoint, the EWS SOAP endpoint, and
//! the throttling and failures of the real service, hosting any number of seeded tenants.
//!
//! Every Ferry test, benchmark and demo runs against it, and operators use it for dry runs, so it
//! follows Exchange where Exchange is strict. How the modules fit:
//!
//! - [`model`] holds tenants, mailboxes, folders, items, rules and permissions; [`seed`] fills a
//!   source tenant deterministically from a seed and the real-world message corpus.
//! - [`server`] routes HTTP: `POST /{tenant}/oauth2/v2.0/token` to [`identity`],
//!   `POST /EWS/Exchange.asmx` to [`ews`], `/v1.0/...` and the import URLs to [`graph`]
//!   (Microsoft Graph's mailbox import/export API), and `/admin/...` to [`admin`] (inspection
//!   and settings).
//! - [`ews`] authenticates, applies [`faults`], parses the envelope with [`xml`], resolves the
//!   mailbox (impersonation or delegation), admits the request through [`throttle`], and runs the
//!   operation; [`export_stream`] is the full-fidelity format of `ExportItems`/`UploadItems`,
//!   and [`transfer`] exports and imports it for both protocols.
//! - [`connection`] writes the file clients read to connect.
//!
//! [`start`] runs a simulator in-process (tests, `ferry demo`); `ferry sim` wraps it.

pub mod admin;
pub mod config;
pub mod connection;
pub mod ews;
pub mod export_stream;
pub mod faults;
pub mod graph;
pub mod identity;
pub mod ids;
pub mod mime;
pub mod model;
pub mod seed;
pub mod server;
pub mod throttle;
pub mod time;
pub mod transfer;
pub mod xml;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use config::SimConfig;
pub use connection::{ConnectionInfo, TenantConnection};
pub use server::SimState;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A configuration value is unusable.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The listener could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address asked for.
        address: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The connection file could not be written.
    #[error("cannot write the connection file {path}: {source}")]
    ConnectionFile {
        /// Where.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A simulator serving in the background.
#[derive(Debug)]
pub struct RunningSim {
    /// The address it listens on (the real port when port 0 was asked for).
    pub address: SocketAddr,
    /// Its state, for in-process inspection.
    pub state: Arc<SimState>,
    /// What the connection file says.
    pub connection: ConnectionInfo,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningSim {
    /// The base URL, `http://address`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(self) -> std::io::Result<()> {
        self.shutdown.cancel();
        self.task
            .await
            .unwrap_or_else(|error| Err(std::io::Error::other(error)))
    }
}

/// Seeds the tenants, binds the listener, writes the connection file and starts serving.
pub async fn start(config: SimConfig, shutdown: CancellationToken) -> Result<RunningSim, SimError> {
    config.validate()?;
    let seed_config = config.clone();
    let directory = tokio::task::spawn_blocking(move || seed::seed_directory(&seed_config))
        .await
        .map_err(|error| config::ConfigError {
            field: "seed",
            problem: format!("seeding failed: {error}"),
        })??;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| SimError::Bind {
            address: config.listen,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| SimError::Bind {
        address: config.listen,
        source,
    })?;
    let connection = ConnectionInfo::new(&directory, address);
    if let Some(path) = &config.connection_file {
        connection
            .write(path)
            .map_err(|source| SimError::ConnectionFile {
                path: path.clone(),
                source,
            })?;
    }
    let state = Arc::new(SimState::new(config, directory));
    let task = tokio::spawn(server::serve(
        listener,
        Arc::clone(&state),
        shutdown.clone(),
    ));
    Ok(RunningSim {
        address,
        state,
        connection,
        shutdown,
        task,
    })
}
