//! The coordinator: the operations the API offers (projects, mailboxes, passes, status) and the
//! background work that keeps passes moving (planning, results, the sweep).
//!
//! Only one coordinator runs per deployment: [`Coordinator::run`] holds a lease in the store and
//! stops if it loses it. Mailbox records are written by this process only, under a per-mailbox
//! lock, so planning and results never overwrite each other's changes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use ferry_core::broker::Broker;
use ferry_core::mail::MailApiFactory;
use ferry_core::mapping::RecipientMapping;
use ferry_core::model::{
    new_id, unit_queue, MailboxId, MailboxRecord, MailboxState, PassId, PassRecord, ProjectId,
    ProjectRecord, DEFAULT_NAMESPACE,
};
use ferry_core::pacing::{Pacer, RetryPolicy};
use ferry_core::store::Store;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::error::CoordinatorError;
use crate::requests::{NewPass, NewProject};

/// How long a project's address mapping is used before it is built again (another process
/// may have added mailboxes).
const ADDRESSES_REFRESH: Duration = Duration::from_secs(30);

/// How the coordinator runs.
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    /// Mailboxes planned at once.
    pub planning_concurrency: usize,
    /// Retries of calls to the tenants while planning.
    pub retry: RetryPolicy,
    /// How often the sweep looks at running mailboxes (at most; with more than a thousand in
    /// a pass it looks a millisecond per mailbox apart).
    pub sweep_interval: Duration,
    /// How long the coordinator lease lasts without renewal.
    pub lease_ttl: Duration,
    /// This process's name in the lease.
    pub name: String,
    /// The deployment's namespace (queue names; the store's key prefix is set where the store
    /// is opened).
    pub namespace: String,
}

impl Default for CoordinatorConfig {
    fn default() -> Self {
        CoordinatorConfig {
            planning_concurrency: 4,
            retry: RetryPolicy::default(),
            sweep_interval: Duration::from_secs(1),
            lease_ttl: Duration::from_secs(15),
            name: std::env::var("HOSTNAME").unwrap_or_else(|_| "coordinator".into()),
            namespace: DEFAULT_NAMESPACE.into(),
        }
    }
}

/// The coordinator.
pub struct Coordinator {
    pub(crate) config: CoordinatorConfig,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) broker: Arc<dyn Broker>,
    pub(crate) mail: Arc<dyn MailApiFactory>,
    pub(crate) pacer: Arc<Pacer>,
    pub(crate) planning_slots: Arc<Semaphore>,
    /// Mailboxes being planned by this process, and when failed plans may be tried again.
    pub(crate) planning: Mutex<PlanningBook>,
    mailbox_locks: Mutex<HashMap<MailboxId, Arc<tokio::sync::Mutex<()>>>>,
    /// Pass records read so far. A pass never changes once recorded, and its record lists
    /// every mailbox of the pass, so it is read once, not once per mailbox planned.
    passes: Mutex<HashMap<PassId, Arc<PassRecord>>>,
    /// Each project's address mapping with its mailbox pairs, for permissions and rules: built
    /// from every mailbox record, so kept rather than rebuilt per mailbox planned. Dropped when
    /// this process adds mailboxes, and rebuilt after [`ADDRESSES_REFRESH`] anyway.
    addresses: Mutex<HashMap<ProjectId, (Arc<RecipientMapping>, Instant)>>,
    leading: tokio::sync::watch::Sender<bool>,
}

/// Which mailboxes this process is planning, and when a failed plan may be retried.
#[derive(Debug, Default)]
pub(crate) struct PlanningBook {
    pub(crate) running: HashSet<(PassId, MailboxId)>,
    pub(crate) retry_at: HashMap<(PassId, MailboxId), (Instant, u32)>,
}

