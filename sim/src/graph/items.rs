//! Items of a folder: list (`…/items`, newest received first unless `$orderby` says
//! otherwise), one item, `$count`, and delete.
//!
//! An item is what the Outlook workload shows of the store's item: `id`, `changeKey` (also as
//! `@odata.etag`), `createdDateTime`, `lastModifiedDateTime`, `categories`, `type` (the message
//! class) and `size` (bytes, as EWS reports it); extended properties through `$expand`
//! ([`super::extended`]). `$filter` can also name `receivedDateTime`, which the delta function
//! documents, although it is not a property of mailboxItem.
//!
//! Delete takes the required `disposalType`: `hardDelete` removes the item; `softDelete`
//! follows Exchange's soft delete and moves it to Recoverable Items\Deletions
//! (`recoverableitemsdeletions`), where it gets a new id as any moved item does; soft-deleting
//! an item already there removes it (the simulator has no Purges folder).

use serde_json::Value;

use super::collection::{collection_json, page};
use super::context::{GraphReply, MailboxContext};
use super::error::GraphError;
use super::extended::Expand;
use super::filter::{Filter, Kind, Schema, Value as FilterValue};
use super::folders::{folder_id, resolve_path};
use super::ids::{parse_rest_id, rest_id};
use super::json::JsonObject;
use super::query;
use super::route::FolderPath;
use crate::ids::{change_key, ObjectId, ObjectKind};
use crate::model::{Item, MailboxState, WellKnownFolder};
use crate::time::format_ews;

/// The properties an item has, as `$select` names them.
pub const ITEM_PROPERTIES: &[&str] = &[
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "changeKey",
    "categories",
    "type",
    "size",
];

/// The Graph type name of items.
pub const ITEM_TYPE: &str = "microsoft.graph.mailboxItem";

/// What `$filter` and `$orderby` can name on items.
pub const ITEM_SCHEMA: Schema = Schema {
    type_name: ITEM_TYPE,
    properties: &[
        ("id", Kind::Text),
        ("createdDateTime", Kind::Time),
        ("lastModifiedDateTime", Kind::Time),
        ("receivedDateTime", Kind::Time),
        ("changeKey", Kind::Text),
        ("type", Kind::Text),
        ("size", Kind::Number),
    ],
};

/// The item an id names, which must be in `folder`.
pub fn resolve_item(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    folder: u64,
    text: &str,
) -> Result<u64, GraphError> {
    let id = parse_rest_id(text).map_err(|_| GraphError::id_malformed())?;
    if id.kind != ObjectKind::Item {
        return Err(GraphError::id_malformed());
    }
    match state.items.get(&id.seq) {
        Some(item) if id.mailbox == ctx.mailbox.guid && item.folder == folder => Ok(id.seq),
        _ => Err(GraphError::not_found()),
    }
}

/// An item's Graph id.
pub fn item_id(ctx: &MailboxContext<'_>, seq: u64) -> String {
    rest_id(ObjectId::item(ctx.mailbox.guid, seq))
}

/// The value `$filter` compares.
pub fn filter_value(ctx: &MailboxContext<'_>, item: &Item, name: &str) -> FilterValue {
    match name {
        "id" => FilterValue::Text(item_id(ctx, item.seq)),
        "createdDateTime" => FilterValue::Time(item.created),
        "lastModifiedDateTime" => FilterValue::Time(item.modified),
        "receivedDateTime" => FilterValue::Time(item.received()),
        "changeKey" => FilterValue::Text(change_key(item.last_change)),
        "type" => FilterValue::Text(item.item_class().to_string()),
        "size" => FilterValue::Number(item.size() as i64),
        _ => FilterValue::Null,
    }
}

/// An item's JSON: `id` and `@odata.etag` always, the selected properties (all by default),
/// and the expanded extended properties it has.
pub fn item_json(
    ctx: &MailboxContext<'_>,
    item: &Item,
    select: Option<&[&'static str]>,
    expand: &Expand,
) -> String {
    let key = change_key(item.last_change);
    let mut object = JsonObject::new()
        .string("@odata.type", "#microsoft.graph.mailboxItem")
        .string("@odata.etag", &format!("W/\"{key}\""));
    for name in ITEM_PROPERTIES {
        if *name != "id" && select.is_some_and(|selected| !selected.contains(name)) {
            continue;
        }
        let value = match *name {
            "id" => Value::from(item_id(ctx, item.seq)),
            "createdDateTime" => Value::from(format_ews(item.created)),
            "lastModifiedDateTime" => Value::from(format_ews(item.modified)),
            "changeKey" => Value::from(key.as_str()),
            "categories" => Value::from(item.categories()),
            "type" => Value::from(item.item_class()),
            _ => Value::from(item.size()),
        };
        object = object.value(name, value);
    }
    for (name, value) in expand.members(item) {
        object = object.value(name, value);
    }
    object.finish()
}

/// `$expand` of an item request, if any.
pub fn expand(ctx: &MailboxContext<'_>) -> Result<Expand, GraphError> {
    ctx.request
        .query
        .get("$expand")
        .map(Expand::parse)
        .transpose()
        .map(Option::unwrap_or_default)
}

fn filtered<'s>(
    ctx: &MailboxContext<'_>,
    state: &'s MailboxState,
    folder: u64,
) -> Result<Vec<&'s Item>, GraphError> {
    let filter = ctx
        .request
        .query
        .get("$filter")
        .map(|text| Filter::parse(text, &ITEM_SCHEMA))
        .transpose()?;
    let mut items: Vec<&Item> = state.folders[&folder]
        .items
        .iter()
        .rev()
        .filter_map(|(_, seq)| state.items.get(seq))
        .filter(|item| {
            filter
                .as_ref()
                .is_none_or(|filter| filter.matches(&|name| filter_value(ctx, item, name)))
        })
        .collect();
    if let Some((name, descending)) =
        query::orderby(&ctx.request.query, ITEM_SCHEMA.properties, ITEM_TYPE)?
    {
        items.sort_by(|a, b| {
            let order = match (filter_value(ctx, a, name), filter_value(ctx, b, name)) {
                (FilterValue::Time(a), FilterValue::Time(b))
                | (FilterValue::Number(a), FilterValue::Number(b)) => a.cmp(&b),
                (FilterValue::Text(a), FilterValue::Text(b)) => {
                    a.to_lowercase().cmp(&b.to_lowercase())
                }
                _ => std::cmp::Ordering::Equal,
            };
            if descending {
                order.reverse()
            } else {
                order
            }
        });
    }
    Ok(items)
}

