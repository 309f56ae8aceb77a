//! Items: listings with expanded extended properties, item delta, one item, deletion.

use chrono::SecondsFormat;
use reqwest::Method;
use serde::Deserialize;

use super::{expand, mailbox_path, segment};
use crate::client::{read_json, Page};
use crate::types::{DeltaStart, Item, ItemChange, ItemDelta};
use crate::{GraphClient, GraphError, MailboxId};

/// The properties a migration reads of an item.
const ITEM_FIELDS: &str = "id,type,size,createdDateTime,lastModifiedDateTime,changeKey";

/// A delta page member: an item, or a tombstone.
#[derive(Deserialize)]
struct DeltaEntry {
    #[serde(rename = "@removed", default)]
    removed: Option<serde_json::Value>,
    #[serde(flatten)]
    item: Item,
}

impl GraphClient {
    fn items_url(&self, mailbox: &MailboxId, folder: &str) -> String {
        self.url(&format!(
            "{}/folders/{}/items",
            mailbox_path(mailbox),
            segment(folder)
        ))
    }

    /// Every item of a folder, with the extended properties named (Graph property ids, such
    /// as `SystemTime 0x0E06`) expanded.
    pub async fn items(
        &self,
        mailbox: &MailboxId,
        folder: &str,
        properties: &[&str],
    ) -> Result<Vec<Item>, GraphError> {
        let url = self.items_url(mailbox, folder);
        let mut query = vec![
            ("$select", ITEM_FIELDS.to_string()),
            ("$top", self.page_size.to_string()),
        ];
        if let Some(expand) = expand(properties) {
            query.push(("$expand", expand));
        }
        self.get_all("listItems", &url, &query).await
    }

    /// One item, with the extended properties named expanded.
    pub async fn item(
        &self,
        mailbox: &MailboxId,
        folder: &str,
        item: &str,
        properties: &[&str],
    ) -> Result<Item, GraphError> {
        let url = format!("{}/{}", self.items_url(mailbox, folder), segment(item));
        let mut query = vec![("$select", ITEM_FIELDS.to_string())];
        if let Some(expand) = expand(properties) {
            query.push(("$expand", expand));
        }
        self.get_json("getItem", &url, &query).await
    }

    /// One delta round of a folder's items: every page from `start` to the `@odata.deltaLink`
    /// the next round starts from. An expired or foreign link is an error (400 or 410); start
    /// again with [`DeltaStart::Initial`].
    pub async fn item_delta(
        &self,
        mailbox: &MailboxId,
        folder: &str,
        start: DeltaStart,
    ) -> Result<ItemDelta, GraphError> {
        let (mut url, query) = match start {
            DeltaStart::Initial { received_since } => {
                let mut query = vec![("$select", ITEM_FIELDS.to_string())];
                if let Some(since) = received_since {
                    query.push((
                        "$filter",
                        format!(
                            "receivedDateTime ge {}",
                            since.to_rfc3339_opts(SecondsFormat::Secs, true)
                        ),
                    ));
                }
                (format!("{}/delta", self.items_url(mailbox, folder)), query)
            }
            DeltaStart::Link(link) => (self.service_link(&link)?, Vec::new()),
        };
        let mut query = query;
        let page_size = format!("odata.maxpagesize={}", self.page_size);
        let mut changes = Vec::new();
        loop {
            let response = self
                .send("itemDelta", |token| {
                    self.http
                        .request(Method::GET, &url)
                        .bearer_auth(token.expose())
                        .header("prefer", &page_size)
                        .query(&query)
                })
                .await?;
            let page: Page<DeltaEntry> = read_json("itemDelta", response).await?;
            for entry in page.value {
                changes.push(match entry.removed {
                    Some(_) => ItemChange::Removed { id: entry.item.id },
                    None => ItemChange::Upserted(entry.item),
                });
            }
            match (page.next_link, page.delta_link) {
                (Some(next), _) => {
                    url = self.service_link(&next)?;
                    query.clear();
                }
                (None, Some(delta_link)) => {
                    return Ok(ItemDelta {
                        changes,
                        delta_link,
                    })
                }
                (None, None) => {
                    return Err(GraphError::Malformed(
                        "itemDelta: a page with neither @odata.nextLink nor @odata.deltaLink"
                            .into(),
                    ))
                }
            }
        }
    }

    /// Deletes an item: `hard` removes it for good, otherwise it goes to Recoverable Items.
    pub async fn delete_item(
        &self,
        mailbox: &MailboxId,
        folder: &str,
        item: &str,
        hard: bool,
    ) -> Result<(), GraphError> {
        let url = format!("{}/{}", self.items_url(mailbox, folder), segment(item));
        let disposal = if hard { "hardDelete" } else { "softDelete" };
        self.call(
            "deleteItem",
            Method::DELETE,
            &url,
            &[("disposalType", disposal.to_string())],
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansions_filter_by_id_and_escape_quotes() {
        assert_eq!(expand(&[]), None);
        assert_eq!(
            expand(&["SystemTime 0x0E06", "String {x} Name it's"]).as_deref(),
            Some("singleValueExtendedProperties($filter=id eq 'SystemTime 0x0E06' or id eq 'String {x} Name it''s')")
        );
    }
}
