//! Reading folders: list (`folders`), one folder, its child folders, and `$count`.
//!
//! `GET …/folders` returns every folder of the mailbox below its root, depth first with each
//! folder followed by its subtree: the IPM tree from `msgfolderroot` (Top of Information
//! Store) down, the search-folders root and Recoverable Items. The docs' description says
//! "all the mailboxFolder objects in the specified mailbox, including any search folders",
//! while its example's caption says "directly under the root folder"; the description is
//! followed here, and `parentFolderId` lets a client rebuild the tree from one listing.
//! `childFolders` lists one folder's direct children. Well-known names (`inbox`, `Inbox`,
//! `msgfolderroot`, `recoverableitemsdeletions`...; case-insensitive) stand for folder ids in
//! paths, and a folder's `wellKnownName` is that name (`null` for user folders).
//!
//! `$expand=singleValueExtendedProperties($filter=id eq 'Binary 0x0FFF')` (the list, one
//! folder, child folders) adds the folder's MAPI entry id, the bridge to the users API's
//! folder ids ([`super::exchange_ids`]); `String 0x3001` (display name) and `String 0x3613`
//! (container class) can be expanded too, and other properties are left out, as for items.

use serde_json::Value;

use super::collection::{collection_json, page};
use super::context::{GraphReply, MailboxContext};
use super::error::GraphError;
use super::exchange_ids::standard_base64;
use super::extended::{Expand, PropertyId};
use super::filter::{Filter, Kind, Schema, Value as FilterValue};
use super::ids::{parse_rest_id, rest_id};
use super::json::JsonObject;
use super::query;
use super::route::FolderPath;
use crate::ids::{ObjectId, ObjectKind};
use crate::model::{MailboxState, PropertyKey, WellKnownFolder};

/// The properties a folder has, as `$select` names them.
pub const FOLDER_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "parentFolderId",
    "childFolderCount",
    "totalItemCount",
    "type",
    "wellKnownName",
    "parentMailboxUrl",
];

const FOLDER_TYPE: &str = "microsoft.graph.mailboxFolder";

/// What `$filter` and `$orderby` can name on folders.
pub const FOLDER_SCHEMA: Schema = Schema {
    type_name: FOLDER_TYPE,
    properties: &[
        ("id", Kind::Text),
        ("displayName", Kind::Text),
        ("parentFolderId", Kind::Text),
        ("childFolderCount", Kind::Number),
        ("totalItemCount", Kind::Number),
        ("type", Kind::Text),
        ("wellKnownName", Kind::Text),
    ],
};

/// The folder a path segment names: a well-known name or a folder id of this mailbox.
pub fn resolve(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    segment: &str,
) -> Result<u64, GraphError> {
    if let Some(well_known) = WellKnownFolder::from_distinguished_id(&segment.to_ascii_lowercase())
    {
        return Ok(state.well_known_folder(well_known));
    }
    let id = parse_rest_id(segment).map_err(|_| GraphError::id_malformed())?;
    if id.kind != ObjectKind::Folder {
        return Err(GraphError::id_malformed());
    }
    if id.mailbox != ctx.mailbox.guid || !state.folders.contains_key(&id.seq) {
        return Err(GraphError::not_found());
    }
    Ok(id.seq)
}

/// The folder a path names, each `childFolders` step a child of the one before.
pub fn resolve_path(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    path: &FolderPath,
) -> Result<u64, GraphError> {
    let mut current: Option<u64> = None;
    for segment in &path.0 {
        let seq = resolve(ctx, state, segment)?;
        if let Some(parent) = current {
            if state.folders[&seq].parent != Some(parent) {
                return Err(GraphError::not_found());
            }
        }
        current = Some(seq);
    }
    current.ok_or_else(GraphError::not_found)
}

/// A folder's Graph id.
pub fn folder_id(ctx: &MailboxContext<'_>, seq: u64) -> String {
    rest_id(ObjectId::folder(ctx.mailbox.guid, seq))
}

