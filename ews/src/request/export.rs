//! Full-fidelity transfer requests: `ExportItems` and `UploadItems`.

use super::common::{write_folder_id, write_item_id};
use super::{envelope, MailboxTarget, Request};
use crate::types::{ItemId, UploadItem};

/// `ExportItems` of several items.
pub fn export_items(mailbox: &MailboxTarget, version: &str, items: &[ItemId]) -> Request {
    envelope("ExportItems", mailbox, version, |writer| {
        writer.open("m:ExportItems", &[]);
        writer.open("m:ItemIds", &[]);
        for item in items {
            write_item_id(writer, "t:ItemId", item);
        }
        writer.close("m:ItemIds");
        writer.close("m:ExportItems");
    })
}

/// `UploadItems` of several items. The export data is shared, not copied: it is base64-encoded
/// chunk by chunk while the request body is sent.
pub fn upload_items(mailbox: &MailboxTarget, version: &str, items: &[UploadItem]) -> Request {
    envelope("UploadItems", mailbox, version, |writer| {
        writer.open("m:UploadItems", &[]);
        writer.open("m:Items", &[]);
        for item in items {
            writer.open(
                "t:Item",
                &[
                    ("CreateAction", item.action.as_str()),
                    (
                        "IsAssociated",
                        if item.is_associated { "true" } else { "false" },
                    ),
                ],
            );
            write_folder_id(writer, "t:ParentFolderId", &item.parent);
            if let Some(id) = &item.item_id {
                write_item_id(writer, "t:ItemId", id);
            }
            writer.open("t:Data", &[]);
            writer.base64(item.data.chunks());
            writer.close("t:Data");
            writer.close("t:Item");
        }
        writer.close("m:Items");
        writer.close("m:UploadItems");
    })
}
