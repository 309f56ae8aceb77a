//! Turning a document's segments into the byte chunks sent on the wire.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::Segment;

/// Raw bytes encoded per chunk: a multiple of 3, so chunks concatenate into valid base64.
const RAW_CHUNK: usize = 48 * 1024;

/// Base64 of a list of parts (taken as one byte string), produced 64 KiB at a time.
#[derive(Debug, Clone)]
pub struct Base64Chunks {
    parts: Vec<Bytes>,
    part: usize,
    offset: usize,
}

impl Base64Chunks {
    /// Encodes the concatenation of `parts`.
    pub fn new(parts: Vec<Bytes>) -> Base64Chunks {
        Base64Chunks {
            parts,
            part: 0,
            offset: 0,
        }
    }
}

impl Iterator for Base64Chunks {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        let mut raw = Vec::with_capacity(RAW_CHUNK);
        while raw.len() < RAW_CHUNK && self.part < self.parts.len() {
            let part = &self.parts[self.part];
            let take = (RAW_CHUNK - raw.len()).min(part.len() - self.offset);
            raw.extend_from_slice(&part[self.offset..self.offset + take]);
            self.offset += take;
            if self.offset == part.len() {
                self.part += 1;
                self.offset = 0;
            }
        }
        if raw.is_empty() {
            return None;
        }
        // The SIMD encoder: this runs over every byte an upload sends.
        Some(Bytes::from(base64_simd::STANDARD.encode_to_string(raw)))
    }
}

/// The wire bytes of a document: markup as it is, binary segments encoded chunk by chunk.
#[derive(Debug, Clone)]
pub struct SegmentChunks {
    segments: VecDeque<Segment>,
    base64: Option<Base64Chunks>,
}

impl SegmentChunks {
    /// Chunks of the given segments, in order.
    pub fn new(segments: Vec<Segment>) -> SegmentChunks {
        SegmentChunks {
            segments: segments.into(),
            base64: None,
        }
    }
}

impl Iterator for SegmentChunks {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(cursor) = &mut self.base64 {
                if let Some(chunk) = cursor.next() {
                    return Some(chunk);
                }
                self.base64 = None;
            }
            match self.segments.pop_front()? {
                Segment::Xml(markup) => return Some(markup),
                Segment::Base64(parts) => self.base64 = Some(Base64Chunks::new(parts)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn chunked_base64_equals_one_shot_base64() {
        let data: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
        let parts = vec![
            Bytes::copy_from_slice(&data[..7]),
            Bytes::copy_from_slice(&data[7..150_001]),
            Bytes::copy_from_slice(&data[150_001..]),
        ];
        let chunks: Vec<Bytes> = Base64Chunks::new(parts).collect();
        assert!(chunks.len() > 1);
        let joined: Vec<u8> = chunks
            .iter()
            .flat_map(|chunk| chunk.iter().copied())
            .collect();
        assert_eq!(
            joined,
            base64::engine::general_purpose::STANDARD
                .encode(&data)
                .into_bytes()
        );
    }

    #[test]
    fn segments_come_out_in_order() {
        let segments = vec![
            Segment::Xml(Bytes::from_static(b"<a>")),
            Segment::Base64(vec![Bytes::from_static(b"hi")]),
            Segment::Xml(Bytes::from_static(b"</a>")),
        ];
        let joined: Vec<u8> = SegmentChunks::new(segments)
            .flat_map(|chunk| chunk.to_vec())
            .collect();
        assert_eq!(joined, b"<a>aGk=</a>");
    }
}
