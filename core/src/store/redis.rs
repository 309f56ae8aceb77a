//! The state store in Redis. Every key starts with a prefix (default `ferry`), so several
//! deployments, or tests, share one Redis without seeing each other's data.
//!
//! | key | type | holds |
//! | --- | --- | --- |
//! | `{p}:projects` | hash | project id → JSON |
//! | `{p}:mailboxes:{project}` | hash | mailbox id → JSON |
//! | `{p}:mailbox-order:{project}` | list | mailbox ids in the order added |
//! | `{p}:passes:{project}` | hash | pass id → JSON |
//! | `{p}:counters:{project}:{mailbox}:{pass}` | hash | counter → integer |
//! | `{p}:folder-counters:{project}:{mailbox}:{pass}` | hash | `{folder path}\x1f{counter}` → integer |
//! | `{p}:claimed:{pass}` | set | unit ids whose results are counted |
//! | `{p}:plan:{pass}:{mailbox}` | string | the encoded work units of the mailbox |
//! | `{p}:published:{pass}:{mailbox}` | set | unit ids published |
//! | `{p}:attempts:{unit}` | string | attempts at the unit |
//! | `{p}:unit-copied:{pass}` | hash | unit id (and `{unit}:bytes`) → items (bytes) it recorded as migrated |
//! | `{p}:migrated:{project}:{mailbox}` | hash | 256 buckets of packed 16-byte item keys (first byte → the other 15 bytes of each key, concatenated), and `count` |
//! | `{p}:pending:{unit}` | set | 16-byte item keys being uploaded |
//! | `{p}:errors:{project}:{mailbox}` | list | item error JSON, oldest first |
//! | `{p}:mailbox-states:{project}` | hash | mailbox id → `state\|pass\|final` (what the summary counted) |
//! | `{p}:state-counts:{project}` | hash | state → mailboxes in it |
//! | `{p}:pass-open:{project}` | hash | pass id → its mailboxes not yet final |
//! | `{p}:pass-ended:{project}` | hash | pass id → when its last mailbox became final (20-digit ns) |
//! | `{p}:pass-counters:{project}:{pass}` | hash | counter → the pass's total over its mailboxes |
//! | `{p}:active:{project}` | set | mailbox ids still in a pass (what the sweep visits) |
//! | `{p}:lease:{name}` | string | lease holder, with a TTL |
//! | `{p}:slots:{name}` | sorted set | holders of a shared slot (a mailbox's running units), scored by expiry in ms |
//! | `{p}:window:{name}` | sorted set | `id:amount` spent in a sliding window, scored by when (ms) |
//! | `{p}:rate:{name}` | string | a request rate's next free turn (µs on Redis's clock) |
//!
//! The multi-key updates run as Lua scripts, so they are atomic; they need every key on one
//! Redis node (a single Redis, or a primary with replicas; not Redis Cluster).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;
use serde::de::DeserializeOwned;

use chrono::DateTime;

use super::{
    Copied, CounterKey, MigratedCommit, ProjectSummary, Store, StoreError, UnitOutcome,
    WindowEntry, WindowSpend,
};
use crate::model::{
    counter, Counters, ItemErrorRecord, ItemKey, MailboxId, MailboxRecord, PassId, PassRecord,
    ProjectId, ProjectRecord, UnitId,
};

fn unavailable(error: redis::RedisError) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

/// Takes the lease if free or already ours, renewing its TTL.
const TAKE_LEASE: &str = r#"
local current = redis.call('GET', KEYS[1])
if (not current) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"#;

/// Spends an amount in a sliding window (`store::window` has the same steps in Rust). The
/// window is a sorted set of `id:amount` members scored by when they were spent, in
/// milliseconds on Redis's clock, so every process shares one clock. ARGV: span in ms, limit,
/// amount, entry id. Returns {1} when spent, or {0, wait ms, room}.
const WINDOW_SPEND: &str = r#"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local span, limit, amount = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local function amount_of(member)
  return tonumber(string.match(member, ':(%d+)$')) or 0
end
local total = 0
for i = 1, #entries, 2 do
  total = total + amount_of(entries[i])
end
if total == 0 or total + amount <= limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], span)
  return {1}
end
local needed, freed, wait = total + amount - limit, 0, span
for i = 1, #entries, 2 do
  freed = freed + amount_of(entries[i])
  if freed >= needed then
    wait = tonumber(entries[i + 1]) + span - now
    break
  end
end
return {0, math.max(wait, 1), math.max(limit - total, 0)}
"#;

