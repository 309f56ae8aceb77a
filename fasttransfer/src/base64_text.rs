//! Export data as it travels in replies: base64 text, decoded piece by piece into [`Chunks`]
//! as the text arrives.
//!
//! This is the hot loop of every migrated byte, so it does each byte's work once: a piece
//! without whitespace (what Exchange and Graph send) is decoded where it lies, with a SIMD
//! decoder (`base64-simd`), straight into the spare room of the current chunk (no
//! zero-filling first); only a piece with line breaks is compacted before decoding. Chunks
//! start small and double up to [`Base64Decoder::MAX_CHUNK`], so a small item holds a small
//! buffer, and a full chunk is never copied again.

use bytes::Bytes;

use crate::Chunks;

/// Base64 text that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid base64 content: {0}")]
pub struct Base64Error(String);

/// Decodes base64 text given in pieces of any size.
#[derive(Debug)]
pub struct Base64Decoder {
    done: Vec<Bytes>,
    current: Vec<u8>,
    next_chunk: usize,
    carry: [u8; 4],
    carried: usize,
    compacted: Vec<u8>,
    len: usize,
}

impl Default for Base64Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Base64Decoder {
    /// The largest chunk decoded into.
    pub const MAX_CHUNK: usize = 1024 * 1024;
    /// The first chunk's size when nothing says how large the content is.
    pub const FIRST_CHUNK: usize = 16 * 1024;

    /// A decoder for content of unknown size.
    pub fn new() -> Base64Decoder {
        Base64Decoder::with_size_hint(0)
    }

    /// A decoder for content of about `decoded_bytes`, whose first chunk is sized to it (up to
    /// [`Self::MAX_CHUNK`]).
    pub fn with_size_hint(decoded_bytes: usize) -> Base64Decoder {
        let first = if decoded_bytes == 0 {
            Self::FIRST_CHUNK
        } else {
            decoded_bytes.min(Self::MAX_CHUNK)
        };
        Base64Decoder {
            done: Vec::new(),
            current: Vec::new(),
            next_chunk: first,
            carry: [0; 4],
            carried: 0,
            compacted: Vec::new(),
            len: 0,
        }
    }

    /// Bytes decoded so far.
    pub fn decoded_len(&self) -> usize {
        self.len
    }

    /// Decodes the next piece of text; whitespace (space, tab, CR, LF) is skipped.
    pub fn push(&mut self, text: &[u8]) -> Result<(), Base64Error> {
        if has_whitespace(text) {
            let mut compacted = std::mem::take(&mut self.compacted);
            compacted.clear();
            compacted.extend(
                text.iter()
                    .copied()
                    .filter(|byte| !matches!(byte, b' ' | b'\t' | b'\r' | b'\n')),
            );
            let result = self.push_clean(&compacted);
            self.compacted = compacted;
            result
        } else {
            self.push_clean(text)
        }
    }

    /// The content, or an error if the text ended inside a quartet.
    pub fn finish(mut self) -> Result<Chunks, Base64Error> {
        if self.carried != 0 {
            return Err(Base64Error("the content is truncated".into()));
        }
        if !self.current.is_empty() {
            self.done
                .push(Bytes::from(std::mem::take(&mut self.current)));
        }
        Ok(Chunks::from(self.done))
    }

    fn push_clean(&mut self, mut input: &[u8]) -> Result<(), Base64Error> {
        if self.carried > 0 {
            let take = (4 - self.carried).min(input.len());
            self.carry[self.carried..self.carried + take].copy_from_slice(&input[..take]);
            self.carried += take;
            input = &input[take..];
            if self.carried < 4 {
                return Ok(());
            }
            let quartet = self.carry;
            self.carried = 0;
            self.decode_quartets(&quartet)?;
        }
        let whole = input.len() / 4 * 4;
        self.decode_quartets(&input[..whole])?;
        let rest = &input[whole..];
        self.carry[..rest.len()].copy_from_slice(rest);
        self.carried = rest.len();
        Ok(())
    }

