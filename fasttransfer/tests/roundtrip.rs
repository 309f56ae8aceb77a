//! Property-based round trips: arbitrary elements of every type survive encode → read under
//! any chunking, and every `PropValue` survives encode → decode.

mod common;

use bytes::Bytes;
use ferry_fasttransfer::name::property_set;
use ferry_fasttransfer::tag::{marker, meta, prop_type};
use ferry_fasttransfer::{
    encode, Chunks, Element, NameKind, PropName, PropTag, PropValue, Property, Reader,
};
use proptest::collection::vec;
use proptest::prelude::*;
use uuid::Uuid;

fn f32_bits() -> impl Strategy<Value = f32> {
    any::<u32>().prop_map(f32::from_bits)
}

fn f64_bits() -> impl Strategy<Value = f64> {
    any::<u64>().prop_map(f64::from_bits)
}

fn guid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

/// Byte strings: mostly small, sometimes past the writer's share threshold, in 1–3 chunks.
fn chunks() -> impl Strategy<Value = Chunks> {
    let length = prop_oneof![8 => 0usize..64, 1 => 4000usize..9000];
    (length, any::<u8>(), vec(any::<usize>(), 0..3)).prop_map(|(length, fill, cuts)| {
        let bytes: Vec<u8> = (0..length).map(|i| fill.wrapping_add(i as u8)).collect();
        common::split_at(&bytes, &cuts)
    })
}

fn small_vec<T: Strategy>(element: T) -> proptest::collection::VecStrategy<T> {
    vec(element, 0..5)
}

fn prop_value() -> impl Strategy<Value = PropValue> {
    prop_oneof![
        any::<i16>().prop_map(PropValue::Integer16),
        any::<i32>().prop_map(PropValue::Integer32),
        f32_bits().prop_map(PropValue::Floating32),
        f64_bits().prop_map(PropValue::Floating64),
        any::<i64>().prop_map(PropValue::Currency),
        f64_bits().prop_map(PropValue::FloatingTime),
        any::<u32>().prop_map(PropValue::ErrorCode),
        any::<bool>().prop_map(PropValue::Boolean),
        any::<i64>().prop_map(PropValue::Integer64),
        any::<u64>().prop_map(PropValue::Time),
        guid().prop_map(PropValue::Guid),
        any::<String>().prop_map(PropValue::Unicode),
        vec(any::<u8>(), 0..40).prop_map(PropValue::String8),
        (0u16..0x8000, vec(any::<u8>(), 0..40))
            .prop_map(|(code_page, bytes)| PropValue::CodePageString { code_page, bytes }),
        any::<String>().prop_map(|text| PropValue::utf16_code_page(&text)),
        chunks().prop_map(PropValue::Binary),
        chunks().prop_map(PropValue::ServerId),
        chunks().prop_map(PropValue::Object),
        chunks().prop_map(PropValue::Restriction),
        chunks().prop_map(PropValue::RuleAction),
        small_vec(any::<i16>()).prop_map(PropValue::MultipleInteger16),
        small_vec(any::<i32>()).prop_map(PropValue::MultipleInteger32),
        small_vec(f32_bits()).prop_map(PropValue::MultipleFloating32),
        small_vec(f64_bits()).prop_map(PropValue::MultipleFloating64),
        small_vec(any::<i64>()).prop_map(PropValue::MultipleCurrency),
        small_vec(f64_bits()).prop_map(PropValue::MultipleFloatingTime),
        small_vec(any::<i64>()).prop_map(PropValue::MultipleInteger64),
        small_vec(any::<u64>()).prop_map(PropValue::MultipleTime),
        small_vec(guid()).prop_map(PropValue::MultipleGuid),
        small_vec(any::<String>()).prop_map(PropValue::MultipleUnicode),
        small_vec(vec(any::<u8>(), 0..10)).prop_map(PropValue::MultipleString8),
        small_vec(chunks()).prop_map(PropValue::MultipleBinary),
    ]
}

fn name() -> impl Strategy<Value = PropName> {
    let set = prop_oneof![
        Just(property_set::PS_PUBLIC_STRINGS),
        Just(property_set::PSETID_APPOINTMENT),
        guid(),
    ];
    let kind = prop_oneof![
        any::<u32>().prop_map(NameKind::Lid),
        // Any units but NUL, including unpaired surrogates; empty names too.
        vec(1u16..=u16::MAX, 0..20).prop_map(NameKind::Name),
    ];
    (set, kind).prop_map(|(set, kind)| PropName { set, kind })
}

/// An id that, with `prop_type`, is neither a marker nor the IdsetGiven quirk.
fn usable(id: u16, prop_type: u16) -> bool {
    let tag = PropTag::new(id, prop_type);
    !tag.is_marker() && tag != meta::IDSET_GIVEN
}

fn property() -> impl Strategy<Value = Property> {
    (prop_value(), any::<u16>(), name())
        .prop_filter("not a marker", |(value, id, _)| {
            usable(*id, value.prop_type().unwrap_or(0))
        })
        .prop_map(|(value, id, name)| {
            let tag = PropTag::new(id, value.prop_type().unwrap_or(0));
            let name = tag.is_named().then_some(name);
            Property::new(tag, name, &value).expect("value fits its own type")
        })
}

