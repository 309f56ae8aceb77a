//! Items: what a listing shows, and the export data that carries an item between tenants.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{ItemId, MailError};
use crate::model::ItemKey;

/// An item's full-fidelity export data: the MS-OXCFXICS FastTransfer stream (with Exchange's
/// export framing) that EWS `ExportItems` and Graph `exportItems` return and their uploads take,
/// held as the chunks it arrived in.
pub type ExportData = ferry_fasttransfer::Chunks;

/// An item as a folder listing shows it (source items, and copies at the destination).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedItem {
    /// Id.
    pub id: ItemId,
    /// Received time.
    pub received: Option<DateTime<Utc>>,
    /// Size in bytes.
    pub size: u64,
    /// Message class.
    pub item_class: String,
    /// Subject, where the protocol lists it (Graph's listings do not).
    pub subject: String,
    /// Message-ID, where the protocol lists it.
    pub message_id: Option<String>,
}

/// An item in a destination folder, with the source key it was stamped with, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationItem {
    /// The item as listed.
    pub item: ListedItem,
    /// The key of the source item it is a copy of.
    pub stamp: Option<ItemKey>,
}

/// Items received in `[from, before)`; an open end is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReceivedRange {
    /// Inclusive start.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive end.
    pub before: Option<DateTime<Utc>>,
}

impl ReceivedRange {
    /// Whether an item received at `received` falls in the range; an item without a received
    /// time (a contact, a draft) falls only in an unbounded range.
    pub fn contains(&self, received: Option<DateTime<Utc>>) -> bool {
        match received {
            Some(at) => {
                self.from.is_none_or(|from| at >= from)
                    && self.before.is_none_or(|before| at < before)
            }
            None => self.from.is_none() && self.before.is_none(),
        }
    }
}

/// One exported item: the id asked for and its data, or why it could not be exported.
pub type Exported = (ItemId, Result<ExportData, MailError>);

/// Items exported from a mailbox, one at a time, so a caller holds one item's data at a time.
#[async_trait]
pub trait ExportedItems: Send {
    /// The next item; `None` after the last. An error here loses the rest of the batch.
    async fn next(&mut self) -> Result<Option<Exported>, MailError>;
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn ranges_are_half_open_and_undated_items_only_fall_in_open_ones() {
        let at = |day| Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).single();
        let range = ReceivedRange {
            from: at(2),
            before: at(4),
        };
        assert!(!range.contains(at(1)));
        assert!(range.contains(at(2)));
        assert!(!range.contains(at(4)));
        assert!(!range.contains(None));
        assert!(ReceivedRange::default().contains(None));
    }
}
