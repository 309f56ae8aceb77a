//! Everything `ferry demo` runs in one process: a simulated Exchange Online, the broker and
//! store, the coordinator with its gRPC API, and workers. End-to-end tests build the same
//! environment (optionally with no in-process workers, to run worker processes instead).

use ferry_core::model::MailProtocol;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ferry_coordinator::requests::{new_project, NewPass};
use ferry_coordinator::{grpc, Coordinator, CoordinatorConfig};
use ferry_core::mapping::RecipientMapping;
use ferry_core::model::{MailboxId, MailboxRecord, PassKind, ProjectId};
use ferry_mail::ProtocolFactory;
use ferry_proto::v1;
use ferry_sim::{RunningSim, SimConfig};
use ferry_worker::{Worker, WorkerConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::progress::ProgressView;
use crate::project_file::request_from_sim_over;
use crate::services::Services;
use crate::verify::{verify, MailboxToVerify, Verification};

/// How long status reads may keep failing before following a pass gives up.
const STATUS_OUTAGE_LIMIT: Duration = Duration::from_secs(60);

/// What to run.
#[derive(Debug, Clone)]
pub struct EnvironmentOptions {
    /// The simulator (its listen address should be loopback, port 0).
    pub sim: SimConfig,
    /// Workers in this process.
    pub workers: usize,
    /// Units each works on at once.
    pub concurrency: usize,
    /// Lease of a unit (how long a dead worker's units wait).
    pub lease_ttl: Duration,
    /// The deployment namespace (queues, store keys).
    pub namespace: String,
    /// Where the gRPC API listens.
    pub grpc_listen: SocketAddr,
    /// The protocol projects made here speak to the source tenant, and to the destination
    /// unless `destination_api` names another.
    pub api: MailProtocol,
    /// The destination's protocol, if not `api`.
    pub destination_api: Option<MailProtocol>,
    /// A runtime of its own for the simulator (so a benchmark can tell its CPU from Ferry's);
    /// by default it runs on the caller's.
    pub sim_runtime: Option<tokio::runtime::Handle>,
    /// Mailboxes the coordinator plans at once (`None`: its default).
    pub planning_concurrency: Option<usize>,
}

/// A running environment.
pub struct Environment {
    /// The simulator.
    pub sim: RunningSim,
    /// The coordinator.
    pub coordinator: Arc<Coordinator>,
    /// The gRPC API's address.
    pub grpc_address: SocketAddr,
    /// The services.
    pub services: Services,
    /// The namespace.
    pub namespace: String,
    workers: Vec<(CancellationToken, JoinHandle<()>)>,
    stop: CancellationToken,
    background: Vec<JoinHandle<()>>,
    options: EnvironmentOptions,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("grpc_address", &self.grpc_address)
            .finish_non_exhaustive()
    }
}

/// A project set up for the seeded tenants.
#[derive(Debug, Clone)]
pub struct DemoProject {
    /// The project.
    pub id: ProjectId,
    /// Its mailboxes.
    pub mailboxes: Vec<MailboxRecord>,
    /// Its recipient mapping with its mailbox pairs, when it maps item addresses.
    pub mapping: Option<RecipientMapping>,
}

impl Environment {
    /// Starts the simulator, the coordinator and its API, and the workers.
    pub async fn start(
        options: EnvironmentOptions,
        services: Services,
    ) -> anyhow::Result<Environment> {
        let stop = CancellationToken::new();
        let starting = ferry_sim::start(options.sim.clone(), stop.child_token());
        let sim = match &options.sim_runtime {
            // Started on that runtime, the simulator's listener and every task it spawns stay
            // there.
            Some(runtime) => runtime
                .spawn(starting)
                .await
                .context("the simulator's runtime")?,
            None => starting.await,
        }
        .context("starting the simulator")?;
        let defaults = CoordinatorConfig::default();
        let config = CoordinatorConfig {
            namespace: options.namespace.clone(),
            planning_concurrency: options
                .planning_concurrency
                .unwrap_or(defaults.planning_concurrency),
            ..defaults
        };
        let coordinator = Coordinator::new(
            config,
            services.store.clone(),
            services.broker.clone(),
            Arc::new(ProtocolFactory::new()),
        );
        let (listener, grpc_address) = grpc::bind(options.grpc_listen)
            .await
            .context("binding the gRPC API")?;
        let mut background = Vec::new();
        let serving = stop.child_token();
        let api = coordinator.clone();
        background.push(tokio::spawn(async move {
            if let Err(error) = grpc::serve(api, listener, serving).await {
                tracing::error!(%error, "gRPC API stopped");
            }
        }));
        let running = coordinator.clone();
        let coordinator_stop = stop.child_token();
        background.push(tokio::spawn(async move {
            if let Err(error) = running.run(coordinator_stop).await {
                tracing::error!(%error, "coordinator stopped");
            }
        }));
        let mut environment = Environment {
            sim,
            coordinator,
            grpc_address,
            services,
            namespace: options.namespace.clone(),
            workers: Vec::new(),
            stop,
            background,
            options,
        };
        for _ in 0..environment.options.workers {
            environment.add_worker();
        }
        Ok(environment)
    }

    /// Starts one more in-process worker.
    pub fn add_worker(&mut self) {
        let number = self.workers.len() + 1;
        let config = WorkerConfig {
            name: format!("demo-worker-{number}"),
            concurrency: self.options.concurrency,
            lease_ttl: self.options.lease_ttl,
            namespace: self.namespace.clone(),
            shutdown_grace: Duration::from_secs(5),
            ..WorkerConfig::default()
        };
        let worker = Worker::new(
            config,
            self.services.store.clone(),
            self.services.broker.clone(),
            Arc::new(ProtocolFactory::new()),
        );
        let stop = self.stop.child_token();
        let handle = tokio::spawn(worker.run(stop.clone()));
        self.workers.push((stop, handle));
    }

