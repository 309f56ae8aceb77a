//! A byte string held as shared [`Bytes`] chunks, so a large value read from the network is
//! sliced and written back without ever being copied.

use std::fmt;
use std::ops::{Bound, RangeBounds};

use bytes::{BufMut, Bytes, BytesMut};

/// A byte string stored as a list of shared [`Bytes`] chunks with its total length.
///
/// Cloning and slicing share memory; only [`Chunks::to_bytes`] with several chunks and
/// [`Chunks::into_vec`] copy. Equality compares content, however it is chunked. `Debug` prints
/// the length and chunk count only, because the content is mail.
#[derive(Clone, Default)]
pub struct Chunks {
    // Never holds an empty chunk, so walking code can assume every chunk has a first byte.
    chunks: Vec<Bytes>,
    len: usize,
}

impl Chunks {
    /// An empty byte string.
    pub fn new() -> Self {
        Self::default()
    }

    /// The total length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the byte string is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunks, none of them empty.
    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    /// Appends a chunk without copying it.
    pub fn push(&mut self, chunk: Bytes) {
        if !chunk.is_empty() {
            self.len += chunk.len();
            self.chunks.push(chunk);
        }
    }

    /// Appends every chunk of `other` without copying.
    pub fn extend(&mut self, other: &Chunks) {
        self.chunks.extend(other.chunks.iter().cloned());
        self.len += other.len;
    }

    /// A zero-copy sub-range, like [`Bytes::slice`].
    ///
    /// # Panics
    ///
    /// If the range is out of bounds or decreasing, as slicing does.
    pub fn slice(&self, range: impl RangeBounds<usize>) -> Chunks {
        let start = match range.start_bound() {
            Bound::Included(&n) => n,
            Bound::Excluded(&n) => n + 1,
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&n) => n + 1,
            Bound::Excluded(&n) => n,
            Bound::Unbounded => self.len,
        };
        assert!(
            start <= end && end <= self.len,
            "range {start}..{end} out of bounds for chunks of length {}",
            self.len
        );
        let mut out = Chunks::new();
        let mut chunk_start = 0;
        for chunk in &self.chunks {
            let chunk_end = chunk_start + chunk.len();
            if chunk_end > start && chunk_start < end {
                let from = start.saturating_sub(chunk_start);
                let to = end.min(chunk_end) - chunk_start;
                out.push(chunk.slice(from..to));
            }
            if chunk_end >= end {
                break;
            }
            chunk_start = chunk_end;
        }
        out
    }

    /// The content as one [`Bytes`]: shared when there is one chunk, copied otherwise.
    pub fn to_bytes(&self) -> Bytes {
        match self.chunks.as_slice() {
            [] => Bytes::new(),
            [only] => only.clone(),
            many => {
                let mut joined = BytesMut::with_capacity(self.len);
                for chunk in many {
                    joined.put_slice(chunk);
                }
                joined.freeze()
            }
        }
    }

    /// The content copied into one vector.
    pub fn into_vec(self) -> Vec<u8> {
        let mut joined = Vec::with_capacity(self.len);
        for chunk in &self.chunks {
            joined.extend_from_slice(chunk);
        }
        joined
    }

    /// Whether the content starts with `prefix`.
    pub fn starts_with(&self, prefix: &[u8]) -> bool {
        prefix.len() <= self.len && self.slice(..prefix.len()) == *prefix
    }

    /// How many of these bytes lie in the memory of `buffers`, shared rather than copied: what
    /// shows a large value passed through without a copy.
    pub fn bytes_within(&self, buffers: &[Bytes]) -> usize {
        self.chunks
            .iter()
            .filter(|chunk| {
                let start = chunk.as_ptr() as usize;
                let end = start + chunk.len();
                buffers.iter().any(|buffer| {
                    let buffer_start = buffer.as_ptr() as usize;
                    buffer_start <= start && end <= buffer_start + buffer.len()
                })
            })
            .map(Bytes::len)
            .sum()
    }

    pub(crate) fn from_parts(chunks: Vec<Bytes>, len: usize) -> Chunks {
        debug_assert_eq!(chunks.iter().map(Bytes::len).sum::<usize>(), len);
        debug_assert!(chunks.iter().all(|chunk| !chunk.is_empty()));
        Chunks { chunks, len }
    }

    /// Iterates over the content as byte slices, for comparisons.
    fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        self.chunks.iter().map(|chunk| chunk.as_ref())
    }
}

