//! The two real exports recorded from Exchange (an appointment with two recipients and a GIF
//! attachment): framing, every element, byte-exact re-encoding, and what the stream holds.

mod common;

use ferry_fasttransfer::framing::block;
use ferry_fasttransfer::name::property_set;
use ferry_fasttransfer::tag::{marker, meta, pid};
use ferry_fasttransfer::{
    encode, Chunks, Element, ExportData, Location, NameKind, PropTag, PropValue, Property, Reader,
    Scope, ScopeTracker,
};

fn read_message(export: &[u8]) -> (ExportData, Vec<Element>) {
    let data = ExportData::parse(&Chunks::from(export.to_vec())).expect("framing parses");
    let message = data.message().expect("message block").clone();
    let elements: Vec<Element> = Reader::new(&message)
        .collect::<Result<_, _>>()
        .expect("every element reads");
    (data, elements)
}

fn properties(elements: &[Element]) -> impl Iterator<Item = &Property> {
    elements.iter().filter_map(Element::as_property)
}

fn text(property: &Property) -> String {
    property
        .decode()
        .expect("decodes")
        .to_text_lossy()
        .expect("a text value")
}

#[test]
fn framing_is_what_exchange_writes() {
    for export in common::real_exports() {
        assert_eq!(export.len(), 16_534);
        let (data, _) = read_message(&export);
        let markers: Vec<u32> = data.blocks.iter().map(|block| block.marker).collect();
        assert_eq!(
            markers,
            [
                block::HEADER,
                block::INTERFACE,
                block::TRAILER,
                block::MESSAGE
            ]
        );
        assert_eq!(data.message().map(Chunks::len), Some(16_464));
        let rebuilt = ExportData::with_exchange_header(data.message().cloned().unwrap_or_default());
        assert_eq!(
            rebuilt, data,
            "Exchange's blocks 1, 3 and 4 are reproduced exactly"
        );
        assert_eq!(data.to_chunks().ok(), Some(Chunks::from(export.clone())));
    }
}

#[test]
fn every_element_reads_and_re_encodes_byte_for_byte() {
    for export in common::real_exports() {
        let (data, elements) = read_message(&export);
        assert!(!elements
            .iter()
            .any(|element| matches!(element, Element::Unparsed(_))));
        let stream = encode(&elements);
        assert_eq!(Some(&stream), data.message());
        let mut rewritten = data.clone();
        rewritten.set_message(stream);
        assert_eq!(rewritten.to_chunks().ok(), Some(Chunks::from(export)));
        for property in properties(&elements) {
            property
                .decode()
                .unwrap_or_else(|error| panic!("{} decodes: {error}", property.tag()));
        }
    }
}

#[test]
fn census_of_the_appointment() {
    let (_, elements) = read_message(&common::real_exports()[0]);
    let count_markers = |tag| {
        elements
            .iter()
            .filter(|element| **element == Element::Marker(tag))
            .count()
    };
    assert_eq!(count_markers(marker::START_RECIP), 2);
    assert_eq!(count_markers(marker::END_TO_RECIP), 2);
    assert_eq!(count_markers(marker::NEW_ATTACH), 1);
    assert_eq!(count_markers(marker::END_ATTACH), 1);
    assert_eq!(count_markers(marker::START_EMBED), 0);
    // The stream is a bare messageContent: no StartMessage/EndMessage around it.
    assert_eq!(count_markers(marker::START_MESSAGE), 0);

    let deletions: Vec<PropValue> = properties(&elements)
        .filter(|property| property.tag() == meta::FX_DEL_PROP)
        .map(|property| property.decode().expect("decodes"))
        .collect();
    assert_eq!(
        deletions,
        [
            PropValue::Integer32(pid::MESSAGE_RECIPIENTS.0 as i32),
            PropValue::Integer32(pid::MESSAGE_ATTACHMENTS.0 as i32)
        ]
    );

    let by_id = |id: u16| properties(&elements).filter(move |property| property.tag().id() == id);
    let subject: Vec<String> = by_id(pid::SUBJECT.id()).map(text).collect();
    assert_eq!(subject, ["4"]);
    // Exchange writes every string as a code-page 1200 string, not PtypString.
    assert!(by_id(pid::SUBJECT.id()).all(|p| p.tag() == PropTag(0x0037_84B0)));
    let class: Vec<String> = by_id(pid::MESSAGE_CLASS.id()).map(text).collect();
    assert_eq!(class, ["IPM.Appointment"]);
    let smtp: Vec<String> = by_id(pid::SMTP_ADDRESS.id()).map(text).collect();
    assert_eq!(
        smtp,
        ["testuser1@bregawn.sure.vine", "testuser2@bregawn.sure.vine"]
    );
    let filename: Vec<String> = by_id(pid::ATTACH_LONG_FILENAME.id()).map(text).collect();
    assert_eq!(filename, ["mario_hammer.gif"]);
    let number: Vec<PropValue> = by_id(pid::ATTACH_NUMBER.id())
        .map(|p| p.decode().expect("decodes"))
        .collect();
    assert_eq!(number, [PropValue::Integer32(0)]);

    let gif: Vec<Chunks> = by_id(pid::ATTACH_DATA_BINARY.id())
        .map(|p| match p.decode() {
            Ok(PropValue::Binary(bytes)) => bytes,
            other => panic!("attachment data is {other:?}"),
        })
        .collect();
    assert_eq!(gif.len(), 1);
    assert_eq!(gif[0].len(), 3383);
    assert!(gif[0].starts_with(b"GIF89a"));
}