/// Multi-valued types MS-OXCDATA does not define, carried raw.
fn undefined_multi_value() -> impl Strategy<Value = Property> {
    let types = prop_oneof![
        Just((prop_type::BOOLEAN, Some(2usize))),
        Just((prop_type::ERROR_CODE, Some(4))),
        Just((prop_type::SERVER_ID, None)),
        Just((prop_type::OBJECT, None)),
        Just((prop_type::RESTRICTION, None)),
        Just((prop_type::RULE_ACTION, None)),
    ];
    (types, 1u16..0x4000, small_vec(vec(any::<u8>(), 0..6))).prop_map(
        |((base, size), id, values)| {
            let mut raw = (values.len() as u32).to_le_bytes().to_vec();
            for value in &values {
                match size {
                    Some(size) => raw.extend((0..size).map(|i| value.get(i).copied().unwrap_or(0))),
                    None => {
                        raw.extend_from_slice(&(value.len() as u32).to_le_bytes());
                        raw.extend_from_slice(value);
                    }
                }
            }
            let tag = PropTag::new(id, prop_type::MULTIPLE_FLAG | base);
            Property::from_raw(tag, None, Chunks::from(raw)).expect("well-formed raw value")
        },
    )
}

fn element() -> impl Strategy<Value = Element> {
    prop_oneof![
        2 => proptest::sample::select(marker::ALL.to_vec()).prop_map(Element::Marker),
        6 => property().prop_map(Element::Property),
        1 => undefined_multi_value().prop_map(Element::Property),
    ]
}

/// An optional last element: an unsizable type and whatever follows it.
fn unparsed_tail() -> impl Strategy<Value = Option<Element>> {
    let unsizable = prop_oneof![
        Just(0x0000u16),
        Just(0x0001),
        Just(0x0049),
        Just(0x1001),
        Just(0x0103)
    ];
    proptest::option::of((unsizable, 1u16..0x4000, vec(any::<u8>(), 0..30)).prop_map(
        |(prop_type, id, rest)| {
            let mut bytes = PropTag::new(id, prop_type).0.to_le_bytes().to_vec();
            bytes.extend(rest);
            Element::Unparsed(Chunks::from(bytes))
        },
    ))
}

/// Compares values with floats compared bitwise, so NaNs match themselves.
fn same_value(left: &PropValue, right: &PropValue) -> bool {
    use PropValue::*;
    let f32s = |a: &[f32], b: &[f32]| {
        a.iter()
            .map(|v| v.to_bits())
            .eq(b.iter().map(|v| v.to_bits()))
    };
    let f64s = |a: &[f64], b: &[f64]| {
        a.iter()
            .map(|v| v.to_bits())
            .eq(b.iter().map(|v| v.to_bits()))
    };
    match (left, right) {
        (Floating32(a), Floating32(b)) => a.to_bits() == b.to_bits(),
        (Floating64(a), Floating64(b)) | (FloatingTime(a), FloatingTime(b)) => {
            a.to_bits() == b.to_bits()
        }
        (MultipleFloating32(a), MultipleFloating32(b)) => f32s(a, b),
        (MultipleFloating64(a), MultipleFloating64(b))
        | (MultipleFloatingTime(a), MultipleFloatingTime(b)) => f64s(a, b),
        _ => left == right,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn elements_round_trip_under_any_chunking(
        mut elements in vec(element(), 0..24),
        tail in unparsed_tail(),
        cuts in vec(any::<usize>(), 0..40),
    ) {
        elements.extend(tail);
        let stream = encode(&elements);
        let bytes = stream.clone().into_vec();
        let chunked = common::split_at(&bytes, &cuts);
        let read: Result<Vec<Element>, _> = Reader::new(&chunked).collect();
        prop_assert_eq!(read.as_ref(), Ok(&elements));
        let single: Result<Vec<Element>, _> = Reader::new(&stream).collect();
        prop_assert_eq!(single.as_ref(), Ok(&elements));
        prop_assert_eq!(encode(&read.unwrap_or_default()), stream);
    }

    #[test]
    fn values_round_trip(value in prop_value(), id in 1u16..0x4000) {
        let tag = PropTag::new(id, value.prop_type().unwrap_or(0));
        let property = Property::new(tag, None, &value).expect("value fits its own type");
        let decoded = property.decode().expect("decodes");
        prop_assert!(same_value(&decoded, &value), "{:?} became {:?}", value, decoded);
        // Decoding again from the raw bytes rebuilt by from_raw gives the same.
        let rebuilt = Property::from_raw(tag, None, property.raw().as_chunks().clone());
        prop_assert_eq!(rebuilt.as_ref(), Ok(&property));
    }

    #[test]
    fn values_refuse_other_types(value in prop_value(), other in prop_value(), id in 1u16..0x4000) {
        let tag = PropTag::new(id, other.prop_type().unwrap_or(0));
        let result = Property::new(tag, None, &value);
        prop_assert_eq!(result.is_ok(), value.prop_type() == other.prop_type());
    }
}

#[test]
fn binary_values_are_shared_not_copied() {
    let body = Bytes::from(vec![5u8; 10_000]);
    let property = Property::new(
        PropTag(0x3701_0102),
        None,
        &PropValue::Binary(Chunks::from(body.clone())),
    )
    .expect("encodes");
    let Ok(PropValue::Binary(decoded)) = property.decode() else {
        panic!("binary");
    };
    assert_eq!(decoded.chunks()[0].as_ptr(), body.as_ptr());
}
