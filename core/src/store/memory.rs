//! The state store in memory, for one process (`ferry demo`, tests).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use super::rate::{interval, take_turn};
use super::window::Window;
use super::{
    Copied, CounterKey, MigratedCommit, ProjectSummary, Store, StoreError, UnitOutcome,
    WindowEntry, WindowSpend,
};
use crate::model::{
    counter, Counters, ItemErrorRecord, ItemKey, MailboxId, MailboxRecord, MailboxState, PassId,
    PassRecord, ProjectId, ProjectRecord, UnitId,
};

#[derive(Debug, Default)]
struct State {
    projects: BTreeMap<ProjectId, ProjectRecord>,
    mailboxes: HashMap<ProjectId, Vec<MailboxRecord>>,
    passes: HashMap<ProjectId, Vec<PassRecord>>,
    counters: HashMap<CounterKey, Counters>,
    claimed_results: HashSet<(PassId, UnitId)>,
    folder_counters: HashMap<CounterKey, BTreeMap<String, Counters>>,
    plans: HashMap<(PassId, MailboxId), Vec<u8>>,
    published: HashMap<(PassId, MailboxId), HashSet<UnitId>>,
    attempts: HashMap<UnitId, u64>,
    unit_copied: HashMap<(PassId, UnitId), Copied>,
    migrated: HashMap<(ProjectId, MailboxId), HashSet<ItemKey>>,
    pending: HashMap<UnitId, HashSet<ItemKey>>,
    errors: HashMap<(ProjectId, MailboxId), Vec<ItemErrorRecord>>,
    leases: HashMap<String, (String, Instant)>,
    /// Shared slots: holder to expiry, by slot set.
    slots: HashMap<String, HashMap<String, Instant>>,
    windows: HashMap<String, Window>,
    /// Each request rate's theoretical arrival time, on the store's clock.
    rates: HashMap<String, Duration>,
    next_window_entry: u64,
}