/// Compares two sequences of byte slices as if each were joined.
fn pieces_equal<'a>(
    mut left: impl Iterator<Item = &'a [u8]>,
    mut right: impl Iterator<Item = &'a [u8]>,
) -> bool {
    let mut a: &[u8] = &[];
    let mut b: &[u8] = &[];
    loop {
        if a.is_empty() {
            a = match left.next() {
                Some(piece) => piece,
                None => return b.is_empty() && right.all(<[u8]>::is_empty),
            };
            continue;
        }
        if b.is_empty() {
            b = match right.next() {
                Some(piece) => piece,
                None => return false,
            };
            continue;
        }
        let common = a.len().min(b.len());
        if a[..common] != b[..common] {
            return false;
        }
        a = &a[common..];
        b = &b[common..];
    }
}

impl PartialEq for Chunks {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && pieces_equal(self.pieces(), other.pieces())
    }
}

impl Eq for Chunks {}

impl PartialEq<[u8]> for Chunks {
    fn eq(&self, other: &[u8]) -> bool {
        self.len == other.len() && pieces_equal(self.pieces(), std::iter::once(other))
    }
}

impl PartialEq<&[u8]> for Chunks {
    fn eq(&self, other: &&[u8]) -> bool {
        *self == **other
    }
}

impl fmt::Debug for Chunks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chunks")
            .field("len", &self.len)
            .field("chunks", &self.chunks.len())
            .finish()
    }
}

impl From<Bytes> for Chunks {
    fn from(bytes: Bytes) -> Self {
        let mut chunks = Chunks::new();
        chunks.push(bytes);
        chunks
    }
}

impl From<Vec<u8>> for Chunks {
    fn from(bytes: Vec<u8>) -> Self {
        Chunks::from(Bytes::from(bytes))
    }
}

impl From<&'static [u8]> for Chunks {
    fn from(bytes: &'static [u8]) -> Self {
        Chunks::from(Bytes::from_static(bytes))
    }
}

impl From<Vec<Bytes>> for Chunks {
    fn from(list: Vec<Bytes>) -> Self {
        let mut chunks = Chunks::new();
        for chunk in list {
            chunks.push(chunk);
        }
        chunks
    }
}

/// Writes a [`Chunks`]: small writes gather in one buffer, large shared slices are appended
/// as chunks of their own without copying.
#[derive(Debug, Default)]
pub struct ChunksBuilder {
    done: Chunks,
    pending: BytesMut,
}

