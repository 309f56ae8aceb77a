//! Fuzzes export-data framing and the FastTransfer stream reader: any bytes must give elements
//! or an error, never a panic, a hang or unbounded memory; whatever parses must re-encode to
//! exactly the input, and must read the same however it is chunked.

#![no_main]

use bytes::Bytes;
use ferry_fasttransfer::{encode, Chunks, ExportData, Reader, ScopeTracker};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Chunks::from(Bytes::copy_from_slice(data));
    // Framed data is read from its message block; anything else is read as a bare stream, so
    // the fuzzer reaches the stream reader without first having to find valid framing.
    let stream = match ExportData::parse(&input) {
        Ok(export) => {
            assert_eq!(
                export.to_chunks().ok().as_ref(),
                Some(&input),
                "framing re-encodes"
            );
            export.message().cloned().unwrap_or_default()
        }
        Err(_) => input,
    };

    let results: Vec<_> = Reader::new(&stream).collect();

    // The same bytes in small pieces, of a size picked by the input, read the same.
    let piece = 1 + data.len() % 13;
    let bytes = stream.clone().into_vec();
    let pieces = Chunks::from(
        bytes
            .chunks(piece)
            .map(Bytes::copy_from_slice)
            .collect::<Vec<_>>(),
    );
    let chunked: Vec<_> = Reader::new(&pieces).collect();
    assert_eq!(results, chunked, "chunking changes nothing");

    let mut tracker = ScopeTracker::new();
    for element in results.iter().flatten() {
        let _ = tracker.observe(element);
        if let Some(property) = element.as_property() {
            let _ = property.decode();
        }
    }
    let _ = tracker.finish();

    if let Ok(elements) = results.into_iter().collect::<Result<Vec<_>, _>>() {
        assert_eq!(
            encode(&elements),
            stream,
            "the stream re-encodes byte for byte"
        );
    }
});
