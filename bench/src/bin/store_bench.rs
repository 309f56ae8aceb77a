//! What the store costs per migrated item in Redis, and how fast workers can record items.
//!
//!     cargo run --release -p ferry-bench --bin store-bench -- --items 200000
//!
//! Records `--items` item keys as migrated for one mailbox through `RedisStore::commit_migrated`
//! in batches of `--batch` (as workers do, one call per uploaded batch), then asks Redis for the
//! memory of the mailbox's migrated set (`MEMORY USAGE ... SAMPLES 0`, exact) and for the growth
//! of `used_memory` over the run. Uses a fresh key prefix and deletes it afterwards.

use std::time::Instant;

use clap::Parser;
use ferry_core::model::{ItemKey, MailboxId, PassId, ProjectId, UnitId};
use ferry_core::store::redis::RedisStore;
use ferry_core::store::{CounterKey, MigratedCommit, MigratedItem, Store};

#[derive(Debug, Parser)]
struct Args {
    /// Redis URL.
    #[arg(long, default_value = "redis://127.0.0.1:6379/0")]
    redis: String,
    /// Items to record.
    #[arg(long, default_value_t = 200_000)]
    items: u64,
    /// Items per commit.
    #[arg(long, default_value_t = 50)]
    batch: usize,
}

async fn used_memory(client: &redis::Client) -> anyhow::Result<u64> {
    let mut connection = client.get_multiplexed_async_connection().await?;
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut connection)
        .await?;
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("INFO memory has no used_memory"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let prefix = format!("ferry-bench-{}", uuid::Uuid::new_v4().simple());
    let store = RedisStore::connect(&args.redis, &prefix).await?;
    let client = redis::Client::open(args.redis.as_str())?;
    let key = CounterKey {
        project: ProjectId("project".into()),
        mailbox: MailboxId("mailbox".into()),
        pass: PassId("pass".into()),
    };
    let unit = UnitId("unit".into());
    let before = used_memory(&client).await?;
    let started = Instant::now();
    let keys: Vec<ItemKey> = (0..args.items)
        .map(|n| ItemKey::of("ann@contoso.com", &format!("AAMkAGI2TG93AAA{n:012}")))
        .collect();
    for chunk in keys.chunks(args.batch.max(1)) {
        let items: Vec<MigratedItem<'_>> = chunk
            .iter()
            .map(|key| MigratedItem {
                key: *key,
                item_class: "IPM.Note",
                bytes: 40_000,
                addresses_rewritten: 0,
            })
            .collect();
        store
            .commit_migrated(&MigratedCommit {
                counters: &key,
                unit: &unit,
                items: &items,
            })
            .await?;
    }
    let elapsed = started.elapsed();
    let after = used_memory(&client).await?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    let set_bytes: u64 = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(format!("{prefix}:migrated:project:mailbox"))
        .arg("SAMPLES")
        .arg(0)
        .query_async(&mut connection)
        .await?;
    let recorded = store.migrated_count(&key.project, &key.mailbox).await?;
    store.delete_all().await?;

    println!(
        "- recorded {recorded} items in batches of {}: {:.2} s, {:.0} items/s",
        args.batch,
        elapsed.as_secs_f64(),
        recorded as f64 / elapsed.as_secs_f64()
    );
    println!(
        "- migrated set: {set_bytes} bytes, {:.1} bytes per item (MEMORY USAGE)",
        set_bytes as f64 / recorded as f64
    );
    println!(
        "- Redis used_memory grew {} bytes, {:.1} bytes per item (all keys the commits touch)",
        after.saturating_sub(before),
        after.saturating_sub(before) as f64 / recorded as f64
    );
    Ok(())
}
