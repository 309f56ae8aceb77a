//! Copying one work unit: list the unit's source items, skip those already migrated, settle what
//! an earlier attempt left half done, then export and upload the rest batch by batch, recording
//! every copy the moment it exists.
//!
//! Exactly once, under Exchange's rules (an upload returns a new id; a crash can fall anywhere):
//! 1. before a batch is uploaded, its keys are recorded as upload intents ("pending");
//! 2. each item's export data is stamped with its source item's key (a named property written
//!    into the stream, see [`crate::outbound`]) before upload, so every copy carries its key
//!    from the moment it exists;
//! 3. each copy is recorded as migrated, atomically with its counters and the end of its intent;
//! 4. an attempt that finds intents left over (a crash, or an upload whose reply was lost) looks
//!    at the destination folder: a copy carrying the key is recorded instead of uploaded again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ferry_core::mail::{
    ExportData, FolderId, ItemId, ListedItem, MailApi, MailError, RequestSizes, ThrottleScope,
};
use ferry_core::model::{
    ItemErrorRecord, ItemKey, MailboxId, PassId, ProjectId, ProjectRecord, UnitId,
};
use ferry_core::pacing::{Lane, Repeat};

use crate::byte_budget::ByteBudget;
use crate::import_pacing::ImportPacing;
use ferry_core::store::{CounterKey, MigratedCommit, MigratedItem, Store, StoreError};
use ferry_core::units::unit_range;
use ferry_core::wire::item_error_to_proto;
use ferry_proto::v1::{UnitResult, WorkUnit};

use crate::batch::batches;
use crate::outbound::{AddressMapper, OutboundItem};
use crate::recipients::ProjectAddresses;

/// Why a unit stopped before it was done.
#[derive(Debug, thiserror::Error)]
pub enum UnitStop {
    /// The store failed; try the unit again later.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A failure that may pass (the source or destination unreachable for now).
    #[error("retryable failure: {0}")]
    Retryable(MailError),
}

/// A source item to copy, with its key.
#[derive(Debug, Clone, Copy)]
struct Candidate<'a> {
    item: &'a ListedItem,
    key: ItemKey,
}

/// One attempt at one unit.
pub struct UnitJob<'a> {
    /// The unit.
    pub unit: &'a WorkUnit,
    /// Its project.
    pub project: &'a ProjectRecord,
    /// The store.
    pub store: &'a dyn Store,
    /// The source tenant.
    pub source: Arc<dyn MailApi>,
    /// The destination tenant.
    pub destination: Arc<dyn MailApi>,
    /// Calls to the source mailbox.
    pub source_lane: &'a mut Lane,
    /// Calls to the destination mailbox.
    pub destination_lane: &'a mut Lane,
    /// Rounds an item gets (export and upload) before it is logged as failed.
    pub max_item_attempts: u32,
    /// Items larger than this are logged as too large without being exported.
    pub max_item_bytes: u64,
    /// This worker's name, for the result.
    pub worker: &'a str,
    /// The bytes the worker's units may hold at once.
    pub budget: &'a ByteBudget,
    /// The destination mailboxes' import windows.
    pub import: &'a ImportPacing,
    /// The project's recipient mapping, when it maps item addresses.
    pub addresses: Option<Arc<ProjectAddresses>>,
}