    /// Creates a project for the simulator's tenants with every source mailbox mapped to its
    /// namesake at the destination.
    pub async fn create_project(&self, name: &str) -> anyhow::Result<DemoProject> {
        self.create_project_with(name, None).await
    }

    /// [`Environment::create_project`] with project options.
    pub async fn create_project_with(
        &self,
        name: &str,
        options: Option<v1::ProjectOptions>,
    ) -> anyhow::Result<DemoProject> {
        let mut request = request_from_sim_over(
            &self.sim.connection,
            name,
            self.options.api,
            self.options.destination_api.unwrap_or(self.options.api),
        )?;
        request.options = options;
        let project = self
            .coordinator
            .create_project(new_project(&request)?)
            .await?;
        let tenant = |name: &str| {
            self.sim
                .connection
                .tenants
                .iter()
                .find(|tenant| tenant.name == name)
                .cloned()
                .with_context(|| format!("the simulator has no {name} tenant"))
        };
        let (source, destination) = (tenant("source")?, tenant("destination")?);
        // Each source mailbox goes to the destination mailbox with the same local part.
        let local = |address: &str| address.split('@').next().unwrap_or_default().to_lowercase();
        let targets: std::collections::HashMap<String, String> = destination
            .mailboxes
            .iter()
            .map(|address| (local(address), address.clone()))
            .collect();
        let mappings: Vec<(String, String)> = source
            .mailboxes
            .iter()
            .filter_map(|address| Some((address.clone(), targets.get(&local(address))?.clone())))
            .collect();
        let mailboxes = self
            .coordinator
            .add_mailboxes(&project.id, mappings)
            .await?;
        let expressions = RecipientMapping::parse(&project.options.recipient_mapping)?;
        let mapping = expressions
            .maps_items()
            .then(|| expressions.with_mailbox_records(&mailboxes));
        Ok(DemoProject {
            id: project.id,
            mailboxes,
            mapping,
        })
    }

    /// Starts a full pass over every mailbox and follows it to its end, showing progress.
    pub async fn run_full_pass(
        &self,
        project: &ProjectId,
        view: &mut ProgressView,
    ) -> anyhow::Result<v1::ProjectStatus> {
        self.coordinator
            .start_pass(NewPass {
                project: project.clone(),
                kind: PassKind::Full,
                mailboxes: Vec::new(),
                received_before: None,
            })
            .await?;
        self.wait_for_pass(project, view).await
    }

    /// Follows the current pass to its end.
    pub async fn wait_for_pass(
        &self,
        project: &ProjectId,
        view: &mut ProgressView,
    ) -> anyhow::Result<v1::ProjectStatus> {
        let mut last_line = tokio::time::Instant::now();
        let mut failing_since = None;
        loop {
            let status = match self.coordinator.get_project_status(project, true).await {
                Ok(status) => {
                    failing_since = None;
                    status
                }
                // A status read is only a look: a store or broker that is slow or briefly
                // gone delays the next look, it does not end a pass that is still running.
                Err(error) if error.is_unavailable() => {
                    let since = *failing_since.get_or_insert_with(tokio::time::Instant::now);
                    if since.elapsed() >= STATUS_OUTAGE_LIMIT {
                        return Err(error.into());
                    }
                    tracing::warn!(%error, "status unavailable; looking again");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            view.update(&status);
            if !view.is_visible() && last_line.elapsed() >= Duration::from_secs(5) {
                last_line = tokio::time::Instant::now();
                let counters = status.counters.clone().unwrap_or_default();
                tracing::info!(
                    done = crate::render::processed(&counters),
                    planned = counters.items_planned,
                    copied = counters.items_copied,
                    failed = counters.items_failed,
                    "migrating"
                );
            }
            if status.pass_complete {
                view.finish();
                return Ok(status);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Source item ids the error log of a mailbox names.
    async fn failed_item_ids(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
    ) -> anyhow::Result<HashSet<String>> {
        let mut ids = HashSet::new();
        let mut offset = 0;
        loop {
            let (page, total) = self
                .coordinator
                .mailbox_errors(project, mailbox, offset, 1000)
                .await?;
            offset += page.len() as u64;
            ids.extend(
                page.into_iter()
                    .map(|error| error.source_item_id)
                    .filter(|id| !id.is_empty()),
            );
            if offset >= total {
                return Ok(ids);
            }
        }
    }

    /// Checks the destination against the source through the simulator's digests.
    pub async fn verify(&self, project: &DemoProject) -> anyhow::Result<Verification> {
        let mut mailboxes = Vec::with_capacity(project.mailboxes.len());
        for mailbox in &project.mailboxes {
            mailboxes.push(MailboxToVerify {
                source: mailbox.source_address.clone(),
                destination: mailbox.destination_address.clone(),
                failed_item_ids: self.failed_item_ids(&project.id, &mailbox.id).await?,
            });
        }
        verify(
            &self.sim.connection.admin_url,
            "source",
            "destination",
            &mailboxes,
            project.mapping.as_ref(),
        )
        .await
    }

    /// Stops the workers, the coordinator, the API and the simulator.
    pub async fn stop(self) -> anyhow::Result<()> {
        for (stop, _) in &self.workers {
            stop.cancel();
        }
        for (_, worker) in self.workers {
            let _ = worker.await;
        }
        self.stop.cancel();
        for task in self.background {
            let _ = task.await;
        }
        self.sim.stop().await?;
        Ok(())
    }
}
