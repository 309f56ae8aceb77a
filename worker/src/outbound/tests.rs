//! The outbound stream against the export recorded from Exchange (`shared/ews/fixtures`).

use std::collections::HashMap;

use base64::Engine;
use bytes::Bytes;
use ferry_core::mail::ExportData;
use ferry_core::mapping::RecipientMapping;
use ferry_core::model::ItemKey;
use ferry_fasttransfer::{Chunks, Element, ExportData as Framed, Property, Reader};

use super::entry_id::{self, EntryTarget};
use super::*;

fn recorded_export() -> ExportData {
    let shared = std::env::var_os("FERRY_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let path = shared.join("ews/fixtures/export-upload/ExportItemsResponse.xml");
    let xml = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "the recorded export {} is needed ({error}); set FERRY_SHARED_DIR",
            path.display()
        )
    });
    let start = xml.find("<m:Data>").expect("data") + "<m:Data>".len();
    let end = xml[start..].find("</m:Data>").expect("end") + start;
    let text: String = xml[start..end].split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64");
    // Chunked as the EWS client delivers export data.
    ExportData::from(
        bytes
            .chunks(4096)
            .map(Bytes::copy_from_slice)
            .collect::<Vec<_>>(),
    )
}

fn elements(data: &ExportData) -> Vec<Element> {
    let export = Framed::parse(data).expect("framing");
    Reader::new(export.message().expect("message"))
        .collect::<Result<_, _>>()
        .expect("stream")
}

fn stamps(elements: &[Element]) -> Vec<String> {
    elements
        .iter()
        .filter_map(Element::as_property)
        .filter(|property| {
            property
                .name()
                .and_then(|name| name.name_lossy())
                .as_deref()
                == Some(ferry_core::model::STAMP_PROPERTY_NAME)
        })
        .filter_map(Property::text_lossy)
        .collect()
}

fn tagged(elements: &[Element], id: u16) -> Vec<&Property> {
    elements
        .iter()
        .filter_map(Element::as_property)
        .filter(|property| property.name().is_none() && property.tag().id() == id)
        .collect()
}

#[test]
fn the_stamp_is_the_one_change_without_mapping() {
    let original = recorded_export();
    let before = elements(&original);
    let key = ItemKey::of("ann@contoso.com", "AAMkAD...");
    let mut item = OutboundItem::read(&original).expect("reads");
    item.stamp(key);
    let stamped = item.into_data().expect("writes");
    let after = elements(&stamped);
    assert_eq!(stamps(&after), vec![key.to_hex()]);
    let without_stamp: Vec<Element> = after
        .into_iter()
        .filter(|element| stamps(std::slice::from_ref(element)).is_empty())
        .collect();
    assert_eq!(
        without_stamp, before,
        "everything else is carried through unchanged"
    );

    // Stamping a copy again (a source that was itself migrated) replaces the stamp.
    let other = ItemKey::of("bob@contoso.com", "x");
    let mut again = OutboundItem::read(&stamped).expect("reads");
    again.stamp(other);
    assert_eq!(
        stamps(&elements(&again.into_data().expect("writes"))),
        vec![other.to_hex()]
    );
}

/// Export data holding one attachment of `size` bytes, built from 1 MiB chunks as the EWS
/// client decodes them.
fn export_with_attachment(size: usize) -> ExportData {
    use ferry_fasttransfer::tag::{marker, meta, pid};
    use ferry_fasttransfer::{encode, PropTag, PropValue};
    let big = Chunks::from(
        (0..size.div_ceil(1 << 20))
            .map(|index| Bytes::from(vec![index as u8; (size - index * (1 << 20)).min(1 << 20)]))
            .collect::<Vec<_>>(),
    );
    let property = |tag: PropTag, value: PropValue| {
        Element::Property(Property::new(tag, None, &value).expect("property"))
    };
    let stream = encode(&[
        property(
            PropTag::new(0x0037, 0x001F),
            PropValue::Unicode("big".into()),
        ),
        property(
            meta::FX_DEL_PROP,
            PropValue::Integer32(pid::MESSAGE_RECIPIENTS.0 as i32),
        ),
        property(
            meta::FX_DEL_PROP,
            PropValue::Integer32(pid::MESSAGE_ATTACHMENTS.0 as i32),
        ),
        Element::Marker(marker::NEW_ATTACH),
        property(pid::ATTACH_NUMBER, PropValue::Integer32(0)),
        property(pid::ATTACH_DATA_BINARY, PropValue::Binary(big)),
        Element::Marker(marker::END_ATTACH),
    ]);
    Framed::with_exchange_header(stream)
        .to_chunks()
        .expect("framed")
}

#[test]
fn large_values_pass_through_without_a_copy() {
    let original = export_with_attachment(8 << 20);
    let mut item = OutboundItem::read(&original).expect("reads");
    item.stamp(ItemKey([1; 16]));
    let mapping =
        RecipientMapping::parse(&["@contoso.com->@fabrikam.com".to_string()]).expect("valid");
    item.map_addresses(&AddressMapper {
        mapping: &mapping,
        exchange: &HashMap::new(),
    });
    let out = item.into_data().expect("writes");
    let shared = out.bytes_within(original.chunks());
    assert!(
        shared >= 8 << 20,
        "the attachment is passed on, not copied: {shared} bytes shared"
    );
    assert!(
        out.len() - shared < 4096,
        "what is new is small: {} bytes",
        out.len() - shared
    );
}

