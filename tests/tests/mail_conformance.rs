//! The mail conformance suite (`ferry_core::mail::conformance`) against EWS and against Graph
//! on the simulator: the same checks the in-memory service passes, so the engine's unit tests
//! on the in-memory service say something about real endpoints, over either protocol.

use ferry_core::mail::conformance::{mail_suite, MailFixture};
use ferry_core::mail::{ExportData, FolderId, ItemId, MailApiFactory, ReceivedRange};
use ferry_core::model::{ApiSettings, CredentialConfig, EndpointConfig, ItemKey, MailProtocol};
use ferry_ews::request::MailboxTarget;
use ferry_ews::types::{DeleteType, ItemId as EwsItemId};
use ferry_mail::graph::GraphMailApi;
use ferry_mail::ProtocolFactory;
use ferry_sim::model::MailboxKind;
use ferry_tests::{test_config, SimHarness};
use ferry_worker::outbound::OutboundItem;

fn endpoint(harness: &SimHarness, tenant: &str, protocol: MailProtocol) -> EndpointConfig {
    let connection = harness.tenant(tenant);
    let api = match protocol {
        MailProtocol::Ews => ApiSettings::Ews {
            ews_url: connection.ews_url.clone(),
            resource: "https://outlook.office365.com".into(),
        },
        MailProtocol::Graph => ApiSettings::Graph {
            graph_url: connection.graph_url.clone(),
            resource: "https://graph.microsoft.com".into(),
        },
    };
    EndpointConfig {
        cloud: Default::default(),
        tenant: connection.domain.clone(),
        token_url: connection.token_url.clone(),
        api,
        credentials: CredentialConfig::ClientSecret {
            client_id: connection.client_id.clone(),
            client_secret: connection.client_secret.clone(),
        },
    }
}

fn stamp(data: &ExportData, key: ItemKey) -> ExportData {
    let mut item = OutboundItem::read(data).expect("the simulator's exports read");
    item.stamp(key);
    item.into_data().expect("a stamped item writes")
}

fn users(harness: &SimHarness, tenant: &str) -> Vec<(String, String)> {
    let tenant = harness.sim.state.directory.tenant(tenant).expect("tenant");
    tenant
        .mailboxes()
        .iter()
        .filter(|mailbox| mailbox.kind == MailboxKind::User)
        .map(|mailbox| (mailbox.primary_address.clone(), mailbox.legacy_dn.clone()))
        .collect()
}

/// Deletes an item of the source for good, behind the adapter's back.
async fn delete_behind_the_back(
    harness: &SimHarness,
    protocol: MailProtocol,
    mailbox: &str,
    folder: &FolderId,
    item: &ItemId,
) {
    match protocol {
        MailProtocol::Ews => {
            let deleted = harness
                .client("source")
                .delete_items(
                    &MailboxTarget::impersonated(mailbox),
                    &[EwsItemId::new(item.0.clone())],
                    DeleteType::HardDelete,
                )
                .await
                .expect("delete");
            assert!(deleted.iter().all(Result::is_ok));
        }
        MailProtocol::Graph => {
            let api = GraphMailApi::from_endpoint(&endpoint(harness, "source", protocol))
                .expect("graph api");
            let id = api.client().mailbox_id(mailbox).await.expect("mailbox id");
            api.client()
                .delete_item(&id, folder.as_str(), item.as_str(), true)
                .await
                .expect("delete");
        }
    }
}

async fn passes_the_suite(protocol: MailProtocol) {
    let harness = SimHarness::start(test_config(8, 30)).await;
    let factory = ProtocolFactory::new();
    let source = factory
        .connect(&endpoint(&harness, "source", protocol))
        .expect("source api");
    let destination = factory
        .connect(&endpoint(&harness, "destination", protocol))
        .expect("destination api");
    assert_eq!(source.protocol(), protocol.name());
    let source_users = users(&harness, "source");
    let destination_users = users(&harness, "destination");
    let (mailbox, legacy_dn) = &source_users[0];
    let (other_address, _) = &source_users[1];

    // An item of the source that is deleted before the suite asks for it.
    let folders = source.folders(other_address).await.expect("folders");
    let inbox = folders
        .iter()
        .find(|folder| folder.well_known.as_deref() == Some("inbox"))
        .expect("inbox");
    let doomed = source
        .items(other_address, &inbox.id, ReceivedRange::default())
        .await
        .expect("items")
        .into_iter()
        .next()
        .expect("an item to delete");
    delete_behind_the_back(&harness, protocol, other_address, &inbox.id, &doomed.id).await;

    mail_suite(&MailFixture {
        source: source.as_ref(),
        source_mailbox: mailbox,
        destination: destination.as_ref(),
        destination_mailbox: &destination_users[0].0,
        destination_user: &destination_users[1].0,
        source_legacy_dn: Some((legacy_dn, mailbox)),
        deleted_source_item: Some(ItemId(doomed.id.0.clone())),
        stamp: &stamp,
        namespace: protocol.name(),
    })
    .await;
    harness.finish().await;
}

#[tokio::test]
async fn ews_on_the_simulator_passes_the_mail_conformance_suite() {
    passes_the_suite(MailProtocol::Ews).await;
}

#[tokio::test]
async fn graph_on_the_simulator_passes_the_mail_conformance_suite() {
    passes_the_suite(MailProtocol::Graph).await;
}
