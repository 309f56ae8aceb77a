//! The worker's consumer loop: one subscription per project queue (each project's units wait in
//! their own queue, so one project's throttled tenant never holds up another's), units run as
//! tasks sharing `concurrency` slots, each under a lease so a redelivered unit is never worked on
//! twice at once. A unit's result is published (and confirmed by the broker) before its delivery
//! is acknowledged, so a crash at any point leads to redelivery, never to a lost unit.
//!
//! A worker holds more units than it has slots (`prefetch`), runs at most `units_per_mailbox`
//! of one destination mailbox, and sets further ones aside (republished with a delay, then
//! acknowledged), so its slots serve every mailbox whose import window has room rather than a
//! few paused ones. Over all workers, a unit runs only with a place at its source and its
//! destination mailbox ([`crate::mailbox_places`]), so no mailbox has more units running than
//! Exchange serves requests at once; a unit that finds no place is set aside the same way.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_core::broker::{Broker, Delivery};
use ferry_core::mail::{MailApi, MailApiFactory};
use ferry_core::model::{new_id, result_queue, unit_queue, ProjectId, ProjectRecord, UnitId};
use ferry_core::pacing::{Lane, Pacer, Slot};
use ferry_core::store::Store;
use ferry_proto::v1::{UnitResult, WorkUnit};
use prost::Message;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::byte_budget::ByteBudget;
use crate::config::WorkerConfig;
use crate::import_pacing::ImportPacing;
use crate::mailbox_places::{MailboxPlaces, MailboxSlots};
use crate::recipients::AddressBooks;
use crate::unit::{UnitJob, UnitStop};

/// A worker process's engine.
pub struct Worker {
    config: WorkerConfig,
    store: Arc<dyn Store>,
    broker: Arc<dyn Broker>,
    mail: Arc<dyn MailApiFactory>,
    pacer: Arc<Pacer>,
    slots: Arc<Semaphore>,
    budget: ByteBudget,
    import: ImportPacing,
    address_books: AddressBooks,
    /// Units running here, by destination mailbox.
    running: Arc<Mutex<HashMap<String, usize>>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("name", &self.config.name)
            .finish_non_exhaustive()
    }
}

/// Throttling pauses shorter than this are waited out by a unit; longer ones set it aside.
const SHORT_WAIT: Duration = Duration::from_secs(2);

/// How a unit attempt ended.
enum Outcome {
    /// Publish this result, then acknowledge.
    Finished(Box<UnitResult>),
    /// Put the unit back for a later attempt.
    Again,
    /// Set the unit aside for a while (its mailbox cannot take it now); not an attempt.
    SetAside(&'static str),
}

/// Where an attempt holding mailbox places got to: its outcome, or a retry after a back-off
/// (taken once the places are given back).
enum Step {
    Done(Outcome),
    Later { why: String, attempt: u64 },
}

impl Step {
    fn later(why: impl std::fmt::Display, attempt: u64) -> Step {
        Step::Later {
            why: why.to_string(),
            attempt,
        }
    }
}

/// A unit counted as running for its destination mailbox until dropped.
struct RunningUnit {
    running: Arc<Mutex<HashMap<String, usize>>>,
    mailbox: String,
}

impl Drop for RunningUnit {
    fn drop(&mut self) {
        let mut running = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = running.get_mut(&self.mailbox) {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.mailbox);
            }
        }
    }
}

impl Worker {
    /// A worker over these services.
    pub fn new(
        config: WorkerConfig,
        store: Arc<dyn Store>,
        broker: Arc<dyn Broker>,
        mail: Arc<dyn MailApiFactory>,
    ) -> Arc<Worker> {
        Arc::new(Worker {
            slots: Arc::new(Semaphore::new(config.concurrency.max(1))),
            budget: ByteBudget::new(config.max_bytes_in_flight),
            import: ImportPacing::new(store.clone()),
            // Tenant request rates are shared with every other worker and the coordinator.
            pacer: Pacer::shared(store.clone()),
            running: Arc::default(),
            config,
            store,
            broker,
            mail,
            address_books: AddressBooks::default(),
        })
    }