#[test]
fn mapping_rewrites_every_group_that_names_a_mapped_address() {
    let original = recorded_export();
    let mapping = RecipientMapping::parse(&["@bregawn.sure.vine->@fabrikam.example".to_string()])
        .expect("valid");
    let exchange = HashMap::new();
    let mut item = OutboundItem::read(&original).expect("reads");
    assert!(
        item.unresolved_exchange_addresses().is_empty(),
        "Exchange writes the SMTP address beside every EX address"
    );
    item.stamp(ItemKey([2; 16]));
    let rewritten = item.map_addresses(&AddressMapper {
        mapping: &mapping,
        exchange: &exchange,
    });
    let after = elements(&item.into_data().expect("writes"));
    // Sender, sent-representing, creator, last modifier, and two recipient rows.
    assert!(rewritten >= 4, "{rewritten} addresses rewritten");
    for id in [0x0C1F, 0x0065, 0x5D01, 0x5D02, 0x3003, 0x39FE] {
        for property in tagged(&after, id) {
            let text = property.text_lossy().expect("text");
            assert!(text.ends_with("@fabrikam.example"), "0x{id:04X} is {text}");
        }
    }
    for id in [0x0C1E, 0x0064, 0x3002] {
        for property in tagged(&after, id) {
            assert_eq!(property.text_lossy().as_deref(), Some("SMTP"), "0x{id:04X}");
        }
    }
    for id in [0x0C19, 0x0041, 0x0FFF, 0x5FF7] {
        for property in tagged(&after, id) {
            let bytes = match property.decode().expect("decodes") {
                ferry_fasttransfer::PropValue::Binary(bytes) => bytes.to_bytes(),
                other => panic!("{other:?}"),
            };
            match entry_id::parse(&bytes) {
                Some(EntryTarget::OneOff {
                    address_type,
                    address,
                    ..
                }) => {
                    assert_eq!(address_type, "SMTP");
                    assert!(address.ends_with("@fabrikam.example"), "{address}");
                }
                other => panic!("0x{id:04X}: {other:?}"),
            }
        }
    }
    // No property of a rewritten group still names the old organisation's address.
    for property in after.iter().filter_map(Element::as_property) {
        if let Some(text) = property.text_lossy() {
            let id = property.tag().id();
            if matches!(id, 0x3001..=0x3003 | 0x39FE | 0x0C1A..=0x0C1F | 0x5D01 | 0x5D02 | 0x0064 | 0x0065)
            {
                assert!(
                    !text.to_lowercase().contains("/o=exchange/"),
                    "0x{id:04X}: {text}"
                );
            }
        }
    }
    // Unmapped addresses are left as they are.
    let unmapped =
        RecipientMapping::parse(&["@contoso.com->@fabrikam.example".to_string()]).expect("valid");
    let mut item = OutboundItem::read(&original).expect("reads");
    let rewritten = item.map_addresses(&AddressMapper {
        mapping: &unmapped,
        exchange: &exchange,
    });
    assert_eq!(rewritten, 0);
    assert_eq!(
        elements(&item.into_data().expect("writes")),
        elements(&original)
    );
}

#[test]
fn unreadable_export_data_is_an_item_error_naming_the_problem() {
    let original = recorded_export();
    let bytes = original.to_bytes();
    let truncated = ExportData::from(bytes.slice(..bytes.len() - 3));
    let error = OutboundItem::read(&truncated).err().expect("refused");
    assert_eq!(error.code(), "export_data_corrupt");
    assert!(error.to_string().contains("could not be read"), "{error}");
}

mod hostile {
    //! No input makes preparing an item panic: mutated real streams and random bytes.

    use super::*;
    use proptest::prelude::*;

    fn prepare_all_the_way(data: &ExportData) {
        let Ok(mut item) = OutboundItem::read(data) else {
            return;
        };
        item.stamp(ItemKey([7; 16]));
        let unresolved = item.unresolved_exchange_addresses();
        let mapping =
            RecipientMapping::parse(&["@bregawn.sure.vine->@fabrikam.example".to_string()])
                .expect("valid");
        let exchange: HashMap<String, String> = unresolved
            .into_iter()
            .map(|dn| (dn.to_lowercase(), "someone@bregawn.sure.vine".to_string()))
            .collect();
        item.map_addresses(&AddressMapper {
            mapping: &mapping,
            exchange: &exchange,
        });
        let _ = item.into_data();
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn mutated_real_streams_never_panic(
            flips in proptest::collection::vec((0usize..16_534, any::<u8>()), 1..8),
            cut in 0usize..16_534,
        ) {
            let mut bytes = recorded_export().to_bytes().to_vec();
            for (at, value) in flips {
                let at = at % bytes.len();
                bytes[at] = value;
            }
            prepare_all_the_way(&ExportData::from(bytes.clone()));
            bytes.truncate(cut.max(1));
            prepare_all_the_way(&ExportData::from(bytes));
        }

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            prepare_all_the_way(&ExportData::from(bytes));
        }
    }
}
