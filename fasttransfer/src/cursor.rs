//! A read position in a [`Chunks`]: small fixed-size fields are assembled across chunk
//! boundaries into a stack buffer, long runs are taken as zero-copy slices.

use bytes::Bytes;

use crate::chunks::Chunks;

/// A position in a [`Chunks`]. Cheap to clone, so a reader can measure ahead on a copy and then
/// take the measured run from the original.
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'a> {
    chunks: &'a [Bytes],
    total: usize,
    /// Index of the chunk holding the next byte (== chunks.len() at the end).
    index: usize,
    /// Offset of the next byte within that chunk.
    within: usize,
    /// Absolute offset of the next byte.
    offset: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(input: &'a Chunks) -> Self {
        Cursor {
            chunks: input.chunks(),
            total: input.len(),
            index: 0,
            within: 0,
            offset: 0,
        }
    }

    /// The absolute offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    /// How many bytes are left.
    pub(crate) fn remaining(&self) -> usize {
        self.total - self.offset
    }

    pub(crate) fn is_at_end(&self) -> bool {
        self.offset == self.total
    }

    /// Reads `N` bytes, or `None` (without moving) if fewer are left.
    pub(crate) fn read_array<const N: usize>(&mut self) -> Option<[u8; N]> {
        if self.remaining() < N {
            return None;
        }
        let mut out = [0u8; N];
        let mut filled = 0;
        while filled < N {
            let chunk = &self.chunks[self.index];
            let count = (chunk.len() - self.within).min(N - filled);
            out[filled..filled + count].copy_from_slice(&chunk[self.within..self.within + count]);
            filled += count;
            self.advance_within(count);
        }
        Some(out)
    }

    pub(crate) fn read_u8(&mut self) -> Option<u8> {
        self.read_array::<1>().map(|[byte]| byte)
    }

    pub(crate) fn read_u16(&mut self) -> Option<u16> {
        self.read_array().map(u16::from_le_bytes)
    }

    pub(crate) fn read_u32(&mut self) -> Option<u32> {
        self.read_array().map(u32::from_le_bytes)
    }

    /// Moves past `count` bytes, or returns `false` (without moving) if fewer are left.
    pub(crate) fn skip(&mut self, count: usize) -> bool {
        if self.remaining() < count {
            return false;
        }
        let mut left = count;
        while left > 0 {
            let step = (self.chunks[self.index].len() - self.within).min(left);
            self.advance_within(step);
            left -= step;
        }
        true
    }

    /// Takes the next `count` bytes as slices of the input's chunks, or `None` (without moving)
    /// if fewer are left.
    pub(crate) fn take(&mut self, count: usize) -> Option<Chunks> {
        if self.remaining() < count {
            return None;
        }
        let mut parts = Vec::new();
        let mut left = count;
        while left > 0 {
            let chunk = &self.chunks[self.index];
            let step = (chunk.len() - self.within).min(left);
            parts.push(chunk.slice(self.within..self.within + step));
            self.advance_within(step);
            left -= step;
        }
        Some(Chunks::from_parts(parts, count))
    }

    /// Everything from here to the end, as slices of the input.
    pub(crate) fn take_rest(&mut self) -> Chunks {
        let rest = self.remaining();
        self.take(rest).unwrap_or_default()
    }

    fn advance_within(&mut self, count: usize) {
        self.within += count;
        self.offset += count;
        if self.within == self.chunks[self.index].len() {
            self.index += 1;
            self.within = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_across_chunk_boundaries() {
        let input = Chunks::from(vec![
            Bytes::from_static(&[1, 2]),
            Bytes::from_static(&[3]),
            Bytes::from_static(&[4, 5, 6, 7, 8]),
        ]);
        let mut cursor = Cursor::new(&input);
        assert_eq!(cursor.read_u32(), Some(0x0403_0201));
        assert_eq!(cursor.offset(), 4);
        assert_eq!(cursor.read_u32(), Some(0x0807_0605));
        assert!(cursor.is_at_end());
        assert_eq!(cursor.read_u8(), None);
        assert_eq!(cursor.take_rest(), Chunks::new());
    }

    #[test]
    fn short_reads_do_not_move() {
        let input = Chunks::from(vec![1u8, 2, 3]);
        let mut cursor = Cursor::new(&input);
        assert_eq!(cursor.read_u32(), None);
        assert!(!cursor.skip(4));
        assert!(cursor.take(4).is_none());
        assert_eq!(cursor.offset(), 0);
        assert_eq!(cursor.read_u16(), Some(0x0201));
        assert!(cursor.skip(1));
        assert!(cursor.is_at_end());
    }

    #[test]
    fn take_shares_the_input() {
        let first = Bytes::from(vec![1u8; 100]);
        let second = Bytes::from(vec![2u8; 100]);
        let input = Chunks::from(vec![first.clone(), second.clone()]);
        let mut cursor = Cursor::new(&input);
        assert!(cursor.skip(50));
        let taken = cursor.take(100).unwrap_or_default();
        assert_eq!(taken.len(), 100);
        assert_eq!(taken.chunks()[0].as_ptr(), first[50..].as_ptr());
        assert_eq!(taken.chunks()[1].as_ptr(), second.as_ptr());
        assert_eq!(cursor.take_rest().len(), 50);
    }
}
