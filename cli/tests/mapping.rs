//! Items as Exchange stores them, migrated end to end on RabbitMQ and Redis: with recipient
//! mapping, migrated items name the destination's addresses and nothing else changes; without
//! it, every item arrives with every property (recipients, attachments, embedded messages,
//! recurring series with their exceptions, a 100 MB file) exactly as the source holds it.

mod common;

use std::collections::HashMap;

use ferry_cli::progress::ProgressView;
use ferry_core::model::ItemKey;
use ferry_proto::v1;
use ferry_sim::admin::ItemSummary;
use ferry_sim::ids::ObjectId;
use ferry_sim::model::address::AddressUse;
use ferry_sim::model::tags::{lid, tag, PSETID_APPOINTMENT, PS_PUBLIC_STRINGS};
use ferry_sim::model::{Message, PropValue, PropertyKey, Tenant};

const MAPPING: [&str; 2] = [
    "@contoso.com->@fabrikam.com",
    "@contoso-legacy.com->@fabrikam.com",
];

async fn admin_items(admin_url: &str, tenant: &str, address: &str) -> Vec<ItemSummary> {
    reqwest::get(format!(
        "{admin_url}/tenants/{tenant}/mailboxes/{address}/items"
    ))
    .await
    .expect("admin API")
    .json()
    .await
    .expect("items")
}

