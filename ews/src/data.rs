//! Item content (MIME, export data) as a list of shared chunks.
//!
//! Content is decoded from a reply chunk by chunk and encoded into a request the same way, so a
//! large item is held exactly once: no contiguous buffer that doubles (and copies) as it grows.

use bytes::{Bytes, BytesMut};

/// The size of the chunks content is decoded into.
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// An item's content: shared chunks that read as one byte string.
#[derive(Debug, Clone, Default)]
pub struct ItemData {
    chunks: Vec<Bytes>,
    len: usize,
}

impl ItemData {
    /// Content from chunks.
    pub fn from_chunks(chunks: Vec<Bytes>) -> ItemData {
        let len = chunks.iter().map(Bytes::len).sum();
        ItemData { chunks, len }
    }

    /// The total length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no content.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunks, in order.
    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    /// The content as one contiguous buffer (copies unless there is a single chunk).
    pub fn to_bytes(&self) -> Bytes {
        match self.chunks.as_slice() {
            [] => Bytes::new(),
            [single] => single.clone(),
            many => {
                let mut joined = BytesMut::with_capacity(self.len);
                for chunk in many {
                    joined.extend_from_slice(chunk);
                }
                joined.freeze()
            }
        }
    }

    /// Iterates over every byte.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.chunks.iter().flat_map(|chunk| chunk.iter().copied())
    }
}

impl From<Bytes> for ItemData {
    fn from(bytes: Bytes) -> ItemData {
        ItemData::from_chunks(vec![bytes])
    }
}

impl From<Vec<u8>> for ItemData {
    fn from(bytes: Vec<u8>) -> ItemData {
        ItemData::from(Bytes::from(bytes))
    }
}

impl From<&'static [u8]> for ItemData {
    fn from(bytes: &'static [u8]) -> ItemData {
        ItemData::from(Bytes::from_static(bytes))
    }
}

impl PartialEq for ItemData {
    fn eq(&self, other: &ItemData) -> bool {
        self.len == other.len && self.bytes().eq(other.bytes())
    }
}

impl Eq for ItemData {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_ignores_chunking() {
        let whole = ItemData::from(b"hello world".to_vec());
        let split = ItemData::from_chunks(vec![
            Bytes::from_static(b"hello "),
            Bytes::from_static(b"world"),
        ]);
        assert_eq!(whole, split);
        assert_eq!(split.to_bytes(), Bytes::from_static(b"hello world"));
        assert_ne!(whole, ItemData::from(b"hello".to_vec()));
    }
}
