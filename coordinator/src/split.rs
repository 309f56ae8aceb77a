//! Splitting a large folder into received-time ranges of about `unit_items` items, so no work
//! unit runs for hours and several workers can share one big folder.

use chrono::{DateTime, Utc};
use ferry_core::mail::{ListedItem, ReceivedRange};

/// One range of a folder and what it held at planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The range.
    pub range: ReceivedRange,
    /// Items in it.
    pub items: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// Splits `items` (all within `scope`) into consecutive ranges of about `unit_items` items.
/// The ranges tile `scope` exactly, so items that arrive after planning still fall in one of
/// them. Items received at the same instant stay together, so a range may run over. A folder
/// whose items lack received times is not split (a range could not select them).
pub fn split_folder(items: &[ListedItem], scope: ReceivedRange, unit_items: usize) -> Vec<Chunk> {
    let whole = || {
        vec![Chunk {
            range: scope,
            items: items.len() as u64,
            bytes: items.iter().map(|item| item.size).sum(),
        }]
    };
    let unit_items = unit_items.max(1);
    if items.len() <= unit_items || items.iter().any(|item| item.received.is_none()) {
        return whole();
    }
    let mut dated: Vec<(DateTime<Utc>, u64)> = items
        .iter()
        .filter_map(|item| item.received.map(|received| (received, item.size)))
        .collect();
    dated.sort_unstable_by_key(|(received, _)| *received);

    let mut chunks = Vec::new();
    let mut from = scope.from;
    let mut start = 0;
    while start < dated.len() {
        // The next boundary is the received time `unit_items` further on, moved past any items
        // sharing the time of the last one taken.
        let mut end = (start + unit_items).min(dated.len());
        while end < dated.len() && dated[end].0 == dated[end - 1].0 {
            end += 1;
        }
        let before = if end < dated.len() {
            Some(dated[end].0)
        } else {
            scope.before
        };
        chunks.push(Chunk {
            range: ReceivedRange { from, before },
            items: (end - start) as u64,
            bytes: dated[start..end].iter().map(|(_, size)| size).sum(),
        });
        from = before;
        start = end;
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn item(second: i64) -> ListedItem {
        ListedItem {
            id: format!("id-{second}").into(),
            received: Utc.timestamp_opt(1_600_000_000 + second, 0).single(),
            size: 10,
            item_class: "IPM.Note".into(),
            subject: String::new(),
            message_id: None,
        }
    }

    fn contains(range: &ReceivedRange, time: DateTime<Utc>) -> bool {
        range.from.is_none_or(|from| time >= from)
            && range.before.is_none_or(|before| time < before)
    }

    #[test]
    fn small_folders_are_one_unit() {
        let items: Vec<ListedItem> = (0..5).map(item).collect();
        let chunks = split_folder(&items, ReceivedRange::default(), 10);
        assert_eq!(chunks.len(), 1);
        assert_eq!((chunks[0].items, chunks[0].bytes), (5, 50));
    }

    #[test]
    fn large_folders_split_into_ranges_that_tile_the_scope() {
        let items: Vec<ListedItem> = (0..25).rev().map(item).collect();
        let scope = ReceivedRange {
            from: None,
            before: Utc.timestamp_opt(1_700_000_000, 0).single(),
        };
        let chunks = split_folder(&items, scope, 10);
        assert_eq!(
            chunks.iter().map(|chunk| chunk.items).collect::<Vec<_>>(),
            vec![10, 10, 5]
        );
        assert_eq!(chunks[0].range.from, None);
        assert_eq!(chunks[2].range.before, scope.before);
        for pair in chunks.windows(2) {
            assert_eq!(
                pair[0].range.before, pair[1].range.from,
                "ranges meet without gaps"
            );
        }
        for item in &items {
            let received = item.received.unwrap_or_default();
            let holders = chunks
                .iter()
                .filter(|chunk| contains(&chunk.range, received))
                .count();
            assert_eq!(holders, 1, "every item is in exactly one range");
        }
    }

    #[test]
    fn items_at_the_same_instant_stay_together() {
        let mut items: Vec<ListedItem> = (0..4).map(|_| item(0)).collect();
        items.extend((1..4).map(item));
        let chunks = split_folder(&items, ReceivedRange::default(), 2);
        assert_eq!(
            chunks[0].items, 4,
            "the four items at second 0 are not split"
        );
        assert_eq!(chunks.iter().map(|chunk| chunk.items).sum::<u64>(), 7);
    }

    #[test]
    fn undated_items_keep_the_folder_whole() {
        let mut items: Vec<ListedItem> = (0..5).map(item).collect();
        items[2].received = None;
        assert_eq!(split_folder(&items, ReceivedRange::default(), 2).len(), 1);
    }
}