impl std::fmt::Debug for Coordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coordinator")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Coordinator {
    /// A coordinator over these services.
    pub fn new(
        config: CoordinatorConfig,
        store: Arc<dyn Store>,
        broker: Arc<dyn Broker>,
        mail: Arc<dyn MailApiFactory>,
    ) -> Arc<Coordinator> {
        Arc::new(Coordinator {
            planning_slots: Arc::new(Semaphore::new(config.planning_concurrency.max(1))),
            pacer: Pacer::shared(store.clone()),
            config,
            store,
            broker,
            mail,
            planning: Mutex::new(PlanningBook::default()),
            mailbox_locks: Mutex::new(HashMap::new()),
            passes: Mutex::new(HashMap::new()),
            addresses: Mutex::new(HashMap::new()),
            leading: tokio::sync::watch::Sender::new(false),
        })
    }

    /// The store (for tools and tests that read what the coordinator keeps).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Waits until this coordinator holds the lease (see [`Coordinator::run`]); a process serves
    /// its API only then, so a standby never writes alongside the active coordinator.
    pub async fn wait_until_leading(&self) {
        let mut leading = self.leading.subscribe();
        let _ = leading.wait_for(|leading| *leading).await;
    }

    /// Runs the background work (results, sweep, planning) until `shutdown`, holding the
    /// coordinator lease. Waits for the lease if another coordinator holds it; returns an error
    /// if the lease is lost, so a supervisor restarts the process.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) -> Result<(), CoordinatorError> {
        const LEASE: &str = "coordinator";
        let holder = format!("{}:{}", self.config.name, new_id());
        loop {
            if self
                .store
                .try_lease(LEASE, &holder, self.config.lease_ttl)
                .await?
            {
                break;
            }
            tracing::info!("another coordinator holds the lease; standing by");
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(self.config.lease_ttl / 3) => {}
            }
        }
        tracing::info!(%holder, "coordinator running");
        self.leading.send_replace(true);
        let stop = shutdown.child_token();
        let results = tokio::spawn(self.clone().consume_results(stop.clone()));
        let sweep = tokio::spawn(self.clone().sweep(stop.clone()));
        let mut outcome = Ok(());
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(self.config.lease_ttl / 3) => {}
            }
            match self
                .store
                .try_lease(LEASE, &holder, self.config.lease_ttl)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    tracing::error!("lost the coordinator lease to another process; stopping");
                    outcome = Err(CoordinatorError::FailedPrecondition(
                        "lost the coordinator lease".into(),
                    ));
                    stop.cancel();
                }
                Err(error) => tracing::warn!(%error, "could not renew the coordinator lease"),
            }
        }
        let _ = results.await;
        let _ = sweep.await;
        self.leading.send_replace(false);
        let _ = self.store.release_lease(LEASE, &holder).await;
        outcome
    }

    /// Serialises changes to one mailbox's record within this process.
    pub(crate) async fn lock_mailbox(
        &self,
        mailbox: &MailboxId,
    ) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self
                .mailbox_locks
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            locks.entry(mailbox.clone()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// A project, or `NotFound`.
    pub async fn project(&self, id: &ProjectId) -> Result<ProjectRecord, CoordinatorError> {
        self.store
            .project(id)
            .await?
            .ok_or_else(|| CoordinatorError::NotFound(format!("project {id} does not exist")))
    }

    /// A pass of a project, from this process's memory once read.
    pub(crate) async fn pass_record(
        &self,
        project: &ProjectId,
        id: &PassId,
    ) -> Result<Option<Arc<PassRecord>>, CoordinatorError> {
        if let Some(pass) = self.cached_pass(id) {
            return Ok(Some(pass));
        }
        let Some(pass) = self.store.pass(project, id).await? else {
            return Ok(None);
        };
        Ok(Some(self.remember_pass(pass)))
    }

    /// The project's latest pass: the pass ids are read each time (another coordinator may have
    /// started one), the records only when new to this process.
    pub(crate) async fn latest_pass(
        &self,
        project: &ProjectId,
    ) -> Result<Option<Arc<PassRecord>>, CoordinatorError> {
        let mut latest: Option<Arc<PassRecord>> = None;
        for id in self.store.pass_ids(project).await? {
            if let Some(pass) = self.pass_record(project, &id).await? {
                if latest
                    .as_ref()
                    .is_none_or(|latest| pass.started_at > latest.started_at)
                {
                    latest = Some(pass);
                }
            }
        }
        Ok(latest)
    }

    fn cached_pass(&self, id: &PassId) -> Option<Arc<PassRecord>> {
        self.passes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(id)
            .cloned()
    }

    fn remember_pass(&self, pass: PassRecord) -> Arc<PassRecord> {
        let pass = Arc::new(pass);
        self.passes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(pass.id.clone(), pass.clone());
        pass
    }

    /// The project's address mapping: its expressions and its mailbox pairs.
    pub(crate) async fn project_addresses(
        &self,
        project: &ProjectRecord,
    ) -> Result<Arc<RecipientMapping>, CoordinatorError> {
        if let Some((mapping, built)) = self.cached_addresses().get(&project.id) {
            if built.elapsed() < ADDRESSES_REFRESH {
                return Ok(mapping.clone());
            }
        }
        // Expressions were checked when the project was created; a record whose expressions
        // no longer parse maps its mailboxes only.
        let mapping = Arc::new(
            RecipientMapping::parse(&project.options.recipient_mapping)
                .unwrap_or_default()
                .with_mailbox_records(&self.store.mailboxes(&project.id).await?),
        );
        self.cached_addresses()
            .insert(project.id.clone(), (mapping.clone(), Instant::now()));
        Ok(mapping)
    }

    fn cached_addresses(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<ProjectId, (Arc<RecipientMapping>, Instant)>> {
        self.addresses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every project.
    pub async fn projects(&self) -> Result<Vec<ProjectRecord>, CoordinatorError> {
        Ok(self.store.projects().await?)
    }

    /// Creates a project and its unit queue.
    pub async fn create_project(&self, new: NewProject) -> Result<ProjectRecord, CoordinatorError> {
        let project = ProjectRecord {
            id: ProjectId(new_id()),
            name: new.name,
            source: new.source,
            destination: new.destination,
            options: new.options,
            created_at: Utc::now(),
        };
        self.broker
            .declare(&unit_queue(&self.config.namespace, &project.id))
            .await?;
        self.store.put_project(&project).await?;
        tracing::info!(project = %project.id, name = %project.name, "project created");
        Ok(project)
    }

    /// Adds mailboxes to a project. Adding a mapping the project already has returns the existing
    /// mailbox; mapping a source mailbox to a different destination is refused.
    pub async fn add_mailboxes(
        &self,
        project: &ProjectId,
        mappings: Vec<(String, String)>,
    ) -> Result<Vec<MailboxRecord>, CoordinatorError> {
        self.project(project).await?;
        let existing: HashMap<String, MailboxRecord> = self
            .store
            .mailboxes(project)
            .await?
            .into_iter()
            .map(|mailbox| (mailbox.source_address.to_lowercase(), mailbox))
            .collect();
        let mut added = Vec::with_capacity(mappings.len());
        for (index, (source, destination)) in mappings.iter().enumerate() {
            if let Some(mailbox) = existing.get(&source.to_lowercase()) {
                if !mailbox
                    .destination_address
                    .eq_ignore_ascii_case(destination)
                {
                    return Err(CoordinatorError::invalid(
                        format!("mailboxes[{index}].destination_address"),
                        format!(
                            "{source} already migrates to {}",
                            mailbox.destination_address
                        ),
                    ));
                }
            }
        }
        for (source, destination) in mappings {
            if let Some(mailbox) = existing.get(&source.to_lowercase()) {
                added.push(mailbox.clone());
                continue;
            }
            let mailbox = MailboxRecord {
                project_id: project.clone(),
                id: MailboxId(new_id()),
                source_address: source,
                destination_address: destination,
                state: MailboxState::NotStarted,
                pass_id: None,
                units_total: None,
                started_at: None,
                ended_at: None,
                failure: None,
            };
            self.store.put_mailbox(&mailbox).await?;
            added.push(mailbox);
        }
        self.cached_addresses().remove(project);
        Ok(added)
    }

    /// Every mailbox of a project.
    pub async fn mailboxes(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<MailboxRecord>, CoordinatorError> {
        self.project(project).await?;
        Ok(self.store.mailboxes(project).await?)
    }

    /// Starts a pass: records it, queues its mailboxes and plans them in the background.
    pub async fn start_pass(
        self: &Arc<Self>,
        new: NewPass,
    ) -> Result<PassRecord, CoordinatorError> {
        let project = self.project(&new.project).await?;
        let all = self.store.mailboxes(&project.id).await?;
        let selected: Vec<MailboxRecord> = if new.mailboxes.is_empty() {
            all
        } else {
            let by_id: HashMap<&MailboxId, &MailboxRecord> =
                all.iter().map(|mailbox| (&mailbox.id, mailbox)).collect();
            let mut selected = Vec::with_capacity(new.mailboxes.len());
            for (index, id) in new.mailboxes.iter().enumerate() {
                match by_id.get(id) {
                    Some(mailbox) => selected.push((*mailbox).clone()),
                    None => {
                        return Err(CoordinatorError::invalid(
                            format!("mailbox_ids[{index}]"),
                            format!("project {} has no mailbox {id}", project.id),
                        ))
                    }
                }
            }
            selected
        };
        if selected.is_empty() {
            return Err(CoordinatorError::FailedPrecondition(format!(
                "project {} has no mailboxes",
                project.id
            )));
        }
        if let Some(busy) = selected
            .iter()
            .find(|mailbox| matches!(mailbox.state, MailboxState::Queued | MailboxState::Running))
        {
            return Err(CoordinatorError::FailedPrecondition(format!(
                "mailbox {} ({}) is still in pass {}",
                busy.id,
                busy.source_address,
                busy.pass_id
                    .as_ref()
                    .map(|pass| pass.0.as_str())
                    .unwrap_or("?")
            )));
        }
        let pass = PassRecord {
            id: PassId(new_id()),
            project_id: project.id.clone(),
            kind: new.kind,
            mailbox_ids: selected.iter().map(|mailbox| mailbox.id.clone()).collect(),
            received_before: new.received_before,
            started_at: Utc::now(),
        };
        self.broker
            .declare(&unit_queue(&self.config.namespace, &project.id))
            .await?;
        self.store.put_pass(&pass).await?;
        self.remember_pass(pass.clone());
        for mailbox in &selected {
            let _guard = self.lock_mailbox(&mailbox.id).await;
            let mut record = self
                .store
                .mailbox(&project.id, &mailbox.id)
                .await?
                .unwrap_or_else(|| mailbox.clone());
            record.state = MailboxState::Queued;
            record.pass_id = Some(pass.id.clone());
            record.units_total = None;
            record.started_at = Some(pass.started_at);
            record.ended_at = None;
            record.failure = None;
            self.store.put_mailbox(&record).await?;
        }
        tracing::info!(project = %project.id, pass = %pass.id, kind = ?pass.kind, mailboxes = selected.len(), "pass started");
        for mailbox in &selected {
            self.clone()
                .spawn_planning(project.id.clone(), pass.id.clone(), mailbox.id.clone());
        }
        Ok(pass)
    }
}
