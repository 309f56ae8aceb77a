//! Parsing any reply by its response element: for recorded replies from real servers, the
//! fuzzer, and diagnostics. The client's operations use the same parsers directly.

use bytes::Bytes;

use super::envelope::{Reply, Status};
use super::parse;
use super::reader::ReplyReader;
use super::tree::Element;
use crate::types::{
    ExportedItem, Folder, FolderId, InboxRule, Item, ItemId, Page, ServerVersion, SyncPage,
};
use crate::EwsError;

/// What one response message held.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Folders (`GetFolder`, `CreateFolder`, `UpdateFolder`...).
    Folders(Vec<Folder>),
    /// A page of `FindFolder`.
    FolderPage(Page<Folder>),
    /// Items (`GetItem`, `CreateItem`, `UpdateItem`...).
    Items(Vec<Item>),
    /// A page of `FindItem`.
    ItemPage(Page<Item>),
    /// `SyncFolderItems` changes.
    ItemSync(SyncPage<Item, ItemId>),
    /// `SyncFolderHierarchy` changes.
    HierarchySync(SyncPage<Folder, FolderId>),
    /// An exported item.
    Exported(ExportedItem),
    /// Ids of uploaded items.
    ItemIds(Vec<ItemId>),
    /// Converted ids.
    Converted(Vec<String>),
    /// Inbox rules.
    Rules(Vec<InboxRule>),
    /// Success without a payload the client models.
    Done,
}

/// A whole reply, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct AnyReply {
    /// The operation answered.
    pub operation: String,
    /// `ServerVersionInfo`.
    pub server_version: Option<ServerVersion>,
    /// One result per response message.
    pub messages: Vec<Result<Message, EwsError>>,
}

/// Parses a complete reply. A SOAP fault (or a reply that is not EWS) is the error.
pub async fn parse_reply(bytes: Bytes) -> Result<AnyReply, EwsError> {
    let mut reply = Reply::open(ReplyReader::from_bytes(bytes), usize::MAX).await?;
    let operation = reply.operation().to_string();
    let server_version = reply.server_version.clone();
    let mut messages = Vec::new();
    if matches!(operation.as_str(), "GetInboxRules" | "UpdateInboxRules") {
        let message = reply.single_message().await?;
        messages.push(
            Status::of(&message)
                .check()
                .map(|()| match operation.as_str() {
                    "GetInboxRules" => Message::Rules(rules(&message)),
                    _ => Message::Done,
                }),
        );
    } else {
        while let Some(message) = reply.next_message().await? {
            messages.push(
                Status::of(&message)
                    .check()
                    .and_then(|()| payload(&operation, &message)),
            );
        }
    }
    Ok(AnyReply {
        operation,
        server_version,
        messages,
    })
}

fn payload(operation: &str, message: &Element) -> Result<Message, EwsError> {
    Ok(match operation {
        "GetFolder" | "CreateFolder" | "UpdateFolder" | "CopyFolder" | "MoveFolder" => {
            Message::Folders(
                message
                    .child("Folders")
                    .map(|folders| {
                        folders
                            .children
                            .iter()
                            .map(parse::folder)
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()?
                    .unwrap_or_default(),
            )
        }
        "FindFolder" => Message::FolderPage(parse::folder_page(message)?),
        "GetItem" | "CreateItem" | "UpdateItem" | "CopyItem" | "MoveItem" => {
            Message::Items(parse::items_in(message.child("Items")))
        }
        "FindItem" => Message::ItemPage(parse::item_page(message)?),
        "SyncFolderItems" => Message::ItemSync(parse::item_sync(message)?),
        "SyncFolderHierarchy" => Message::HierarchySync(parse::hierarchy_sync(message)?),
        "ExportItems" => Message::Exported(parse::exported_item(message)?),
        "UploadItems" => Message::ItemIds(
            message
                .child("ItemId")
                .and_then(parse::item_id)
                .into_iter()
                .collect(),
        ),
        "ConvertId" => Message::Converted(
            message
                .child("AlternateId")
                .and_then(|alternate| alternate.attr("Id"))
                .map(str::to_string)
                .into_iter()
                .collect(),
        ),
        _ => Message::Done,
    })
}

/// The rules of a `GetInboxRules` reply.
pub fn rules(message: &Element) -> Vec<InboxRule> {
    message
        .child("InboxRules")
        .map(|rules| rules.children_named("Rule").map(parse::rule).collect())
        .unwrap_or_default()
}