impl UnitJob<'_> {
    fn counter_key(&self) -> CounterKey {
        CounterKey {
            project: ProjectId(self.unit.project_id.clone()),
            mailbox: MailboxId(self.unit.mailbox_id.clone()),
            pass: PassId(self.unit.pass_id.clone()),
        }
    }

    fn unit_id(&self) -> UnitId {
        UnitId(self.unit.unit_id.clone())
    }

    /// A result carrying nothing but the unit's identity.
    pub fn empty_result(unit: &WorkUnit, worker: &str) -> UnitResult {
        UnitResult {
            unit_id: unit.unit_id.clone(),
            project_id: unit.project_id.clone(),
            pass_id: unit.pass_id.clone(),
            mailbox_id: unit.mailbox_id.clone(),
            folder_path: unit.folder_path.clone(),
            worker: worker.to_string(),
            ..UnitResult::default()
        }
    }

    /// The result of a unit that could not be done at all.
    pub fn failed_result(unit: &WorkUnit, worker: &str, code: &str, message: &str) -> UnitResult {
        let mut result = UnitJob::empty_result(unit, worker);
        result.failed = true;
        result.failure = format!("{code}: {message}");
        result.errors.push(item_error_to_proto(&ItemErrorRecord {
            source_item_id: String::new(),
            folder_path: unit.folder_path.clone(),
            code: code.to_string(),
            message: format!("the folder could not be migrated: {message}"),
            subject: String::new(),
            item_class: String::new(),
            size: 0,
            pass_id: PassId(unit.pass_id.clone()),
            at: Utc::now(),
        }));
        result
    }

    /// Runs the unit to its result.
    pub async fn run(mut self) -> Result<UnitResult, UnitStop> {
        let source = self.source.clone();
        let folder = FolderId::new(self.unit.source_folder_id.clone());
        let (mailbox, folder, range) = (&self.unit.source_address, &folder, unit_range(self.unit));
        // The listing's pages: as many as the plan's count needs paced before the call, and any
        // more the range turned out to hold, after it.
        let per_page = source.capabilities().requests.listing;
        let expected = RequestSizes::requests(per_page, self.unit.planned_items as usize);
        let listed = self
            .source_lane
            .call_sending(expected, Repeat::Safe, || {
                source.items(mailbox, folder, range)
            })
            .await;
        let items = match listed {
            Ok(items) => {
                let pages = RequestSizes::requests(per_page, items.len());
                self.source_lane
                    .take_turns(pages.saturating_sub(expected))
                    .await;
                items
            }
            Err(error) if error.is_retryable() => return Err(UnitStop::Retryable(error)),
            Err(error) => {
                let mut result = UnitJob::failed_result(
                    self.unit,
                    self.worker,
                    &error.code(),
                    &error.to_string(),
                );
                result.throttle_events = self.throttle_events();
                return Ok(result);
            }
        };

        let mut errors = Vec::new();
        let todo = self.not_yet_migrated(&items).await?;
        let todo = self.settle_leftovers(todo).await?;
        let (todo, oversize): (Vec<_>, Vec<_>) = todo
            .into_iter()
            .partition(|candidate| candidate.item.size <= self.max_item_bytes);
        for candidate in &oversize {
            let error = MailError::ItemTooLarge(format!(
                "the item is {} bytes; Exchange Online takes at most {} bytes through EWS",
                candidate.item.size, self.max_item_bytes
            ));
            errors.push(self.item_error(candidate, &error));
        }
        let options = &self.project.options;
        for batch in batches(
            &todo,
            |candidate| candidate.item.size,
            options.batch_items as usize,
            options.batch_bytes,
        ) {
            self.copy_batch(batch, &mut errors).await?;
        }

        let copied = self
            .store
            .unit_copied(&self.counter_key().pass, &self.unit_id())
            .await?;
        let failed = errors.len() as u64;
        let mut result = UnitJob::empty_result(self.unit, self.worker);
        result.items_seen = items.len() as u64;
        result.items_copied = copied.items;
        result.bytes_copied = copied.bytes;
        result.items_already_present = (items.len() as u64).saturating_sub(copied.items + failed);
        result.errors = errors.iter().map(item_error_to_proto).collect();
        result.throttle_events = self.throttle_events();
        Ok(result)
    }

    fn throttle_events(&self) -> u64 {
        self.source_lane.throttle_events() + self.destination_lane.throttle_events()
    }

    /// The items whose keys are not in the mailbox's migrated set.
    async fn not_yet_migrated<'i>(
        &self,
        items: &'i [ListedItem],
    ) -> Result<Vec<Candidate<'i>>, UnitStop> {
        let key = self.counter_key();
        let candidates: Vec<Candidate<'i>> = items
            .iter()
            .map(|item| Candidate {
                item,
                key: ItemKey::of(&self.unit.source_address, item.id.as_str()),
            })
            .collect();
        let mut todo = Vec::with_capacity(candidates.len());
        for chunk in candidates.chunks(1000) {
            let keys: Vec<ItemKey> = chunk.iter().map(|candidate| candidate.key).collect();
            let migrated = self
                .store
                .migrated(&key.project, &key.mailbox, &keys)
                .await?;
            todo.extend(
                chunk
                    .iter()
                    .zip(migrated)
                    .filter(|(_, done)| !done)
                    .map(|(candidate, _)| *candidate),
            );
        }
        Ok(todo)
    }

    /// Settles the upload intents an earlier attempt left: items found at the destination are
    /// recorded; intents for items no longer to do are dropped. Returns what is left to copy.
    async fn settle_leftovers<'i>(
        &mut self,
        todo: Vec<Candidate<'i>>,
    ) -> Result<Vec<Candidate<'i>>, UnitStop> {
        let pending: HashSet<ItemKey> = self
            .store
            .pending(&self.unit_id())
            .await?
            .into_iter()
            .collect();
        if pending.is_empty() {
            return Ok(todo);
        }
        tracing::info!(unit = %self.unit.unit_id, leftovers = pending.len(), "settling an earlier attempt's uploads");
        let leftovers: Vec<Candidate<'i>> = todo
            .iter()
            .filter(|candidate| pending.contains(&candidate.key))
            .copied()
            .collect();
        let found = self.find_at_destination(&leftovers).await?;
        let remaining: Vec<Candidate<'i>> = todo
            .into_iter()
            .filter(|candidate| !found.contains(&candidate.key))
            .collect();
        let still_to_do: HashSet<ItemKey> =
            remaining.iter().map(|candidate| candidate.key).collect();
        let stale: Vec<ItemKey> = pending
            .into_iter()
            .filter(|key| !still_to_do.contains(key))
            .collect();
        self.store.clear_pending(&self.unit_id(), &stale).await?;
        Ok(remaining)
    }

    /// Looks for copies of `candidates` in the destination folder by the stamp every copy
    /// carries, records those found, and returns their keys.
    async fn find_at_destination(
        &mut self,
        candidates: &[Candidate<'_>],
    ) -> Result<HashSet<ItemKey>, UnitStop> {
        if candidates.is_empty() {
            return Ok(HashSet::new());
        }
        let destination = self.destination.clone();
        let folder = FolderId::new(self.unit.destination_folder_id.clone());
        let (mailbox, folder) = (&self.unit.destination_address, &folder);
        let present = self
            .destination_lane
            .call(Repeat::Safe, || destination.stamped_items(mailbox, folder))
            .await
            .map_err(UnitStop::Retryable)?;
        let pages =
            RequestSizes::requests(destination.capabilities().requests.listing, present.len());
        self.destination_lane.take_turns(pages - 1).await;
        let stamped: HashSet<ItemKey> = present.iter().filter_map(|item| item.stamp).collect();
        let found: Vec<(Candidate<'_>, u32)> = candidates
            .iter()
            .filter(|candidate| stamped.contains(&candidate.key))
            .map(|candidate| (*candidate, 0))
            .collect();
        tracing::info!(unit = %self.unit.unit_id, found = found.len(), of = candidates.len(), "looked for earlier copies");
        self.record(&found).await?;
        Ok(found.iter().map(|(candidate, _)| candidate.key).collect())
    }

    /// Records copies as migrated, with the addresses mapping rewrote in each (a copy found at
    /// the destination after a lost reply counts none: they were not seen being written).
    async fn record(&self, copies: &[(Candidate<'_>, u32)]) -> Result<(), UnitStop> {
        if copies.is_empty() {
            return Ok(());
        }
        let items: Vec<MigratedItem<'_>> = copies
            .iter()
            .map(|(candidate, addresses_rewritten)| MigratedItem {
                key: candidate.key,
                item_class: &candidate.item.item_class,
                bytes: candidate.item.size,
                addresses_rewritten: *addresses_rewritten,
            })
            .collect();
        let counters = self.counter_key();
        let unit = self.unit_id();
        self.store
            .commit_migrated(&MigratedCommit {
                counters: &counters,
                unit: &unit,
                items: &items,
            })
            .await?;
        Ok(())
    }

    fn item_error(&self, candidate: &Candidate<'_>, error: &MailError) -> ItemErrorRecord {
        let message = match error {
            MailError::ItemNotFound(_) => {
                "the item was deleted at the source during the migration".to_string()
            }
            other => other.to_string(),
        };
        ItemErrorRecord {
            source_item_id: candidate.item.id.0.clone(),
            folder_path: self.unit.folder_path.clone(),
            code: error.code(),
            message,
            subject: candidate.item.subject.clone(),
            item_class: candidate.item.item_class.clone(),
            size: candidate.item.size,
            pass_id: PassId(self.unit.pass_id.clone()),
            at: Utc::now(),
        }
    }

    /// Copies one batch: export, upload, record; items that fail in a way that may pass get
    /// more rounds, up to `max_item_attempts` each; the rest end in `errors`. An item refused
    /// as throttled inside an otherwise successful reply is not a failed attempt: the lane
    /// pauses for the server's back-off and the item waits, up to the lane's throttling limit.
    async fn copy_batch(
        &mut self,
        batch: &[Candidate<'_>],
        errors: &mut Vec<ItemErrorRecord>,
    ) -> Result<(), UnitStop> {
        let keys: Vec<ItemKey> = batch.iter().map(|candidate| candidate.key).collect();
        self.store.add_pending(&self.unit_id(), &keys).await?;
        let max_attempts = self.max_item_attempts.max(1);
        let mut remaining: Vec<Candidate<'_>> = batch.to_vec();
        let mut attempts: HashMap<ItemKey, u32> = HashMap::new();
        let mut last_errors: HashMap<ItemKey, MailError> = HashMap::new();
        let mut failed: Vec<ItemKey> = Vec::new();
        let mut throttled_for = Duration::ZERO;
        while !remaining.is_empty() {
            // A round takes what the destination mailbox's import window has room for.
            let listed: Vec<u64> = remaining
                .iter()
                .map(|candidate| candidate.item.size)
                .collect();
            let options = &self.project.options;
            let (fits, mut grant) = self
                .import
                .take(self.destination_lane, options, &listed)
                .await?;
            let later = remaining.split_off(fits);
            // Held from export until the round's upload is done.
            let _held = self.budget.reserve(listed[..fits].iter().sum()).await;
            let exported = self.export(&remaining).await;
            let mut to_upload = Vec::new();
            let mut retry = Vec::new();
            let mut source_throttle = ItemThrottle::default();
            for (candidate, outcome) in remaining.iter().zip(exported) {
                match outcome {
                    Ok(data) => match self.prepare(candidate, &data).await {
                        Ok((data, rewritten)) => to_upload.push((*candidate, data, rewritten)),
                        Err(error) => {
                            errors.push(self.item_error(candidate, &error));
                            failed.push(candidate.key);
                        }
                    },
                    Err(error) if error.is_retryable() => {
                        if !source_throttle.note(&error) {
                            *attempts.entry(candidate.key).or_default() += 1;
                        }
                        last_errors.insert(candidate.key, error);
                        retry.push(*candidate);
                    }
                    Err(error) => {
                        errors.push(self.item_error(candidate, &error));
                        failed.push(candidate.key);
                    }
                }
            }
            let exported_bytes: u64 = to_upload.iter().map(|(_, data, _)| data.len() as u64).sum();
            let exported_listed: u64 = to_upload
                .iter()
                .map(|(candidate, _, _)| candidate.item.size)
                .sum();
            let sizes: HashMap<ItemKey, u64> = to_upload
                .iter()
                .map(|(candidate, data, _)| (candidate.key, data.len() as u64))
                .collect();
            self.import
                .exported(&mut grant, exported_listed, exported_bytes)
                .await?;
            let throttles_before = self.destination_lane.throttle_events();
            let uploaded = self.upload(to_upload).await?;
            let refused_bytes: u64 = uploaded
                .retry
                .iter()
                .filter(|(_, error)| matches!(error, MailError::Throttled { .. }))
                .map(|(candidate, _)| sizes.get(&candidate.key).copied().unwrap_or(0))
                .sum();
            if refused_bytes > 0 || self.destination_lane.throttle_events() > throttles_before {
                self.import
                    .refused(&mut grant, refused_bytes, options)
                    .await?;
            } else {
                self.import.accepted(&grant, options);
            }
            for (candidate, error) in uploaded.failed {
                errors.push(self.item_error(&candidate, &error));
                failed.push(candidate.key);
            }
            let mut destination_throttle = ItemThrottle::default();
            for (candidate, error) in uploaded.retry {
                if !destination_throttle.note(&error) {
                    *attempts.entry(candidate.key).or_default() += 1;
                }
                last_errors.insert(candidate.key, error);
                retry.push(candidate);
            }
            let mut paused = Duration::ZERO;
            if let Some((back_off, scope)) = source_throttle.worst {
                paused = paused.max(self.source_lane.throttled(back_off, scope));
            }
            if let Some((back_off, scope)) = destination_throttle.worst {
                paused = paused.max(self.destination_lane.throttled(back_off, scope));
            }
            throttled_for += paused;
            let give_up_throttled = throttled_for > self.destination_lane.max_throttled();
            let mut next = Vec::with_capacity(retry.len());
            for candidate in retry {
                let spent = attempts.get(&candidate.key).copied().unwrap_or(0);
                if spent >= max_attempts || give_up_throttled {
                    let error =
                        last_errors
                            .remove(&candidate.key)
                            .unwrap_or(MailError::Transient {
                                message: "gave up after repeated failures".into(),
                                retry_after: None,
                            });
                    errors.push(self.item_error(&candidate, &error));
                    failed.push(candidate.key);
                } else {
                    next.push(candidate);
                }
            }
            if !next.is_empty() {
                tracing::debug!(unit = %self.unit.unit_id, items = next.len(), ?paused, "retrying items");
            }
            // Items the window had no room for go first; those to retry after them.
            let mut following = later;
            following.extend(next);
            remaining = following;
        }
        self.store.clear_pending(&self.unit_id(), &failed).await?;
        Ok(())
    }

    /// Prepares an exported item for upload: its stream stamped with the candidate's key and,
    /// when the project maps addresses, its addresses mapped (`EX` addresses the stream names
    /// without an SMTP address are looked up in the source directory first). Returns the data
    /// to upload and how many addresses were rewritten.
    async fn prepare(
        &mut self,
        candidate: &Candidate<'_>,
        data: &ExportData,
    ) -> Result<(ExportData, u32), MailError> {
        let mut item = OutboundItem::read(data)?;
        item.stamp(candidate.key);
        let mut rewritten = 0;
        if let Some(addresses) = self.addresses.clone() {
            let (mut known, unknown) = addresses.known(&item.unresolved_exchange_addresses());
            for legacy_dn in unknown {
                let source = self.source.clone();
                let mailbox = &self.unit.source_address;
                match self
                    .source_lane
                    .call(Repeat::Safe, || {
                        source.resolve_exchange_address(mailbox, &legacy_dn)
                    })
                    .await
                {
                    Ok(smtp) => {
                        if let Some(smtp) = &smtp {
                            known.insert(legacy_dn.to_lowercase(), smtp.clone());
                        }
                        addresses.remember(&legacy_dn, smtp);
                    }
                    // Left unmapped this time; asked again for the next item.
                    Err(error) => {
                        tracing::warn!(unit = %self.unit.unit_id, %error, "could not resolve an Exchange address")
                    }
                }
            }
            rewritten = item.map_addresses(&AddressMapper {
                mapping: &addresses.mapping,
                exchange: &known,
            });
        }
        Ok((item.into_data()?, rewritten))
    }

    /// Exports `candidates`; one outcome per candidate, in order.
    async fn export(&mut self, candidates: &[Candidate<'_>]) -> Vec<Result<ExportData, MailError>> {
        let source = self.source.clone();
        let mailbox = &self.unit.source_address;
        let ids: Vec<ItemId> = candidates
            .iter()
            .map(|candidate| candidate.item.id.clone())
            .collect();
        let requests = RequestSizes::requests(source.capabilities().requests.export, ids.len());
        let exported = self
            .source_lane
            .call_sending(requests, Repeat::Safe, || async {
                let mut stream = source.export(mailbox, &ids).await?;
                let mut items = HashMap::with_capacity(ids.len());
                while let Some((id, outcome)) = stream.next().await? {
                    items.insert(id, outcome);
                }
                Ok(items)
            })
            .await;
        match exported {
            Ok(mut items) => candidates
                .iter()
                .map(|candidate| {
                    items.remove(&candidate.item.id).unwrap_or_else(|| {
                        Err(MailError::Transient {
                            message: "the export reply did not include the item".into(),
                            retry_after: None,
                        })
                    })
                })
                .collect(),
            Err(error) => candidates.iter().map(|_| Err(error.clone())).collect(),
        }
    }

    /// Uploads prepared items and records the copies. An upload whose outcome is unknown
    /// (the reply was lost) is settled by looking at the destination before anything is retried.
    async fn upload<'i>(
        &mut self,
        items: Vec<(Candidate<'i>, ExportData, u32)>,
    ) -> Result<Uploaded<'i>, UnitStop> {
        let mut uploaded = Uploaded::default();
        if items.is_empty() {
            return Ok(uploaded);
        }
        let destination = self.destination.clone();
        let folder = FolderId::new(self.unit.destination_folder_id.clone());
        let (mailbox, folder) = (&self.unit.destination_address, &folder);
        let data: Vec<ExportData> = items.iter().map(|(_, data, _)| data.clone()).collect();
        let requests =
            RequestSizes::requests(destination.capabilities().requests.upload, data.len());
        let reply = self
            .destination_lane
            .call_sending(requests, Repeat::OnlyIfThrottled, || {
                destination.upload(mailbox, folder, &data)
            })
            .await;
        drop(data);
        let mut unknown = Vec::new();
        match reply {
            Ok(results) => {
                let mut copies = Vec::new();
                let mut results = results.into_iter();
                for (candidate, _, rewritten) in &items {
                    match results.next() {
                        Some(Ok(_copy)) => copies.push((*candidate, *rewritten)),
                        Some(Err(MailError::OutcomeUnknown(_))) | None => unknown.push(*candidate),
                        Some(Err(error)) if error.is_retryable() => {
                            uploaded.retry.push((*candidate, error))
                        }
                        Some(Err(error)) => uploaded.failed.push((*candidate, error)),
                    }
                }
                self.record(&copies).await?;
            }
            Err(error) if error.is_retryable() => {
                tracing::info!(unit = %self.unit.unit_id, %error, "upload outcome unknown; checking the destination");
                unknown.extend(items.iter().map(|(candidate, _, _)| *candidate));
            }
            Err(error) => uploaded.failed.extend(
                items
                    .iter()
                    .map(|(candidate, _, _)| (*candidate, error.clone())),
            ),
        }
        if !unknown.is_empty() {
            let found = self.find_at_destination(&unknown).await?;
            for candidate in unknown
                .into_iter()
                .filter(|candidate| !found.contains(&candidate.key))
            {
                uploaded.retry.push((
                    candidate,
                    MailError::Transient {
                        message: "the upload's outcome was unknown and no copy was found".into(),
                        retry_after: None,
                    },
                ));
            }
        }
        Ok(uploaded)
    }
}

/// The longest throttling back-off among a reply's per-item refusals.
#[derive(Default)]
struct ItemThrottle {
    worst: Option<(Option<Duration>, ThrottleScope)>,
}

impl ItemThrottle {
    /// Notes `error` if it is a throttling refusal; `false` for other errors.
    fn note(&mut self, error: &MailError) -> bool {
        let MailError::Throttled { back_off, scope } = error else {
            return false;
        };
        let longer = match &self.worst {
            Some((worst, _)) => back_off.unwrap_or_default() > worst.unwrap_or_default(),
            None => true,
        };
        if longer {
            self.worst = Some((*back_off, *scope));
        }
        true
    }
}

/// What an upload left to do.
#[derive(Default)]
struct Uploaded<'i> {
    /// Items to try again.
    retry: Vec<(Candidate<'i>, MailError)>,
    /// Items that cannot be copied.
    failed: Vec<(Candidate<'i>, MailError)>,
}

#[cfg(test)]
mod tests;