/// Changes a window entry's amount and moves it to now. ARGV: the old member, the new amount
/// (0 removes it), the new member, the span in ms.
const WINDOW_ADJUST: &str = r#"
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score then
  redis.call('ZREM', KEYS[1], ARGV[1])
  if tonumber(ARGV[2]) > 0 then
    local time = redis.call('TIME')
    local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
  end
end
return 0
"#;

/// Takes turns of a request rate (`rate::take_turn`, in microseconds on Redis's clock). ARGV:
/// the interval, the burst, the turns. The key expires once the rate is idle again. Returns
/// the wait.
const RATE_TURN: &str = r#"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval, burst, turns = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local busy_until = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if busy_until < now then busy_until = now end
local wait = busy_until - (burst - 1) * interval - now
if wait < 0 then wait = 0 end
local next = busy_until + interval * turns
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.floor((next - now) / 1000) + 1000)
return wait
"#;

/// Deletes the lease only if it is ours.
const RELEASE_LEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// Takes or renews a place among at most ARGV[2] holders: a sorted set of holders scored by
/// when their place expires (milliseconds on Redis's clock). ARGV: the holder, the limit, the
/// time to live. The key expires with its last place. Returns 1 when the holder has a place.
const TRY_SLOT: &str = r#"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local holder, limit, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], holder) and redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, holder)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1
"#;

/// Lua shared by the scripts that read or write a migrated set. A mailbox's migrated set is a
/// hash: 256 buckets, field = the first byte of an item key, value = the other 15 bytes of each
/// key in the bucket, concatenated. About 16 bytes per item plus a fixed 13 KiB or so per
/// mailbox, against about 70 bytes per item for a Redis set of 16-byte members (measured in
/// BENCHMARKS.md). `holds` only accepts matches at entry boundaries.
const MIGRATED_SET_LUA: &str = r#"
local ENTRY = 15
local function holds(blob, suffix)
  if not blob then return false end
  local from = 1
  while true do
    local at = string.find(blob, suffix, from, true)
    if not at then return false end
    if (at - 1) % ENTRY == 0 then return true end
    from = at + 1
  end
end
"#;

/// Which keys are migrated. KEYS: the migrated set. ARGV: 16-byte keys. Returns a string of
/// `1`/`0`, one per key.
const MIGRATED_FLAGS: &str = r#"
local blobs, flags = {}, {}
for i = 1, #ARGV do
  local bucket, suffix = string.sub(ARGV[i], 1, 1), string.sub(ARGV[i], 2)
  if blobs[bucket] == nil then
    blobs[bucket] = redis.call('HGET', KEYS[1], bucket) or false
  end
  flags[i] = holds(blobs[bucket] or nil, suffix) and '1' or '0'
end
return table.concat(flags)
"#;

/// Adds new item keys to the migrated set, counting each new one. KEYS: migrated set, mailbox
/// counters, unit-copied hash, the unit's pending set, the pass's counters (the mailbox's
/// increments are added there too). ARGV: unit id, the counter names
/// (items copied, bytes copied, class items prefix, class bytes prefix, addresses rewritten),
/// then (key, class, bytes, addresses rewritten) for each item.
const COMMIT_MIGRATED: &str = r#"
local function count(name, value)
  redis.call('HINCRBY', KEYS[2], name, value)
  redis.call('HINCRBY', KEYS[5], name, value)
end
local blobs, changed = {}, {}
local added, added_bytes = 0, 0
for i = 7, #ARGV, 4 do
  local key, class, bytes, rewritten = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local bucket, suffix = string.sub(key, 1, 1), string.sub(key, 2)
  redis.call('SREM', KEYS[4], key)
  if blobs[bucket] == nil then
    blobs[bucket] = redis.call('HGET', KEYS[1], bucket) or ''
  end
  if not holds(blobs[bucket], suffix) then
    blobs[bucket] = blobs[bucket] .. suffix
    changed[bucket] = true
    added = added + 1
    added_bytes = added_bytes + bytes
    count(ARGV[2], 1)
    count(ARGV[4] .. class, 1)
    if bytes > 0 then
      count(ARGV[3], bytes)
      count(ARGV[5] .. class, bytes)
    end
    if rewritten > 0 then
      count(ARGV[6], rewritten)
    end
  end
end
for bucket in pairs(changed) do
  redis.call('HSET', KEYS[1], bucket, blobs[bucket])
end
if added > 0 then
  redis.call('HINCRBY', KEYS[1], 'count', added)
  redis.call('HINCRBY', KEYS[3], ARGV[1], added)
  redis.call('HINCRBY', KEYS[3], ARGV[1] .. ':bytes', added_bytes)
end
return added
"#;