fn property(ctx: &MailboxContext<'_>, state: &MailboxState, seq: u64, name: &str) -> Value {
    let folder = &state.folders[&seq];
    match name {
        "id" => Value::from(folder_id(ctx, seq)),
        "displayName" => Value::from(folder.display_name.as_str()),
        "parentFolderId" => folder
            .parent
            .map(|parent| Value::from(folder_id(ctx, parent)))
            .unwrap_or(Value::Null),
        "childFolderCount" => Value::from(state.children(seq).len()),
        "totalItemCount" => Value::from(folder.items.len()),
        // Folders Exchange gives no class (Top of Information Store) have no type.
        "type" => Some(folder.folder_class.as_str())
            .filter(|class| !class.is_empty())
            .map(Value::from)
            .unwrap_or(Value::Null),
        "wellKnownName" => folder
            .well_known
            .map(|known| Value::from(known.distinguished_id()))
            .unwrap_or(Value::Null),
        "parentMailboxUrl" => Value::from(ctx.mailbox_url()),
        _ => Value::Null,
    }
}

/// A folder's JSON: every property, or `id`, `parentMailboxUrl` (as the docs' `$select` example
/// shows it) and the selected ones.
pub fn folder_json(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    seq: u64,
    select: Option<&[&'static str]>,
) -> String {
    folder_json_expanded(ctx, state, seq, select, &Expand::default())
}

/// A folder's JSON with the expanded extended properties it has.
pub fn folder_json_expanded(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    seq: u64,
    select: Option<&[&'static str]>,
    expand: &Expand,
) -> String {
    let mut object = JsonObject::new().string("@odata.type", "#microsoft.graph.mailboxFolder");
    for name in FOLDER_PROPERTIES {
        let wanted = matches!(*name, "id" | "parentMailboxUrl")
            || select.is_none_or(|selected| selected.contains(name));
        if wanted {
            object = object.value(name, property(ctx, state, seq, name));
        }
    }
    for (name, value) in expand.members_with(|id| extended_value(ctx, state, seq, id)) {
        object = object.value(name, value);
    }
    object.finish()
}

/// The MAPI properties a folder has for `$expand`: its entry id (`Binary 0x0FFF`), display
/// name (`String 0x3001`) and container class (`String 0x3613`, when it has one).
fn extended_value(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    seq: u64,
    id: &PropertyId,
) -> Option<Vec<String>> {
    let folder = state.folders.get(&seq)?;
    let (property_type, value) = match id.key {
        PropertyKey::Tag(0x0FFF) => ("Binary", standard_base64(&ctx.folder_entry(seq).entry_id())),
        PropertyKey::Tag(0x3001) => ("String", folder.display_name.clone()),
        PropertyKey::Tag(0x3613) if !folder.folder_class.is_empty() => {
            ("String", folder.folder_class.clone())
        }
        _ => return None,
    };
    id.property_type
        .eq_ignore_ascii_case(property_type)
        .then(|| vec![value])
}

/// `$expand` of a folder request, if any.
fn expand(ctx: &MailboxContext<'_>) -> Result<Expand, GraphError> {
    ctx.request
        .query
        .get("$expand")
        .map(|text| Expand::parse_for(text, FOLDER_TYPE))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// The value `$filter` compares.
pub fn filter_value(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    seq: u64,
    name: &str,
) -> FilterValue {
    match property(ctx, state, seq, name) {
        Value::String(text) => FilterValue::Text(text),
        Value::Number(number) => FilterValue::Number(number.as_i64().unwrap_or(0)),
        _ => FilterValue::Null,
    }
}

/// Which folders a list shows.
pub enum Scope<'p> {
    /// Every folder below the mailbox root.
    All,
    /// The direct children of a folder.
    Children(&'p FolderPath),
}

fn members(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    scope: &Scope<'_>,
) -> Result<Vec<u64>, GraphError> {
    Ok(match scope {
        Scope::All => state.descendants(state.well_known_folder(WellKnownFolder::Root)),
        Scope::Children(path) => state.children(resolve_path(ctx, state, path)?),
    })
}

fn filtered(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    scope: &Scope<'_>,
) -> Result<Vec<u64>, GraphError> {
    let filter = ctx
        .request
        .query
        .get("$filter")
        .map(|text| Filter::parse(text, &FOLDER_SCHEMA))
        .transpose()?;
    let mut folders: Vec<u64> = members(ctx, state, scope)?
        .into_iter()
        .filter(|seq| {
            filter
                .as_ref()
                .is_none_or(|filter| filter.matches(&|name| filter_value(ctx, state, *seq, name)))
        })
        .collect();
    if let Some((name, descending)) =
        query::orderby(&ctx.request.query, FOLDER_SCHEMA.properties, FOLDER_TYPE)?
    {
        folders.sort_by(|a, b| {
            let (a, b) = (
                filter_value(ctx, state, *a, name),
                filter_value(ctx, state, *b, name),
            );
            let order = match (&a, &b) {
                (FilterValue::Text(a), FilterValue::Text(b)) => {
                    a.to_lowercase().cmp(&b.to_lowercase())
                }
                (FilterValue::Number(a), FilterValue::Number(b)) => a.cmp(b),
                (FilterValue::Null, FilterValue::Null) => std::cmp::Ordering::Equal,
                (FilterValue::Null, _) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            if descending {
                order.reverse()
            } else {
                order
            }
        });
    }
    Ok(folders)
}

const LIST_OPTIONS: &[&str] = &[
    "$select", "$filter", "$top", "$skip", "$orderby", "$count", "$expand",
];

/// `GET …/folders` and `GET …/folders/{id}/childFolders`.
pub fn list(ctx: &MailboxContext<'_>, scope: Scope<'_>) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(LIST_OPTIONS)?;
    let expand = expand(ctx)?;
    let select = query::select(&ctx.request.query, FOLDER_PROPERTIES, FOLDER_TYPE)?;
    let state = ctx.mailbox.lock();
    let folders = filtered(ctx, &state, &scope)?;
    let page = page(ctx, folders)?;
    let values: Vec<String> = page
        .values
        .iter()
        .map(|seq| folder_json_expanded(ctx, &state, *seq, select.as_deref(), &expand))
        .collect();
    let (operation, fragment) = match &scope {
        Scope::All => ("listFolders", ctx.mailbox_fragment("folders")),
        Scope::Children(path) => (
            "listChildFolders",
            ctx.mailbox_fragment(&format!(
                "folders('{}')/childFolders",
                folder_id(ctx, resolve_path(ctx, &state, path)?)
            )),
        ),
    };
    Ok(GraphReply::json(
        200,
        operation,
        collection_json(
            &ctx.metadata(&fragment),
            &values,
            page.count,
            page.next_link.as_deref(),
            None,
        ),
    ))
}

/// `GET …/folders/$count` and `…/childFolders/$count`: the number, as plain text.
pub fn count(ctx: &MailboxContext<'_>, scope: Scope<'_>) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&["$filter"])?;
    let state = ctx.mailbox.lock();
    let folders = filtered(ctx, &state, &scope)?;
    Ok(GraphReply::plain("countFolders", folders.len().to_string()))
}

/// `GET …/folders/{id}`.
pub fn get(ctx: &MailboxContext<'_>, path: &FolderPath) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&["$select", "$expand"])?;
    let expand = expand(ctx)?;
    let select = query::select(&ctx.request.query, FOLDER_PROPERTIES, FOLDER_TYPE)?;
    let state = ctx.mailbox.lock();
    let seq = resolve_path(ctx, &state, path)?;
    let folder = folder_json_expanded(ctx, &state, seq, select.as_deref(), &expand);
    Ok(GraphReply::json(
        200,
        "getFolder",
        with_entity_context(ctx, folder),
    ))
}

/// A folder as a single-entity reply, with its `@odata.context`.
pub fn entity_json(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    seq: u64,
    select: Option<&[&'static str]>,
) -> String {
    with_entity_context(ctx, folder_json(ctx, state, seq, select))
}

fn with_entity_context(ctx: &MailboxContext<'_>, folder: String) -> String {
    let context = JsonObject::new()
        .string(
            "@odata.context",
            &ctx.metadata(&ctx.mailbox_fragment("folders/$entity")),
        )
        .finish();
    // Both are objects: splice the context in front of the folder's members.
    format!("{},{}", &context[..context.len() - 1], &folder[1..])
}
