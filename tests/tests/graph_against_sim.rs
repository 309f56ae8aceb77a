//! The Graph client against the simulator's Graph endpoint: paging gives the same answer at any
//! page size, an item delta round sees new and removed items, exports over 20 ids are refused,
//! and one import session serves many items.

use ferry_graph::{
    Credentials, DeltaStart, GraphClient, GraphConfig, GraphError, ItemChange, Secret,
};
use ferry_tests::{test_config, SimHarness};

fn client(harness: &SimHarness, tenant: &str, page_size: u32) -> GraphClient {
    let connection = harness.tenant(tenant);
    let mut config = GraphConfig::new(
        connection.graph_url.clone(),
        connection.token_url.clone(),
        "https://graph.microsoft.com",
        Credentials::ClientSecret {
            client_id: connection.client_id.clone(),
            secret: Secret::new(connection.client_secret.clone()),
        },
    );
    config.page_size = page_size;
    GraphClient::new(config).expect("client")
}

#[tokio::test]
async fn paging_delta_export_and_import_sessions_work_against_the_simulator() {
    let harness = SimHarness::start(test_config(2, 40)).await;
    let (small, large) = (
        client(&harness, "source", 3),
        client(&harness, "source", 1000),
    );
    let address = harness.first_user("source");
    let mailbox = small.mailbox_id(&address).await.expect("mailbox id");
    assert!(mailbox.as_str().starts_with("MBX:"), "{mailbox}");

    // Paging: three at a time gives what one page of 1000 gives.
    let folders = small.folders(&mailbox).await.expect("folders");
    let at_once = large.folders(&mailbox).await.expect("folders");
    assert!(folders.len() > 3, "more folders than one small page");
    assert_eq!(folders, at_once);
    let inbox = small.folder(&mailbox, "inbox").await.expect("inbox");
    let items = small.items(&mailbox, &inbox.id, &[]).await.expect("items");
    assert!(items.len() > 3);
    assert_eq!(
        items,
        large.items(&mailbox, &inbox.id, &[]).await.expect("items")
    );

    // Delta: a first round lists every item; after a deletion, the next names it as removed.
    let first = small
        .item_delta(
            &mailbox,
            &inbox.id,
            DeltaStart::Initial {
                received_since: None,
            },
        )
        .await
        .expect("delta");
    assert_eq!(first.changes.len(), items.len());
    small
        .delete_item(&mailbox, &inbox.id, &items[0].id, true)
        .await
        .expect("delete");
    let second = small
        .item_delta(&mailbox, &inbox.id, DeltaStart::Link(first.delta_link))
        .await
        .expect("delta");
    assert_eq!(
        second.changes,
        [ItemChange::Removed {
            id: items[0].id.clone()
        }]
    );

    // Export: more than 20 ids a call is refused before sending; 20 come back in order, the
    // deleted one with its error.
    let ids: Vec<String> = items.iter().map(|item| item.id.clone()).collect();
    let too_many: Vec<String> = ids.iter().cycle().take(21).cloned().collect();
    assert!(matches!(
        small.export_items(&mailbox, &too_many).await,
        Err(GraphError::InvalidRequest(_))
    ));
    let batch: Vec<String> = ids.iter().take(20).cloned().collect();
    let mut stream = small.export_items(&mailbox, &batch).await.expect("export");
    let mut exported = Vec::new();
    while let Some(entry) = stream.next().await.expect("entry") {
        exported.push(entry);
    }
    assert_eq!(
        exported
            .iter()
            .map(|entry| entry.item_id.clone())
            .collect::<Vec<_>>(),
        batch
    );
    assert!(
        exported[0].data.is_err(),
        "the deleted item reports an error"
    );
    assert!(exported[1..].iter().all(|entry| entry.data.is_ok()));

    // Import: every item through one session.
    let destination = client(&harness, "destination", 100);
    let target = destination
        .mailbox_id(&harness.first_user("destination"))
        .await
        .expect("destination id");
    let target_inbox = destination.folder(&target, "inbox").await.expect("inbox");
    let before = destination
        .items(&target, &target_inbox.id, &[])
        .await
        .expect("items")
        .len();
    for entry in &exported[1..] {
        let data = entry.data.as_ref().expect("data");
        destination
            .import_item(&target, &target_inbox.id, data)
            .await
            .expect("import");
    }
    let after = destination
        .items(&target, &target_inbox.id, &[])
        .await
        .expect("items")
        .len();
    assert_eq!(after, before + exported.len() - 1);
    let counters = harness
        .counters("destination", &harness.first_user("destination"))
        .await;
    assert_eq!(counters.get("requests.graph.createImportSession"), Some(&1));
    harness.finish().await;
}
