//! How the client shows API replies: readable text for people, JSON for scripts (stable field
//! names, numbers as numbers, states as `completed_with_errors`-style names).

use std::fmt::Write;

use ferry_core::wire::datetime;
use ferry_proto::v1;
use serde_json::{json, Value};

/// A byte count for people (`1.5 MiB`).
pub fn bytes(count: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = count as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{count} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A duration for people (`1h 02m`, `3m 07s`, `12s`).
pub fn duration(seconds: f64) -> String {
    let total = seconds.max(0.0).round() as u64;
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m {seconds:02}s")
    } else {
        format!("{seconds}s")
    }
}

/// A mailbox state's name (`completed_with_errors`).
pub fn state_name(state: i32) -> &'static str {
    match v1::MailboxState::try_from(state).unwrap_or(v1::MailboxState::Unspecified) {
        v1::MailboxState::Unspecified => "unknown",
        v1::MailboxState::NotStarted => "not_started",
        v1::MailboxState::Queued => "queued",
        v1::MailboxState::Running => "running",
        v1::MailboxState::Completed => "completed",
        v1::MailboxState::CompletedWithErrors => "completed_with_errors",
        v1::MailboxState::Failed => "failed",
    }
}

fn time(timestamp: &Option<prost_types::Timestamp>) -> Value {
    timestamp
        .as_ref()
        .and_then(datetime)
        .map_or(Value::Null, |time| Value::String(time.to_rfc3339()))
}

/// Items dealt with so far.
pub fn processed(counters: &v1::Counters) -> u64 {
    counters.items_copied + counters.items_already_present + counters.items_failed
}

/// Counters as JSON.
pub fn counters_json(counters: &v1::Counters) -> Value {
    json!({
        "items_planned": counters.items_planned,
        "bytes_planned": counters.bytes_planned,
        "items_copied": counters.items_copied,
        "bytes_copied": counters.bytes_copied,
        "items_already_present": counters.items_already_present,
        "items_failed": counters.items_failed,
        "errors_by_code": counters.errors_by_code,
        "items_by_class": counters.items_by_class,
        "bytes_by_class": counters.bytes_by_class,
        "throttle_events": counters.throttle_events,
        "units_total": counters.units_total,
        "units_done": counters.units_done,
        "folders_total": counters.folders_total,
        "folders_created": counters.folders_created,
        "addresses_rewritten": counters.addresses_rewritten,
    })
}

/// A project as JSON (never with secrets: the API does not return them).
pub fn project_json(project: &v1::Project) -> Value {
    let endpoint = |endpoint: &Option<v1::EndpointSummary>| {
        endpoint.as_ref().map_or(Value::Null, |endpoint| {
            json!({
                "tenant": endpoint.tenant,
                "ews_url": endpoint.ews_url,
                "credential_kind": endpoint.credential_kind,
                "client_id": endpoint.client_id,
                "username": endpoint.username,
            })
        })
    };
    json!({
        "id": project.id,
        "name": project.name,
        "source": endpoint(&project.source),
        "destination": endpoint(&project.destination),
        "created_at": time(&project.created_at),
    })
}

/// A mailbox's status as JSON.
pub fn mailbox_status_json(status: &v1::MailboxStatus) -> Value {
    let mailbox = status.mailbox.clone().unwrap_or_default();
    json!({
        "id": mailbox.id,
        "source_address": mailbox.source_address,
        "destination_address": mailbox.destination_address,
        "state": state_name(status.state),
        "pass_id": status.pass_id,
        "counters": counters_json(&status.counters.clone().unwrap_or_default()),
        "started_at": time(&status.started_at),
        "ended_at": time(&status.ended_at),
        "items_per_second": status.items_per_second,
        "estimated_seconds_left": status.estimated_seconds_left,
        "failure": status.failure,
        "folders": status.folders.iter().map(|folder| json!({
            "path": folder.path,
            "items_seen": folder.items_seen,
            "items_copied": folder.items_copied,
            "bytes_copied": folder.bytes_copied,
            "items_already_present": folder.items_already_present,
            "items_failed": folder.items_failed,
            "units_done": folder.units_done,
        })).collect::<Vec<_>>(),
    })
}

