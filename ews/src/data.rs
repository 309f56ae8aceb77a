//! Item content (MIME, export data) as a list of shared chunks.
//!
//! Content is decoded from a reply chunk by chunk and encoded into a request the same way, so a
//! large item is held exactly once: no contiguous buffer that doubles (and copies) as it grows.
//! It is the codec's own chunked byte string, so export data read from a reply goes to the
//! FastTransfer reader (and back into an upload) without converting.

/// An item's content: shared chunks that read as one byte string. `Debug` shows only its
/// length, since the content is mail.
pub use ferry_fasttransfer::Chunks as ItemData;

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn equality_ignores_chunking() {
        let whole = ItemData::from(b"hello world".to_vec());
        let split = ItemData::from(vec![
            Bytes::from_static(b"hello "),
            Bytes::from_static(b"world"),
        ]);
        assert_eq!(whole, split);
        assert_eq!(split.to_bytes(), Bytes::from_static(b"hello world"));
        assert_ne!(whole, ItemData::from(b"hello".to_vec()));
    }
}
