//! Planning a mailbox for a pass: map its folders (creating missing ones at the destination),
//! copy permissions and rules, list each folder's items in the pass's scope, split large folders
//! into ranges, and publish one work unit per range.
//!
//! The plan is kept in the store before any unit is published, and unit ids derive from what the
//! units cover, so planning again after a crash publishes the same units, never overlapping ones.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ferry_core::mail::{MailError, ReceivedRange, RequestSizes};
use ferry_core::model::{
    counter, Counters, ItemErrorRecord, MailboxId, MailboxRecord, MailboxState, PassId, PassKind,
    PassRecord, ProjectId, ProjectRecord, UnitId,
};
use ferry_core::pacing::{Lane, Repeat};
use ferry_core::store::CounterKey;
use ferry_core::units::{decode_plan, encode_plan, set_unit_range, unit_id};
use ferry_proto::v1::{Plan, WorkUnit};
use prost::Message;
use tokio::time::Instant;

use crate::coordinator::Coordinator;
use crate::error::CoordinatorError;
use crate::extras::ExtrasCopier;
use crate::folders::FolderMapper;
use crate::split::split_folder;

/// Why planning stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanError {
    /// The mailbox cannot be migrated (no such mailbox, no access).
    #[error("{0}")]
    Mailbox(MailError),
    /// Something that may pass; plan again later.
    #[error("{0}")]
    Later(String),
}

impl From<CoordinatorError> for PlanError {
    fn from(error: CoordinatorError) -> PlanError {
        PlanError::Later(error.to_string())
    }
}

impl From<ferry_core::store::StoreError> for PlanError {
    fn from(error: ferry_core::store::StoreError) -> PlanError {
        PlanError::Later(error.to_string())
    }
}

impl From<MailError> for PlanError {
    fn from(error: MailError) -> PlanError {
        if error.is_retryable() {
            PlanError::Later(error.to_string())
        } else {
            PlanError::Mailbox(error)
        }
    }
}

/// How long a planning lease lasts without renewal.
const PLAN_LEASE_TTL: Duration = Duration::from_secs(60);

/// Units published per store update of the published set.
const PUBLISH_CHUNK: usize = 25;

impl Coordinator {
    /// Plans a mailbox in the background, unless this process is planning it already or a failed
    /// attempt is still backing off.
    pub(crate) fn spawn_planning(
        self: Arc<Self>,
        project: ProjectId,
        pass: PassId,
        mailbox: MailboxId,
    ) {
        let key = (pass.clone(), mailbox.clone());
        {
            let mut book = self
                .planning
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if book.running.contains(&key)
                || book
                    .retry_at
                    .get(&key)
                    .is_some_and(|(at, _)| *at > Instant::now())
            {
                return;
            }
            book.running.insert(key.clone());
        }
        tokio::spawn(async move {
            let outcome = match self.planning_slots.clone().acquire_owned().await {
                Ok(_slot) => self.plan_mailbox(&project, &pass, &mailbox).await,
                Err(_) => Err(PlanError::Later("shutting down".into())),
            };
            let failure = match outcome {
                Ok(()) => None,
                Err(PlanError::Mailbox(error)) => {
                    tracing::warn!(%mailbox, %error, "mailbox cannot be migrated");
                    if let Err(error) = self.fail_mailbox(&project, &pass, &mailbox, &error).await {
                        tracing::warn!(%mailbox, %error, "could not record the failure");
                    }
                    None
                }
                Err(PlanError::Later(why)) => Some(why),
            };
            let mut book = self
                .planning
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            book.running.remove(&key);
            match failure {
                None => {
                    book.retry_at.remove(&key);
                }
                Some(why) => {
                    let failures = book.retry_at.get(&key).map_or(0, |(_, failures)| *failures) + 1;
                    let delay = Duration::from_secs(2u64.saturating_pow(failures.min(7)));
                    tracing::warn!(%mailbox, %why, ?delay, "planning will be tried again");
                    book.retry_at
                        .insert(key, (Instant::now() + delay, failures));
                }
            }
        });
    }

    /// Marks a mailbox failed for a pass.
    async fn fail_mailbox(
        &self,
        project: &ProjectId,
        pass: &PassId,
        mailbox: &MailboxId,
        error: &MailError,
    ) -> Result<(), CoordinatorError> {
        let _guard = self.lock_mailbox(mailbox).await;
        let Some(mut record) = self.store.mailbox(project, mailbox).await? else {
            return Ok(());
        };
        if record.pass_id.as_ref() != Some(pass) || record.state.is_terminal() {
            return Ok(());
        }
        record.state = MailboxState::Failed;
        record.failure = Some(format!("{}: {error}", error.code()));
        record.ended_at = Some(Utc::now());
        self.store.put_mailbox(&record).await?;
        Ok(())
    }