/// Whether an address is one of the source organisation's (its domains, or an EX address of
/// one of its mailboxes).
fn names_the_source(source: &Tenant, address: &AddressUse) -> bool {
    let domain = |text: &str| {
        let text = text.to_lowercase();
        text.ends_with("@contoso.com") || text.ends_with("@contoso-legacy.com")
    };
    domain(&address.email)
        || address.smtp.as_deref().is_some_and(domain)
        || (address.role.contains("task_") && domain(&address.name))
        || source
            .mailbox_by_any_address(&address.address_type, &address.email)
            .is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mapped_items_name_destination_addresses_and_change_nothing_else() {
    let real = common::RealServices::connect().await;
    let environment = common::start(
        common::options(common::sim_config(6, 60), 3, &real.namespace),
        real.services(),
    )
    .await;
    let project = environment
        .create_project_with(
            "mapped",
            Some(v1::ProjectOptions {
                recipient_mapping: MAPPING.iter().map(|e| e.to_string()).collect(),
                ..v1::ProjectOptions::default()
            }),
        )
        .await
        .expect("project");
    let status = environment
        .run_full_pass(&project.id, &mut ProgressView::hidden())
        .await
        .expect("pass");
    let counters = status.counters.clone().unwrap_or_default();
    assert!(
        counters.addresses_rewritten > counters.items_copied,
        "{} addresses rewritten in {} items",
        counters.addresses_rewritten,
        counters.items_copied
    );

    let verification = environment.verify(&project).await.expect("verification");
    assert!(
        verification.is_exact(),
        "{}: {verification:?}",
        verification.summary()
    );
    assert!(
        verification.addresses_checked > 1000,
        "{}",
        verification.summary()
    );
    assert_eq!(verification.destination_items, counters.items_copied);

    // Pair each copy with its source item (same folder, same non-address content) and compare
    // their addresses: a source address became its destination address; any other stayed.
    let source_tenant = environment
        .sim
        .state
        .directory
        .tenant("source")
        .expect("source")
        .clone();
    let admin = &environment.sim.connection.admin_url;
    let mut external_kept = 0;
    for mailbox in &project.mailboxes {
        let source = admin_items(admin, "source", &mailbox.source_address).await;
        let destination = admin_items(admin, "destination", &mailbox.destination_address).await;
        let mut copies: HashMap<(String, String), Vec<&ItemSummary>> = HashMap::new();
        for copy in &destination {
            copies
                .entry((
                    copy.folder_key.clone(),
                    copy.digest_without_addresses.clone(),
                ))
                .or_default()
                .push(copy);
        }
        for original in &source {
            let copy = copies
                .get_mut(&(
                    original.folder_key.clone(),
                    original.digest_without_addresses.clone(),
                ))
                .and_then(Vec::pop)
                .unwrap_or_else(|| panic!("no copy of {:?}", original.subject));
            assert_eq!(original.addresses.len(), copy.addresses.len());
            for (old, new) in original.addresses.iter().zip(&copy.addresses) {
                assert_eq!(old.role, new.role);
                assert!(
                    !names_the_source(&source_tenant, new),
                    "{:?} {} still names the source: {new:?}",
                    original.subject,
                    new.role
                );
                if !names_the_source(&source_tenant, old) {
                    assert_eq!(old, new, "an outside address stays as it was");
                    external_kept += 1;
                }
            }
        }
    }
    assert!(
        external_kept > 50,
        "{external_kept} outside addresses checked"
    );
    environment.stop().await.expect("stop");
    real.clean_up(&project.id).await;
}

/// The message without Ferry's stamp.
fn unstamped(message: &Message) -> Message {
    let mut message = message.clone();
    message.props.remove(&PropertyKey::NamedString {
        set: PS_PUBLIC_STRINGS,
        name: "FerrySourceItem".into(),
    });
    message
}

fn has_embedded(message: &Message) -> bool {
    message
        .attachments
        .iter()
        .any(|attachment| attachment.embedded.is_some() && !attachment.is_hidden())
}

fn has_exceptions(message: &Message) -> bool {
    message
        .get(&PropertyKey::NamedId {
            set: PSETID_APPOINTMENT,
            id: lid::APPOINTMENT_RECUR,
        })
        .is_some()
        && message
            .attachments
            .iter()
            .any(|attachment| attachment.is_hidden())
}

fn largest_attachment(message: &Message) -> u64 {
    message
        .attachments
        .iter()
        .filter_map(|attachment| attachment.props.get(&PropertyKey::Tag(tag::ATTACH_DATA)))
        .filter_map(PropValue::as_blob)
        .map(|blob| blob.len())
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_mapping_every_property_arrives_as_the_source_holds_it() {
    let real = common::RealServices::connect().await;
    let mut sim = common::sim_config(4, 60);
    sim.seed.large_attachments = 1;
    sim.seed.large_attachment_bytes = 100 * 1024 * 1024;
    let environment =
        common::start(common::options(sim, 2, &real.namespace), real.services()).await;
    let project = environment
        .create_project("unmapped")
        .await
        .expect("project");
    let status = environment
        .run_full_pass(&project.id, &mut ProgressView::hidden())
        .await
        .expect("pass");
    let counters = status.counters.clone().unwrap_or_default();
    assert_eq!(counters.items_failed, 0, "{:?}", counters.errors_by_code);
    assert_eq!(counters.addresses_rewritten, 0);
    let verification = environment.verify(&project).await.expect("verification");
    assert!(verification.is_exact(), "{}", verification.summary());

    // Every copy, found by the stamp its stream carried, equals its source item property for
    // property, recipient for recipient, attachment for attachment.
    let directory = &environment.sim.state.directory;
    let (source, destination) = (
        directory.tenant("source").expect("source"),
        directory.tenant("destination").expect("destination"),
    );
    let (mut embedded, mut series, mut largest, mut compared) = (0, 0, 0u64, 0);
    for mailbox in &project.mailboxes {
        let source_mailbox = source
            .mailbox_by_address(&mailbox.source_address)
            .expect("source mailbox");
        let copies: HashMap<String, Message> = destination
            .mailbox_by_address(&mailbox.destination_address)
            .expect("destination mailbox")
            .lock()
            .items
            .values()
            .filter_map(|copy| {
                let stamp = copy.extended(&PropertyKey::NamedString {
                    set: PS_PUBLIC_STRINGS,
                    name: "FerrySourceItem".into(),
                })?;
                Some((stamp.values.first()?.clone(), copy.message.clone()))
            })
            .collect();
        let state = source_mailbox.lock();
        for item in state.items.values() {
            let id = ObjectId::item(source_mailbox.guid, item.seq).encode();
            let key = ItemKey::of(&mailbox.source_address, &id).to_hex();
            let copy = copies
                .get(&key)
                .unwrap_or_else(|| panic!("no copy stamped with {key} for {:?}", item.subject()));
            assert!(
                unstamped(copy) == item.message,
                "{:?} arrived changed",
                item.subject()
            );
            compared += 1;
            embedded += usize::from(has_embedded(&item.message));
            series += usize::from(has_exceptions(&item.message));
            largest = largest.max(largest_attachment(&item.message));
        }
    }
    assert!(compared > 100, "{compared} items compared");
    assert!(
        embedded > 0,
        "an item with an embedded message was migrated"
    );
    assert!(
        series > 0,
        "a recurring series with exceptions was migrated"
    );
    assert!(
        largest >= 100 * 1024 * 1024,
        "a 100 MB attachment was migrated"
    );
    environment.stop().await.expect("stop");
    real.clean_up(&project.id).await;
}