/// Claims a unit's result and, the first time only, applies it. KEYS: claimed set, mailbox
/// counters, folder counters, error log, the pass's counters (the mailbox's increments are
/// added there too). ARGV: unit id, the number of mailbox counters, the number of folder
/// counters, (name, value) pairs of each, then error records (appended in chunks: Lua's
/// `unpack` fails on thousands of values at once).
const APPLY_UNIT_RESULT: &str = r#"
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  return 0
end
local mailbox_counters, folder_counters = tonumber(ARGV[2]), tonumber(ARGV[3])
local i = 4
for _ = 1, mailbox_counters do
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', KEYS[5], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for _ = 1, folder_counters do
  redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  local last = math.min(i + 999, #ARGV)
  redis.call('RPUSH', KEYS[4], unpack(ARGV, i, last))
  i = last + 1
end
return 1
"#;

/// Sets counters of a mailbox to values, moving the pass's counters by the difference. KEYS:
/// mailbox counters, pass counters. ARGV: (name, value) pairs.
const SET_COUNTERS: &str = r#"
for i = 1, #ARGV, 2 do
  local old = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0') or 0
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  local delta = tonumber(ARGV[i + 1]) - old
  if delta ~= 0 then
    redis.call('HINCRBY', KEYS[2], ARGV[i], delta)
  end
end
return 0
"#;

/// Writes a mailbox record and keeps what status reads without visiting every mailbox: the
/// count of mailboxes by state, of each pass's mailboxes not yet final, the time the last one
/// became final, and the set of mailboxes still in a pass. KEYS: records, order, states (id to
/// `state|pass|final`), counts by state, open per pass, ended per pass, active set. ARGV: id,
/// record JSON, state, pass ('' for none), final ('1' or '0'), ended at (20-digit nanoseconds,
/// '' for none). Returns 1 if the record is new.
const PUT_MAILBOX: &str = r#"
local id, json, state, pass, final, ended = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local function bump(key, field, by)
  if redis.call('HINCRBY', key, field, by) <= 0 then
    redis.call('HDEL', key, field)
  end
end
local now = state .. '|' .. pass .. '|' .. final
local before = redis.call('HGET', KEYS[3], id)
if before ~= now then
  if before then
    local old_state, old_pass, old_final = string.match(before, '^([^|]*)|([^|]*)|(.)$')
    bump(KEYS[4], old_state, -1)
    if old_pass ~= '' and old_final == '0' then bump(KEYS[5], old_pass, -1) end
  end
  bump(KEYS[4], state, 1)
  if pass ~= '' and final == '0' then bump(KEYS[5], pass, 1) end
  redis.call('HSET', KEYS[3], id, now)
end
if pass ~= '' and ended ~= '' then
  local last = redis.call('HGET', KEYS[6], pass)
  if not last or last < ended then redis.call('HSET', KEYS[6], pass, ended) end
end
if pass ~= '' and final == '0' and state ~= 'not_started' then
  redis.call('SADD', KEYS[7], id)
else
  redis.call('SREM', KEYS[7], id)
end
local added = redis.call('HSET', KEYS[1], id, json)
if added == 1 then redis.call('RPUSH', KEYS[2], id) end
return added
"#;

/// Separates a folder path from a counter name in the folder counters hash.
const FOLDER_FIELD_SEPARATOR: char = '\u{1f}';

/// The scripts, hashed once; `redis` sends `EVALSHA` and loads a script only when the server
/// does not know it yet.
struct Scripts {
    take_lease: redis::Script,
    release_lease: redis::Script,
    commit_migrated: redis::Script,
    migrated_flags: redis::Script,
    apply_unit_result: redis::Script,
    window_spend: redis::Script,
    window_adjust: redis::Script,
    rate_turn: redis::Script,
    try_slot: redis::Script,
    set_counters: redis::Script,
    put_mailbox: redis::Script,
}

impl Scripts {
    fn new() -> Scripts {
        Scripts {
            take_lease: redis::Script::new(TAKE_LEASE),
            release_lease: redis::Script::new(RELEASE_LEASE),
            commit_migrated: redis::Script::new(&format!("{MIGRATED_SET_LUA}{COMMIT_MIGRATED}")),
            migrated_flags: redis::Script::new(&format!("{MIGRATED_SET_LUA}{MIGRATED_FLAGS}")),
            apply_unit_result: redis::Script::new(APPLY_UNIT_RESULT),
            window_spend: redis::Script::new(WINDOW_SPEND),
            window_adjust: redis::Script::new(WINDOW_ADJUST),
            rate_turn: redis::Script::new(RATE_TURN),
            try_slot: redis::Script::new(TRY_SLOT),
            set_counters: redis::Script::new(SET_COUNTERS),
            put_mailbox: redis::Script::new(PUT_MAILBOX),
        }
    }
}

/// How long a command may wait for its reply. The client's default (500 ms) is shorter than
/// a loaded machine takes to answer a script over thousands of keys, or to get a runtime
/// thread back from a worker decoding a 100 MB attachment; a timed-out write has still run,
/// so a short timeout turns a slow success into a retried one.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connecting (and reconnecting after a loss) may take.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// The Redis store.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    scripts: Arc<Scripts>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://host:6379/0`), keeping keys under `prefix`.
    pub async fn connect(url: &str, prefix: &str) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(CONNECTION_TIMEOUT));
        let connection = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(unavailable)?;
        Ok(RedisStore {
            connection,
            prefix: prefix.to_string(),
            scripts: Arc::new(Scripts::new()),
        })
    }

    /// Deletes every key under this store's prefix (tests clean up with it).
    pub async fn delete_all(&self) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let pattern = format!("{}:*", self.prefix);
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            if !keys.is_empty() {
                connection.del::<_, ()>(keys).await.map_err(unavailable)?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    fn key(&self, parts: &[&str]) -> String {
        let mut key = self.prefix.clone();
        for part in parts {
            key.push(':');
            key.push_str(part);
        }
        key
    }

    fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    fn parse<T: DeserializeOwned>(key: &str, json: &str) -> Result<T, StoreError> {
        serde_json::from_str(json).map_err(|error| StoreError::Corrupt {
            key: key.to_string(),
            problem: error.to_string(),
        })
    }

    fn json<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap_or_default()
    }

    fn counter_key(&self, key: &CounterKey) -> String {
        self.key(&["counters", &key.project.0, &key.mailbox.0, &key.pass.0])
    }

    /// The counters of a pass, summed over its mailboxes as they grow.
    fn pass_counter_key(&self, project: &ProjectId, pass: &PassId) -> String {
        self.key(&["pass-counters", &project.0, &pass.0])
    }

    fn folder_counter_key(&self, key: &CounterKey) -> String {
        self.key(&[
            "folder-counters",
            &key.project.0,
            &key.mailbox.0,
            &key.pass.0,
        ])
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn put_project(&self, project: &ProjectRecord) -> Result<(), StoreError> {
        self.connection()
            .hset::<_, _, _, ()>(
                self.key(&["projects"]),
                &project.id.0,
                RedisStore::json(project),
            )
            .await
            .map_err(unavailable)
    }

    async fn project(&self, id: &ProjectId) -> Result<Option<ProjectRecord>, StoreError> {
        let key = self.key(&["projects"]);
        let json: Option<String> = self
            .connection()
            .hget(&key, &id.0)
            .await
            .map_err(unavailable)?;
        json.map(|json| RedisStore::parse(&key, &json)).transpose()
    }

    async fn projects(&self) -> Result<Vec<ProjectRecord>, StoreError> {
        let key = self.key(&["projects"]);
        let all: Vec<String> = self.connection().hvals(&key).await.map_err(unavailable)?;
        let mut projects = all
            .iter()
            .map(|json| RedisStore::parse::<ProjectRecord>(&key, json))
            .collect::<Result<Vec<_>, _>>()?;
        projects.sort_by_key(|project| project.created_at);
        Ok(projects)
    }

    async fn put_mailbox(&self, mailbox: &MailboxRecord) -> Result<(), StoreError> {
        let project = &mailbox.project_id.0;
        let ended = mailbox
            .ended_at
            .and_then(|at| at.timestamp_nanos_opt())
            .map(|nanos| format!("{nanos:020}"))
            .unwrap_or_default();
        self.scripts
            .put_mailbox
            .key(self.key(&["mailboxes", project]))
            .key(self.key(&["mailbox-order", project]))
            .key(self.key(&["mailbox-states", project]))
            .key(self.key(&["state-counts", project]))
            .key(self.key(&["pass-open", project]))
            .key(self.key(&["pass-ended", project]))
            .key(self.key(&["active", project]))
            .arg(&mailbox.id.0)
            .arg(RedisStore::json(mailbox))
            .arg(mailbox.state.name())
            .arg(mailbox.pass_id.as_ref().map_or("", |pass| pass.0.as_str()))
            .arg(if mailbox.state.is_terminal() {
                "1"
            } else {
                "0"
            })
            .arg(ended)
            .invoke_async::<u64>(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn mailbox(
        &self,
        project: &ProjectId,
        id: &MailboxId,
    ) -> Result<Option<MailboxRecord>, StoreError> {
        let key = self.key(&["mailboxes", &project.0]);
        let json: Option<String> = self
            .connection()
            .hget(&key, &id.0)
            .await
            .map_err(unavailable)?;
        json.map(|json| RedisStore::parse(&key, &json)).transpose()
    }

    async fn mailboxes(&self, project: &ProjectId) -> Result<Vec<MailboxRecord>, StoreError> {
        let key = self.key(&["mailboxes", &project.0]);
        let mut connection = self.connection();
        let all: HashMap<String, String> = connection.hgetall(&key).await.map_err(unavailable)?;
        let order: Vec<String> = connection
            .lrange(self.key(&["mailbox-order", &project.0]), 0, -1)
            .await
            .map_err(unavailable)?;
        let mut seen = HashSet::new();
        let mut mailboxes = Vec::with_capacity(all.len());
        for id in order.iter().chain(all.keys()) {
            if seen.insert(id.clone()) {
                if let Some(json) = all.get(id) {
                    mailboxes.push(RedisStore::parse(&key, json)?);
                }
            }
        }
        Ok(mailboxes)
    }

    async fn active_mailboxes(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<MailboxRecord>, StoreError> {
        let key = self.key(&["mailboxes", &project.0]);
        let mut connection = self.connection();
        let ids: Vec<String> = connection
            .smembers(self.key(&["active", &project.0]))
            .await
            .map_err(unavailable)?;
        let mut mailboxes = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(1000) {
            let records: Vec<Option<String>> = redis::cmd("HMGET")
                .arg(&key)
                .arg(chunk)
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            for json in records.into_iter().flatten() {
                mailboxes.push(RedisStore::parse(&key, &json)?);
            }
        }
        Ok(mailboxes)
    }

    async fn project_summary(
        &self,
        project: &ProjectId,
        pass: Option<&PassId>,
    ) -> Result<ProjectSummary, StoreError> {
        let mut pipeline = redis::pipe();
        pipeline
            .hlen(self.key(&["mailboxes", &project.0]))
            .hgetall(self.key(&["state-counts", &project.0]));
        if let Some(pass) = pass {
            pipeline
                .hgetall(self.pass_counter_key(project, pass))
                .hget(self.key(&["pass-open", &project.0]), &pass.0)
                .hget(self.key(&["pass-ended", &project.0]), &pass.0);
        }
        let mut connection = self.connection();
        let ended_key = self.key(&["pass-ended", &project.0]);
        let (mailboxes, by_state, pass_counters, pass_open, ended) = if pass.is_some() {
            let (mailboxes, by_state, counters, open, ended): (
                u64,
                BTreeMap<String, u64>,
                BTreeMap<String, u64>,
                Option<u64>,
                Option<String>,
            ) = pipeline
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            (mailboxes, by_state, counters, open, ended)
        } else {
            let (mailboxes, by_state): (u64, BTreeMap<String, u64>) = pipeline
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            (mailboxes, by_state, BTreeMap::new(), None, None)
        };
        let pass_ended_at = match ended {
            None => None,
            Some(nanos) => Some(DateTime::from_timestamp_nanos(nanos.parse().map_err(
                |_| StoreError::Corrupt {
                    key: ended_key,
                    problem: format!("{nanos:?} is not a time"),
                },
            )?)),
        };
        Ok(ProjectSummary {
            mailboxes,
            by_state: by_state
                .into_iter()
                .filter(|(_, count)| *count > 0)
                .collect(),
            pass_counters: Counters {
                values: pass_counters,
            },
            pass_open: pass_open.unwrap_or(0),
            pass_ended_at,
        })
    }

    async fn put_pass(&self, pass: &PassRecord) -> Result<(), StoreError> {
        self.connection()
            .hset::<_, _, _, ()>(
                self.key(&["passes", &pass.project_id.0]),
                &pass.id.0,
                RedisStore::json(pass),
            )
            .await
            .map_err(unavailable)
    }

    async fn passes(&self, project: &ProjectId) -> Result<Vec<PassRecord>, StoreError> {
        let key = self.key(&["passes", &project.0]);
        let all: Vec<String> = self.connection().hvals(&key).await.map_err(unavailable)?;
        let mut passes = all
            .iter()
            .map(|json| RedisStore::parse::<PassRecord>(&key, json))
            .collect::<Result<Vec<_>, _>>()?;
        passes.sort_by_key(|pass| pass.started_at);
        Ok(passes)
    }

    async fn pass_ids(&self, project: &ProjectId) -> Result<Vec<PassId>, StoreError> {
        let ids: Vec<String> = self
            .connection()
            .hkeys(self.key(&["passes", &project.0]))
            .await
            .map_err(unavailable)?;
        Ok(ids.into_iter().map(PassId).collect())
    }

    async fn pass(
        &self,
        project: &ProjectId,
        id: &PassId,
    ) -> Result<Option<PassRecord>, StoreError> {
        let key = self.key(&["passes", &project.0]);
        let json: Option<String> = self
            .connection()
            .hget(&key, &id.0)
            .await
            .map_err(unavailable)?;
        json.map(|json| RedisStore::parse(&key, &json)).transpose()
    }

    async fn add_counters(&self, key: &CounterKey, deltas: &Counters) -> Result<(), StoreError> {
        if deltas.values.is_empty() {
            return Ok(());
        }
        let redis_key = self.counter_key(key);
        let pass_key = self.pass_counter_key(&key.project, &key.pass);
        let mut pipeline = redis::pipe();
        pipeline.atomic();
        for (name, value) in &deltas.values {
            pipeline.hincr(&redis_key, name, *value).ignore();
            pipeline.hincr(&pass_key, name, *value).ignore();
        }
        pipeline
            .query_async::<()>(&mut self.connection())
            .await
            .map_err(unavailable)
    }

    async fn set_counters(&self, key: &CounterKey, values: &Counters) -> Result<(), StoreError> {
        if values.values.is_empty() {
            return Ok(());
        }
        let mut script = self.scripts.set_counters.prepare_invoke();
        script
            .key(self.counter_key(key))
            .key(self.pass_counter_key(&key.project, &key.pass));
        for (name, value) in &values.values {
            script.arg(name).arg(*value);
        }
        script
            .invoke_async::<u64>(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn counters(&self, key: &CounterKey) -> Result<Counters, StoreError> {
        let values: HashMap<String, u64> = self
            .connection()
            .hgetall(self.counter_key(key))
            .await
            .map_err(unavailable)?;
        Ok(Counters {
            values: values.into_iter().collect(),
        })
    }

    async fn counters_many(&self, keys: &[CounterKey]) -> Result<Vec<Counters>, StoreError> {
        let mut all = Vec::with_capacity(keys.len());
        let mut connection = self.connection();
        for chunk in keys.chunks(1000) {
            let mut pipeline = redis::pipe();
            for key in chunk {
                pipeline.hgetall(self.counter_key(key));
            }
            let values: Vec<BTreeMap<String, u64>> = pipeline
                .query_async(&mut connection)
                .await
                .map_err(unavailable)?;
            all.extend(values.into_iter().map(|values| Counters { values }));
        }
        Ok(all)
    }

    async fn apply_unit_result(&self, outcome: &UnitOutcome<'_>) -> Result<bool, StoreError> {
        let key = outcome.counters;
        let mut script = self.scripts.apply_unit_result.prepare_invoke();
        script
            .key(self.key(&["claimed", &key.pass.0]))
            .key(self.counter_key(key))
            .key(self.folder_counter_key(key))
            .key(self.key(&["errors", &key.project.0, &key.mailbox.0]))
            .key(self.pass_counter_key(&key.project, &key.pass))
            .arg(&outcome.unit.0)
            .arg(outcome.mailbox_deltas.values.len())
            .arg(outcome.folder_deltas.values.len());
        for (name, value) in &outcome.mailbox_deltas.values {
            script.arg(name).arg(*value);
        }
        for (name, value) in &outcome.folder_deltas.values {
            script
                .arg(format!("{}{FOLDER_FIELD_SEPARATOR}{name}", outcome.folder))
                .arg(*value);
        }
        for error in outcome.errors {
            script.arg(RedisStore::json(error));
        }
        let applied: u64 = script
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(applied == 1)
    }

    async fn folder_counters(
        &self,
        key: &CounterKey,
    ) -> Result<BTreeMap<String, Counters>, StoreError> {
        let fields: HashMap<String, u64> = self
            .connection()
            .hgetall(self.folder_counter_key(key))
            .await
            .map_err(unavailable)?;
        let mut folders: BTreeMap<String, Counters> = BTreeMap::new();
        for (field, value) in fields {
            if let Some((folder, name)) = field.rsplit_once(FOLDER_FIELD_SEPARATOR) {
                folders
                    .entry(folder.to_string())
                    .or_default()
                    .add(name, value);
            }
        }
        Ok(folders)
    }

    async fn put_plan(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
        plan: &[u8],
    ) -> Result<(), StoreError> {
        self.connection()
            .set::<_, _, ()>(self.key(&["plan", &pass.0, &mailbox.0]), plan)
            .await
            .map_err(unavailable)
    }

    async fn plan(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.connection()
            .get(self.key(&["plan", &pass.0, &mailbox.0]))
            .await
            .map_err(unavailable)
    }

    async fn unit_attempt(&self, unit: &UnitId) -> Result<u64, StoreError> {
        self.connection()
            .incr(self.key(&["attempts", &unit.0]), 1)
            .await
            .map_err(unavailable)
    }

    async fn record_published_units(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
        units: &[UnitId],
    ) -> Result<(), StoreError> {
        if units.is_empty() {
            return Ok(());
        }
        let members: Vec<&str> = units.iter().map(|unit| unit.0.as_str()).collect();
        self.connection()
            .sadd::<_, _, ()>(self.key(&["published", &pass.0, &mailbox.0]), members)
            .await
            .map_err(unavailable)
    }

    async fn published_units(
        &self,
        pass: &PassId,
        mailbox: &MailboxId,
    ) -> Result<HashSet<UnitId>, StoreError> {
        let members: HashSet<String> = self
            .connection()
            .smembers(self.key(&["published", &pass.0, &mailbox.0]))
            .await
            .map_err(unavailable)?;
        Ok(members.into_iter().map(UnitId).collect())
    }

    async fn migrated(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
        keys: &[ItemKey],
    ) -> Result<Vec<bool>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut script = self.scripts.migrated_flags.prepare_invoke();
        script.key(self.key(&["migrated", &project.0, &mailbox.0]));
        for key in keys {
            script.arg(&key.0[..]);
        }
        let flags: Vec<u8> = script
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        if flags.len() != keys.len() {
            return Err(StoreError::Corrupt {
                key: self.key(&["migrated", &project.0, &mailbox.0]),
                problem: format!("{} answers for {} keys", flags.len(), keys.len()),
            });
        }
        Ok(flags.into_iter().map(|flag| flag == b'1').collect())
    }

    async fn commit_migrated(&self, commit: &MigratedCommit<'_>) -> Result<u64, StoreError> {
        if commit.items.is_empty() {
            return Ok(0);
        }
        let key = commit.counters;
        let mut script = self.scripts.commit_migrated.prepare_invoke();
        script
            .key(self.key(&["migrated", &key.project.0, &key.mailbox.0]))
            .key(self.counter_key(key))
            .key(self.key(&["unit-copied", &key.pass.0]))
            .key(self.key(&["pending", &commit.unit.0]))
            .key(self.pass_counter_key(&key.project, &key.pass))
            .arg(&commit.unit.0)
            .arg(counter::ITEMS_COPIED)
            .arg(counter::BYTES_COPIED)
            .arg(counter::CLASS_ITEMS_PREFIX)
            .arg(counter::CLASS_BYTES_PREFIX)
            .arg(counter::ADDRESSES_REWRITTEN);
        for item in commit.items {
            script
                .arg(&item.key.0[..])
                .arg(item.item_class)
                .arg(item.bytes)
                .arg(item.addresses_rewritten);
        }
        script
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)
    }

    async fn unit_copied(&self, pass: &PassId, unit: &UnitId) -> Result<Copied, StoreError> {
        let (items, bytes): (Option<u64>, Option<u64>) = self
            .connection()
            .hmget(
                self.key(&["unit-copied", &pass.0]),
                &[unit.0.clone(), format!("{}:bytes", unit.0)],
            )
            .await
            .map_err(unavailable)?;
        Ok(Copied {
            items: items.unwrap_or(0),
            bytes: bytes.unwrap_or(0),
        })
    }

    async fn migrated_count(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
    ) -> Result<u64, StoreError> {
        let count: Option<u64> = self
            .connection()
            .hget(self.key(&["migrated", &project.0, &mailbox.0]), "count")
            .await
            .map_err(unavailable)?;
        Ok(count.unwrap_or(0))
    }

    async fn add_pending(&self, unit: &UnitId, keys: &[ItemKey]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let members: Vec<&[u8]> = keys.iter().map(|key| &key.0[..]).collect();
        self.connection()
            .sadd::<_, _, ()>(self.key(&["pending", &unit.0]), members)
            .await
            .map_err(unavailable)
    }

    async fn pending(&self, unit: &UnitId) -> Result<Vec<ItemKey>, StoreError> {
        let key = self.key(&["pending", &unit.0]);
        let members: Vec<Vec<u8>> = self
            .connection()
            .smembers(&key)
            .await
            .map_err(unavailable)?;
        let mut keys = members
            .into_iter()
            .map(|member| {
                member
                    .try_into()
                    .map(ItemKey)
                    .map_err(|_| StoreError::Corrupt {
                        key: key.clone(),
                        problem: "an item key is not 16 bytes".into(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        keys.sort();
        Ok(keys)
    }

    async fn clear_pending(&self, unit: &UnitId, keys: &[ItemKey]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let members: Vec<&[u8]> = keys.iter().map(|key| &key.0[..]).collect();
        self.connection()
            .srem::<_, _, ()>(self.key(&["pending", &unit.0]), members)
            .await
            .map_err(unavailable)
    }

    async fn append_errors(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
        errors: &[ItemErrorRecord],
    ) -> Result<(), StoreError> {
        if errors.is_empty() {
            return Ok(());
        }
        let entries: Vec<String> = errors.iter().map(RedisStore::json).collect();
        self.connection()
            .rpush::<_, _, ()>(self.key(&["errors", &project.0, &mailbox.0]), entries)
            .await
            .map_err(unavailable)
    }

    async fn errors(
        &self,
        project: &ProjectId,
        mailbox: &MailboxId,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<ItemErrorRecord>, u64), StoreError> {
        let key = self.key(&["errors", &project.0, &mailbox.0]);
        let mut connection = self.connection();
        let total: u64 = connection.llen(&key).await.map_err(unavailable)?;
        if limit == 0 || offset >= total {
            return Ok((Vec::new(), total));
        }
        let entries: Vec<String> = connection
            .lrange(&key, offset as isize, (offset + limit - 1) as isize)
            .await
            .map_err(unavailable)?;
        let errors = entries
            .iter()
            .map(|json| RedisStore::parse(&key, json))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((errors, total))
    }

    async fn try_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        let taken: u64 = self
            .scripts
            .take_lease
            .key(self.key(&["lease", name]))
            .arg(holder)
            .arg(ttl.as_millis().max(1) as u64)
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(taken == 1)
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.scripts
            .release_lease
            .key(self.key(&["lease", name]))
            .arg(holder)
            .invoke_async::<u64>(&mut self.connection())
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn try_slot(
        &self,
        slots: &str,
        holder: &str,
        limit: u32,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let taken: u64 = self
            .scripts
            .try_slot
            .key(self.key(&["slots", slots]))
            .arg(holder)
            .arg(limit)
            .arg(ttl.as_millis().max(1) as u64)
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(taken == 1)
    }

    async fn release_slot(&self, slots: &str, holder: &str) -> Result<(), StoreError> {
        self.connection()
            .zrem::<_, _, u64>(self.key(&["slots", slots]), holder)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn window_spend(
        &self,
        window: &str,
        span: Duration,
        limit: u64,
        amount: u64,
    ) -> Result<WindowSpend, StoreError> {
        let id = crate::model::new_id();
        let reply: Vec<u64> = self
            .scripts
            .window_spend
            .key(self.key(&["window", window]))
            .arg(span.as_millis().max(1) as u64)
            .arg(limit)
            .arg(amount)
            .arg(&id)
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        match reply.as_slice() {
            [1] => Ok(WindowSpend::Spent(WindowEntry { id, amount })),
            [0, wait, room] => Ok(WindowSpend::Full {
                wait: Duration::from_millis(*wait),
                room: *room,
            }),
            other => Err(StoreError::Corrupt {
                key: self.key(&["window", window]),
                problem: format!("the window script answered {other:?}"),
            }),
        }
    }

    async fn window_adjust(
        &self,
        window: &str,
        span: Duration,
        entry: &WindowEntry,
        amount: u64,
    ) -> Result<WindowEntry, StoreError> {
        let adjusted = WindowEntry {
            id: entry.id.clone(),
            amount,
        };
        self.scripts
            .window_adjust
            .key(self.key(&["window", window]))
            .arg(format!("{}:{}", entry.id, entry.amount))
            .arg(amount)
            .arg(format!("{}:{}", adjusted.id, adjusted.amount))
            .arg(span.as_millis().max(1) as u64)
            .invoke_async::<u64>(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(adjusted)
    }

    async fn rate_turn(
        &self,
        rate: &str,
        per_second: f64,
        burst: u32,
        turns: u32,
    ) -> Result<Duration, StoreError> {
        let interval = super::rate::interval(per_second).as_micros().max(1) as u64;
        let wait: u64 = self
            .scripts
            .rate_turn
            .key(self.key(&["rate", rate]))
            .arg(interval)
            .arg(burst.max(1))
            .arg(turns.max(1))
            .invoke_async(&mut self.connection())
            .await
            .map_err(unavailable)?;
        Ok(Duration::from_micros(wait))
    }
}
