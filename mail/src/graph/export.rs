//! Exports over Graph: the ids in calls of at most 20, each reply streamed, one item handed on
//! at a time, in the order Graph answers. An id a reply leaves out is reported as an error, so
//! every id asked for gets an answer.

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;
use ferry_core::mail::{Exported, ExportedItems, ItemId, MailError};
use ferry_graph::{ExportStream, GraphClient, MailboxId, MAX_EXPORT_IDS};

use super::convert::{error, item_error, NotFound};

/// The items of one export, read call by call.
pub struct GraphExport {
    client: Arc<GraphClient>,
    mailbox: MailboxId,
    waiting: VecDeque<ItemId>,
    current: Option<ExportStream>,
    /// Ids of the current call not answered yet.
    unanswered: Vec<ItemId>,
    /// Ids a finished call did not answer, to report before going on.
    left_out: VecDeque<ItemId>,
}

impl GraphExport {
    /// An export of `ids`; nothing is sent before the first `next`.
    pub fn new(client: Arc<GraphClient>, mailbox: MailboxId, ids: Vec<ItemId>) -> GraphExport {
        GraphExport {
            client,
            mailbox,
            waiting: ids.into(),
            current: None,
            unanswered: Vec::new(),
            left_out: VecDeque::new(),
        }
    }

    async fn start_call(&mut self) -> Result<bool, MailError> {
        if self.waiting.is_empty() {
            return Ok(false);
        }
        let take = self.waiting.len().min(MAX_EXPORT_IDS);
        let batch: Vec<ItemId> = self.waiting.drain(..take).collect();
        let ids: Vec<String> = batch.iter().map(|id| id.0.clone()).collect();
        let stream = self
            .client
            .export_items(&self.mailbox, &ids)
            .await
            .map_err(|e| error(e, NotFound::Item))?;
        self.current = Some(stream);
        self.unanswered = batch;
        Ok(true)
    }
}

#[async_trait]
impl ExportedItems for GraphExport {
    async fn next(&mut self) -> Result<Option<Exported>, MailError> {
        loop {
            if let Some(id) = self.left_out.pop_front() {
                return Ok(Some((
                    id,
                    Err(MailError::transient(
                        "exportItems left this item out of its reply",
                    )),
                )));
            }
            let Some(stream) = self.current.as_mut() else {
                if !self.start_call().await? {
                    return Ok(None);
                }
                continue;
            };
            match stream.next().await.map_err(|e| error(e, NotFound::Item))? {
                Some(entry) => {
                    let id = ItemId::new(entry.item_id);
                    let Some(at) = self.unanswered.iter().position(|asked| *asked == id) else {
                        // Not an id of this call (or answered twice): not ours to hand on.
                        tracing::warn!(item = %id, "exportItems answered for an id it was not asked for");
                        continue;
                    };
                    self.unanswered.remove(at);
                    return Ok(Some((id, entry.data.map_err(item_error))));
                }
                None => {
                    self.current = None;
                    self.left_out.extend(self.unanswered.drain(..));
                }
            }
        }
    }
}
