//! The summary `ferry demo` prints when the pass is over.

use std::fmt::Write;
use std::time::Duration;

use ferry_proto::v1;

use crate::render::{bytes, duration};

/// The summary of a finished pass.
pub fn summary(status: &v1::ProjectStatus, elapsed: Duration, label: &str) -> String {
    let counters = status.counters.clone().unwrap_or_default();
    let seconds = elapsed.as_secs_f64().max(0.001);
    let state = |name: &str| status.mailboxes_by_state.get(name).copied().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{label}: {} mailboxes in {}: {} completed, {} completed with errors, {} failed",
        status.mailboxes_total,
        duration(seconds),
        state("completed"),
        state("completed_with_errors"),
        state("failed"),
    );
    let _ = writeln!(
        out,
        "  items     {} copied ({}), {} already at the destination, {} failed; {} folders ({} created)",
        counters.items_copied,
        bytes(counters.bytes_copied),
        counters.items_already_present,
        counters.items_failed,
        counters.folders_total,
        counters.folders_created,
    );
    let _ = writeln!(
        out,
        "  speed     {:.1} items/s, {}/s; {} throttling replies honoured",
        counters.items_copied as f64 / seconds,
        bytes((counters.bytes_copied as f64 / seconds) as u64),
        counters.throttle_events,
    );
    if counters.addresses_rewritten > 0 {
        let _ = writeln!(
            out,
            "  mapping   {} addresses rewritten to the destination's",
            counters.addresses_rewritten
        );
    }
    if !counters.items_by_class.is_empty() {
        let _ = writeln!(out, "  by type");
        let mut classes: Vec<_> = counters.items_by_class.iter().collect();
        classes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (class, items) in classes {
            let size = counters.bytes_by_class.get(class).copied().unwrap_or(0);
            let _ = writeln!(out, "    {class:<36} {items:>7}  {:>10}", bytes(size));
        }
    }
    if counters.errors_by_code.is_empty() {
        let _ = writeln!(out, "  errors    none");
    } else {
        let _ = writeln!(out, "  errors");
        let mut errors: Vec<_> = counters.errors_by_code.iter().collect();
        errors.sort();
        for (code, count) in errors {
            let _ = writeln!(out, "    {code:<36} {count:>7}");
        }
    }
    out
}
