//! Full-fidelity transfer: `ExportItems` and `UploadItems`.

use base64::Engine;
use bytes::Bytes;

use super::context::{item_id_attrs, resolve_folder, resolve_item, OpContext};
use super::folder_ops::required;
use super::item_ops::read_item;
use super::soap::{error_message, response_end, response_start, success_start, EwsError};
use super::OpError;
use crate::export_stream::Imported;
use crate::transfer::{self, ImportTarget, TransferError};
use crate::xml::{Element, XmlWriter};

/// `ExportItems`: each item as opaque export data.
pub fn export_items(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let ids = required(request, "ItemIds")?;
    let mut state = ctx.mailbox.lock();
    response_start(writer, "ExportItems");
    for id in &ids.children {
        match read_item(ctx, &mut state, id) {
            Ok(seq) => {
                let item = &state.items[&seq];
                let data = transfer::export_data(ctx.mailbox, item);
                success_start(writer, "m:ExportItemsResponseMessage");
                let (item_id, change_key) = item_id_attrs(ctx.mailbox, seq, item.last_change);
                writer.empty("m:ItemId", &[("Id", &item_id), ("ChangeKey", &change_key)]);
                writer.open("m:Data", &[]);
                writer.base64(&data);
                writer.close("m:Data");
                writer.close("m:ExportItemsResponseMessage");
            }
            Err(error) => error_message(writer, "m:ExportItemsResponseMessage", &error),
        }
    }
    response_end(writer, "ExportItems");
    Ok(())
}

/// One `UploadItems` entry, decoded.
struct Upload {
    action: String,
    imported: Imported,
    raw_len: u64,
}

/// `UploadItems`: creates (or updates) items from export data. `CreateNew` always makes a new
/// item with a new id, as Exchange does; uploading the same data twice makes two items.
pub fn upload_items(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let items = required(request, "Items")?;
    let decoded: Vec<Result<Upload, EwsError>> = items.children.iter().map(decode_upload).collect();
    let total: u64 = decoded.iter().flatten().map(|upload| upload.raw_len).sum();
    transfer::charge_import(ctx.sim, ctx.mailbox, total, decoded.len()).map_err(
        |error| match error {
            TransferError::Throttled(throttled) => OpError::Throttled(throttled),
            other => OpError::from(ews_error(other)),
        },
    )?;
    let mut state = ctx.mailbox.lock();
    response_start(writer, "UploadItems");
    for (element, upload) in items.children.iter().zip(decoded) {
        let result = upload.and_then(|upload| {
            let folder = resolve_folder(
                ctx.mailbox,
                &state,
                element.child("ParentFolderId").ok_or_else(|| {
                    EwsError::new(
                        "ErrorInvalidRequest",
                        "The upload item has no ParentFolderId.",
                    )
                })?,
            )?;
            let existing = element
                .child("ItemId")
                .map(|id| resolve_item(ctx.mailbox, &state, id));
            let target = match (upload.action.as_str(), existing) {
                ("CreateNew", _) | ("UpdateOrCreate", None | Some(Err(_))) => ImportTarget::New,
                ("Update" | "UpdateOrCreate", Some(Ok(seq))) => ImportTarget::Replace(seq),
                ("Update", Some(Err(error))) => return Err(error),
                ("Update", None) => {
                    return Err(EwsError::new(
                        "ErrorInvalidRequest",
                        "CreateAction Update needs an ItemId.",
                    ))
                }
                (other, _) => {
                    return Err(EwsError::new(
                        "ErrorInvalidRequest",
                        format!("CreateAction '{other}' is not valid."),
                    ))
                }
            };
            transfer::store_import(
                ctx.sim,
                ctx.mailbox,
                &mut state,
                upload.imported,
                folder,
                target,
                ctx.now,
            )
            .map_err(ews_error)
        });
        match result {
            Ok(seq) => {
                success_start(writer, "m:UploadItemsResponseMessage");
                let (id, change_key) =
                    item_id_attrs(ctx.mailbox, seq, state.items[&seq].last_change);
                writer.empty("m:ItemId", &[("Id", &id), ("ChangeKey", &change_key)]);
                writer.close("m:UploadItemsResponseMessage");
            }
            Err(error) => error_message(writer, "m:UploadItemsResponseMessage", &error),
        }
    }
    response_end(writer, "UploadItems");
    Ok(())
}

fn decode_upload(element: &Element) -> Result<Upload, EwsError> {
    let corrupt = |problem: String| {
        EwsError::new(
            "ErrorCorruptData",
            format!("The upload data is corrupt: {problem}."),
        )
    };
    let action = element.attr("CreateAction").unwrap_or("").to_string();
    let data = element
        .child("Data")
        .ok_or_else(|| corrupt("the item has no Data".into()))?;
    let text: String = data.text.split_ascii_whitespace().collect();
    let raw = Bytes::from(
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|error| corrupt(format!("Data is not base64 ({error})")))?,
    );
    let imported = transfer::decode_data(&raw).map_err(ews_error)?;
    Ok(Upload {
        action,
        imported,
        raw_len: raw.len() as u64,
    })
}

fn ews_error(error: TransferError) -> EwsError {
    EwsError::new(error.code(), error.message())
}