    /// Plans one mailbox and publishes its units.
    async fn plan_mailbox(
        &self,
        project_id: &ProjectId,
        pass_id: &PassId,
        mailbox_id: &MailboxId,
    ) -> Result<(), PlanError> {
        // Two coordinators must never plan the same mailbox: their plans could differ.
        let lease = format!("plan:{pass_id}:{mailbox_id}");
        let holder = format!("{}:{}", self.config.name, ferry_core::model::new_id());
        if !self
            .store
            .try_lease(&lease, &holder, PLAN_LEASE_TTL)
            .await?
        {
            return Err(PlanError::Later(
                "another process is planning this mailbox".into(),
            ));
        }
        let store = self.store.clone();
        let (renewed_lease, renewed_holder) = (lease.clone(), holder.clone());
        let renewal = tokio::spawn(async move {
            loop {
                tokio::time::sleep(PLAN_LEASE_TTL / 3).await;
                if let Err(error) = store
                    .try_lease(&renewed_lease, &renewed_holder, PLAN_LEASE_TTL)
                    .await
                {
                    tracing::warn!(%error, "could not renew a planning lease");
                }
            }
        });
        let outcome = self.plan_with_lease(project_id, pass_id, mailbox_id).await;
        renewal.abort();
        let _ = self.store.release_lease(&lease, &holder).await;
        outcome
    }

    async fn plan_with_lease(
        &self,
        project_id: &ProjectId,
        pass_id: &PassId,
        mailbox_id: &MailboxId,
    ) -> Result<(), PlanError> {
        let project = self.project(project_id).await?;
        let pass = self
            .pass_record(project_id, pass_id)
            .await?
            .ok_or_else(|| PlanError::Later(format!("pass {pass_id} is not recorded")))?;
        let Some(mailbox) = self.store.mailbox(project_id, mailbox_id).await? else {
            return Ok(());
        };
        if mailbox.pass_id.as_ref() != Some(pass_id) || mailbox.state.is_terminal() {
            return Ok(());
        }
        let key = CounterKey {
            project: project.id.clone(),
            mailbox: mailbox.id.clone(),
            pass: pass.id.clone(),
        };
        let plan = match self.store.plan(pass_id, mailbox_id).await? {
            Some(bytes) => decode_plan(&bytes)
                .map_err(|error| PlanError::Later(format!("unreadable plan: {error}")))?,
            None => {
                let started = Instant::now();
                let (plan, errors) = self.build_plan(&project, &pass, &mailbox).await?;
                // Errors first: if the process dies before the plan is kept, they are logged
                // twice rather than not at all.
                if !errors.is_empty() {
                    let mut deltas = Counters::default();
                    for error in &errors {
                        deltas.add(&format!("{}{}", counter::ERRORS_PREFIX, error.code), 1);
                    }
                    self.store
                        .append_errors(&project.id, &mailbox.id, &errors)
                        .await?;
                    self.store.add_counters(&key, &deltas).await?;
                }
                self.store
                    .put_plan(pass_id, mailbox_id, &encode_plan(&plan))
                    .await?;
                tracing::info!(
                    mailbox = %mailbox.source_address,
                    units = plan.units.len(),
                    folders = plan.folders_total,
                    created = plan.folders_created,
                    took = ?started.elapsed(),
                    "mailbox planned"
                );
                plan
            }
        };

        let mut facts = Counters::default();
        facts.add(
            counter::ITEMS_PLANNED,
            plan.units.iter().map(|unit| unit.planned_items).sum(),
        );
        facts.add(
            counter::BYTES_PLANNED,
            plan.units.iter().map(|unit| unit.planned_bytes).sum(),
        );
        facts.add(counter::UNITS_TOTAL, plan.units.len() as u64);
        facts.add(counter::FOLDERS_TOTAL, plan.folders_total);
        facts.add(counter::FOLDERS_CREATED, plan.folders_created);
        facts.add(counter::PLANNING_ERRORS, plan.planning_errors);
        facts.add(counter::MAILBOXES_PLANNED, 1);
        self.store.set_counters(&key, &facts).await?;
        {
            let _guard = self.lock_mailbox(mailbox_id).await;
            if let Some(mut record) = self.store.mailbox(project_id, mailbox_id).await? {
                if record.pass_id.as_ref() == Some(pass_id) && !record.state.is_terminal() {
                    record.units_total = Some(plan.units.len() as u64);
                    self.store.put_mailbox(&record).await?;
                }
            }
        }
        self.publish(&project, &pass, mailbox_id, &plan.units)
            .await?;
        self.settle_mailbox(&key).await?;
        Ok(())
    }

    /// Publishes the units not yet published.
    async fn publish(
        &self,
        project: &ProjectRecord,
        pass: &PassRecord,
        mailbox: &MailboxId,
        units: &[WorkUnit],
    ) -> Result<(), PlanError> {
        let published = self.store.published_units(&pass.id, mailbox).await?;
        let queue = ferry_core::model::unit_queue(&self.config.namespace, &project.id);
        let waiting: Vec<&WorkUnit> = units
            .iter()
            .filter(|unit| !published.contains(&UnitId(unit.unit_id.clone())))
            .collect();
        for chunk in waiting.chunks(PUBLISH_CHUNK) {
            for unit in chunk {
                self.broker
                    .publish(&queue, &unit.encode_to_vec())
                    .await
                    .map_err(|error| PlanError::Later(error.to_string()))?;
            }
            let ids: Vec<UnitId> = chunk
                .iter()
                .map(|unit| UnitId(unit.unit_id.clone()))
                .collect();
            self.store
                .record_published_units(&pass.id, mailbox, &ids)
                .await?;
        }
        Ok(())
    }

