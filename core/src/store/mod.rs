//! The state store: projects, mailboxes, passes, counters, the set of migrated items, upload
//! intents, item error logs, unit results already counted, and leases.
//!
//! Two implementations with the same semantics: [`redis::RedisStore`] and
//! [`memory::MemoryStore`]; `conformance` checks both the same way.
//!
//! What is kept per migrated item is one [`ItemKey`] (16 bytes) in a per-mailbox set; see
//! `docs/architecture.md` for the measured cost in Redis.

pub mod memory;
pub mod rate;
pub mod redis;
pub mod window;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::model::{
    Counters, ItemErrorRecord, ItemKey, MailboxId, MailboxRecord, PassId, PassRecord, ProjectId,
    ProjectRecord, UnitId,
};

/// A store failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The store could not be reached.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A record could not be read back.
    #[error("corrupt record {key}: {problem}")]
    Corrupt {
        /// Which record.
        key: String,
        /// What is wrong.
        problem: String,
    },
}

/// Where counters are kept: one mailbox in one pass.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CounterKey {
    /// Project.
    pub project: ProjectId,
    /// Mailbox.
    pub mailbox: MailboxId,
    /// Pass.
    pub pass: PassId,
}

/// An item recorded as migrated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigratedItem<'a> {
    /// Its key.
    pub key: ItemKey,
    /// Its item class, for the per-class counters.
    pub item_class: &'a str,
    /// Its size.
    pub bytes: u64,
    /// Addresses recipient mapping rewrote in it.
    pub addresses_rewritten: u32,
}

/// Items and bytes copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Copied {
    /// Items.
    pub items: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Items a unit recorded as migrated.
#[derive(Debug, Clone, Copy)]
pub struct MigratedCommit<'a> {
    /// The mailbox and pass whose counters grow.
    pub counters: &'a CounterKey,
    /// The unit that copied them.
    pub unit: &'a UnitId,
    /// The items.
    pub items: &'a [MigratedItem<'a>],
}

/// The result of a unit, as applied to the store.
#[derive(Debug, Clone, Copy)]
pub struct UnitOutcome<'a> {
    /// The mailbox and pass.
    pub counters: &'a CounterKey,
    /// The unit.
    pub unit: &'a UnitId,
    /// What to add to the mailbox's counters.
    pub mailbox_deltas: &'a Counters,
    /// The unit's folder path.
    pub folder: &'a str,
    /// What to add to the folder's counters.
    pub folder_deltas: &'a Counters,
    /// Items that could not be migrated.
    pub errors: &'a [ItemErrorRecord],
}

/// One amount spent in a sliding window, so it can be corrected once the true amount is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowEntry {
    /// Unique within the window.
    pub id: String,
    /// The amount it holds.
    pub amount: u64,
}

/// What asking a sliding window for an amount gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowSpend {
    /// The amount is spent; it frees up `span` after now.
    Spent(WindowEntry),
    /// It does not fit: `room` fits now, and the amount fits after `wait`.
    Full {
        /// How long until the amount fits.
        wait: Duration,
        /// What would fit now.
        room: u64,
    },
}

/// What a project's status shows, kept up to date as mailbox records and counters change, so
/// reading it costs the same at ten mailboxes and at ten thousand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectSummary {
    /// Mailboxes of the project.
    pub mailboxes: u64,
    /// Mailboxes by state name (`MailboxState::name`); states no mailbox is in are left out.
    pub by_state: BTreeMap<String, u64>,
    /// The pass's counters, summed over its mailboxes.
    pub pass_counters: Counters,
    /// Mailboxes in the pass not yet in a final state.
    pub pass_open: u64,
    /// When the last of the pass's mailboxes to reach a final state did.
    pub pass_ended_at: Option<DateTime<Utc>>,
}

