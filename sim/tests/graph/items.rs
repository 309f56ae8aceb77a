//! Items: listing with query options, one item, delete, and the delta round trip.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::Sim;

/// Exports up to `count` items of the source mailbox's inbox: their ids and export data.
pub async fn source_inbox_exports(sim: &Sim, count: usize) -> Vec<(String, String)> {
    let (_, mailbox_id) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let listed = sim
        .get(
            &sim.mailbox_url(
                "source",
                &mailbox_id,
                &format!("/folders/inbox/items?$top={count}&$select=id"),
            ),
            &token,
        )
        .await;
    let ids: Vec<Value> = listed.json["value"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].clone())
        .collect();
    assert_eq!(
        ids.len(),
        count,
        "the source inbox has {count} items: {}",
        listed.text
    );
    let exported = sim
        .post(
            &sim.mailbox_url("source", &mailbox_id, "/exportItems"),
            Some(&token),
            &json!({"itemIds": ids}),
        )
        .await;
    assert_eq!(exported.status, 200, "{}", exported.text);
    exported.json["value"]
        .as_array()
        .expect("results")
        .iter()
        .map(|entry| {
            (
                entry["itemId"].as_str().expect("id").to_string(),
                entry["data"].as_str().expect("data").to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_list_with_query_options_and_read_one_by_one() {
    let sim = Sim::start(|_| {}).await;
    let (_, mailbox_id) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let url = |rest: &str| sim.mailbox_url("source", &mailbox_id, rest);
    let (all, _) = sim.follow(&url("/folders/inbox/items"), &token, &[]).await;
    assert!(all.len() > 2, "the inbox has items");
    let (selected, _) = sim
        .follow(&url("/folders/Inbox/items?$filter=createdDateTime ge 2000-01-01 and createdDateTime lt 2100-01-01&$select=type,size&$top=2"), &token, &[])
        .await;
    assert_eq!(selected.len(), all.len());
    for item in &selected {
        let keys: HashSet<&str> = item
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            HashSet::from(["@odata.type", "@odata.etag", "id", "type", "size"]),
            "{item}"
        );
    }
    let none = sim
        .get(
            &url("/folders/inbox/items?$filter=createdDateTime lt 1990-01-01"),
            &token,
        )
        .await;
    assert_eq!(none.json["value"], json!([]));
    let first = &all[0];
    let id = first["id"].as_str().expect("id");
    let got = sim
        .get(&url(&format!("/folders/inbox/items/{id}")), &token)
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.json["changeKey"], first["changeKey"]);
    assert_eq!(
        got.json["@odata.etag"],
        format!("W/\"{}\"", first["changeKey"].as_str().expect("key"))
    );
    let elsewhere = sim
        .get(&url(&format!("/folders/sentitems/items/{id}")), &token)
        .await;
    assert_eq!(
        (elsewhere.status, elsewhere.code()),
        (404, "ErrorItemNotFound")
    );
    let malformed = sim
        .get(&url("/folders/inbox/items/not-an-id"), &token)
        .await;
    assert_eq!(malformed.status, 400);
    let ordered = sim
        .get(
            &url("/folders/inbox/items?$orderby=size desc&$top=1000"),
            &token,
        )
        .await;
    let sizes: Vec<u64> = ordered.json["value"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["size"].as_u64().expect("size"))
        .collect();
    assert!(sizes.windows(2).all(|pair| pair[0] >= pair[1]), "{sizes:?}");
    let count = sim
        .send(
            Method::GET,
            &url("/folders/inbox/items/$count"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(count.text, all.len().to_string());
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_reports_imported_items_then_their_removal() {
    let sim = Sim::start(|_| {}).await;
    let exports = source_inbox_exports(&sim, 3).await;
    let (source_address, _) = sim.user_mailbox("source").await;
    let (_, mailbox_id) = sim.destination_of(&source_address).await;
    let token = sim.graph_token("destination").await;
    let url = |rest: &str| sim.mailbox_url("destination", &mailbox_id, rest);
    let page_of_two = [("prefer", "odata.maxpagesize=2")];
    let (before, round) = sim
        .follow(&url("/folders/inbox/items/delta()"), &token, &page_of_two)
        .await;
    assert!(
        before.is_empty(),
        "a new destination inbox is empty: {before:?}"
    );
    assert_eq!(
        round.header("preference-applied"),
        Some("odata.maxpagesize=2")
    );
    let delta_link = round.json["@odata.deltaLink"]
        .as_str()
        .expect("delta link")
        .to_string();

    let import_url = sim.import_url("destination", &mailbox_id, &token).await;
    let mut imported = Vec::new();
    for (_, data) in &exports {
        let reply = sim
            .post(
                &import_url,
                None,
                &json!({"FolderId": "inbox", "Mode": "create", "Data": data}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        imported.push(reply.json["itemId"].as_str().expect("itemId").to_string());
    }
    let mut pages = 0;
    let mut next = delta_link;
    let mut seen = Vec::new();
    let delta_link = loop {
        let page = sim.send(Method::GET, &next, Some(&token), None, &[]).await;
        assert_eq!(page.status, 200, "{}", page.text);
        pages += 1;
        seen.extend(
            page.json["value"]
                .as_array()
                .expect("values")
                .iter()
                .map(|item| item["id"].as_str().expect("id").to_string()),
        );
        match (
            page.json["@odata.nextLink"].as_str(),
            page.json["@odata.deltaLink"].as_str(),
        ) {
            (Some(link), None) => next = link.to_string(),
            (None, Some(link)) => break link.to_string(),
            other => panic!("a page has exactly one link: {other:?}"),
        }
    };
    assert!(pages >= 2, "three changes in pages of two");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>(),
        imported.iter().collect::<HashSet<_>>()
    );
    let (again, round) = sim.follow(&delta_link, &token, &[]).await;
    assert!(again.is_empty(), "nothing changed since: {again:?}");
    let delta_link = round.json["@odata.deltaLink"]
        .as_str()
        .expect("delta link")
        .to_string();

    let missing = sim
        .send(
            Method::DELETE,
            &url(&format!("/folders/inbox/items/{}", imported[0])),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(missing.status, 400, "disposalType is required");
    for (id, disposal) in [(&imported[0], "hardDelete"), (&imported[1], "softDelete")] {
        let deleted = sim
            .send(
                Method::DELETE,
                &url(&format!(
                    "/folders/inbox/items/{id}?disposalType={disposal}"
                )),
                Some(&token),
                None,
                &[],
            )
            .await;
        assert_eq!(deleted.status, 204, "{}", deleted.text);
    }
    let (changes, _) = sim.follow(&delta_link, &token, &[]).await;
    let removed: HashSet<&str> = changes
        .iter()
        .filter(|change| change["@removed"]["reason"] == "deleted")
        .map(|change| change["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        removed,
        HashSet::from([imported[0].as_str(), imported[1].as_str()]),
        "{changes:?}"
    );
    let recoverable = sim
        .follow(
            &url("/folders/recoverableitemsdeletions/items"),
            &token,
            &[],
        )
        .await
        .0;
    assert_eq!(recoverable.len(), 1, "the soft-deleted item is recoverable");

    let filtered = sim
        .follow(
            &url("/folders/inbox/items/delta?$filter=receivedDateTime ge 2100-01-01&$select=size"),
            &token,
            &[],
        )
        .await
        .0;
    assert!(filtered.is_empty(), "{filtered:?}");
    let unsupported = sim
        .get(&url("/folders/inbox/items/delta?$filter=size gt 1"), &token)
        .await;
    assert_eq!(unsupported.status, 400);
    let garbled = sim
        .get(
            &url("/folders/inbox/items/delta?$deltatoken=bm90LWEtdG9rZW4"),
            &token,
        )
        .await;
    assert_eq!(
        (garbled.status, garbled.code()),
        (400, "ErrorInvalidSyncStateData")
    );
    let wrong_folder = delta_link.replace("/folders/inbox/", "/folders/drafts/");
    let wrong = sim.get(&wrong_folder, &token).await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (410, "SyncStateNotFound"),
        "{}",
        wrong.text
    );
    sim.finish().await;
}