/// The in-memory store. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The store's clock for sliding windows: time since the process first asked.
    fn clock(&self) -> Duration {
        static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        EPOCH.get_or_init(Instant::now).elapsed()
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn put_project(&self, project: &ProjectRecord) -> Result<(), StoreError> {
        self.lock()
            .projects
            .insert(project.id.clone(), project.clone());
        Ok(())
    }

    async fn project(&self, id: &ProjectId) -> Result<Option<ProjectRecord>, StoreError> {
        Ok(self.lock().projects.get(id).cloned())
    }

    async fn projects(&self) -> Result<Vec<ProjectRecord>, StoreError> {
        let mut projects: Vec<ProjectRecord> = self.lock().projects.values().cloned().collect();
        projects.sort_by_key(|project| project.created_at);
        Ok(projects)
    }

    async fn put_mailbox(&self, mailbox: &MailboxRecord) -> Result<(), StoreError> {
        let mut state = self.lock();
        let list = state
            .mailboxes
            .entry(mailbox.project_id.clone())
            .or_default();
        match list.iter_mut().find(|existing| existing.id == mailbox.id) {
            Some(existing) => *existing = mailbox.clone(),
            None => list.push(mailbox.clone()),
        }
        Ok(())
    }

    async fn mailbox(
        &self,
        project: &ProjectId,
        id: &MailboxId,
    ) -> Result<Option<MailboxRecord>, StoreError> {
        Ok(self
            .lock()
            .mailboxes
            .get(project)
            .and_then(|list| list.iter().find(|mailbox| mailbox.id == *id).cloned()))
    }

    async fn mailboxes(&self, project: &ProjectId) -> Result<Vec<MailboxRecord>, StoreError> {
        Ok(self
            .lock()
            .mailboxes
            .get(project)
            .cloned()
            .unwrap_or_default())
    }

    async fn active_mailboxes(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<MailboxRecord>, StoreError> {
        let state = self.lock();
        Ok(state
            .mailboxes
            .get(project)
            .into_iter()
            .flatten()
            .filter(|mailbox| {
                mailbox.pass_id.is_some()
                    && !mailbox.state.is_terminal()
                    && mailbox.state != MailboxState::NotStarted
            })
            .cloned()
            .collect())
    }

    /// Counted on the spot: the in-memory store serves one process, where a scan is cheap.
    async fn project_summary(
        &self,
        project: &ProjectId,
        pass: Option<&PassId>,
    ) -> Result<ProjectSummary, StoreError> {
        let state = self.lock();
        let mut summary = ProjectSummary::default();
        for mailbox in state.mailboxes.get(project).into_iter().flatten() {
            summary.mailboxes += 1;
            *summary
                .by_state
                .entry(mailbox.state.name().to_string())
                .or_default() += 1;
            if pass.is_some() && mailbox.pass_id.as_ref() == pass {
                if !mailbox.state.is_terminal() {
                    summary.pass_open += 1;
                }
                summary.pass_ended_at = summary.pass_ended_at.max(mailbox.ended_at);
            }
        }
        if let Some(pass) = pass {
            for (key, counters) in &state.counters {
                if key.project == *project && key.pass == *pass {
                    summary.pass_counters.merge(counters);
                }
            }
        }
        Ok(summary)
    }

    async fn put_pass(&self, pass: &PassRecord) -> Result<(), StoreError> {
        let mut state = self.lock();
        let list = state.passes.entry(pass.project_id.clone()).or_default();
        match list.iter_mut().find(|existing| existing.id == pass.id) {
            Some(existing) => *existing = pass.clone(),
            None => list.push(pass.clone()),
        }
        Ok(())
    }

    async fn passes(&self, project: &ProjectId) -> Result<Vec<PassRecord>, StoreError> {
        let mut passes = self.lock().passes.get(project).cloned().unwrap_or_default();
        passes.sort_by_key(|pass| pass.started_at);
        Ok(passes)
    }

    async fn pass_ids(&self, project: &ProjectId) -> Result<Vec<PassId>, StoreError> {
        let state = self.lock();
        Ok(state
            .passes
            .get(project)
            .into_iter()
            .flatten()
            .map(|pass| pass.id.clone())
            .collect())
    }

    async fn pass(
        &self,
        project: &ProjectId,
        id: &PassId,
    ) -> Result<Option<PassRecord>, StoreError> {
        let state = self.lock();
        Ok(state
            .passes
            .get(project)
            .into_iter()
            .flatten()
            .find(|pass| pass.id == *id)
            .cloned())
    }

    async fn add_counters(&self, key: &CounterKey, deltas: &Counters) -> Result<(), StoreError> {
        self.lock()
            .counters
            .entry(key.clone())
            .or_default()
            .merge(deltas);
        Ok(())
    }

    async fn set_counters(&self, key: &CounterKey, values: &Counters) -> Result<(), StoreError> {
        let mut state = self.lock();
        let counters = state.counters.entry(key.clone()).or_default();
        for (name, value) in &values.values {
            counters.values.insert(name.clone(), *value);
        }
        Ok(())
    }

    async fn counters(&self, key: &CounterKey) -> Result<Counters, StoreError> {
        Ok(self.lock().counters.get(key).cloned().unwrap_or_default())
    }

    async fn counters_many(&self, keys: &[CounterKey]) -> Result<Vec<Counters>, StoreError> {
        let state = self.lock();
        Ok(keys
            .iter()
            .map(|key| state.counters.get(key).cloned().unwrap_or_default())
            .collect())
    }

    async fn apply_unit_result(&self, outcome: &UnitOutcome<'_>) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let claim = (outcome.counters.pass.clone(), outcome.unit.clone());
        if !state.claimed_results.insert(claim) {
            return Ok(false);
        }
        state
            .counters
            .entry(outcome.counters.clone())
            .or_default()
            .merge(outcome.mailbox_deltas);
        state
            .folder_counters
            .entry(outcome.counters.clone())
            .or_default()
            .entry(outcome.folder.to_string())
            .or_default()
            .merge(outcome.folder_deltas);
        if !outcome.errors.is_empty() {
            let log = (
                outcome.counters.project.clone(),
                outcome.counters.mailbox.clone(),
            );
            state
                .errors
                .entry(log)
                .or_default()
                .extend(outcome.errors.iter().cloned());
        }
        Ok(true)
    }

    async fn folder_counters(
        &self,
        key: &CounterKey,
    ) -> Result<BTreeMap<String, Counters>, StoreError> {
        Ok(self
            .lock()
            .folder_counters
            .get(key)
            .cloned()
            .unwrap_or_default())
    }

    async fn put_plan(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
        plan: &[u8],
    ) -> Result<(), StoreError> {
        self.lock()
            .plans
            .insert((pass.clone(), mailbox.clone()), plan.to_vec());
        Ok(())
    }

    async fn plan(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .lock()
            .plans
            .get(&(pass.clone(), mailbox.clone()))
            .cloned())
    }

    async fn unit_attempt(&self, unit: &UnitId) -> Result<u64, StoreError> {
        let mut state = self.lock();
        let attempts = state.attempts.entry(unit.clone()).or_insert(0);
        *attempts += 1;
        Ok(*attempts)
    }

    async fn record_published_units(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
        units: &[UnitId],
    ) -> Result<(), StoreError> {
        self.lock()
            .published
            .entry((pass.clone(), mailbox.clone()))
            .or_default()
            .extend(units.iter().cloned());
        Ok(())
    }

    async fn published_units(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
    ) -> Result<HashSet<UnitId>, StoreError> {
        Ok(self
            .lock()
            .published
            .get(&(pass.clone(), mailbox.clone()))
            .cloned()
            .unwrap_or_default())
    }

    async fn migrated(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
        keys: &[ItemKey],
    ) -> Result<Vec<bool>, StoreError> {
        let state = self.lock();
        let set = state.migrated.get(&(project.clone(), mailbox.clone()));
        Ok(keys
            .iter()
            .map(|key| set.is_some_and(|set| set.contains(key)))
            .collect())
    }

    async fn commit_migrated(&self, commit: &MigratedCommit<'_>) -> Result<u64, StoreError> {
        let mut guard = self.lock();
        let state = &mut *guard;
        let key = commit.counters;
        let set = state
            .migrated
            .entry((key.project.clone(), key.mailbox.clone()))
            .or_default();
        let mut deltas = Counters::default();
        let mut added = Copied::default();
        for item in commit.items {
            if set.insert(item.key) {
                added.items += 1;
                added.bytes += item.bytes;
                deltas.add_copied(item.item_class, item.bytes);
                deltas.add(
                    counter::ADDRESSES_REWRITTEN,
                    u64::from(item.addresses_rewritten),
                );
            }
        }
        state
            .counters
            .entry(key.clone())
            .or_default()
            .merge(&deltas);
        let unit = state
            .unit_copied
            .entry((key.pass.clone(), commit.unit.clone()))
            .or_default();
        unit.items += added.items;
        unit.bytes += added.bytes;
        if let Some(pending) = state.pending.get_mut(commit.unit) {
            for item in commit.items {
                pending.remove(&item.key);
            }
            if pending.is_empty() {
                state.pending.remove(commit.unit);
            }
        }
        Ok(added.items)
    }

    async fn unit_copied(&self, pass: &PassId, unit: &UnitId) -> Result<Copied, StoreError> {
        Ok(self
            .lock()
            .unit_copied
            .get(&(pass.clone(), unit.clone()))
            .copied()
            .unwrap_or_default())
    }

    async fn migrated_count(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
    ) -> Result<u64, StoreError> {
        Ok(self
            .lock()
            .migrated
            .get(&(project.clone(), mailbox.clone()))
            .map(|set| set.len() as u64)
            .unwrap_or(0))
    }

    async fn add_pending(&self, unit: &UnitId, keys: &[ItemKey]) -> Result<(), StoreError> {
        self.lock()
            .pending
            .entry(unit.clone())
            .or_default()
            .extend(keys.iter().copied());
        Ok(())
    }

    async fn pending(&self, unit: &UnitId) -> Result<Vec<ItemKey>, StoreError> {
        let mut keys: Vec<ItemKey> = self
            .lock()
            .pending
            .get(unit)
            .map(|set| set.iter().copied().collect())
            .unwrap_or_default();
        keys.sort();
        Ok(keys)
    }

    async fn clear_pending(&self, unit: &UnitId, keys: &[ItemKey]) -> Result<(), StoreError> {
        let mut state = self.lock();
        if let Some(set) = state.pending.get_mut(unit) {
            for key in keys {
                set.remove(key);
            }
            if set.is_empty() {
                state.pending.remove(unit);
            }
        }
        Ok(())
    }

    async fn append_errors(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
        errors: &[ItemErrorRecord],
    ) -> Result<(), StoreError> {
        self.lock()
            .errors
            .entry((project.clone(), mailbox.clone()))
            .or_default()
            .extend(errors.iter().cloned());
        Ok(())
    }

    async fn errors(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<ItemErrorRecord>, u64), StoreError> {
        let state = self.lock();
        let all = state
            .errors
            .get(&(project.clone(), mailbox.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let page = all
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .cloned()
            .collect();
        Ok((page, all.len() as u64))
    }

    async fn try_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let now = Instant::now();
        match state.leases.get(name) {
            Some((current, expires)) if current != holder && *expires > now => Ok(false),
            _ => {
                state
                    .leases
                    .insert(name.to_string(), (holder.to_string(), now + ttl));
                Ok(true)
            }
        }
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state
            .leases
            .get(name)
            .is_some_and(|(current, _)| current == holder)
        {
            state.leases.remove(name);
        }
        Ok(())
    }

    async fn try_slot(
        &self,
        slots: &str,
        holder: &str,
        limit: u32,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let now = Instant::now();
        let held = state.slots.entry(slots.to_string()).or_default();
        held.retain(|_, expires| *expires > now);
        if !held.contains_key(holder) && held.len() >= limit as usize {
            return Ok(false);
        }
        held.insert(holder.to_string(), now + ttl);
        Ok(true)
    }

    async fn release_slot(&self, slots: &str, holder: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        if let Some(held) = state.slots.get_mut(slots) {
            held.remove(holder);
            if held.is_empty() {
                state.slots.remove(slots);
            }
        }
        Ok(())
    }

    async fn window_spend(
        &self,
        window: &str,
        span: Duration,
        limit: u64,
        amount: u64,
    ) -> Result<WindowSpend, StoreError> {
        let now = self.clock();
        let mut state = self.lock();
        state.next_window_entry += 1;
        let id = state.next_window_entry.to_string();
        Ok(state
            .windows
            .entry(window.to_string())
            .or_default()
            .spend(now, span, limit, amount, id))
    }

    async fn window_adjust(
        &self,
        window: &str,
        _span: Duration,
        entry: &WindowEntry,
        amount: u64,
    ) -> Result<WindowEntry, StoreError> {
        let now = self.clock();
        let mut state = self.lock();
        Ok(match state.windows.get_mut(window) {
            Some(held) => held.adjust(now, entry, amount),
            None => WindowEntry {
                id: entry.id.clone(),
                amount,
            },
        })
    }

    async fn rate_turn(
        &self,
        rate: &str,
        per_second: f64,
        burst: u32,
        turns: u32,
    ) -> Result<Duration, StoreError> {
        let now = self.clock();
        let mut state = self.lock();
        let theoretical = state.rates.get(rate).copied();
        let (wait, next) = take_turn(theoretical, now, interval(per_second), burst, turns);
        state.rates.insert(rate.to_string(), next);
        Ok(wait)
    }
}
