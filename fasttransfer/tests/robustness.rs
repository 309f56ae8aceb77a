//! Hostile and broken input: truncations, absurd lengths and counts, random bytes. Every case
//! ends in a result or a named error, never a panic or a large allocation.

mod common;

use ferry_fasttransfer::name::MAX_NAME_UNITS;
use ferry_fasttransfer::{
    encode, Chunks, Element, ExportData, FxError, PropTag, Reader, ScopeTracker,
};
use proptest::collection::vec;
use proptest::prelude::*;

fn real_message() -> Vec<u8> {
    let export = common::real_exports().remove(0);
    let data = ExportData::parse(&Chunks::from(export)).expect("framing parses");
    data.message().expect("message").clone().into_vec()
}

fn read(bytes: &[u8]) -> Vec<Result<Element, FxError>> {
    let input = Chunks::from(bytes.to_vec());
    Reader::new(&input).collect()
}

/// Reads anything: framing, stream, decoded values and scopes. Returns whether the stream
/// read without error, after checking it then re-encodes exactly.
fn exercise(bytes: &[u8]) -> bool {
    let input = Chunks::from(bytes.to_vec());
    if let Ok(data) = ExportData::parse(&input) {
        assert_eq!(data.to_chunks().ok().as_ref(), Some(&input));
    }
    let results: Vec<_> = Reader::new(&input).collect();
    let mut tracker = ScopeTracker::new();
    for element in results.iter().flatten() {
        let _ = tracker.observe(element);
        if let Some(property) = element.as_property() {
            let _ = property.decode();
        }
    }
    let _ = tracker.finish();
    match results.into_iter().collect::<Result<Vec<_>, _>>() {
        Ok(elements) => {
            assert_eq!(encode(&elements), input);
            true
        }
        Err(_) => false,
    }
}

#[test]
fn every_truncation_of_the_real_stream_is_an_error_or_a_shorter_stream() {
    let message = real_message();
    let full: Vec<Element> = read(&message)
        .into_iter()
        .map(|e| e.expect("reads"))
        .collect();
    let mut boundaries = vec![0usize];
    for element in &full {
        let last = boundaries[boundaries.len() - 1];
        boundaries.push(last + encode(std::slice::from_ref(element)).len());
    }
    assert_eq!(boundaries.last(), Some(&message.len()));
    for length in 0..message.len() {
        let results = read(&message[..length]);
        let complete = boundaries.iter().position(|&boundary| boundary == length);
        match complete {
            Some(count) => {
                let elements: Vec<Element> =
                    results.into_iter().map(|e| e.expect("reads")).collect();
                assert_eq!(elements, full[..count], "cut at element boundary {length}");
            }
            None => {
                let (last, before) = results.split_last().expect("something read");
                assert!(last.is_err(), "cut at {length} must end in an error");
                assert!(before.iter().all(|element| matches!(
                    element,
                    Ok(Element::Marker(_) | Element::Property(_))
                )));
            }
        }
    }
}

#[test]
fn every_truncation_of_the_real_export_fails_framing() {
    let export = common::real_exports().remove(0);
    for length in 0..export.len() {
        let result = ExportData::parse(&Chunks::from(export[..length].to_vec()));
        assert!(result.is_err(), "cut at {length}");
    }
}

#[test]
fn hostile_counts_and_lengths_fail_at_once() {
    let cases: &[(u32, &str)] = &[
        (0x0001_1003, "count"),  // multiple integer32
        (0x0001_1048, "count"),  // multiple guid
        (0x0001_1102, "count"),  // multiple binary
        (0x0001_101F, "count"),  // multiple string
        (0x0001_0102, "length"), // binary
        (0x0001_84B0, "length"), // code-page string
    ];
    for (tag, what) in cases {
        let mut bytes = tag.to_le_bytes().to_vec();
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        bytes.extend_from_slice(&[0; 10]);
        let results = read(&bytes);
        assert_eq!(
            results,
            vec![Err(FxError::DeclaredSizeTooLarge {
                what,
                declared: u64::from(u32::MAX),
                tag: PropTag(*tag),
                offset: 4,
                available: 10
            })],
            "tag {tag:#x}"
        );
    }
}

#[test]
fn endless_names_stop_at_the_limit() {
    let mut bytes = 0x8001_0003u32.to_le_bytes().to_vec();
    bytes.extend_from_slice(&[0; 16]);
    bytes.push(1);
    bytes.extend(std::iter::repeat_n(0x41, 1 << 20));
    assert_eq!(
        read(&bytes),
        vec![Err(FxError::NameTooLong {
            offset: 21,
            limit: MAX_NAME_UNITS
        })]
    );
}

#[test]
fn the_real_stream_and_export_pass_the_exercise() {
    assert!(exercise(&real_message()));
    assert!(exercise(&common::real_exports()[0]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..600)) {
        exercise(&bytes);
    }

    #[test]
    fn random_tags_with_random_values_never_panic(
        tags in vec((any::<u16>(), prop_oneof![Just(0x0003u16), Just(0x0102), Just(0x101F), Just(0x84B0), Just(0x0048), any::<u16>()]), 1..8),
        filler in vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = Vec::new();
        for (id, prop_type) in tags {
            bytes.extend_from_slice(&PropTag::new(id, prop_type).0.to_le_bytes());
            bytes.extend_from_slice(&filler);
        }
        exercise(&bytes);
    }

    #[test]
    fn mutated_real_streams_never_panic(
        flips in vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let mut message = real_message();
        let length = message.len();
        for (position, value) in flips {
            message[position % length] = value;
        }
        exercise(&message);
    }
}
