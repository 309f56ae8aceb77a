//! The delta functions: `GET …/folders/{id}/items/delta`, `GET …/folders/delta` and
//! `GET …/folders/{id}/childFolders/delta`, answered from the mailbox's change logs (the ones
//! EWS's `SyncFolderItems` and `SyncFolderHierarchy` read).
//!
//! A round starts without a token and reads every change up to the moment it started; its
//! pages follow `@odata.nextLink` (`$skiptoken`) until one carries `@odata.deltaLink`
//! (`$deltatoken`), which starts the next round with the changes since. Objects added or
//! changed come whole (or as `$select` asks); objects gone come as
//! `{"id": …, "@removed": {"reason": "deleted"}}` (Graph's delta convention; the mailbox pages
//! do not document it), and an object created and deleted between two rounds is not reported
//! at all. Changes made while a round pages are reported in the next round. Options go on the
//! round's first call only (they travel in the tokens): items take `$select`, `$top`,
//! `$filter=receivedDateTime ge|gt {value}` and `$orderby=receivedDateTime desc` (which orders
//! each page); folders take `$select` and `$top`. `$expand` is not documented for delta and is
//! refused. The page size is `Prefer: odata.maxpagesize`, else `$top`, else
//! `graph.default_page_size`, at most `graph.max_page_size`; the preference is acknowledged in
//! `Preference-Applied`.

use std::ops::Bound;

use super::collection::collection_json;
use super::context::{GraphReply, MailboxContext};
use super::delta_token::{not_found, DeltaScope, DeltaState};
use super::error::GraphError;
use super::filter::{Filter, Op, Value as FilterValue};
use super::folders::{folder_id, folder_json, resolve_path, FOLDER_PROPERTIES};
use super::items::{item_id, item_json, ITEM_PROPERTIES, ITEM_SCHEMA, ITEM_TYPE};
use super::json::JsonObject;
use super::query;
use super::route::FolderPath;
use crate::model::{MailboxState, WellKnownFolder};

/// One change a page reports.
enum Change {
    Present(u64),
    Removed(u64),
}

/// The round's state: the token's, or a new round's from the first call's options.
fn round_state(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    scope: DeltaScope,
    first_call_options: &[&str],
    first_call: impl FnOnce(usize) -> Result<DeltaState, GraphError>,
) -> Result<DeltaState, GraphError> {
    let query = &ctx.request.query;
    let instance = ctx.sim.graph.instance;
    let now = state.change_number();
    let round = match (query.get("$skiptoken"), query.get("$deltatoken")) {
        (Some(_), Some(_)) => {
            return Err(GraphError::bad_request(
                "Give either $skiptoken or $deltatoken, not both.",
            ))
        }
        (Some(token), None) => {
            query.allow_only(&["$skiptoken"])?;
            DeltaState::decode(token, instance, ctx.mailbox.guid, scope, true)?
        }
        (None, Some(token)) => {
            query.allow_only(&["$deltatoken"])?;
            let previous = DeltaState::decode(token, instance, ctx.mailbox.guid, scope, false)?;
            DeltaState {
                base: previous.upto,
                upto: now,
                position: previous.upto,
                within_round: true,
                ..previous
            }
        }
        (None, None) => {
            query.allow_only(first_call_options)?;
            let config = &ctx.sim.config.graph;
            let page_size = query::max_page_size(&ctx.request.headers)?
                .or(query::top(query)?)
                .unwrap_or(config.default_page_size)
                .clamp(1, config.max_page_size);
            DeltaState {
                upto: now,
                ..first_call(page_size)?
            }
        }
    };
    if round.upto > now || round.position > round.upto {
        return Err(not_found());
    }
    Ok(round)
}

fn new_round(ctx: &MailboxContext<'_>, scope: DeltaScope, page_size: usize) -> DeltaState {
    DeltaState {
        instance: ctx.sim.graph.instance,
        mailbox: ctx.mailbox.guid,
        scope,
        base: 0,
        upto: 0,
        position: 0,
        page_size,
        select: None,
        received_after: None,
        newest_first: false,
        within_round: true,
    }
}

