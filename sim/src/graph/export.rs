//! `POST …/exportItems`: items as their full-fidelity export data.
//!
//! `data` is exactly what EWS `ExportItems` returns for the item (the docs call it the
//! FastTransfer stream; the simulator has one export format for both protocols, see
//! [`crate::transfer`]), base64-encoded chunk by chunk as the reply streams. At most 20 ids per
//! call (more is a 400); the body may spell the list `itemIds` (docs) or `ItemIds` (CSDL,
//! msgraph-sdk). Assumptions where the docs are silent: results come in the order asked; an id
//! that cannot be exported gives its entry an `error` (`{code, message}`: `ErrorItemNotFound`,
//! or `ErrorInvalidIdMalformed`) and no `changeKey` or `data`, while the others succeed.

use serde_json::Value;

use super::context::{GraphReply, MailboxContext};
use super::error::GraphError;
use super::folder_write::body_object;
use super::ids::parse_rest_id;
use super::json::{JsonBody, JsonObject};
use crate::ids::{change_key, ObjectKind};
use crate::transfer;

/// The most ids one call may export.
pub const MAX_EXPORT_IDS: usize = 20;

fn item_ids(ctx: &MailboxContext<'_>) -> Result<Vec<String>, GraphError> {
    let body = body_object(ctx)?;
    let mut list = None;
    for (key, value) in &body {
        if key.eq_ignore_ascii_case("itemIds") {
            if list.is_some() {
                return Err(GraphError::bad_request(
                    "The body names itemIds more than once.",
                ));
            }
            list = Some(value);
        } else if key != "@odata.type" {
            return Err(GraphError::bad_request(format!(
                "exportItems takes one parameter, itemIds; '{key}' is not one."
            )));
        }
    }
    let ids: Vec<String> = list
        .and_then(Value::as_array)
        .ok_or_else(|| GraphError::bad_request("exportItems needs itemIds, an array of item ids."))?
        .iter()
        .map(|id| {
            id.as_str()
                .map(str::to_string)
                .ok_or_else(|| GraphError::bad_request("Every entry of itemIds must be a string."))
        })
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Err(GraphError::invalid_request(
            "itemIds is empty; name 1 to 20 items to export.",
        ));
    }
    if ids.len() > MAX_EXPORT_IDS {
        return Err(GraphError::invalid_request(format!(
            "exportItems takes at most {MAX_EXPORT_IDS} itemIds; the request has {}.",
            ids.len()
        )));
    }
    Ok(ids)
}

/// `POST …/exportItems`.
pub fn export_items(ctx: &MailboxContext<'_>) -> Result<GraphReply, GraphError> {
    ctx.request.query.allow_only(&[])?;
    let ids = item_ids(ctx)?;
    let mut state = ctx.mailbox.lock();
    let mut body = JsonBody::new();
    body.text(&format!(
        r#"{{"@odata.context":{},"value":["#,
        Value::from(ctx.metadata("Collection(microsoft.graph.exportItemResponse)"))
    ));
    for (index, text) in ids.iter().enumerate() {
        if index > 0 {
            body.text(",");
        }
        let found = match parse_rest_id(text) {
            Ok(id) if id.kind == ObjectKind::Item => {
                if id.mailbox == ctx.mailbox.guid && state.items.contains_key(&id.seq) {
                    let vanished = transfer::vanishes_before_read(
                        ctx.sim,
                        ctx.mailbox,
                        &mut state,
                        id.seq,
                        ctx.faults_apply,
                    );
                    if vanished {
                        Err(GraphError::not_found())
                    } else {
                        Ok(id.seq)
                    }
                } else {
                    Err(GraphError::not_found())
                }
            }
            _ => Err(GraphError::id_malformed()),
        };
        match found {
            Ok(seq) => {
                let item = &state.items[&seq];
                let data = transfer::export_data(ctx.mailbox, item);
                body.text(&format!(
                    r#"{{"itemId":{},"changeKey":{},"data":"#,
                    Value::from(text.as_str()),
                    Value::from(change_key(item.last_change))
                ));
                body.base64_string(data);
                body.text("}");
            }
            Err(error) => {
                ctx.count("graph.export_item_errors");
                let entry = JsonObject::new()
                    .string("itemId", text)
                    .value(
                        "error",
                        serde_json::json!({"code": error.code, "message": error.message}),
                    )
                    .finish();
                body.text(&entry);
            }
        }
    }
    body.text("]}");
    Ok(GraphReply::segments(200, "exportItems", body.finish()))
}
