//! Splitting a unit's items into export/upload batches bounded by count and bytes.

/// Consecutive runs of `items`, each at most `max_items` long and at most `max_bytes` in total;
/// an item larger than `max_bytes` travels alone.
pub fn batches<T>(
    items: &[T],
    size: impl Fn(&T) -> u64,
    max_items: usize,
    max_bytes: u64,
) -> Vec<&[T]> {
    let max_items = max_items.max(1);
    let mut batches = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (index, item) in items.iter().enumerate() {
        let item_bytes = size(item);
        let count = index - start;
        if count > 0 && (count >= max_items || bytes.saturating_add(item_bytes) > max_bytes) {
            batches.push(&items[start..index]);
            start = index;
            bytes = 0;
        }
        bytes = bytes.saturating_add(item_bytes);
    }
    if start < items.len() {
        batches.push(&items[start..]);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_count_and_bytes() {
        let sizes = [10u64, 10, 10, 10, 10];
        let by_count: Vec<usize> = batches(&sizes, |size| *size, 2, 1000)
            .iter()
            .map(|batch| batch.len())
            .collect();
        assert_eq!(by_count, vec![2, 2, 1]);
        let by_bytes: Vec<usize> = batches(&sizes, |size| *size, 50, 25)
            .iter()
            .map(|batch| batch.len())
            .collect();
        assert_eq!(by_bytes, vec![2, 2, 1]);
    }

    #[test]
    fn a_huge_item_travels_alone_and_nothing_is_lost() {
        let sizes = [5u64, 500, 5, 5];
        let split = batches(&sizes, |size| *size, 10, 100);
        assert_eq!(split, vec![&sizes[..1], &sizes[1..2], &sizes[2..]]);
        assert!(batches(&[] as &[u64], |size| *size, 10, 100).is_empty());
        let total: usize = batches(&[1u64; 1001], |size| *size, 7, 1 << 20)
            .iter()
            .map(|batch| batch.len())
            .sum();
        assert_eq!(total, 1001);
    }
}