/// The state store.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates or replaces a project.
    async fn put_project(&self, project: &ProjectRecord) -> Result<(), StoreError>;
    /// A project by id.
    async fn project(&self, id: &ProjectId) -> Result<Option<ProjectRecord>, StoreError>;
    /// Every project, oldest first.
    async fn projects(&self) -> Result<Vec<ProjectRecord>, StoreError>;

    /// Creates or replaces a mailbox.
    async fn put_mailbox(&self, mailbox: &MailboxRecord) -> Result<(), StoreError>;
    /// A mailbox by id.
    async fn mailbox(
        &self,
        project: &ProjectId,
        id: &MailboxId,
    ) -> Result<Option<MailboxRecord>, StoreError>;
    /// Every mailbox of a project, in the order they were added.
    async fn mailboxes(&self, project: &ProjectId) -> Result<Vec<MailboxRecord>, StoreError>;
    /// The mailboxes of a project that are in a pass and not yet final (queued or running),
    /// in no particular order: what the coordinator's sweep visits.
    async fn active_mailboxes(&self, project: &ProjectId)
        -> Result<Vec<MailboxRecord>, StoreError>;
    /// The project's mailbox counts, and the totals of `pass` (empty without one).
    async fn project_summary(
        &self,
        project: &ProjectId,
        pass: Option<&PassId>,
    ) -> Result<ProjectSummary, StoreError>;

    /// Creates or replaces a pass.
    async fn put_pass(&self, pass: &PassRecord) -> Result<(), StoreError>;
    /// Every pass of a project, oldest first.
    async fn passes(&self, project: &ProjectId) -> Result<Vec<PassRecord>, StoreError>;
    /// The ids of a project's passes, in no particular order (cheap: a pass record lists
    /// every mailbox of the pass, its id does not).
    async fn pass_ids(&self, project: &ProjectId) -> Result<Vec<PassId>, StoreError>;
    /// One pass of a project.
    async fn pass(
        &self,
        project: &ProjectId,
        id: &PassId,
    ) -> Result<Option<PassRecord>, StoreError>;

    /// Adds to a mailbox's counters for a pass (atomically per counter).
    async fn add_counters(&self, key: &CounterKey, deltas: &Counters) -> Result<(), StoreError>;
    /// Sets counters of a mailbox for a pass to these values (others unchanged): for values that
    /// are facts, not increments, such as the items planned.
    async fn set_counters(&self, key: &CounterKey, values: &Counters) -> Result<(), StoreError>;
    /// A mailbox's counters for a pass.
    async fn counters(&self, key: &CounterKey) -> Result<Counters, StoreError>;
    /// The counters of many mailboxes, in the order of `keys`, read together (in Redis, one
    /// round trip per thousand).
    async fn counters_many(&self, keys: &[CounterKey]) -> Result<Vec<Counters>, StoreError>;

    /// Applies a unit's result exactly once: the first call for a unit of a pass adds the
    /// counters and appends the errors, atomically, and returns `true`; later calls (a result
    /// delivered twice) change nothing and return `false`.
    async fn apply_unit_result(&self, outcome: &UnitOutcome<'_>) -> Result<bool, StoreError>;
    /// Counters of each folder of a mailbox in a pass, by folder path.
    async fn folder_counters(
        &self,
        key: &CounterKey,
    ) -> Result<BTreeMap<String, Counters>, StoreError>;

    /// Keeps the plan (encoded work units) of a mailbox in a pass, so planning again after a
    /// crash publishes the same units.
    async fn put_plan(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
        plan: &[u8],
    ) -> Result<(), StoreError>;
    /// The plan kept for a mailbox in a pass.
    async fn plan(&self, pass: &PassId, mailbox: &MailboxId)
        -> Result<Option<Vec<u8>>, StoreError>;
    /// Records units as published for a mailbox in a pass.
    async fn record_published_units(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
        units: &[UnitId],
    ) -> Result<(), StoreError>;
    /// The units already published for a mailbox in a pass.
    async fn published_units(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
    ) -> Result<HashSet<UnitId>, StoreError>;
    /// Counts an attempt at a unit and returns how many there have been, this one included.
    async fn unit_attempt(&self, unit: &UnitId) -> Result<u64, StoreError>;

    /// Which of `keys` are migrated, in order.
    async fn migrated(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
        keys: &[ItemKey],
    ) -> Result<Vec<bool>, StoreError>;
    /// Records items as migrated, atomically with their counters: each key not yet in the
    /// mailbox's migrated set is added, counted (items and bytes copied, in total and by class,
    /// addresses rewritten, for the mailbox and for the unit) and removed from the unit's upload
    /// intents. Returns how
    /// many were new; keys already migrated change nothing.
    async fn commit_migrated(&self, commit: &MigratedCommit<'_>) -> Result<u64, StoreError>;
    /// Items (and their bytes) a unit has recorded as migrated, over all its attempts.
    async fn unit_copied(&self, pass: &PassId, unit: &UnitId) -> Result<Copied, StoreError>;
    /// How many items of a mailbox are migrated.
    async fn migrated_count(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
    ) -> Result<u64, StoreError>;

    /// Records an intent to upload items for a unit (before the upload).
    async fn add_pending(&self, unit: &UnitId, keys: &[ItemKey]) -> Result<(), StoreError>;
    /// The unit's intents left by an earlier attempt.
    async fn pending(&self, unit: &UnitId) -> Result<Vec<ItemKey>, StoreError>;
    /// Removes intents (items that failed or turned out to be migrated already).
    async fn clear_pending(&self, unit: &UnitId, keys: &[ItemKey]) -> Result<(), StoreError>;

    /// Appends to a mailbox's error log.
    async fn append_errors(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
        errors: &[ItemErrorRecord],
    ) -> Result<(), StoreError>;
    /// A page of a mailbox's error log (oldest first) and its total length.
    async fn errors(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<ItemErrorRecord>, u64), StoreError>;

    /// Takes or renews a lease for `holder`; `false` if another holder has it.
    async fn try_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError>;
    /// Gives up a lease held by `holder`.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError>;

    /// Takes or renews `holder`'s place in the shared slots `slots`, which at most `limit`
    /// holders have at once over every process sharing the store (a mailbox's units over every
    /// worker); a place not renewed within `ttl` frees itself, so a holder that crashed gives
    /// its place back. `false` if `limit` other holders have a place.
    async fn try_slot(
        &self,
        slots: &str,
        holder: &str,
        limit: u32,
        ttl: Duration,
    ) -> Result<bool, StoreError>;
    /// Gives up `holder`'s place in `slots`, if it has one.
    async fn release_slot(&self, slots: &str, holder: &str) -> Result<(), StoreError>;

    /// Spends `amount` in the sliding window `window` (at most `limit` within any `span`, on
    /// the store's clock, shared by every process), or says how long until it fits. An amount
    /// larger than the whole limit is spent when the window is empty, or it never would be.
    async fn window_spend(
        &self,
        window: &str,
        span: Duration,
        limit: u64,
        amount: u64,
    ) -> Result<WindowSpend, StoreError>;
    /// Corrects an entry to `amount` (0 takes it out) spent now: the caller spends ahead of
    /// time and corrects when the amount is known and about to be used, so the entry frees up
    /// when the server's own accounting does. An entry already expired is left alone.
    /// Returns the corrected entry.
    async fn window_adjust(
        &self,
        window: &str,
        span: Duration,
        entry: &WindowEntry,
        amount: u64,
    ) -> Result<WindowEntry, StoreError>;

    /// Takes the next `turns` turns of the request rate `rate`: at most `per_second` turns a
    /// second over every process sharing the store, bursts of up to `burst`, on the store's
    /// clock. A turn is never refused; the reply is how long the caller waits before it, and
    /// turns come in the order they are asked for.
    async fn rate_turn(
        &self,
        rate: &str,
        per_second: f64,
        burst: u32,
        turns: u32,
    ) -> Result<Duration, StoreError>;
}
