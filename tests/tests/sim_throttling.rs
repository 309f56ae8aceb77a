//! The simulator's throttling: each policy refuses in the form Exchange Online uses, with the
//! back-off it suggests, and counts what it refused per mailbox.

use base64::Engine;
use ferry_sim::admin::ItemSummary;
use ferry_tests::{descendants, test_config, SimHarness};
use serde_json::json;

const GET_INBOX: &str = r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#;

async fn set_policy(harness: &SimHarness, changes: serde_json::Value) {
    let mut policy: serde_json::Value = harness.admin("/throttling").await;
    for (key, value) in changes.as_object().expect("object") {
        policy[key] = value.clone();
    }
    harness.admin_put("/throttling", &policy).await;
}

async fn set_latency_ms(harness: &SimHarness, ms: u64) {
    let mut faults: serde_json::Value = harness.admin("/faults").await;
    faults["latency"] = json!({"kind": "fixed", "ms": ms});
    harness.admin_put("/faults", &faults).await;
}

#[tokio::test]
async fn an_exhausted_budget_gets_a_soap_fault_with_back_off() {
    let harness = SimHarness::start(test_config(2, 1)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    set_policy(
        &harness,
        json!({"budget_burst": 3, "budget_recharge_per_sec": 0.5}),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            harness.ews(&token, Some(&mailbox), GET_INBOX).await.status,
            200
        );
    }
    let refused = harness.ews(&token, Some(&mailbox), GET_INBOX).await;
    assert_eq!(refused.status, 500);
    assert_eq!(refused.response_codes(), vec!["ErrorServerBusy"]);
    let back_off = refused.back_off_ms().expect("BackOffMilliseconds");
    assert!(
        (1..=2000).contains(&back_off),
        "back-off until one request recharges: {back_off}"
    );

    set_policy(&harness, json!({"budget_form": "response_message"})).await;
    let as_message = harness.ews(&token, Some(&mailbox), GET_INBOX).await;
    assert_eq!(as_message.status, 200, "the HTTP 200 form");
    assert_eq!(as_message.response_codes(), vec!["ErrorServerBusy"]);
    assert!(as_message.back_off_ms().is_some());
    assert!(as_message.text.contains("RechargeRate"));

    let counters = harness.counters("source", &mailbox).await;
    assert_eq!(counters.get("throttled.budget"), Some(&2));
    harness.finish().await;
}

#[tokio::test]
async fn concurrent_requests_over_the_limit_get_http_503() {
    let harness = SimHarness::start(test_config(2, 1)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    set_policy(&harness, json!({"max_concurrent_requests": 2})).await;
    set_latency_ms(&harness, 400).await;
    let requests = (0..6).map(|_| harness.ews(&token, Some(&mailbox), GET_INBOX));
    let replies = futures_util::future::join_all(requests).await;
    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    let refused = statuses.iter().filter(|status| **status == 503).count();
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count() + refused,
        6,
        "{statuses:?}"
    );
    assert!(
        refused >= 1,
        "six concurrent requests against a limit of two: {statuses:?}"
    );
    assert!(replies
        .iter()
        .filter(|reply| reply.status == 503)
        .all(|reply| reply.text.is_empty()));
    let counters = harness.counters("source", &mailbox).await;
    assert_eq!(
        counters.get("throttled.concurrency"),
        Some(&(refused as u64))
    );
    let other = harness
        .sim
        .connection
        .tenant("source")
        .expect("tenant")
        .mailboxes
        .iter()
        .find(|address| **address != mailbox)
        .expect("another mailbox")
        .clone();
    assert_eq!(
        harness.ews(&token, Some(&other), GET_INBOX).await.status,
        200,
        "another mailbox is not affected"
    );
    harness.finish().await;
}

#[tokio::test]
async fn concurrent_sync_calls_get_the_exchange_online_error_message() {
    let harness = SimHarness::start(test_config(2, 5)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    set_policy(&harness, json!({"max_concurrent_sync": 1})).await;
    set_latency_ms(&harness, 400).await;
    let sync = r#"<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId><m:MaxChangesReturned>10</m:MaxChangesReturned></m:SyncFolderItems>"#;
    let replies =
        futures_util::future::join_all((0..3).map(|_| harness.ews(&token, Some(&mailbox), sync)))
            .await;
    let busy: Vec<_> = replies
        .iter()
        .filter(|reply| reply.response_codes() == vec!["ErrorServerBusy"])
        .collect();
    assert!(
        !busy.is_empty(),
        "three concurrent syncs against a limit of one"
    );
    for reply in &busy {
        assert_eq!(
            reply.status, 200,
            "Exchange Online answers ConcurrentSyncCalls inside HTTP 200"
        );
        assert_eq!(reply.back_off_ms(), Some(5000));
        assert!(reply.text.contains("ConcurrentSyncCalls"));
    }
    assert!(replies
        .iter()
        .any(|reply| reply.response_codes() == vec!["NoError"]));
    harness.finish().await;
}

#[tokio::test]
async fn imports_over_the_window_are_refused_until_it_moves_on() {
    let harness = SimHarness::start(test_config(2, 1)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    let mime = base64::engine::general_purpose::STANDARD
        .encode(format!("Subject: import\r\n\r\n{}\r\n", "x".repeat(300)));
    let create = format!(
        r#"<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="inbox"/></m:SavedItemFolderId><m:Items><t:Message><t:MimeContent>{mime}</t:MimeContent></t:Message></m:Items></m:CreateItem>"#
    );
    // Measure the item in another tenant's mailbox; this mailbox's window holds two of them
    // but not three.
    let other_token = harness.app_token("destination").await;
    let other = harness.first_user("destination");
    assert_eq!(
        harness
            .ews(&other_token, Some(&other), &create)
            .await
            .response_codes(),
        vec!["NoError"]
    );
    let items: Vec<ItemSummary> = harness
        .admin(&format!("/tenants/destination/mailboxes/{other}/items"))
        .await;
    let size = items.iter().map(|item| item.size).max().expect("the item");
    set_policy(
        &harness,
        json!({"import_bytes_per_window": size * 5 / 2, "import_window_secs": 1}),
    )
    .await;
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &create)
            .await
            .response_codes(),
        vec!["NoError"]
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &create)
            .await
            .response_codes(),
        vec!["NoError"]
    );
    let refused = harness.ews(&token, Some(&mailbox), &create).await;
    assert_eq!(
        (refused.status, refused.response_codes()),
        (500, vec!["ErrorServerBusy".to_string()])
    );
    let back_off = refused.back_off_ms().expect("back-off");
    assert!(back_off <= 1000, "at most the window: {back_off}");
    tokio::time::sleep(std::time::Duration::from_millis(back_off + 50)).await;
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &create)
            .await
            .response_codes(),
        vec!["NoError"]
    );
    let counters = harness.counters("source", &mailbox).await;
    assert_eq!(counters.get("throttled.import"), Some(&1));
    assert_eq!(counters.get("import.items"), Some(&3));
    let items = descendants(
        &harness.ews(&token, Some(&mailbox), GET_INBOX).await.xml(),
        "FolderId",
    )
    .len();
    assert_eq!(items, 1);
    harness.finish().await;
}
