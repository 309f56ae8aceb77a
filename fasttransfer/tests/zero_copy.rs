//! Large values are never copied: read values and written streams point into the input's
//! buffers.

use bytes::Bytes;
use ferry_fasttransfer::tag::{marker, pid};
use ferry_fasttransfer::{
    encode, Chunks, Element, ExportData, PropValue, Property, Reader, Writer,
};

const MIB: usize = 1024 * 1024;

/// Whether `inner` lies within one of `buffers`.
fn points_into(inner: &Bytes, buffers: &[Bytes]) -> bool {
    let start = inner.as_ptr() as usize;
    let end = start + inner.len();
    buffers.iter().any(|buffer| {
        let buffer_start = buffer.as_ptr() as usize;
        buffer_start <= start && end <= buffer_start + buffer.len()
    })
}

/// An attachment stream with an 8 MiB PtypAttachDataBinary, as four 2 MiB buffers with the
/// tags and length in small buffers of their own (as a socket would deliver them).
fn large_attachment_stream() -> (Chunks, Vec<Bytes>) {
    let body: Vec<Bytes> = (0..4u8)
        .map(|fill| Bytes::from(vec![fill; 2 * MIB]))
        .collect();
    let mut head = Vec::new();
    head.extend_from_slice(&marker::NEW_ATTACH.to_le_bytes());
    head.extend_from_slice(&pid::ATTACH_NUMBER.0.to_le_bytes());
    head.extend_from_slice(&0u32.to_le_bytes());
    head.extend_from_slice(&pid::ATTACH_DATA_BINARY.0.to_le_bytes());
    head.extend_from_slice(&((8 * MIB) as u32).to_le_bytes());
    let mut chunks = vec![Bytes::from(head)];
    chunks.extend(body.iter().cloned());
    chunks.push(Bytes::from(marker::END_ATTACH.to_le_bytes().to_vec()));
    (Chunks::from(chunks), body)
}

#[test]
fn read_values_share_the_input() {
    let (stream, body) = large_attachment_stream();
    let elements: Vec<Element> = Reader::new(&stream)
        .collect::<Result<_, _>>()
        .expect("reads");
    assert_eq!(elements.len(), 4);
    let data = elements[2].as_property().expect("attachment data");
    assert_eq!(data.tag(), pid::ATTACH_DATA_BINARY);
    // The raw value: 4 length bytes (in the head buffer) then the body buffers themselves.
    let raw = data.raw().as_chunks();
    assert_eq!(raw.len(), 8 * MIB + 4);
    assert!(raw
        .chunks()
        .iter()
        .skip(1)
        .all(|chunk| points_into(chunk, &body)));
    let Ok(PropValue::Binary(value)) = data.decode() else {
        panic!("binary value");
    };
    assert_eq!(value.len(), 8 * MIB);
    assert_eq!(value.chunks().len(), 4);
    for (chunk, buffer) in value.chunks().iter().zip(&body) {
        assert_eq!(chunk.as_ptr(), buffer.as_ptr());
    }
}

#[test]
fn written_streams_share_large_values() {
    let (stream, body) = large_attachment_stream();
    let elements: Vec<Element> = Reader::new(&stream)
        .collect::<Result<_, _>>()
        .expect("reads");
    let written = encode(&elements);
    assert_eq!(written, stream);
    let shared = written.bytes_within(&body);
    assert_eq!(shared, 8 * MIB, "every body byte is shared, none copied");

    // Framing shares the message the same way.
    let framed = ExportData::with_exchange_header(written)
        .to_chunks()
        .expect("frames");
    let reparsed = ExportData::parse(&framed).expect("parses");
    let message = reparsed.message().expect("message");
    assert_eq!(message, &stream);
    assert!(message
        .chunks()
        .iter()
        .filter(|c| c.len() >= MIB)
        .all(|c| points_into(c, &body)));
}

#[test]
fn new_properties_share_binary_values() {
    let body = Bytes::from(vec![9u8; 8 * MIB]);
    let property = Property::new(
        pid::ATTACH_DATA_BINARY,
        None,
        &PropValue::Binary(Chunks::from(body.clone())),
    )
    .expect("encodes");
    let mut writer = Writer::new();
    writer.write(&Element::Property(property));
    let written = writer.finish();
    assert_eq!(written.len(), 8 * MIB + 8);
    assert!(written
        .chunks()
        .iter()
        .any(|chunk| chunk.as_ptr() == body.as_ptr()));
}