impl ChunksBuilder {
    /// Slices at least this long are shared rather than copied: below it a separate chunk costs
    /// more (a reference count, a list entry, a write call) than copying the bytes.
    pub const SHARE_THRESHOLD: usize = 4096;

    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of bytes written so far.
    pub fn len(&self) -> usize {
        self.done.len() + self.pending.len()
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies a small slice in.
    pub fn put_slice(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// Writes one byte.
    pub fn put_u8(&mut self, value: u8) {
        self.pending.put_u8(value);
    }

    /// Writes a little-endian `u16`.
    pub fn put_u16_le(&mut self, value: u16) {
        self.pending.put_u16_le(value);
    }

    /// Writes a little-endian `u32`.
    pub fn put_u32_le(&mut self, value: u32) {
        self.pending.put_u32_le(value);
    }

    /// Appends shared bytes: shared when at least [`Self::SHARE_THRESHOLD`] long, copied otherwise.
    pub fn put_bytes(&mut self, bytes: &Bytes) {
        if bytes.len() >= Self::SHARE_THRESHOLD {
            self.flush_pending();
            self.done.push(bytes.clone());
        } else {
            self.pending.extend_from_slice(bytes);
        }
    }

    /// Appends every chunk of `chunks` as [`Self::put_bytes`] does.
    pub fn put_chunks(&mut self, chunks: &Chunks) {
        for chunk in chunks.chunks() {
            self.put_bytes(chunk);
        }
    }

    /// The bytes written.
    pub fn finish(mut self) -> Chunks {
        self.flush_pending();
        self.done
    }

    fn flush_pending(&mut self) {
        if !self.pending.is_empty() {
            // split() hands over the filled part and keeps any spare capacity for later writes.
            self.done.push(self.pending.split().freeze());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_chunks(bytes: &[u8], size: usize) -> Chunks {
        Chunks::from(
            bytes
                .chunks(size)
                .map(Bytes::copy_from_slice)
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn equality_ignores_chunking() {
        let data: Vec<u8> = (0..=255).collect();
        let whole = Chunks::from(data.clone());
        for size in [1, 3, 7, 255, 256, 1000] {
            assert_eq!(split_chunks(&data, size), whole, "chunk size {size}");
        }
        assert_ne!(whole, split_chunks(&data[1..], 5));
        let mut changed = data.clone();
        changed[200] ^= 1;
        assert_ne!(split_chunks(&changed, 7), whole);
        assert_eq!(whole, data.as_slice());
        assert_eq!(Chunks::new(), Chunks::from(Vec::<Bytes>::new()));
    }

    #[test]
    fn empty_chunks_are_dropped() {
        let chunks = Chunks::from(vec![Bytes::new(), Bytes::from_static(b"ab"), Bytes::new()]);
        assert_eq!(chunks.chunks().len(), 1);
        assert_eq!(chunks.len(), 2);
        assert!(Chunks::from(Vec::<u8>::new()).is_empty());
    }

    #[test]
    fn slices_share_memory_and_match_content() {
        let data: Vec<u8> = (0..100).collect();
        let chunks = split_chunks(&data, 9);
        for start in 0..=100 {
            for end in start..=100 {
                let slice = chunks.slice(start..end);
                assert_eq!(slice, &data[start..end], "{start}..{end}");
            }
        }
        let big = Bytes::from(vec![7u8; 10_000]);
        let shared = Chunks::from(big.clone()).slice(100..5000);
        assert_eq!(shared.chunks()[0].as_ptr(), big[100..].as_ptr());
        assert_eq!(shared.to_bytes().as_ptr(), big[100..].as_ptr());
    }

    #[test]
    #[should_panic(expected = "out of bounds")]
    fn slice_out_of_bounds_panics() {
        let _ = Chunks::from(vec![1u8, 2, 3]).slice(2..5);
    }

    #[test]
    fn to_bytes_and_into_vec_join_chunks() {
        let chunks = split_chunks(b"hello world", 4);
        assert_eq!(chunks.to_bytes(), Bytes::from_static(b"hello world"));
        assert_eq!(chunks.clone().into_vec(), b"hello world");
        assert!(chunks.starts_with(b"hello"));
        assert!(!chunks.starts_with(b"world"));
        assert!(!chunks.starts_with(b"hello world and more"));
    }

    #[test]
    fn debug_shows_no_content() {
        let chunks = split_chunks(b"secret mail", 5);
        assert_eq!(format!("{chunks:?}"), "Chunks { len: 11, chunks: 3 }");
    }

    #[test]
    fn builder_copies_small_writes_and_shares_large_slices() {
        let large = Bytes::from(vec![1u8; ChunksBuilder::SHARE_THRESHOLD]);
        let mut builder = ChunksBuilder::new();
        builder.put_u32_le(0x0102_0304);
        builder.put_bytes(&Bytes::from_static(b"small"));
        builder.put_bytes(&large);
        builder.put_u16_le(9);
        builder.put_u8(1);
        assert_eq!(builder.len(), 4 + 5 + large.len() + 3);
        let out = builder.finish();
        assert_eq!(out.chunks().len(), 3);
        assert_eq!(
            out.chunks()[0],
            &[4, 3, 2, 1, b's', b'm', b'a', b'l', b'l'][..]
        );
        assert_eq!(out.chunks()[1].as_ptr(), large.as_ptr());
        assert_eq!(out.chunks()[2], &[9, 0, 1][..]);
    }
}
