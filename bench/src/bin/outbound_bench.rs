//! What preparing an exported item for upload costs the worker: reading its FastTransfer stream,
//! writing the stamp, mapping its addresses, writing it back. And the memory that takes for one
//! 140 MB item.
//!
//!     cargo run --release -p ferry-bench --bin outbound-bench -- --mailboxes 20 --items-median 300
//!
//! Part one exports every item of a seeded tenant as the simulator does (1 MiB chunks, as the
//! EWS client decodes them) and prepares each, with the stamp only and with the stamp and
//! recipient mapping, several rounds, single-threaded. Part two prepares one item with a 140 MB
//! attachment under a counting allocator: the peak of bytes allocated above what holding the
//! input already takes.

use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use clap::Parser;
use ferry_core::mapping::RecipientMapping;
use ferry_core::model::ItemKey;
use ferry_ews::data::ItemData;
use ferry_sim::export_stream::encode;
use ferry_sim::model::address::Address;
use ferry_sim::model::{Blob, Item, Message, RecipientType};
use ferry_worker::outbound::{AddressMapper, OutboundItem};
use peak_alloc::PeakAlloc;

/// Counts bytes allocated and their peak, for part two.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

#[derive(Debug, Parser)]
struct Args {
    /// Source mailboxes to seed.
    #[arg(long, default_value_t = 20)]
    mailboxes: usize,
    /// Median items per mailbox.
    #[arg(long, default_value_t = 300)]
    items_median: u32,
    /// Rounds over all items per mode.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Size of the large item's attachment, MiB.
    #[arg(long, default_value_t = 140)]
    large_mb: u64,
}

fn chunked(segments: Vec<Bytes>) -> ItemData {
    // As the EWS client delivers export data: 1 MiB chunks decoded from the reply.
    let mut chunks = Vec::new();
    let mut current = Vec::with_capacity(1 << 20);
    for segment in segments {
        let mut rest: &[u8] = &segment;
        while !rest.is_empty() {
            let take = rest.len().min((1 << 20) - current.len());
            current.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if current.len() == 1 << 20 {
                chunks.push(Bytes::from(std::mem::replace(
                    &mut current,
                    Vec::with_capacity(1 << 20),
                )));
            }
        }
    }
    if !current.is_empty() {
        chunks.push(Bytes::from(current));
    }
    ItemData::from(chunks)
}

fn mapping() -> RecipientMapping {
    RecipientMapping::parse(&[
        "@contoso.com->@fabrikam.com".to_string(),
        "@contoso-legacy.com->@fabrikam.com".to_string(),
    ])
    .expect("valid expressions")
}

fn prepare(data: &ItemData, key: ItemKey, mapping: Option<&RecipientMapping>) -> (ItemData, u32) {
    let mut item = OutboundItem::read(data).expect("reads");
    item.stamp(key);
    let mut rewritten = 0;
    if let Some(mapping) = mapping {
        let _ = item.unresolved_exchange_addresses();
        rewritten = item.map_addresses(&AddressMapper {
            mapping,
            exchange: &HashMap::new(),
        });
    }
    (item.into_data().expect("writes"), rewritten)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = ferry_sim::SimConfig::default();
    config.seed.mailboxes = args.mailboxes;
    config.seed.items_median = args.items_median;
    let directory = ferry_sim::seed::seed_directory(&config)?;
    let exported: Vec<ItemData> = directory.tenants()[0]
        .mailboxes()
        .iter()
        .flat_map(|mailbox| {
            let state = mailbox.lock();
            state
                .items
                .values()
                .map(|item| chunked(encode(item)))
                .collect::<Vec<_>>()
        })
        .collect();
    let bytes: usize = exported.iter().map(ItemData::len).sum();
    println!(
        "- {} items of export data, {:.1} MiB, from {} seeded mailboxes; {} rounds per mode, one thread",
        exported.len(),
        bytes as f64 / 1048576.0,
        args.mailboxes,
        args.rounds
    );
    println!("\n| mode | items/s | µs per item | MiB/s | addresses rewritten per round |");
    println!("|---|---:|---:|---:|---:|");
    let mapping = mapping();
    for (name, mapping) in [
        ("stamp", None),
        ("stamp + recipient mapping", Some(&mapping)),
    ] {
        let started = Instant::now();
        let mut rewritten = 0u64;
        for round in 0..args.rounds {
            for (index, data) in exported.iter().enumerate() {
                let key = ItemKey::of("bench", &format!("{round}.{index}"));
                rewritten += u64::from(prepare(data, key, mapping).1);
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let items = (exported.len() * args.rounds) as f64;
        println!(
            "| {name} | {:.0} | {:.1} | {:.0} | {} |",
            items / seconds,
            seconds / items * 1e6,
            (bytes * args.rounds) as f64 / 1048576.0 / seconds,
            rewritten / args.rounds as u64
        );
    }

    // Part two: one large item.
    let blob = Bytes::from(vec![0x5Au8; 4 << 20]);
    let size = args.large_mb << 20;
    let segments: Vec<Bytes> = (0..size.div_ceil(4 << 20))
        .map(|index| blob.slice(..((size - index * (4 << 20)).min(4 << 20)) as usize))
        .collect();
    let mut message = Message::of_class("IPM.Note");
    message.set_subject("large");
    message.set_from(&Address::exchange(
        "Ann Lee",
        "/o=ExchangeLabs/cn=ann",
        Some("ann@contoso.com"),
    ));
    message.add_recipient(&Address::smtp("Bob", "bob@contoso.com"), RecipientType::To);
    message.add_file_attachment("large.bin", "application/octet-stream", Blob::new(segments));
    let data = chunked(encode(&Item::new(1, message, 0)));
    drop(blob);
    let baseline = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let started = Instant::now();
    let (out, rewritten) = prepare(&data, ItemKey([9; 16]), Some(&mapping));
    let seconds = started.elapsed().as_secs_f64();
    let peak = ALLOCATOR.peak_usage() - baseline;
    let held = ALLOCATOR.current_usage() - baseline;
    let shared = out.bytes_within(data.chunks());
    println!(
        "\n- a {:.1} MiB item (a {} MiB attachment) in {} chunks of 1 MiB, stamped and mapped ({rewritten} addresses) in {:.2} ms",
        data.len() as f64 / 1048576.0,
        args.large_mb,
        data.chunks().len(),
        seconds * 1e3
    );
    println!(
        "- allocated above the input at the peak: {} bytes ({:.3} of a 1 MiB chunk); still held with the output: {held} bytes",
        peak,
        peak as f64 / 1048576.0
    );
    println!(
        "- the output shares {:.1} MiB of its {:.1} MiB with the input",
        shared as f64 / 1048576.0,
        out.len() as f64 / 1048576.0
    );
    Ok(())
}