    /// Builds a mailbox's plan, with the errors met (folders, permissions, rules).
    async fn build_plan(
        &self,
        project: &ProjectRecord,
        pass: &PassRecord,
        mailbox: &MailboxRecord,
    ) -> Result<(Plan, Vec<ItemErrorRecord>), PlanError> {
        let source = self.mail.connect(&project.source)?;
        let destination = self.mail.connect(&project.destination)?;
        let rate = project.options.requests_per_second;
        let mut source_lane = Lane::new(
            self.pacer.clone(),
            &project.source.tenant_key(),
            &mailbox.source_address,
            rate,
            self.config.retry.clone(),
        );
        let mut destination_lane = Lane::new(
            self.pacer.clone(),
            &project.destination.tenant_key(),
            &mailbox.destination_address,
            rate,
            self.config.retry.clone(),
        );

        let mapping = FolderMapper {
            source: source.as_ref(),
            destination: destination.as_ref(),
            source_lane: &mut source_lane,
            destination_lane: &mut destination_lane,
            source_address: &mailbox.source_address,
            destination_address: &mailbox.destination_address,
        }
        .map()
        .await?;

        let error = |path: &str, code: String, message: String| ItemErrorRecord {
            source_item_id: String::new(),
            folder_path: path.to_string(),
            code,
            message,
            subject: String::new(),
            item_class: String::new(),
            size: 0,
            pass_id: pass.id.clone(),
            at: Utc::now(),
        };
        let mut errors: Vec<ItemErrorRecord> = mapping
            .skipped
            .iter()
            .map(|(pair, problem)| {
                let message = format!(
                    "the folder and its {} items were not migrated: {problem}",
                    pair.source.item_count
                );
                error(&pair.path, problem.code(), message)
            })
            .collect();

        let scope = match pass.kind {
            PassKind::Full => ReceivedRange::default(),
            PassKind::PreStage => ReceivedRange {
                from: None,
                before: pass.received_before,
            },
        };
        let mut units = Vec::new();
        for pair in mapping
            .pairs
            .iter()
            .filter(|pair| pair.source.item_count > 0)
        {
            let folder = &pair.source.id;
            // The listing's pages: as many as the folder's count needs paced before the call,
            // and any more it turned out to hold, after it.
            let per_page = source.capabilities().requests.listing;
            let expected = RequestSizes::requests(per_page, pair.source.item_count as usize);
            let listed = source_lane
                .call_sending(expected, Repeat::Safe, || {
                    source.items(&mailbox.source_address, folder, scope)
                })
                .await;
            let items = match listed {
                Ok(items) => {
                    let pages = RequestSizes::requests(per_page, items.len());
                    source_lane.take_turns(pages.saturating_sub(expected)).await;
                    items
                }
                Err(problem) if problem.is_retryable() => {
                    return Err(PlanError::Later(problem.to_string()))
                }
                Err(problem) => {
                    let message = format!("the folder's items could not be listed: {problem}");
                    errors.push(error(&pair.path, problem.code(), message));
                    continue;
                }
            };
            for chunk in split_folder(&items, scope, project.options.unit_items as usize) {
                if chunk.items == 0 {
                    continue;
                }
                let mut unit = WorkUnit {
                    unit_id: unit_id(&pass.id, &mailbox.id, folder.as_str(), chunk.range).0,
                    project_id: project.id.0.clone(),
                    pass_id: pass.id.0.clone(),
                    mailbox_id: mailbox.id.0.clone(),
                    source_address: mailbox.source_address.clone(),
                    destination_address: mailbox.destination_address.clone(),
                    source_folder_id: pair.source.id.0.clone(),
                    destination_folder_id: pair.destination.id.0.clone(),
                    folder_path: pair.path.clone(),
                    folder_class: pair.source.folder_class.clone(),
                    planned_items: chunk.items,
                    planned_bytes: chunk.bytes,
                    ..WorkUnit::default()
                };
                set_unit_range(&mut unit, chunk.range);
                units.push(unit);
            }
        }

        let addresses = self.project_addresses(project).await?;
        let mut extras = ExtrasCopier {
            source: source.as_ref(),
            destination: destination.as_ref(),
            source_lane: &mut source_lane,
            destination_lane: &mut destination_lane,
            source_address: &mailbox.source_address,
            destination_address: &mailbox.destination_address,
            addresses: &addresses,
            pass: &pass.id,
        };
        if !project.options.skip_permissions {
            errors.extend(extras.copy_permissions(&mapping.pairs).await);
        }
        if !project.options.skip_rules {
            errors.extend(extras.copy_rules(&mapping.ids()).await);
        }

        let plan = Plan {
            units,
            folders_total: (mapping.pairs.len() + mapping.skipped.len()) as u64,
            folders_created: mapping.created,
            planning_errors: errors.len() as u64,
        };
        Ok((plan, errors))
    }
}
