//! The real streams read the same however their bytes are chunked: as they would arrive from
//! a socket in pieces of any size.

mod common;

use ferry_fasttransfer::{encode, Chunks, Element, ExportData, Reader};
use proptest::prelude::*;

fn elements_of(stream: &Chunks) -> Vec<Element> {
    Reader::new(stream)
        .collect::<Result<_, _>>()
        .expect("every element reads")
}

fn reference() -> (Vec<u8>, Vec<Element>) {
    let export = common::real_exports().remove(0);
    let data = ExportData::parse(&Chunks::from(export.clone())).expect("framing parses");
    let elements = elements_of(data.message().expect("message"));
    (export, elements)
}

/// Parses `export` as chunked, checks its elements equal `expected`, and that framing and
/// stream re-encode byte for byte.
fn check_chunked(export: &[u8], chunked: &Chunks, expected: &[Element]) {
    assert_eq!(chunked.len(), export.len());
    let data = ExportData::parse(chunked).expect("framing parses");
    let message = data.message().expect("message");
    let elements = elements_of(message);
    assert_eq!(elements, expected);
    let stream = encode(&elements);
    assert_eq!(&stream, message);
    let mut rewritten = data.clone();
    rewritten.set_message(stream);
    assert_eq!(rewritten.to_chunks().ok().as_ref(), Some(chunked));
    assert_eq!(
        data.to_chunks().ok().map(Chunks::into_vec).as_deref(),
        Some(export)
    );
}

#[test]
fn one_byte_chunks() {
    let (export, expected) = reference();
    let chunked = common::fixed_chunks(&export, 1);
    assert_eq!(chunked.chunks().len(), export.len());
    check_chunked(&export, &chunked, &expected);
}

#[test]
fn seven_byte_chunks() {
    let (export, expected) = reference();
    check_chunked(&export, &common::fixed_chunks(&export, 7), &expected);
}

#[test]
fn every_small_chunk_size() {
    let (export, expected) = reference();
    for size in 2..=40 {
        check_chunked(&export, &common::fixed_chunks(&export, size), &expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_splits(cuts in proptest::collection::vec(any::<usize>(), 0..200)) {
        let (export, expected) = reference();
        check_chunked(&export, &common::split_at(&export, &cuts), &expected);
    }
}
