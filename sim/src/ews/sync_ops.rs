//! Synchronisation: `SyncFolderItems` and `SyncFolderHierarchy`, answered from the change logs.

use std::collections::HashSet;

use super::context::{item_id_attrs, resolve_folder, OpContext};
use super::folder_ops::required;
use super::folder_xml::write_folder;
use super::item_xml::write_item;
use super::shape::Shape;
use super::soap::{
    error_message, response_end, response_start, success_start, EwsError, SoapFault,
};
use super::OpError;
use crate::ids::{ObjectId, SyncState};
use crate::model::WellKnownFolder;
use crate::xml::{Element, XmlWriter};

/// The most changes one `SyncFolderItems` call may ask for (`MaxSyncChangesReturnedType`).
const MAX_SYNC_CHANGES: usize = 512;

enum ItemChangeKind {
    Create(u64),
    Update(u64),
    Delete(u64, u64),
}

/// `SyncFolderItems`: the folder's item changes since the client's sync state.
pub fn sync_folder_items(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let shape = Shape::parse(required(request, "ItemShape")?)?;
    let max_changes = request
        .child_text("MaxChangesReturned")
        .and_then(|text| text.parse::<usize>().ok())
        .filter(|max| (1..=MAX_SYNC_CHANGES).contains(max))
        .ok_or_else(|| SoapFault::schema("MaxChangesReturned must be a number from 1 to 512."))?;
    let folder_element = required(request, "SyncFolderId")?;
    let ignored: HashSet<String> = request
        .child("Ignore")
        .map(|ignore| {
            ignore
                .children
                .iter()
                .filter_map(|id| id.attr("Id").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let state = ctx.mailbox.lock();
    response_start(writer, "SyncFolderItems");
    let folder = match resolve_folder(ctx.mailbox, &state, folder_element) {
        Ok(folder) => folder,
        Err(error) => {
            error_message(writer, "m:SyncFolderItemsResponseMessage", &error);
            response_end(writer, "SyncFolderItems");
            return Ok(());
        }
    };
    let watermark = match parse_state(ctx, request.child_text("SyncState"), folder) {
        Ok(watermark) => watermark,
        Err(error) => {
            error_message(writer, "m:SyncFolderItemsResponseMessage", &error);
            response_end(writer, "SyncFolderItems");
            return Ok(());
        }
    };
    let mut changes = Vec::new();
    let mut new_watermark = state.change_number();
    let mut includes_last = true;
    for (change, entry) in state.folders[&folder].item_changes.range(watermark + 1..) {
        let kind = match (entry.deleted, entry.created_change > watermark) {
            (true, true) => continue,
            (true, false) => ItemChangeKind::Delete(entry.item_seq, entry.created_change),
            (false, true) => ItemChangeKind::Create(entry.item_seq),
            (false, false) => ItemChangeKind::Update(entry.item_seq),
        };
        if ignored.contains(&ObjectId::item(ctx.mailbox.guid, entry.item_seq).encode()) {
            continue;
        }
        if changes.len() == max_changes {
            includes_last = false;
            break;
        }
        new_watermark = *change;
        changes.push(kind);
    }
    if includes_last {
        new_watermark = state.change_number();
    }
    let sync_state = SyncState {
        mailbox: ctx.mailbox.guid,
        folder_seq: folder,
        watermark: new_watermark,
    };
    success_start(writer, "m:SyncFolderItemsResponseMessage");
    writer.leaf("m:SyncState", &sync_state.encode());
    writer.leaf(
        "m:IncludesLastItemInRange",
        if includes_last { "true" } else { "false" },
    );
    writer.open("m:Changes", &[]);
    for change in changes {
        match change {
            ItemChangeKind::Create(seq) | ItemChangeKind::Update(seq) => {
                let wrapper = if matches!(change, ItemChangeKind::Create(_)) {
                    "t:Create"
                } else {
                    "t:Update"
                };
                writer.open(wrapper, &[]);
                write_item(ctx, &state, &state.items[&seq], &shape, writer);
                writer.close(wrapper);
            }
            ItemChangeKind::Delete(seq, created) => {
                writer.open("t:Delete", &[]);
                let (id, change_key) = item_id_attrs(ctx.mailbox, seq, created);
                writer.empty("t:ItemId", &[("Id", &id), ("ChangeKey", &change_key)]);
                writer.close("t:Delete");
            }
        }
    }
    writer.close("m:Changes");
    writer.close("m:SyncFolderItemsResponseMessage");
    response_end(writer, "SyncFolderItems");
    Ok(())
}

/// `SyncFolderHierarchy`: folder creations, updates and deletions below the sync root.
pub fn sync_folder_hierarchy(
    ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let shape = Shape::parse(required(request, "FolderShape")?)?;
    let state = ctx.mailbox.lock();
    response_start(writer, "SyncFolderHierarchy");
    let root = match request.child("SyncFolderId") {
        Some(element) => resolve_folder(ctx.mailbox, &state, element),
        None => Ok(state.well_known_folder(WellKnownFolder::MsgFolderRoot)),
    };
    let result = root.and_then(|root| {
        parse_state(ctx, request.child_text("SyncState"), root).map(|watermark| (root, watermark))
    });
    let (root, watermark) = match result {
        Ok(found) => found,
        Err(error) => {
            error_message(writer, "m:SyncFolderHierarchyResponseMessage", &error);
            response_end(writer, "SyncFolderHierarchy");
            return Ok(());
        }
    };
    let sync_state = SyncState {
        mailbox: ctx.mailbox.guid,
        folder_seq: root,
        watermark: state.change_number(),
    };
    success_start(writer, "m:SyncFolderHierarchyResponseMessage");
    writer.leaf("m:SyncState", &sync_state.encode());
    writer.leaf("m:IncludesLastFolderInRange", "true");
    writer.open("m:Changes", &[]);
    for entry in state
        .folder_changes
        .range(watermark + 1..)
        .map(|(_, entry)| entry)
    {
        if entry.deleted {
            if entry.created_change <= watermark {
                writer.open("t:Delete", &[]);
                let id = ObjectId::folder(ctx.mailbox.guid, entry.folder_seq).encode();
                writer.empty("t:FolderId", &[("Id", &id)]);
                writer.close("t:Delete");
            }
            continue;
        }
        if entry.folder_seq == root || !state.is_within(entry.folder_seq, root) {
            continue;
        }
        let wrapper = if entry.created_change > watermark {
            "t:Create"
        } else {
            "t:Update"
        };
        writer.open(wrapper, &[]);
        write_folder(
            ctx,
            &state,
            &state.folders[&entry.folder_seq],
            &shape,
            writer,
        );
        writer.close(wrapper);
    }
    writer.close("m:Changes");
    writer.close("m:SyncFolderHierarchyResponseMessage");
    response_end(writer, "SyncFolderHierarchy");
    Ok(())
}

/// The watermark a sync state stands for; an empty state starts from the beginning.
fn parse_state(ctx: &OpContext<'_>, text: Option<&str>, folder: u64) -> Result<u64, EwsError> {
    let Some(text) = text.filter(|text| !text.is_empty()) else {
        return Ok(0);
    };
    match SyncState::decode(text) {
        Some(state) if state.mailbox == ctx.mailbox.guid && state.folder_seq == folder => {
            Ok(state.watermark)
        }
        _ => Err(EwsError::new(
            "ErrorInvalidSyncStateData",
            "Synchronization state data is corrupt or otherwise invalid.",
        )),
    }
}
