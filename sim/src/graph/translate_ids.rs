//! `POST /users/{id | upn}/translateExchangeIds`: converts folder ids of the user's mailbox
//! between Graph's `exchangeIdFormat`s.
//!
//! `entryId` (the 46-byte MAPI entry id), `restId` (the users API's folder id) and `ewsId`
//! (the EWS `FolderId`, as EWS hands it out) convert in any direction; `immutableEntryId` and
//! `restImmutableEntryId` are read and written as `entryId` and `restId`, since a folder's id
//! never changes in the simulator. Entry and REST ids are written in URL-safe base64 with
//! padding and read in either alphabet, padded or not. Each input gets one result, in input
//! order: `targetId`, or `errorDetails` (`ErrorInvalidIdMalformed` for an id that is not of
//! the source type, `ErrorItemNotFound` for one that names no folder of this mailbox). Item
//! ids are not translated (the sim's users API has no messages): `ErrorInvalidIdMalformed`.

use serde_json::{json, Value};

use super::body;
use super::context::{GraphReply, MailboxContext};
use super::error::GraphError;
use super::exchange_ids::FolderEntry;
use super::ids::parse_rest_id;
use super::json::JsonObject;
use crate::ids::{ObjectId, ObjectKind};
use crate::model::MailboxState;

/// The most ids one request may carry, as Graph documents.
pub const MAX_INPUT_IDS: usize = 1000;

const FORMATS: &[&str] = &[
    "entryId",
    "ewsId",
    "immutableEntryId",
    "restId",
    "restImmutableEntryId",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Entry,
    Ews,
    Rest,
}

fn format(value: &Value, name: &str) -> Result<Format, GraphError> {
    let text = body::string(value, name)?;
    let index = FORMATS
        .iter()
        .position(|format| format.eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "The value '{text}' of '{name}' is not an exchangeIdFormat; it is one of {}.",
                FORMATS.join(", ")
            ))
        })?;
    Ok(match FORMATS[index] {
        "ewsId" => Format::Ews,
        "restId" | "restImmutableEntryId" => Format::Rest,
        _ => Format::Entry,
    })
}

/// `POST users/{user}/translateExchangeIds`.
pub fn translate(ctx: &MailboxContext<'_>) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let object = body::object(ctx.request)?;
    let members = body::members(
        &object,
        &["inputIds", "sourceIdType", "targetIdType"],
        "microsoft.graph.translateExchangeIds",
        "",
    )?;
    let find = |name: &str| {
        members
            .iter()
            .find(|(property, _)| *property == name)
            .map(|(_, value)| *value)
            .filter(|value| !value.is_null())
            .ok_or_else(|| GraphError::bad_request(format!("The parameter '{name}' is required.")))
    };
    let inputs = body::strings(find("inputIds")?, "inputIds")?;
    if inputs.len() > MAX_INPUT_IDS {
        return Err(GraphError::bad_request(format!(
            "'inputIds' holds {} ids; at most {MAX_INPUT_IDS} may be translated in one request.",
            inputs.len()
        )));
    }
    let source = format(find("sourceIdType")?, "sourceIdType")?;
    let target = format(find("targetIdType")?, "targetIdType")?;
    let state = ctx.mailbox.lock();
    let values: Vec<String> = inputs
        .iter()
        .map(|input| {
            let result = match read(ctx, &state, input, source) {
                Ok(seq) => json!({"sourceId": input, "targetId": write(ctx, seq, target)}),
                Err((code, message)) => json!({
                    "sourceId": input,
                    "errorDetails": {"code": code, "message": message},
                }),
            };
            result.to_string()
        })
        .collect();
    let body = JsonObject::new()
        .string(
            "@odata.context",
            &ctx.metadata("Collection(microsoft.graph.convertIdResult)"),
        )
        .raw("value", &format!("[{}]", values.join(",")))
        .finish();
    ctx.count("graph.ids_translated");
    Ok(GraphReply::json(200, "translateExchangeIds", body))
}

type Failure = (&'static str, String);

/// The folder an input id names.
fn read(
    ctx: &MailboxContext<'_>,
    state: &MailboxState,
    input: &str,
    source: Format,
) -> Result<u64, Failure> {
    let malformed = |what: &str| {
        (
            "ErrorInvalidIdMalformed",
            format!("Id '{input}' is malformed: it is not {what}."),
        )
    };
    let not_found = || {
        (
            "ErrorItemNotFound",
            format!("Id '{input}' names no folder of this mailbox."),
        )
    };
    let entry = match source {
        Format::Entry => {
            FolderEntry::from_entry_id_text(input).ok_or_else(|| malformed("a folder entry id"))?
        }
        Format::Rest => {
            FolderEntry::from_rest_id(input).ok_or_else(|| malformed("a folder REST id"))?
        }
        Format::Ews => {
            let id: ObjectId = parse_rest_id(input).map_err(|_| malformed("an EWS id"))?;
            if id.kind != ObjectKind::Folder {
                return Err((
                    "ErrorInvalidIdMalformed",
                    format!("Id '{input}' is not a folder id; the simulator translates folder ids only."),
                ));
            }
            if id.mailbox != ctx.mailbox.guid {
                return Err(not_found());
            }
            ctx.folder_entry(id.seq)
        }
    };
    if entry != ctx.folder_entry(entry.seq) || !state.folders.contains_key(&entry.seq) {
        return Err(not_found());
    }
    Ok(entry.seq)
}

fn write(ctx: &MailboxContext<'_>, seq: u64, target: Format) -> String {
    match target {
        Format::Entry => ctx.folder_entry(seq).entry_id_text(),
        Format::Rest => ctx.folder_entry(seq).rest_id(),
        Format::Ews => ObjectId::folder(ctx.mailbox.guid, seq).encode(),
    }
}
