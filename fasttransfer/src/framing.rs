//! The block framing around the FastTransfer stream in export data (EWS `ExportItems` `Data`,
//! `UploadItems` `Data`, Graph `exportItems`): a sequence of blocks, each a little-endian `u32`
//! marker, a `u32` length and that many bytes. Block 2 holds the message; Exchange writes
//! blocks 1, 3 and 4 before it.

use crate::chunks::{Chunks, ChunksBuilder};
use crate::cursor::Cursor;
use crate::error::FramingError;

/// Block markers seen in export data.
pub mod block {
    /// The first block Exchange writes (8 bytes `00 00 00 00 01 00 00 00`; looks like a
    /// format version).
    pub const HEADER: u32 = 1;
    /// The block holding the message: a FastTransfer `messageContent` stream.
    pub const MESSAGE: u32 = 2;
    /// 24 bytes Exchange writes: `01 00 00 00`, the interface id of `IMessage`
    /// {00020307-0000-0000-C000-000000000046}, then `00 24 00 80`.
    pub const INTERFACE: u32 = 3;
    /// 6 bytes Exchange writes, `01 0f 37 86 78 17` in every export seen; meaning unknown.
    pub const TRAILER: u32 = 4;
}

/// The payload Exchange writes in block 1.
const HEADER_PAYLOAD: [u8; 8] = [0, 0, 0, 0, 1, 0, 0, 0];
/// The payload Exchange writes in block 3.
const INTERFACE_PAYLOAD: [u8; 24] = [
    0x01, 0x00, 0x00, 0x00, 0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x46, 0x00, 0x24, 0x00, 0x80,
];
/// The payload Exchange writes in block 4.
const TRAILER_PAYLOAD: [u8; 6] = [0x01, 0x0f, 0x37, 0x86, 0x78, 0x17];

/// One block of export data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// What the block holds ([`block`] lists the known markers; others are kept as they are).
    pub marker: u32,
    /// The block's bytes, shared with the input they were parsed from.
    pub payload: Chunks,
}

/// Export data: the blocks in the order they were read or are to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportData {
    /// The blocks; parsed data has exactly one [`block::MESSAGE`] block.
    pub blocks: Vec<Block>,
}

impl ExportData {
    /// Splits export data into blocks without copying payloads. Unknown markers are kept; a
    /// truncated header, a block running past the end, or anything but exactly one message
    /// block is an error.
    pub fn parse(input: &Chunks) -> Result<ExportData, FramingError> {
        let mut cursor = Cursor::new(input);
        let mut blocks = Vec::new();
        let mut message_offset = None;
        while !cursor.is_at_end() {
            let offset = cursor.offset();
            let available = cursor.remaining();
            let (Some(marker), Some(length)) = (cursor.read_u32(), cursor.read_u32()) else {
                return Err(FramingError::TruncatedHeader { offset, available });
            };
            let payload = usize::try_from(length)
                .ok()
                .and_then(|length| cursor.take(length))
                .ok_or(FramingError::BlockPastEnd {
                    offset,
                    marker,
                    length,
                    available: available - 8,
                })?;
            if marker == block::MESSAGE {
                if let Some(first_offset) = message_offset {
                    return Err(FramingError::DuplicateMessageBlock {
                        first_offset,
                        offset,
                    });
                }
                message_offset = Some(offset);
            }
            blocks.push(Block { marker, payload });
        }
        if message_offset.is_none() {
            return Err(FramingError::NoMessageBlock {
                blocks: blocks.len(),
            });
        }
        Ok(ExportData { blocks })
    }