/// `GET …/folders/{id}/items`.
pub fn list(ctx: &MailboxContext<'_>, path: &FolderPath) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[
        "$select", "$filter", "$top", "$skip", "$orderby", "$count", "$expand",
    ])?;
    let select = query::select(&ctx.request.query, ITEM_PROPERTIES, ITEM_TYPE)?;
    let expand = expand(ctx)?;
    let state = ctx.mailbox.lock();
    let folder = resolve_path(ctx, &state, path)?;
    let page = page(ctx, filtered(ctx, &state, folder)?)?;
    let values: Vec<String> = page
        .values
        .iter()
        .map(|item| item_json(ctx, item, select.as_deref(), &expand))
        .collect();
    let fragment = ctx.mailbox_fragment(&format!("folders('{}')/items", folder_id(ctx, folder)));
    Ok(GraphReply::json(
        200,
        "listItems",
        collection_json(
            &ctx.metadata(&fragment),
            &values,
            page.count,
            page.next_link.as_deref(),
            None,
        ),
    ))
}

/// `GET …/items/$count`: the number, as plain text.
pub fn count(ctx: &MailboxContext<'_>, path: &FolderPath) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&["$filter"])?;
    let state = ctx.mailbox.lock();
    let folder = resolve_path(ctx, &state, path)?;
    Ok(GraphReply::plain(
        "countItems",
        filtered(ctx, &state, folder)?.len().to_string(),
    ))
}

/// `GET …/folders/{id}/items/{id}`. The item-vanishes fault may delete it just before.
pub fn get(
    ctx: &MailboxContext<'_>,
    path: &FolderPath,
    id: &str,
) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&["$select", "$expand"])?;
    let select = query::select(&ctx.request.query, ITEM_PROPERTIES, ITEM_TYPE)?;
    let expand = expand(ctx)?;
    let mut state = ctx.mailbox.lock();
    let folder = resolve_path(ctx, &state, path)?;
    let seq = resolve_item(ctx, &state, folder, id)?;
    if crate::transfer::vanishes_before_read(
        ctx.sim,
        ctx.mailbox,
        &mut state,
        seq,
        ctx.faults_apply,
    ) {
        return Err(GraphError::not_found());
    }
    let item = item_json(ctx, &state.items[&seq], select.as_deref(), &expand);
    let context = JsonObject::new()
        .string(
            "@odata.context",
            &ctx.metadata(&ctx.mailbox_fragment(&format!(
                "folders('{}')/items/$entity",
                folder_id(ctx, folder)
            ))),
        )
        .finish();
    Ok(GraphReply::json(
        200,
        "getItem",
        format!("{},{}", &context[..context.len() - 1], &item[1..]),
    ))
}

/// `DELETE …/folders/{id}/items/{id}?disposalType=softDelete|hardDelete`: 204.
pub fn delete(
    ctx: &MailboxContext<'_>,
    path: &FolderPath,
    id: &str,
) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let hard = match ctx.request.query.get("disposalType") {
        Some(value) if value.eq_ignore_ascii_case("hardDelete") => true,
        Some(value) if value.eq_ignore_ascii_case("softDelete") => false,
        Some(other) => {
            return Err(GraphError::bad_request(format!(
                "The value '{other}' of parameter 'disposalType' is not valid: use softDelete or hardDelete."
            )))
        }
        None => {
            return Err(GraphError::bad_request(
                "The parameter 'disposalType' is required: softDelete or hardDelete.",
            ))
        }
    };
    let mut state = ctx.mailbox.lock();
    let folder = resolve_path(ctx, &state, path)?;
    let seq = resolve_item(ctx, &state, folder, id)?;
    let deletions = state.well_known_folder(WellKnownFolder::RecoverableItemsDeletions);
    if hard || folder == deletions {
        state.delete_item(seq);
    } else {
        state.move_item(seq, deletions, ctx.now);
    }
    ctx.count(if hard {
        "graph.items_hard_deleted"
    } else {
        "graph.items_soft_deleted"
    });
    Ok(GraphReply::no_content("deleteItem"))
}