/// A project's status as JSON.
pub fn project_status_json(status: &v1::ProjectStatus) -> Value {
    json!({
        "project": status.project.as_ref().map_or(Value::Null, project_json),
        "pass_id": status.pass_id,
        "pass_complete": status.pass_complete,
        "mailboxes_total": status.mailboxes_total,
        "mailboxes_by_state": status.mailboxes_by_state,
        "counters": counters_json(&status.counters.clone().unwrap_or_default()),
        "started_at": time(&status.started_at),
        "ended_at": time(&status.ended_at),
        "items_per_second": status.items_per_second,
        "estimated_seconds_left": status.estimated_seconds_left,
        "mailboxes": status.mailboxes.iter().map(mailbox_status_json).collect::<Vec<_>>(),
    })
}

/// A pass as JSON.
pub fn pass_json(pass: &v1::Pass) -> Value {
    json!({
        "id": pass.id,
        "project_id": pass.project_id,
        "kind": match v1::PassKind::try_from(pass.kind) {
            Ok(v1::PassKind::PreStage) => "pre_stage",
            _ => "full",
        },
        "mailbox_ids": pass.mailbox_ids,
        "started_at": time(&pass.started_at),
        "received_before": time(&pass.received_before),
    })
}

/// An item error as JSON.
pub fn error_json(error: &v1::ItemError) -> Value {
    json!({
        "source_item_id": error.source_item_id,
        "folder_path": error.folder_path,
        "code": error.code,
        "message": error.message,
        "subject": error.subject,
        "item_class": error.item_class,
        "size": error.size,
        "pass_id": error.pass_id,
        "at": time(&error.at),
    })
}

/// A project's status as text.
pub fn project_status_text(status: &v1::ProjectStatus) -> String {
    let mut out = String::new();
    let counters = status.counters.clone().unwrap_or_default();
    if let Some(project) = &status.project {
        let _ = writeln!(out, "Project {} ({})", project.name, project.id);
    }
    let state = if status.pass_id.is_empty() {
        "no pass yet"
    } else if status.pass_complete {
        "complete"
    } else {
        "running"
    };
    let _ = writeln!(
        out,
        "Pass    {} ({state})",
        if status.pass_id.is_empty() {
            "-"
        } else {
            &status.pass_id
        }
    );
    let mut states: Vec<_> = status.mailboxes_by_state.iter().collect();
    states.sort();
    let states: Vec<String> = states
        .iter()
        .map(|(state, count)| format!("{count} {state}"))
        .collect();
    let _ = writeln!(
        out,
        "Mailboxes {}: {}",
        status.mailboxes_total,
        states.join(", ")
    );
    let _ = writeln!(
        out,
        "Items   {} of {} done: {} copied ({}), {} already there, {} failed",
        processed(&counters),
        counters.items_planned,
        counters.items_copied,
        bytes(counters.bytes_copied),
        counters.items_already_present,
        counters.items_failed
    );
    let _ = writeln!(
        out,
        "Rate    {:.1} items/s; {}; {} throttle events",
        status.items_per_second,
        if status.pass_complete {
            "finished".to_string()
        } else {
            format!("about {} left", duration(status.estimated_seconds_left))
        },
        counters.throttle_events
    );
    if counters.addresses_rewritten > 0 {
        let _ = writeln!(
            out,
            "Mapped  {} addresses rewritten to the destination's",
            counters.addresses_rewritten
        );
    }
    if !counters.errors_by_code.is_empty() {
        let mut errors: Vec<_> = counters.errors_by_code.iter().collect();
        errors.sort();
        let errors: Vec<String> = errors
            .iter()
            .map(|(code, count)| format!("{code} {count}"))
            .collect();
        let _ = writeln!(out, "Errors  {}", errors.join(", "));
    }
    for mailbox in &status.mailboxes {
        let counters = mailbox.counters.clone().unwrap_or_default();
        let address = mailbox
            .mailbox
            .as_ref()
            .map(|mailbox| mailbox.source_address.as_str())
            .unwrap_or("?");
        let mapped = if counters.addresses_rewritten > 0 {
            format!(" {:>6} addresses mapped", counters.addresses_rewritten)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {address:<40} {:<22} {:>7}/{:<7} {:>3} failed{mapped}",
            state_name(mailbox.state),
            processed(&counters),
            counters.items_planned,
            counters.items_failed
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(duration(7.4), "7s");
        assert_eq!(duration(187.0), "3m 07s");
        assert_eq!(duration(3720.0), "1h 02m");
    }
}
