//! Importing: `POST …/createImportSession`, then `POST {importUrl}` for each item.
//!
//! The session answers `200` (the examples' status; the import page's text says 201) with an
//! `importUrl` on this listener, `<origin>/api/gv1.0/Mailboxes('MBX:…')/importItem?authtoken=…`,
//! and its `expirationDateTime`. `importItem` needs no `Authorization` header: the URL's token
//! authorises it. Its body is JSON with `FolderId` (a folder id, or a well-known name),
//! `Mode` (`create` or `update`), `Data` (base64 export data, as `exportItems` returns it) and,
//! for `update` only, `ItemId` and `ChangeKey`; member names are matched without regard to case.
//! The item is stored through the same code as EWS `UploadItems` ([`crate::transfer`]): the
//! same decoding (the stamp included), size limit, quota and the mailbox's import budget
//! shared with EWS. Assumptions where the docs are silent: an `update` whose `ItemId` is not in
//! the folder is 404 `ErrorItemNotFound`, one whose `ChangeKey` is not the item's current one
//! is 409 `ErrorIrresolvableConflict`; data that is not base64 or not an export stream is 400
//! `ErrorCorruptData`; a wrong or expired `authtoken` is 401 `InvalidAuthenticationToken`.

use base64::Engine;
use bytes::Bytes;
use serde_json::Value;

use super::context::{GraphReply, MailboxContext};
use super::error::GraphError;
use super::folder_write::body_object;
use super::folders::resolve;
use super::items::{item_id, resolve_item};
use super::json::JsonObject;
use super::sessions::ImportSession;
use crate::ids::change_key;
use crate::transfer::{self, ImportTarget};

/// `POST …/createImportSession`: a new session for the mailbox.
pub fn create_import_session(
    ctx: &MailboxContext<'_>,
    caller: String,
) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let body = &ctx.request.body;
    if !body.iter().all(u8::is_ascii_whitespace) && !body_object(ctx)?.is_empty() {
        return Err(GraphError::bad_request(
            "createImportSession takes no parameters.",
        ));
    }
    let lifetime =
        std::time::Duration::from_secs(ctx.sim.config.graph.import_session_lifetime_secs);
    let token = ctx.sim.graph.sessions.create(
        ctx.principal
            .map(|principal| principal.tenant.tenant_id)
            .unwrap_or_default(),
        ctx.mailbox.guid,
        caller,
        lifetime,
    );
    let expires = chrono::Utc::now() + chrono::Duration::seconds(lifetime.as_secs() as i64);
    let import_url = format!(
        "{}/api/gv1.0/Mailboxes('{}')/importItem?authtoken={token}",
        ctx.request.origin, ctx.mailbox_id
    );
    ctx.count("graph.import_sessions");
    let body = JsonObject::new()
        .string(
            "@odata.context",
            &ctx.metadata("microsoft.graph.mailboxItemImportSession"),
        )
        .string("importUrl", &import_url)
        .string(
            "expirationDateTime",
            // Seven decimals, as in the docs' example (`…:48.1052906Z`).
            &format!(
                "{}.{:07}Z",
                expires.format("%Y-%m-%dT%H:%M:%S"),
                expires.timestamp_subsec_nanos() / 100
            ),
        )
        .finish();
    Ok(GraphReply::json(200, "createImportSession", body))
}

/// The members of an `importItem` body.
#[derive(Default)]
struct ImportBody {
    folder_id: Option<String>,
    mode: Option<String>,
    data: Option<String>,
    item_id: Option<String>,
    change_key: Option<String>,
}

fn import_body(ctx: &MailboxContext<'_>) -> Result<ImportBody, GraphError> {
    let mut body = ImportBody::default();
    for (key, value) in body_object(ctx)? {
        let text = value.as_str().map(str::to_string).ok_or_else(|| {
            GraphError::bad_request(format!("The member '{key}' must be a string."))
        })?;
        let slot = match key.to_ascii_lowercase().as_str() {
            "folderid" => &mut body.folder_id,
            "mode" => &mut body.mode,
            "data" => &mut body.data,
            "itemid" => &mut body.item_id,
            "changekey" => &mut body.change_key,
            _ => {
                return Err(GraphError::bad_request(format!(
                    "'{key}' is not a member of an importItem body (FolderId, Mode, Data, ItemId, ChangeKey)."
                )))
            }
        };
        *slot = Some(text);
    }
    Ok(body)
}

/// `POST {importUrl}`: stores one item in the session's mailbox.
pub fn import_item(
    ctx: &MailboxContext<'_>,
    _session: &ImportSession,
) -> Result<GraphReply, GraphError> {
    let body = import_body(ctx)?;
    let required = |value: Option<String>, name: &str| {
        value.ok_or_else(|| GraphError::bad_request(format!("The member '{name}' is required.")))
    };
    let folder_text = required(body.folder_id, "FolderId")?;
    let mode = required(body.mode, "Mode")?;
    let data_text = required(body.data, "Data")?;
    let update = match mode.to_ascii_lowercase().as_str() {
        "create" => {
            if body.item_id.is_some() || body.change_key.is_some() {
                return Err(GraphError::invalid_request(
                    "Mode create makes a new item: ItemId and ChangeKey must not be given.",
                ));
            }
            None
        }
        "update" => Some((
            required(body.item_id, "ItemId (required with Mode update)")?,
            required(body.change_key, "ChangeKey (required with Mode update)")?,
        )),
        other => {
            return Err(GraphError::bad_request(format!(
                "Mode '{other}' is not valid: use create or update."
            )))
        }
    };
    let compact: String = data_text.split_ascii_whitespace().collect();
    let raw = Bytes::from(
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|error| {
                GraphError::new(
                    400,
                    "ErrorCorruptData",
                    format!("The upload data is corrupt: Data is not base64 ({error})."),
                )
            })?,
    );
    transfer::charge_import(ctx.sim, ctx.mailbox, raw.len() as u64, 1).map_err(|error| {
        ctx.count("throttled.import");
        GraphError::from(error)
    })?;
    let imported = transfer::decode_data(&raw)?;
    let mut state = ctx.mailbox.lock();
    let folder = resolve(ctx, &state, &folder_text)?;
    let target = match update {
        None => ImportTarget::New,
        Some((item, key)) => {
            let seq = resolve_item(ctx, &state, folder, &item)?;
            if change_key(state.items[&seq].last_change) != key.trim() {
                return Err(GraphError::new(
                    409,
                    "ErrorIrresolvableConflict",
                    "The ChangeKey is not the item's current one: the item changed since it was read.",
                ));
            }
            ImportTarget::Replace(seq)
        }
    };
    let seq = transfer::store_import(
        ctx.sim,
        ctx.mailbox,
        &mut state,
        imported,
        folder,
        target,
        ctx.now,
    )?;
    let body = JsonObject::new()
        .string(
            "@odata.context",
            &format!(
                "{}/api/gv1.0/$metadata#microsoft.graph.importMailboxItemResponse",
                ctx.request.origin
            ),
        )
        .string("itemId", &item_id(ctx, seq))
        .value(
            "changeKey",
            Value::from(change_key(state.items[&seq].last_change)),
        )
        .finish();
    Ok(GraphReply::json(200, "importItem", body))
}