    /// Export data as Exchange writes it: blocks 1, 3 and 4 with Exchange's bytes, then the
    /// message. Use it to upload a stream that was not exported (or whose framing was lost).
    pub fn with_exchange_header(message: Chunks) -> ExportData {
        let fixed = |marker, payload: &'static [u8]| Block {
            marker,
            payload: Chunks::from(payload),
        };
        ExportData {
            blocks: vec![
                fixed(block::HEADER, &HEADER_PAYLOAD),
                fixed(block::INTERFACE, &INTERFACE_PAYLOAD),
                fixed(block::TRAILER, &TRAILER_PAYLOAD),
                Block {
                    marker: block::MESSAGE,
                    payload: message,
                },
            ],
        }
    }

    /// The message block's payload (the FastTransfer stream), if there is one.
    pub fn message(&self) -> Option<&Chunks> {
        self.blocks
            .iter()
            .find(|block| block.marker == block::MESSAGE)
            .map(|block| &block.payload)
    }

    /// Replaces the message block's payload, or appends a message block if there is none.
    pub fn set_message(&mut self, message: Chunks) {
        match self
            .blocks
            .iter_mut()
            .find(|block| block.marker == block::MESSAGE)
        {
            Some(block) => block.payload = message,
            None => self.blocks.push(Block {
                marker: block::MESSAGE,
                payload: message,
            }),
        }
    }

    /// Writes the blocks: headers fresh from each payload's current length, payloads shared
    /// (large chunks are not copied). Unchanged parsed data comes out byte for byte as it came in.
    pub fn to_chunks(&self) -> Result<Chunks, FramingError> {
        let mut out = ChunksBuilder::new();
        for block in &self.blocks {
            let length =
                u32::try_from(block.payload.len()).map_err(|_| FramingError::BlockTooLarge {
                    marker: block.marker,
                    length: block.payload.len() as u64,
                })?;
            out.put_u32_le(block.marker);
            out.put_u32_le(length);
            out.put_chunks(&block.payload);
        }
        Ok(out.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(blocks: &[(u32, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (marker, payload) in blocks {
            out.extend_from_slice(&marker.to_le_bytes());
            out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            out.extend_from_slice(payload);
        }
        out
    }

    #[test]
    fn exchange_header_matches_what_exchange_writes() {
        let message = Chunks::from(vec![3u8, 0, 0x17, 0, 1, 0, 0, 0]);
        let written = ExportData::with_exchange_header(message.clone())
            .to_chunks()
            .unwrap_or_default();
        let expected = frame(&[
            (1, &[0, 0, 0, 0, 1, 0, 0, 0]),
            (
                3,
                &[
                    0x01, 0x00, 0x00, 0x00, 0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0,
                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46, 0x00, 0x24, 0x00, 0x80,
                ],
            ),
            (4, &[0x01, 0x0f, 0x37, 0x86, 0x78, 0x17]),
            (2, &[3, 0, 0x17, 0, 1, 0, 0, 0]),
        ]);
        assert_eq!(written, expected.as_slice());
        let parsed = ExportData::parse(&written).expect("parses");
        assert_eq!(parsed.message(), Some(&message));
    }

    #[test]
    fn unknown_blocks_are_kept_and_round_trip() {
        let input = Chunks::from(frame(&[(9, b"odd"), (2, b"msg"), (0, b"")]));
        let parsed = ExportData::parse(&input).expect("parses");
        assert_eq!(parsed.blocks.len(), 3);
        assert_eq!(parsed.blocks[0].marker, 9);
        assert_eq!(parsed.to_chunks().ok(), Some(input));
    }

    #[test]
    fn set_message_rewrites_the_length() {
        let input = Chunks::from(frame(&[(1, b"h"), (2, b"msg")]));
        let mut parsed = ExportData::parse(&input).expect("parses");
        parsed.set_message(Chunks::from(b"longer message".to_vec()));
        let expected = frame(&[(1, b"h"), (2, b"longer message")]);
        assert_eq!(parsed.to_chunks().ok(), Some(Chunks::from(expected)));
        let mut empty = ExportData { blocks: Vec::new() };
        empty.set_message(Chunks::from(b"m".to_vec()));
        assert_eq!(empty.message().map(Chunks::len), Some(1));
    }

    #[test]
    fn errors_name_the_problem_and_offset() {
        let mut truncated = frame(&[(1, b"abcd"), (2, b"x")]);
        truncated.truncate(15);
        assert_eq!(
            ExportData::parse(&Chunks::from(truncated)),
            Err(FramingError::TruncatedHeader {
                offset: 12,
                available: 3
            })
        );
        let mut past_end = frame(&[(1, b"abcd"), (2, b"xyz")]);
        past_end.truncate(22);
        let error = ExportData::parse(&Chunks::from(past_end));
        let expected = FramingError::BlockPastEnd {
            offset: 12,
            marker: 2,
            length: 3,
            available: 2,
        };
        assert_eq!(error, Err(expected.clone()));
        assert_eq!(
            expected.to_string(),
            "block 2 at offset 12 declares 3 bytes but only 2 remain"
        );
        assert_eq!(
            ExportData::parse(&Chunks::from(frame(&[(1, b"a")]))),
            Err(FramingError::NoMessageBlock { blocks: 1 })
        );
        assert_eq!(
            ExportData::parse(&Chunks::new()),
            Err(FramingError::NoMessageBlock { blocks: 0 })
        );
        assert_eq!(
            ExportData::parse(&Chunks::from(frame(&[(2, b"a"), (2, b"b")]))),
            Err(FramingError::DuplicateMessageBlock {
                first_offset: 0,
                offset: 9
            })
        );
    }

    #[test]
    fn hostile_length_fails_without_allocating() {
        let mut input = 2u32.to_le_bytes().to_vec();
        input.extend_from_slice(&u32::MAX.to_le_bytes());
        input.extend_from_slice(b"tiny");
        assert!(matches!(
            ExportData::parse(&Chunks::from(input)),
            Err(FramingError::BlockPastEnd {
                length: u32::MAX,
                ..
            })
        ));
    }
}