#[test]
fn named_properties_keep_the_senders_ids_and_names() {
    let (_, elements) = read_message(&common::real_exports()[0]);
    let named: Vec<&Property> = properties(&elements)
        .filter(|property| property.tag().is_named())
        .collect();
    assert!(named.iter().all(|property| property.name().is_some()));
    // PSETID_Common LID 0x8514 (PidLidSmartNoAttach), mapped to 0x80C8 by this mailbox.
    let smart_no_attach = named
        .iter()
        .find(|property| {
            property.name().is_some_and(|name| {
                name.set == property_set::PSETID_COMMON && name.kind == NameKind::Lid(0x8514)
            })
        })
        .expect("PidLidSmartNoAttach");
    assert_eq!(smart_no_attach.tag(), PropTag(0x80C8_000B));
    // A string name in PS_INTERNET_HEADERS.
    let accept_language = named
        .iter()
        .find(|property| {
            property.name().is_some_and(|name| {
                name.set == property_set::PS_INTERNET_HEADERS
                    && name.name_lossy().as_deref() == Some("acceptlanguage")
            })
        })
        .expect("acceptlanguage header");
    assert_eq!(text(accept_language), "en-GB, en-US");
    assert!(named.iter().any(|property| property
        .name()
        .is_some_and(|name| name.set == property_set::PSETID_MEETING)));
}

#[test]
fn scopes_place_recipients_and_the_attachment() {
    let (_, elements) = read_message(&common::real_exports()[0]);
    let mut tracker = ScopeTracker::new();
    let mut located = Vec::new();
    for element in &elements {
        located.push((element, tracker.observe(element).expect("balanced")));
    }
    tracker.finish().expect("ends balanced");
    let at = |scope| Location { scope, depth: 0 };
    let location_of = |id: u16| -> Vec<Location> {
        located
            .iter()
            .filter(|(element, _)| element.as_property().is_some_and(|p| p.tag().id() == id))
            .map(|(_, location)| *location)
            .collect()
    };
    assert_eq!(
        location_of(pid::SMTP_ADDRESS.id()),
        [at(Scope::Recipient); 2]
    );
    assert_eq!(
        location_of(pid::ATTACH_DATA_BINARY.id()),
        [at(Scope::Attachment)]
    );
    assert_eq!(location_of(pid::SUBJECT.id()), [at(Scope::Message)]);
    // The FXDelProp before each subobject list belongs to the message.
    assert!(located
        .iter()
        .filter(|(element, _)| element
            .as_property()
            .is_some_and(|p| p.tag() == meta::FX_DEL_PROP))
        .all(|(_, location)| *location == at(Scope::Message)));
    // Named properties inside the attachment (image metadata) are in attachment scope.
    let last_property = located
        .iter()
        .rev()
        .find(|(element, _)| element.as_property().is_some())
        .expect("a property");
    assert!(last_property
        .0
        .as_property()
        .is_some_and(|p| p.tag().is_named()));
    assert_eq!(last_property.1, at(Scope::Attachment));
}
