//! Shared test helpers: the real export data from `../shared`, and rechunking.

#![allow(dead_code)] // each test file uses its own subset

use std::path::PathBuf;

use bytes::Bytes;
use ferry_fasttransfer::Chunks;

/// The shared directory beside the checkout (`FERRY_SHARED_DIR` overrides it).
pub fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("FERRY_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    assert!(
        dir.is_dir(),
        "shared test data not found at {} (set FERRY_SHARED_DIR)",
        dir.display()
    );
    dir
}

/// The decoded `<m:Data>` elements of the recorded `ExportItems` reply.
pub fn real_exports() -> Vec<Vec<u8>> {
    let path = shared_dir().join("ews/fixtures/export-upload/ExportItemsResponse.xml");
    let xml = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let mut exports = Vec::new();
    let mut rest = xml.as_str();
    while let Some(start) = rest.find("<m:Data>") {
        let after = &rest[start + "<m:Data>".len()..];
        let end = after.find("</m:Data>").expect("closing </m:Data>");
        exports.push(base64_decode(&after[..end]));
        rest = &after[end..];
    }
    assert_eq!(exports.len(), 2, "the fixture holds two exports");
    exports
}

/// Decodes standard base64, skipping whitespace (the test has no base64 dependency).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |byte: u8| -> u32 {
        match byte {
            b'A'..=b'Z' => u32::from(byte - b'A'),
            b'a'..=b'z' => u32::from(byte - b'a') + 26,
            b'0'..=b'9' => u32::from(byte - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("invalid base64 byte {byte}"),
        }
    };
    let symbols: Vec<u8> = text
        .bytes()
        .filter(|byte| !byte.is_ascii_whitespace() && *byte != b'=')
        .collect();
    let mut out = Vec::with_capacity(symbols.len() * 3 / 4);
    for group in symbols.chunks(4) {
        let mut bits = 0u32;
        for (index, byte) in group.iter().enumerate() {
            bits |= value(*byte) << (18 - 6 * index);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..group.len()]);
    }
    out
}

/// `bytes` as chunks of `size` bytes each (the last may be shorter).
pub fn fixed_chunks(bytes: &[u8], size: usize) -> Chunks {
    Chunks::from(
        bytes
            .chunks(size)
            .map(Bytes::copy_from_slice)
            .collect::<Vec<_>>(),
    )
}

/// `bytes` split at the given cut points (taken modulo the length, in any order).
pub fn split_at(bytes: &[u8], cuts: &[usize]) -> Chunks {
    if bytes.is_empty() {
        return Chunks::new();
    }
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut % bytes.len()).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    Chunks::from(
        points
            .windows(2)
            .map(|pair| Bytes::copy_from_slice(&bytes[pair[0]..pair[1]]))
            .collect::<Vec<_>>(),
    )
}