    /// Decodes whole quartets, filling the current chunk and starting new ones as needed.
    fn decode_quartets(&mut self, mut input: &[u8]) -> Result<(), Base64Error> {
        while !input.is_empty() {
            let mut room = self.current.capacity() - self.current.len();
            if room < quartet_bytes(&input[..4]) {
                self.start_chunk();
                room = self.current.capacity();
            }
            // A final, padded quartet may fit where three bytes would not.
            let take = if room >= 3 {
                (room / 3 * 4).min(input.len())
            } else {
                4
            };
            let before = self.current.len();
            base64_simd::STANDARD
                .decode_append(&input[..take], &mut self.current)
                .map_err(|error| Base64Error(error.to_string()))?;
            self.len += self.current.len() - before;
            input = &input[take..];
        }
        Ok(())
    }

    fn start_chunk(&mut self) {
        let size = self.next_chunk;
        self.next_chunk = (size * 2).min(Self::MAX_CHUNK);
        let full = std::mem::replace(&mut self.current, Vec::with_capacity(size));
        if !full.is_empty() {
            self.done.push(Bytes::from(full));
        }
    }
}

/// The bytes a quartet decodes to: three, less one per `=` of padding.
fn quartet_bytes(quartet: &[u8]) -> usize {
    3 - quartet
        .iter()
        .rev()
        .take(2)
        .filter(|byte| **byte == b'=')
        .count()
}

/// Whether text holds any whitespace base64 may be wrapped with (a few SIMD scans; most
/// text has none).
fn has_whitespace(text: &[u8]) -> bool {
    memchr::memchr3(b'\n', b'\r', b' ', text).is_some() || memchr::memchr(b'\t', text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(bytes: &[u8]) -> String {
        base64_simd::STANDARD.encode_to_string(bytes)
    }

    #[test]
    fn decodes_wrapped_and_unwrapped_text_in_any_pieces() {
        let payload: Vec<u8> = (0..70_000u32).map(|n| (n * 7 % 251) as u8).collect();
        let text = encode(&payload);
        let wrapped: String = text
            .as_bytes()
            .chunks(76)
            .map(|line| format!("{}\r\n", std::str::from_utf8(line).expect("ascii")))
            .collect();
        for source in [&text, &wrapped] {
            for piece in [1usize, 3, 5, 4096, 1 << 20] {
                let mut decoder = Base64Decoder::new();
                for part in source.as_bytes().chunks(piece) {
                    decoder.push(part).expect("valid");
                }
                assert_eq!(decoder.decoded_len(), payload.len());
                let chunks = decoder.finish().expect("whole");
                assert_eq!(chunks.to_bytes(), payload.as_slice(), "pieces of {piece}");
            }
        }
    }

    #[test]
    fn chunks_grow_from_small_and_small_items_hold_small_buffers() {
        let mut decoder = Base64Decoder::new();
        decoder.push(encode(b"hello").as_bytes()).expect("valid");
        let chunks = decoder.finish().expect("whole");
        assert_eq!(chunks.to_bytes(), b"hello".as_slice());
        let mut sized = Base64Decoder::with_size_hint(5);
        sized.push(encode(b"hello").as_bytes()).expect("valid");
        assert_eq!(sized.current.capacity(), 5);
    }

    #[test]
    fn refuses_what_is_not_base64_or_ends_mid_quartet() {
        let mut decoder = Base64Decoder::new();
        assert!(decoder.push(b"ab$d").is_err());
        let mut decoder = Base64Decoder::new();
        decoder.push(b"abc").expect("carried");
        assert!(decoder.finish().is_err());
    }

    proptest! {
        #[test]
        fn any_content_in_any_pieces_decodes_to_itself(
            payload in proptest::collection::vec(any::<u8>(), 0..5000),
            piece in 1usize..300,
        ) {
            let text = encode(&payload);
            let mut decoder = Base64Decoder::new();
            for part in text.as_bytes().chunks(piece) {
                decoder.push(part).expect("valid");
            }
            prop_assert_eq!(decoder.finish().expect("whole").to_bytes(), payload.as_slice());
        }
    }
}
