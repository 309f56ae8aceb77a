//! Item operations.

use super::{messages, single};
use crate::reply::parse;
use crate::request::{self, FindItemQuery, ItemShape, ItemUpdate, MailboxTarget, Paging};
use crate::types::{
    DeleteType, FolderRef, IdFormat, Item, ItemId, MimeItem, Page, Restriction, SyncPage,
};
use crate::{EwsClient, EwsError};

/// Items per `FindItem` page: the most Exchange Online returns.
const ITEM_PAGE: u32 = 1000;

impl EwsClient {
    /// One page of `FindItem` in a folder.
    pub async fn find_items(
        &self,
        mailbox: &MailboxTarget,
        folder: &FolderRef,
        query: &FindItemQuery,
    ) -> Result<Page<Item>, EwsError> {
        let request = request::find_items(mailbox, &self.schema_version, folder, query);
        single(self.send(&request).await?, parse::item_page).await
    }

    /// Every item of a folder matching `restriction`, page by page.
    pub async fn all_items(
        &self,
        mailbox: &MailboxTarget,
        folder: &FolderRef,
        shape: &ItemShape,
        restriction: Option<&Restriction>,
    ) -> Result<Vec<Item>, EwsError> {
        let mut query = FindItemQuery {
            shape: shape.clone(),
            paging: Paging::first(ITEM_PAGE),
            restriction: restriction.cloned(),
            sort: Vec::new(),
        };
        let mut items = Vec::new();
        loop {
            let page = self.find_items(mailbox, folder, &query).await?;
            let returned = page.entries.len() as u64;
            items.extend(page.entries);
            if page.includes_last || returned == 0 {
                return Ok(items);
            }
            query.paging.offset = page.next_offset.unwrap_or(query.paging.offset + returned);
        }
    }

    /// `GetItem`: one result per item. With MIME content, every item's content is held until
    /// the call returns; use [`EwsClient::export_items`] to stream item data.
    pub async fn get_items(
        &self,
        mailbox: &MailboxTarget,
        items: &[ItemId],
        shape: &ItemShape,
    ) -> Result<Vec<Result<Item, EwsError>>, EwsError> {
        let request = request::get_items(mailbox, &self.schema_version, items, shape);
        messages(self.send(&request).await?, |message| {
            parse::items_in(message.child("Items"))
                .into_iter()
                .next()
                .ok_or_else(|| EwsError::MalformedReply("GetItem message has no item".into()))
        })
        .await
    }

    /// `SyncFolderItems` from a sync state (`None` to start), at most `max_changes` (1 to 512).
    pub async fn sync_folder_items(
        &self,
        mailbox: &MailboxTarget,
        folder: &FolderRef,
        sync_state: Option<&str>,
        max_changes: u32,
        shape: &ItemShape,
    ) -> Result<SyncPage<Item, ItemId>, EwsError> {
        let request = request::sync_folder_items(
            mailbox,
            &self.schema_version,
            folder,
            sync_state,
            max_changes,
            shape,
        );
        single(self.send(&request).await?, parse::item_sync).await
    }

    /// `CreateItem` from MIME, saved in `folder`: one result per item.
    pub async fn create_items_from_mime(
        &self,
        mailbox: &MailboxTarget,
        folder: &FolderRef,
        items: &[MimeItem],
    ) -> Result<Vec<Result<ItemId, EwsError>>, EwsError> {
        let request = request::create_items_from_mime(mailbox, &self.schema_version, folder, items);
        messages(self.send(&request).await?, first_item_id).await
    }

    /// `UpdateItem`: one result (the new id and change key) per item.
    pub async fn update_items(
        &self,
        mailbox: &MailboxTarget,
        updates: &[ItemUpdate],
    ) -> Result<Vec<Result<ItemId, EwsError>>, EwsError> {
        let request = request::update_items(mailbox, &self.schema_version, updates);
        messages(self.send(&request).await?, first_item_id).await
    }

    /// `DeleteItem`: one result per item.
    pub async fn delete_items(
        &self,
        mailbox: &MailboxTarget,
        items: &[ItemId],
        delete_type: DeleteType,
    ) -> Result<Vec<Result<(), EwsError>>, EwsError> {
        let request = request::delete_items(mailbox, &self.schema_version, items, delete_type);
        messages(self.send(&request).await?, |_| Ok(())).await
    }

    /// `ConvertId`: one result per id.
    pub async fn convert_ids(
        &self,
        mailbox: &MailboxTarget,
        ids: &[String],
        from: IdFormat,
        to: IdFormat,
    ) -> Result<Vec<Result<String, EwsError>>, EwsError> {
        let request = request::convert_ids(mailbox, &self.schema_version, ids, from, to);
        messages(self.send(&request).await?, |message| {
            message
                .child("AlternateId")
                .and_then(|alternate| alternate.attr("Id"))
                .map(str::to_string)
                .ok_or_else(|| {
                    EwsError::MalformedReply("ConvertId message has no AlternateId".into())
                })
        })
        .await
    }
}

fn first_item_id(message: &crate::reply::Element) -> Result<ItemId, EwsError> {
    parse::items_in(message.child("Items"))
        .into_iter()
        .next()
        .and_then(|item| item.id)
        .ok_or_else(|| EwsError::MalformedReply(format!("{} has no ItemId", message.name)))
}
