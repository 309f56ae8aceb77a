//! `GET /users/{id | upn}/mailFolders/{id | well-known name}`: a `mailFolder` of the users
//! API, so that outside clients (msgraph-sdk) can learn a folder's REST id.
//!
//! REST ids are the users API's own ([`super::exchange_ids`]): a mailbox-API folder id given
//! here is 400 `ErrorInvalidIdMalformed`, a well-formed REST id of no folder of this mailbox
//! 404 `ErrorItemNotFound`. Well-known names (`inbox`, `Inbox`, `msgfolderroot`...) are read
//! as on the mailbox API. `isHidden` is false: the model has no hidden folders.

use serde_json::Value;

use super::context::{GraphReply, MailboxContext};
use super::error::GraphError;
use super::exchange_ids::FolderEntry;
use super::json::JsonObject;
use crate::model::{MailboxState, WellKnownFolder};

/// A folder's REST id.
pub fn rest_folder_id(ctx: &MailboxContext<'_>, seq: u64) -> String {
    ctx.folder_entry(seq).rest_id()
}

/// The folder a REST id names in this mailbox. `property` names where the id came from in
/// errors (`actions.moveToFolder`), or is empty for a path.
pub fn resolve_rest_id(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    text: &str,
    property: &str,
) -> Result<u64, GraphError> {
    let place = if property.is_empty() {
        String::new()
    } else {
        format!(" (property '{property}')")
    };
    let entry = FolderEntry::from_rest_id(text).ok_or_else(|| {
        GraphError::new(
            400,
            "ErrorInvalidIdMalformed",
            format!("Id '{text}'{place} is malformed: it is not a folder id of the users API (mailFolders); the mailbox API's folder ids are not accepted here."),
        )
    })?;
    let expected = ctx.folder_entry(entry.seq);
    if entry != expected || !state.folders.contains_key(&entry.seq) {
        return Err(GraphError::new(
            404,
            "ErrorItemNotFound",
            format!("The folder '{text}'{place} was not found in the store."),
        ));
    }
    Ok(entry.seq)
}

/// A path segment: a well-known name or a REST id.
fn resolve_segment(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    segment: &str,
) -> Result<u64, GraphError> {
    match WellKnownFolder::from_distinguished_id(&segment.to_ascii_lowercase()) {
        Some(well_known) => Ok(state.well_known_folder(well_known)),
        None => resolve_rest_id(ctx, state, segment, ""),
    }
}

/// `GET users/{user}/mailFolders/{id}`.
pub fn get(ctx: &MailboxContext<'_>, user: &str, segment: &str) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let state = ctx.mailbox.lock();
    let seq = resolve_segment(ctx, &state, segment)?;
    let folder = &state.folders[&seq];
    let body = JsonObject::new()
        .string(
            "@odata.context",
            &ctx.metadata(&format!("users('{}')/mailFolders/$entity", user_key(user))),
        )
        .string("id", &rest_folder_id(ctx, seq))
        .string("displayName", &folder.display_name)
        .value(
            "parentFolderId",
            folder
                .parent
                .map(|parent| Value::from(rest_folder_id(ctx, parent)))
                .unwrap_or(Value::Null),
        )
        .value("childFolderCount", Value::from(state.children(seq).len()))
        .value("unreadItemCount", Value::from(folder.unread))
        .value("totalItemCount", Value::from(folder.items.len()))
        .value("isHidden", Value::from(false))
        .finish();
    Ok(GraphReply::json(200, "getMailFolder", body))
}

/// The user as a context URL names it: as the client wrote it, percent-encoded.
pub fn user_key(user: &str) -> String {
    serde_urlencoded::to_string([("", user)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .replace('+', "%20")
}
