//! Graph's throttling: concurrency per app and mailbox, the request and upload windows.

use serde_json::{json, Value};

use crate::common::{wait_until, Sim};
use crate::items::source_inbox_exports;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_concurrency_limit_is_told_when_to_retry() {
    let sim = Sim::start(|config| {
        config.seed.large_attachments = 1;
        config.seed.large_attachment_bytes = 24 * 1024 * 1024;
        config.graph_throttling.max_concurrent_requests = 1;
    })
    .await;
    // The largest item of the source tenant carries the large attachment.
    let mut largest = (0u64, String::new(), String::new());
    for mailbox in sim.admin_mailboxes("source").await {
        let address = mailbox["address"].as_str().expect("address");
        let url = format!(
            "{}/tenants/source/mailboxes/{address}/items",
            sim.sim.connection.admin_url
        );
        let items: Vec<Value> = sim
            .http
            .get(url)
            .send()
            .await
            .expect("items")
            .json()
            .await
            .expect("json");
        for item in items {
            let size = item["size"].as_u64().expect("size");
            if size > largest.0 {
                let id = item["id"]
                    .as_str()
                    .expect("id")
                    .replace('+', "-")
                    .replace('/', "_");
                largest = (
                    size,
                    mailbox["graph_mailbox_id"]
                        .as_str()
                        .expect("mailbox")
                        .to_string(),
                    id,
                );
            }
        }
    }
    let (size, mailbox_id, item_id) = largest;
    assert!(
        size > 20 * 1024 * 1024,
        "a large item was seeded ({size} bytes)"
    );
    let token = sim.graph_token("source").await;
    // The export's reply is not read, so it holds the mailbox's one concurrency slot.
    let held = sim
        .http
        .post(sim.mailbox_url("source", &mailbox_id, "/exportItems"))
        .bearer_auth(&token)
        .json(&json!({"itemIds": [item_id]}))
        .send()
        .await
        .expect("export started");
    assert_eq!(held.status(), 200);
    let folders = sim.mailbox_url("source", &mailbox_id, "/folders");
    let refused = sim.get(&folders, &token).await;
    assert_eq!(
        (refused.status, refused.code()),
        (429, "TooManyRequests"),
        "{}",
        refused.text
    );
    assert!(refused
        .header("retry-after")
        .and_then(|value| value.parse::<u64>().ok())
        .is_some_and(|seconds| seconds >= 1));
    let other = sim
        .admin_mailboxes("source")
        .await
        .into_iter()
        .filter_map(|mailbox| mailbox["graph_mailbox_id"].as_str().map(str::to_string))
        .find(|id| *id != mailbox_id)
        .expect("another mailbox");
    assert_eq!(
        sim.get(&sim.mailbox_url("source", &other, "/folders"), &token)
            .await
            .status,
        200,
        "other mailboxes are not affected"
    );
    drop(held);
    wait_until("the slot is released", || async {
        sim.get(&folders, &token).await.status == 200
    })
    .await;
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_requests_over_their_windows_are_refused() {
    let sim = Sim::start(|config| {
        config.graph_throttling.upload_bytes_per_window = 4000;
        config.graph_throttling.requests_per_window = 12;
    })
    .await;
    let exports = source_inbox_exports(&sim, 2).await;
    assert!(
        exports.iter().all(|(_, data)| data.len() > 4000),
        "export data is larger than the window"
    );
    let (source_address, _) = sim.user_mailbox("source").await;
    let (_, mailbox_id) = sim.destination_of(&source_address).await;
    let token = sim.graph_token("destination").await;
    let import_url = sim.import_url("destination", &mailbox_id, &token).await;
    let first = sim
        .post(
            &import_url,
            None,
            &json!({"FolderId": "inbox", "Mode": "create", "Data": exports[0].1}),
        )
        .await;
    assert_eq!(
        first.status, 200,
        "an upload larger than the window passes into an empty window"
    );
    let second = sim
        .post(
            &import_url,
            None,
            &json!({"FolderId": "inbox", "Mode": "create", "Data": exports[1].1}),
        )
        .await;
    assert_eq!(
        (second.status, second.code()),
        (429, "TooManyRequests"),
        "{}",
        second.text
    );
    let retry_after: u64 = second
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=300).contains(&retry_after), "{retry_after}");

    let folders = sim.mailbox_url("destination", &mailbox_id, "/folders");
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(sim.get(&folders, &token).await.status);
    }
    // Two requests (the session, the first import) were counted before; a refused one is not.
    assert_eq!(
        statuses,
        [vec![200; 10], vec![429; 2]].concat(),
        "12 requests a window"
    );
    let counters: Value = sim
        .http
        .get(format!("{}/counters", sim.sim.connection.admin_url))
        .send()
        .await
        .expect("counters")
        .json()
        .await
        .expect("json");
    let text = counters.to_string();
    assert!(
        text.contains("throttled.graph_upload") && text.contains("throttled.graph_requests"),
        "{text}"
    );
    sim.finish().await;
}
