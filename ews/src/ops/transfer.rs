//! Full-fidelity transfer: `ExportItems` streamed item by item, and `UploadItems`.

use super::messages;
use crate::reply::{parse, Reply, Status};
use crate::request::{self, MailboxTarget};
use crate::types::{ExportedItem, ItemId, UploadItem};
use crate::{EwsClient, EwsError};

/// The items of an `ExportItems` reply, read one at a time as they arrive: the client holds one
/// item's data at a time, however large the batch.
pub struct ExportStream {
    reply: Reply,
    requested: std::collections::VecDeque<ItemId>,
}

impl ExportStream {
    /// The next item: the id asked for and its data, or why it could not be exported.
    /// `Ok(None)` after the last. An error here means the rest of the reply is lost.
    pub async fn next(
        &mut self,
    ) -> Result<Option<(ItemId, Result<ExportedItem, EwsError>)>, EwsError> {
        let Some(message) = self.reply.next_message().await? else {
            return Ok(None);
        };
        let requested = self.requested.pop_front().ok_or_else(|| {
            EwsError::MalformedReply("ExportItems returned more items than asked for".into())
        })?;
        let result = Status::of(&message)
            .check()
            .and_then(|()| parse::exported_item(&message));
        Ok(Some((requested, result)))
    }
}

impl EwsClient {
    /// `ExportItems`: a stream of the items' export data, in request order.
    pub async fn export_items(
        &self,
        mailbox: &MailboxTarget,
        items: &[ItemId],
    ) -> Result<ExportStream, EwsError> {
        let request = request::export_items(mailbox, &self.schema_version, items);
        Ok(ExportStream {
            reply: self.send(&request).await?,
            requested: items.iter().cloned().collect(),
        })
    }

    /// `UploadItems`: one result per item, the new item's id.
    pub async fn upload_items(
        &self,
        mailbox: &MailboxTarget,
        items: &[UploadItem],
    ) -> Result<Vec<Result<ItemId, EwsError>>, EwsError> {
        let request = request::upload_items(mailbox, &self.schema_version, items);
        messages(self.send(&request).await?, |message| {
            message
                .child("ItemId")
                .and_then(parse::item_id)
                .ok_or_else(|| EwsError::MalformedReply("UploadItems message has no ItemId".into()))
        })
        .await
    }
}