    /// Serves every project's unit queue until `shutdown`, then lets running units finish
    /// within the grace period.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        if let Err(error) = self
            .broker
            .declare(&result_queue(&self.config.namespace))
            .await
        {
            tracing::warn!(%error, "could not declare the result queue yet");
        }
        let mut consumers: HashMap<ProjectId, tokio::task::JoinHandle<()>> = HashMap::new();
        tracing::info!(worker = %self.config.name, concurrency = self.config.concurrency, "worker started");
        loop {
            match self.store.projects().await {
                Ok(projects) => {
                    for project in projects {
                        if let std::collections::hash_map::Entry::Vacant(entry) =
                            consumers.entry(project.id)
                        {
                            let consumer =
                                self.clone().consume(entry.key().clone(), shutdown.clone());
                            entry.insert(tokio::spawn(consumer));
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "could not list projects"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(self.config.project_refresh) => {}
            }
        }
        for (_, consumer) in consumers {
            let _ = consumer.await;
        }
        tracing::info!(worker = %self.config.name, "worker stopped");
    }

    /// Consumes one project's unit queue, resubscribing after broker failures.
    async fn consume(self: Arc<Self>, project: ProjectId, shutdown: CancellationToken) {
        let queue = unit_queue(&self.config.namespace, &project);
        let concurrency = u16::try_from(self.config.concurrency).unwrap_or(u16::MAX);
        let prefetch = self.config.prefetch.max(concurrency).max(1);
        let mut running = JoinSet::new();
        while !shutdown.is_cancelled() {
            let mut subscription = match self.broker.subscribe(&queue, prefetch).await {
                Ok(subscription) => subscription,
                Err(error) => {
                    tracing::warn!(%queue, %error, "could not subscribe; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                    }
                }
            };
            loop {
                let next = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    next = subscription.next() => next,
                    // Reap finished tasks so the set does not grow.
                    Some(_) = running.join_next(), if !running.is_empty() => continue,
                };
                match next {
                    Ok(Some(delivery)) => {
                        running.spawn(self.clone().handle(delivery, shutdown.clone()));
                    }
                    Ok(None) => break,
                    Err(error) => {
                        tracing::warn!(%queue, %error, "subscription failed; resubscribing");
                        break;
                    }
                }
            }
            if shutdown.is_cancelled() {
                // Keep the subscription (and so the deliveries) alive while units finish.
                let finish = async { while running.join_next().await.is_some() {} };
                if tokio::time::timeout(self.config.shutdown_grace, finish)
                    .await
                    .is_err()
                {
                    tracing::warn!(%queue, "units still running after the grace period; they will be redelivered");
                    running.abort_all();
                }
                break;
            }
        }
    }

    /// Takes one delivery to its end: acknowledged after its result is published, or returned.
    async fn handle(self: Arc<Self>, delivery: Delivery, shutdown: CancellationToken) {
        let unit = match WorkUnit::decode(&delivery.payload[..]) {
            Ok(unit) => unit,
            Err(error) => {
                // It can never be processed; keeping it would block the queue forever.
                tracing::error!(%error, bytes = delivery.payload.len(), "dropping a message that is not a work unit");
                let _ = delivery.ack().await;
                return;
            }
        };
        let lease = format!("unit:{}", unit.unit_id);
        let holder = format!("{}:{}", self.config.name, new_id());
        // Checked again once the unit has its lease; this first look costs no round trip.
        if self.mailbox_is_busy(&unit.destination_address) {
            self.set_aside(&unit, delivery, "mailbox runs enough units here")
                .await;
            return;
        }
        let outcome = self
            .leased_attempt(&unit, delivery.redelivered, &lease, &holder, &shutdown)
            .await;
        self.conclude(unit, delivery, outcome, &lease, &holder)
            .await;
    }

    /// Takes the unit's lease and makes an attempt under it.
    async fn leased_attempt(
        self: &Arc<Self>,
        unit: &WorkUnit,
        redelivered: bool,
        lease: &str,
        holder: &str,
        shutdown: &CancellationToken,
    ) -> Outcome {
        match self.take_lease(lease, holder, shutdown).await {
            None => Outcome::Again,
            Some(()) => {
                let lost = CancellationToken::new();
                let renewal = tokio::spawn(self.clone().renew(
                    lease.to_string(),
                    holder.to_string(),
                    lost.clone(),
                ));
                let outcome = tokio::select! {
                    outcome = self.attempt(unit, redelivered, holder) => outcome,
                    _ = lost.cancelled() => {
                        tracing::warn!(unit = %unit.unit_id, "lost the unit's lease; leaving it to its new holder");
                        Outcome::Again
                    }
                };
                renewal.abort();
                outcome
            }
        }
    }

    /// Ends a delivery as its attempt says: result published then acknowledged, returned to
    /// the queue, or set aside.
    async fn conclude(
        &self,
        unit: WorkUnit,
        delivery: Delivery,
        outcome: Outcome,
        lease: &str,
        holder: &str,
    ) {
        match outcome {
            Outcome::Finished(result) => match self
                .broker
                .publish(
                    &result_queue(&self.config.namespace),
                    &result.encode_to_vec(),
                )
                .await
            {
                Ok(()) => {
                    let _ = self.store.release_lease(lease, holder).await;
                    if let Err(error) = delivery.ack().await {
                        // The unit comes back; its items are recorded, so it finishes at once.
                        tracing::warn!(unit = %unit.unit_id, %error, "could not acknowledge");
                    }
                }
                Err(error) => {
                    tracing::warn!(unit = %unit.unit_id, %error, "could not publish the result; the unit goes back");
                    let _ = self.store.release_lease(lease, holder).await;
                    let _ = delivery.nack(true).await;
                }
            },
            Outcome::Again => {
                let _ = self.store.release_lease(lease, holder).await;
                let _ = delivery.nack(true).await;
            }
            Outcome::SetAside(why) => {
                let _ = self.store.release_lease(lease, holder).await;
                self.set_aside(&unit, delivery, why).await;
            }
        }
    }

    /// Republishes the unit to come back after `defer_delay`, then acknowledges this delivery.
    async fn set_aside(&self, unit: &WorkUnit, delivery: Delivery, why: &'static str) {
        let queue = unit_queue(&self.config.namespace, &ProjectId(unit.project_id.clone()));
        match self
            .broker
            .publish_later(&queue, &delivery.payload, self.config.defer_delay)
            .await
        {
            Ok(()) => {
                if delivery.redelivered {
                    // Worth seeing: a unit coming back from a crashed worker or a lost
                    // connection, about to lose its redelivery mark by being republished.
                    tracing::info!(unit = %unit.unit_id, why, redelivered = true, "unit set aside");
                } else {
                    tracing::debug!(unit = %unit.unit_id, why, "unit set aside");
                }
                if let Err(error) = delivery.ack().await {
                    // Both copies come back; the lease and the migrated set make the second a
                    // no-op.
                    tracing::warn!(unit = %unit.unit_id, %error, "could not acknowledge a unit set aside");
                }
            }
            Err(error) => {
                tracing::warn!(unit = %unit.unit_id, %error, "could not set the unit aside; it goes back");
                tokio::time::sleep(self.config.defer_delay).await;
                let _ = delivery.nack(true).await;
            }
        }
    }

    /// Waits for the unit's lease (another worker may be finishing it); `None` on shutdown.
    async fn take_lease(
        &self,
        lease: &str,
        holder: &str,
        shutdown: &CancellationToken,
    ) -> Option<()> {
        loop {
            match self
                .store
                .try_lease(lease, holder, self.config.lease_ttl)
                .await
            {
                Ok(true) => return Some(()),
                Ok(false) => tracing::debug!(%lease, "unit leased by another worker; waiting"),
                Err(error) => tracing::warn!(%lease, %error, "could not take the lease"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Renews a lease until aborted; cancels `lost` if another holder took it.
    async fn renew(self: Arc<Self>, lease: String, holder: String, lost: CancellationToken) {
        let period = self.config.lease_ttl / 3;
        loop {
            tokio::time::sleep(period).await;
            match self
                .store
                .try_lease(&lease, &holder, self.config.lease_ttl)
                .await
            {
                Ok(true) => {}
                Ok(false) => {
                    lost.cancel();
                    return;
                }
                Err(error) => tracing::warn!(%lease, %error, "could not renew the lease"),
            }
        }
    }

    /// One attempt at a unit, holding its lease.
    async fn attempt(&self, unit: &WorkUnit, redelivered: bool, holder: &str) -> Outcome {
        let project = match self
            .store
            .project(&ProjectId(unit.project_id.clone()))
            .await
        {
            Ok(Some(project)) => project,
            Ok(None) => {
                let result = UnitJob::failed_result(
                    unit,
                    &self.config.name,
                    "project_not_found",
                    "the project no longer exists",
                );
                return Outcome::Finished(Box::new(result));
            }
            Err(error) => return self.later(unit, &error.to_string(), 1).await,
        };
        let _running = match self.start_running(&project, unit) {
            Ok(running) => running,
            Err(why) => return Outcome::SetAside(why),
        };
        let (source, destination) = match (
            self.mail.connect(&project.source),
            self.mail.connect(&project.destination),
        ) {
            (Ok(source), Ok(destination)) => (source, destination),
            (Err(error), _) | (_, Err(error)) => {
                let result = UnitJob::failed_result(
                    unit,
                    &self.config.name,
                    &error.code(),
                    &error.to_string(),
                );
                return Outcome::Finished(Box::new(result));
            }
        };
        let slot = Slot::acquire(self.slots.clone()).await;
        // Taken with the worker's slot held, so only units about to call hold mailbox places;
        // before the attempt is counted, since a unit set aside has not been tried.
        let mailbox_slots = vec![
            MailboxSlots::of(
                &project.source.tenant_key(),
                &unit.source_address,
                &source.capabilities(),
            ),
            MailboxSlots::of(
                &project.destination.tenant_key(),
                &unit.destination_address,
                &destination.capabilities(),
            ),
        ];
        let places = match MailboxPlaces::take(
            self.store.clone(),
            holder,
            mailbox_slots,
            self.config.lease_ttl,
        )
        .await
        {
            Ok(Some(places)) => places,
            Ok(None) => {
                return Outcome::SetAside("mailbox runs its limit of units over all workers")
            }
            Err(error) => {
                drop(slot);
                return self.later(unit, &error.to_string(), 1).await;
            }
        };
        let step = self
            .attempt_in_place(unit, redelivered, &project, (source, destination), slot)
            .await;
        // Given back before a retry's back-off, so the mailboxes serve other units meanwhile.
        places.release().await;
        match step {
            Step::Done(outcome) => outcome,
            Step::Later { why, attempt } => self.later(unit, &why, attempt).await,
        }
    }

    /// The attempt proper, holding the worker's slot and the unit's mailbox places.
    async fn attempt_in_place(
        &self,
        unit: &WorkUnit,
        redelivered: bool,
        project: &ProjectRecord,
        (source, destination): (Arc<dyn MailApi>, Arc<dyn MailApi>),
        slot: Slot,
    ) -> Step {
        let unit_id = UnitId(unit.unit_id.clone());
        let attempt = match self.store.unit_attempt(&unit_id).await {
            Ok(attempt) => attempt,
            Err(error) => return Step::later(error, 1),
        };
        if attempt > self.config.max_unit_attempts {
            let message = format!("gave up after {} attempts", self.config.max_unit_attempts);
            tracing::error!(unit = %unit.unit_id, "{message}");
            return Step::Done(Outcome::Finished(Box::new(UnitJob::failed_result(
                unit,
                &self.config.name,
                "unit_attempts_exhausted",
                &message,
            ))));
        }
        let addresses = match self
            .address_books
            .for_project(self.store.as_ref(), project)
            .await
        {
            Ok(addresses) => addresses,
            Err(error) => return Step::later(error, attempt),
        };
        tracing::info!(unit = %unit.unit_id, mailbox = %unit.source_address, folder = %unit.folder_path, attempt, redelivered, "unit started");
        let (mut source_lane, mut destination_lane) = self.lanes(project, unit, slot);
        let job = UnitJob {
            unit,
            project,
            store: self.store.as_ref(),
            source,
            destination,
            source_lane: &mut source_lane,
            destination_lane: &mut destination_lane,
            max_item_attempts: self.config.max_item_attempts,
            max_item_bytes: self.config.max_item_bytes,
            worker: &self.config.name,
            budget: &self.budget,
            import: &self.import,
            addresses,
        };
        match job.run().await {
            Ok(result) => {
                tracing::info!(
                    unit = %unit.unit_id,
                    copied = result.items_copied,
                    present = result.items_already_present,
                    errors = result.errors.len(),
                    "unit finished"
                );
                Step::Done(Outcome::Finished(Box::new(result)))
            }
            Err(UnitStop::Retryable(error)) => Step::later(error, attempt),
            Err(UnitStop::Store(error)) => Step::later(error, attempt),
        }
    }

    /// Counts the unit as running for its destination mailbox, unless the mailbox cannot take
    /// it now: it runs `units_per_mailbox` units here already, or it (or the source mailbox) is
    /// paused by throttling for more than a short wait. Then the reason, and the unit is set
    /// aside so its delivery serves another mailbox. (A unit whose import window is full runs
    /// and waits for room without a slot: the window reopens at a time known to the
    /// millisecond, and a unit set aside could only come back later than that.)
    fn start_running(
        &self,
        project: &ProjectRecord,
        unit: &WorkUnit,
    ) -> Result<RunningUnit, &'static str> {
        let soon = tokio::time::Instant::now() + SHORT_WAIT;
        let destination_tenant = project.destination.tenant_key();
        let paused = |tenant: &str, mailbox: &str| {
            self.pacer
                .paused_until(tenant, mailbox)
                .is_some_and(|until| until > soon)
        };
        if paused(&project.source.tenant_key(), &unit.source_address) {
            return Err("source mailbox throttled");
        }
        if paused(&destination_tenant, &unit.destination_address) {
            return Err("destination mailbox throttled");
        }
        let mailbox = unit.destination_address.to_ascii_lowercase();
        let mut running = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = running.entry(mailbox.clone()).or_default();
        if *count >= self.config.units_per_mailbox.max(1) {
            return Err("mailbox runs enough units here");
        }
        *count += 1;
        Ok(RunningUnit {
            running: self.running.clone(),
            mailbox,
        })
    }

    /// Whether the destination mailbox runs `units_per_mailbox` units here already.
    fn mailbox_is_busy(&self, destination: &str) -> bool {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        running
            .get(&destination.to_ascii_lowercase())
            .is_some_and(|count| *count >= self.config.units_per_mailbox.max(1))
    }

    /// The source and destination lanes of a unit; they share the unit's concurrency slot.
    fn lanes(&self, project: &ProjectRecord, unit: &WorkUnit, slot: Slot) -> (Lane, Lane) {
        let rate = project.options.requests_per_second;
        let source = Lane::new(
            self.pacer.clone(),
            &project.source.tenant_key(),
            &unit.source_address,
            rate,
            self.config.retry.clone(),
        )
        .with_slot(slot.clone());
        let destination = Lane::new(
            self.pacer.clone(),
            &project.destination.tenant_key(),
            &unit.destination_address,
            rate,
            self.config.retry.clone(),
        )
        .with_slot(slot);
        (source, destination)
    }

    /// Backs off before the unit goes back to the queue, longer after each attempt.
    async fn later(&self, unit: &WorkUnit, why: &str, attempt: u64) -> Outcome {
        let delay = Duration::from_secs(2u64.saturating_pow(attempt.min(6) as u32))
            .min(Duration::from_secs(60));
        tracing::warn!(unit = %unit.unit_id, %why, ?delay, "unit will be tried again");
        tokio::time::sleep(delay).await;
        Outcome::Again
    }
}