/// Reads `$select` into the token's form.
fn selected(
    ctx: &MailboxContext<'_>,
    properties: &[&'static str],
    type_name: &str,
) -> Result<Option<Vec<String>>, GraphError> {
    Ok(query::select(&ctx.request.query, properties, type_name)?
        .map(|names| names.into_iter().map(str::to_string).collect()))
}

/// The token's `$select` as the type's property names.
fn select_of(round: &DeltaState, properties: &[&'static str]) -> Option<Vec<&'static str>> {
    round.select.as_ref().map(|names| {
        properties
            .iter()
            .copied()
            .filter(|property| names.iter().any(|name| name == property))
            .collect()
    })
}

/// Writes the page and its link: the next page's within the round, else the next round's.
fn reply(
    ctx: &MailboxContext<'_>,
    operation: &'static str,
    type_name: &str,
    values: Vec<String>,
    mut round: DeltaState,
    more: bool,
) -> GraphReply {
    let (next, delta) = if more {
        let link = ctx
            .request
            .link_with(&[("$skiptoken".into(), round.encode())]);
        (Some(link), None)
    } else {
        round.base = round.upto;
        round.position = round.upto;
        round.within_round = false;
        let link = ctx
            .request
            .link_with(&[("$deltatoken".into(), round.encode())]);
        (None, Some(link))
    };
    let body = collection_json(
        &ctx.metadata(&format!("Collection({type_name})")),
        &values,
        None,
        next.as_deref(),
        delta.as_deref(),
    );
    let mut reply = GraphReply::json(200, operation, body);
    if ctx.request.headers.contains_key("prefer") {
        reply = reply.with_header(
            "preference-applied",
            format!("odata.maxpagesize={}", round.page_size),
        );
    }
    reply
}

/// The changes this round has yet to report: after `position`, up to `upto` (empty when the
/// round has reported them all).
fn unreported(round: &DeltaState) -> (Bound<u64>, Bound<u64>) {
    (
        Bound::Excluded(round.position),
        Bound::Included(round.upto.max(round.position)),
    )
}

fn removed(id: String) -> String {
    JsonObject::new()
        .string("id", &id)
        .raw("@removed", r#"{"reason":"deleted"}"#)
        .finish()
}

/// `GET …/folders/{id}/items/delta`.
pub fn item_delta(ctx: &MailboxContext<'_>, path: &FolderPath) -> Result<GraphReply, GraphError> {
    let state = ctx.mailbox.lock();
    let folder = resolve_path(ctx, &state, path)?;
    let scope = DeltaScope::Items(folder);
    let mut round = round_state(
        ctx,
        &state,
        scope,
        &["$select", "$top", "$filter", "$orderby"],
        |page_size| {
            let mut round = new_round(ctx, scope, page_size);
            round.select = selected(ctx, ITEM_PROPERTIES, ITEM_TYPE)?;
            round.received_after = ctx
                .request
                .query
                .get("$filter")
                .map(received_filter)
                .transpose()?;
            round.newest_first = match ctx.request.query.get("$orderby") {
            None => false,
            Some(order) if order.split_whitespace().map(str::to_ascii_lowercase).eq(["receiveddatetime", "desc"]) => true,
            Some(other) => {
                return Err(GraphError::bad_request(format!(
                    "$orderby '{other}' is not supported by delta; the only order is receivedDateTime desc."
                )))
            }
        };
            Ok(round)
        },
    )?;
    let mut changes = Vec::new();
    let mut more = false;
    for (change, entry) in state.folders[&folder]
        .item_changes
        .range(unreported(&round))
    {
        if changes.len() == round.page_size {
            more = true;
            break;
        }
        round.position = *change;
        if entry.deleted {
            if entry.created_change <= round.base {
                changes.push(Change::Removed(entry.item_seq));
            }
            continue;
        }
        let Some(item) = state.items.get(&entry.item_seq) else {
            continue;
        };
        let wanted = round.received_after.is_none_or(|(strictly, after)| {
            item.received() > after || (!strictly && item.received() == after)
        });
        if wanted {
            changes.push(Change::Present(entry.item_seq));
        }
    }
    if round.newest_first {
        changes.sort_by_key(|change| match change {
            Change::Present(seq) => std::cmp::Reverse(Some(state.items[seq].received())),
            Change::Removed(_) => std::cmp::Reverse(None),
        });
    }
    let select = select_of(&round, ITEM_PROPERTIES);
    let expand = Default::default();
    let values = changes
        .iter()
        .map(|change| match change {
            Change::Present(seq) => item_json(ctx, &state.items[seq], select.as_deref(), &expand),
            Change::Removed(seq) => removed(item_id(ctx, *seq)),
        })
        .collect();
    Ok(reply(ctx, "itemDelta", "mailboxItem", values, round, more))
}

/// The only filter item delta takes: `receivedDateTime ge|gt {value}`.
fn received_filter(text: &str) -> Result<(bool, i64), GraphError> {
    match Filter::parse(text, &ITEM_SCHEMA)? {
        Filter::Compare {
            property: "receivedDateTime",
            op: op @ (Op::Gt | Op::Ge),
            value: FilterValue::Time(time),
        } => Ok((op == Op::Gt, time)),
        _ => Err(GraphError::bad_request(format!(
            "The $filter '{text}' is not supported by delta; the only filters are receivedDateTime ge {{value}} and receivedDateTime gt {{value}}."
        ))),
    }
}

/// `GET …/folders/delta` (`parent` `None`) and `GET …/folders/{id}/childFolders/delta`.
pub fn folder_delta(
    ctx: &MailboxContext<'_>,
    parent: Option<&FolderPath>,
) -> Result<GraphReply, GraphError> {
    let state = ctx.mailbox.lock();
    let root = state.well_known_folder(WellKnownFolder::Root);
    let scope = match parent {
        Some(path) => DeltaScope::ChildFolders(resolve_path(ctx, &state, path)?),
        None => DeltaScope::Folders,
    };
    let mut round = round_state(ctx, &state, scope, &["$select", "$top"], |page_size| {
        let mut round = new_round(ctx, scope, page_size);
        round.select = selected(ctx, FOLDER_PROPERTIES, "microsoft.graph.mailboxFolder")?;
        Ok(round)
    })?;
    let mut changes = Vec::new();
    let mut more = false;
    for (change, entry) in state.folder_changes.range(unreported(&round)) {
        if changes.len() == round.page_size {
            more = true;
            break;
        }
        round.position = *change;
        let in_scope = match scope {
            DeltaScope::ChildFolders(parent) => entry.parent == Some(parent),
            _ => entry.folder_seq != root,
        };
        if !in_scope {
            continue;
        }
        if entry.deleted {
            if entry.created_change <= round.base {
                changes.push(Change::Removed(entry.folder_seq));
            }
        } else if state.folders.contains_key(&entry.folder_seq) {
            changes.push(Change::Present(entry.folder_seq));
        }
    }
    let select = select_of(&round, FOLDER_PROPERTIES);
    let values = changes
        .iter()
        .map(|change| match change {
            Change::Present(seq) => folder_json(ctx, &state, *seq, select.as_deref()),
            Change::Removed(seq) => removed(folder_id(ctx, *seq)),
        })
        .collect();
    let operation = if parent.is_some() {
        "childFolderDelta"
    } else {
        "folderDelta"
    };
    Ok(reply(ctx, operation, "mailboxFolder", values, round, more))
}
