//! The client side of the full-fidelity path against the simulator's own, independent reader
//! and writer, over every item a seeded tenant holds: the codec reads and re-encodes each
//! stream byte for byte; a stamped stream carries everything else unchanged; a mapped stream
//! names no mapped source address and changes nothing but addresses.

use std::collections::HashMap;

use bytes::Bytes;
use ferry_core::mapping::RecipientMapping;
use ferry_core::model::ItemKey;
use ferry_ews::data::ItemData;
use ferry_fasttransfer::{encode, Element, ExportData, Reader};
use ferry_sim::export_stream::{decode, encode as sim_encode};
use ferry_sim::model::address::{addresses, AddressUse};
use ferry_sim::model::{Directory, Item, Tenant};
use ferry_sim::seed::seed_directory;
use ferry_tests::test_config;
use ferry_worker::outbound::{AddressMapper, OutboundItem};

fn directory() -> Directory {
    let mut config = test_config(8, 60);
    config.seed.large_attachments = 2;
    config.seed.large_attachment_bytes = 3 * 1024 * 1024;
    seed_directory(&config).expect("seeded")
}

/// Every item of the tenant, exported as the simulator exports it (1 MiB chunks, as the EWS
/// client decodes them).
fn exports(tenant: &Tenant) -> Vec<(Item, ItemData)> {
    let mut all = Vec::new();
    for mailbox in tenant.mailboxes() {
        let state = mailbox.lock();
        for item in state.items.values() {
            let data: Vec<u8> = sim_encode(item).concat();
            let chunks: Vec<Bytes> = data.chunks(1 << 20).map(Bytes::copy_from_slice).collect();
            all.push((item.clone(), ItemData::from(chunks)));
        }
    }
    all
}

fn imported(data: &ItemData) -> Item {
    Item::new(
        0,
        decode(&data.to_bytes())
            .expect("the simulator reads it")
            .message,
        0,
    )
}

#[test]
fn every_simulator_stream_re_encodes_byte_for_byte() {
    let directory = directory();
    let exported = exports(&directory.tenants()[0]);
    assert!(exported.len() > 100, "{} items", exported.len());
    let mut recipients = 0;
    let mut attachments = 0;
    for (_, data) in &exported {
        let export = ExportData::parse(data).expect("framing");
        let elements: Vec<Element> = Reader::new(export.message().expect("message"))
            .collect::<Result<_, _>>()
            .expect("every element reads");
        assert!(!elements
            .iter()
            .any(|element| matches!(element, Element::Unparsed(_))));
        recipients += elements
            .iter()
            .filter(|element| matches!(element, Element::Marker(0x4003_0003)))
            .count();
        attachments += elements
            .iter()
            .filter(|element| matches!(element, Element::Marker(0x4000_0003)))
            .count();
        let mut again = export.clone();
        again.set_message(encode(&elements));
        assert_eq!(&again.to_chunks().expect("framed"), data, "byte for byte");
    }
    assert!(recipients > exported.len(), "recipients: {recipients}");
    assert!(attachments > 10, "attachments: {attachments}");
}

#[test]
fn a_stamped_copy_keeps_every_property() {
    let directory = directory();
    for (index, (item, data)) in exports(&directory.tenants()[0]).into_iter().enumerate() {
        let key = ItemKey::of("mailbox", &index.to_string());
        let mut outbound = OutboundItem::read(&data).expect("reads");
        outbound.stamp(key);
        let copy = imported(&outbound.into_data().expect("writes"));
        assert_eq!(copy.digest(), item.digest(), "{}", item.subject());
        let stamp = copy.extended(&ferry_sim::model::PropertyKey::NamedString {
            set: ferry_sim::model::tags::PS_PUBLIC_STRINGS,
            name: "FerrySourceItem".into(),
        });
        assert_eq!(stamp.map(|stamp| stamp.values), Some(vec![key.to_hex()]));
    }
}

/// The destination address a source address should become, if the mapping names it.
fn expected(mapping: &RecipientMapping, source: &Tenant, address: &AddressUse) -> Option<String> {
    let smtp = if address.address_type.eq_ignore_ascii_case("EX") {
        address.smtp.clone().or_else(|| {
            source
                .mailbox_by_exchange_address(&address.email)
                .map(|mailbox| mailbox.primary_address.clone())
        })?
    } else if address.email.is_empty() {
        address.name.clone()
    } else {
        address.email.clone()
    };
    mapping.map(&smtp)
}

#[test]
fn mapped_copies_name_destination_addresses_and_change_nothing_else() {
    let directory = directory();
    let (source, destination) = (&directory.tenants()[0], &directory.tenants()[1]);
    let pairs: Vec<(String, String)> = source
        .mailboxes()
        .iter()
        .zip(destination.mailboxes())
        .map(|(from, to)| (from.primary_address.clone(), to.primary_address.clone()))
        .collect();
    let mapping = RecipientMapping::parse(&[
        "@contoso.com->@fabrikam.com".to_string(),
        "@contoso-legacy.com->@fabrikam.com".to_string(),
    ])
    .expect("valid")
    .with_mailboxes(pairs.iter().map(|(from, to)| (from.as_str(), to.as_str())));
    let mut resolved = 0;
    let mut rewritten = 0;
    for (item, data) in exports(source) {
        let mut outbound = OutboundItem::read(&data).expect("reads");
        outbound.stamp(ItemKey([3; 16]));
        // What ResolveNames in the source tenant answers.
        let exchange: HashMap<String, String> = outbound
            .unresolved_exchange_addresses()
            .into_iter()
            .filter_map(|dn| {
                let mailbox = source.mailbox_by_exchange_address(&dn)?;
                resolved += 1;
                Some((dn.to_lowercase(), mailbox.primary_address.clone()))
            })
            .collect();
        rewritten += outbound.map_addresses(&AddressMapper {
            mapping: &mapping,
            exchange: &exchange,
        });
        let copy = imported(&outbound.into_data().expect("writes"));
        assert_eq!(
            copy.digest_without_addresses(),
            item.digest_without_addresses(),
            "only addresses change: {}",
            item.subject()
        );
        let before = addresses(&item.message);
        let after = addresses(&copy.message);
        assert_eq!(before.len(), after.len(), "{}", item.subject());
        for (old, new) in before.iter().zip(&after) {
            assert_eq!(old.role, new.role);
            match expected(&mapping, source, old) {
                Some(target)
                    if old.role.ends_with("task_owner") || old.role.ends_with("task_delegator") =>
                {
                    assert_eq!(new.name, target, "{}", old.role)
                }
                Some(target) => {
                    assert_eq!(new.address_type, "SMTP", "{old:?}");
                    assert_eq!(new.email.to_lowercase(), target.to_lowercase(), "{old:?}");
                }
                None => assert_eq!(old, new, "an address no mapping names stays as it was"),
            }
            assert!(
                source
                    .mailbox_by_any_address(&new.address_type, &new.email)
                    .is_none(),
                "{new:?} still names a source mailbox"
            );
        }
    }
    assert!(resolved > 0, "some EX addresses needed the directory");
    assert!(rewritten > 100, "{rewritten} addresses rewritten");
}
