//! The simulator's injected faults and storage limits, each observable by a client and counted.

use base64::Engine;
use ferry_sim::admin::ItemSummary;
use ferry_tests::{descendants, envelope, test_config, SimHarness};
use serde_json::json;

const GET_INBOX: &str = r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#;
const FIND_INBOX: &str = r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="5" Offset="0" BasePoint="Beginning"/><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>"#;

async fn set_faults(harness: &SimHarness, changes: serde_json::Value) {
    let mut faults: serde_json::Value = harness.admin("/faults").await;
    for (key, value) in changes.as_object().expect("object") {
        faults[key] = value.clone();
    }
    harness.admin_put("/faults", &faults).await;
}

#[tokio::test]
async fn internal_errors_token_expiry_and_latency_on_demand() {
    let harness = SimHarness::start(test_config(2, 1)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");

    set_faults(&harness, json!({"internal_error_rate": 1.0})).await;
    let failed = harness.ews(&token, Some(&mailbox), GET_INBOX).await;
    assert_eq!(
        (failed.status, failed.response_codes()),
        (500, vec!["ErrorInternalServerError".to_string()])
    );

    set_faults(
        &harness,
        json!({"internal_error_rate": 0.0, "token_expiry_rate": 1.0}),
    )
    .await;
    assert_eq!(
        harness.ews(&token, Some(&mailbox), GET_INBOX).await.status,
        401
    );

    set_faults(
        &harness,
        json!({"token_expiry_rate": 0.0, "latency": {"kind": "fixed", "ms": 150}}),
    )
    .await;
    let started = std::time::Instant::now();
    assert_eq!(
        harness.ews(&token, Some(&mailbox), GET_INBOX).await.status,
        200
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(150),
        "the injected delay was applied"
    );

    set_faults(&harness, json!({"latency": {"kind": "none"}, "internal_error_rate": 1.0, "tenants": ["destination"]})).await;
    assert_eq!(
        harness.ews(&token, Some(&mailbox), GET_INBOX).await.status,
        200,
        "faults limited to another tenant do not apply"
    );
    let counters = harness.counters("source", &mailbox).await;
    assert_eq!(counters.get("fault.internal_error"), Some(&1));
    harness.finish().await;
}

#[tokio::test]
async fn connection_resets_cut_replies_mid_body() {
    let harness = SimHarness::start(test_config(2, 20)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    set_faults(&harness, json!({"connection_reset_rate": 1.0})).await;
    let response = harness
        .http
        .post(&harness.tenant("source").ews_url)
        .bearer_auth(&token)
        .header("content-type", "text/xml; charset=utf-8")
        .body(envelope(Some(&mailbox), FIND_INBOX))
        .send()
        .await;
    let outcome = match response {
        Ok(response) => response.text().await.map(|_| ()),
        Err(error) => Err(error),
    };
    assert!(outcome.is_err(), "the reply must not arrive whole");
    set_faults(&harness, json!({"connection_reset_rate": 0.0})).await;
    assert_eq!(
        harness.ews(&token, Some(&mailbox), FIND_INBOX).await.status,
        200
    );
    let counters = harness.counters("source", &mailbox).await;
    assert_eq!(counters.get("fault.connection_reset"), Some(&1));
    harness.finish().await;
}

#[tokio::test]
async fn items_vanish_and_text_carries_invalid_characters_on_demand() {
    let harness = SimHarness::start(test_config(2, 30)).await;
    let token = harness.app_token("source").await;
    let mailbox = harness.first_user("source");
    let before: Vec<ItemSummary> = harness
        .admin(&format!("/tenants/source/mailboxes/{mailbox}/items"))
        .await;
    let listing = harness.ews(&token, Some(&mailbox), FIND_INBOX).await;
    let first = descendants(&listing.xml(), "ItemId")[0]
        .attr("Id")
        .expect("id")
        .to_string();

    set_faults(&harness, json!({"item_vanish_rate": 1.0})).await;
    let get = format!(
        r#"<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="{first}"/></m:ItemIds></m:GetItem>"#
    );
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &get)
            .await
            .response_codes(),
        vec!["ErrorItemNotFound"]
    );
    set_faults(&harness, json!({"item_vanish_rate": 0.0})).await;
    assert_eq!(
        harness
            .ews(&token, Some(&mailbox), &get)
            .await
            .response_codes(),
        vec!["ErrorItemNotFound"],
        "the item is really gone, as if its owner deleted it"
    );
    let after: Vec<ItemSummary> = harness
        .admin(&format!("/tenants/source/mailboxes/{mailbox}/items"))
        .await;
    assert_eq!(after.len(), before.len() - 1);

    set_faults(&harness, json!({"invalid_xml_char_rate": 1.0})).await;
    let poisoned = harness.ews(&token, Some(&mailbox), FIND_INBOX).await;
    assert_eq!(poisoned.status, 200);
    assert!(
        poisoned.text.contains("&#x0;"),
        "Exchange really sends &#x0;"
    );
    let counters = harness.counters("source", &mailbox).await;
    assert_eq!(counters.get("fault.item_vanished"), Some(&1));
    assert_eq!(counters.get("fault.invalid_xml_char"), Some(&1));
    harness.finish().await;
}

#[tokio::test]
async fn full_mailboxes_and_oversized_items_are_refused() {
    let mut config = test_config(2, 8);
    config.limits.max_item_bytes = 2 * 1024 * 1024;
    config.seed.oversize_items = 1;
    let harness = SimHarness::start(config).await;
    let source_token = harness.app_token("source").await;
    let destination_token = harness.app_token("destination").await;
    let source = harness
        .sim
        .connection
        .tenant("source")
        .expect("tenant")
        .mailboxes[0]
        .clone();
    let destination = harness
        .sim
        .connection
        .tenant("destination")
        .expect("tenant")
        .mailboxes[0]
        .clone();

    let items: Vec<ItemSummary> = harness
        .admin(&format!("/tenants/source/mailboxes/{source}/items"))
        .await;
    let oversized = items
        .iter()
        .find(|item| item.size > 2 * 1024 * 1024)
        .expect("the seeded oversize item");
    let exported = harness
        .ews(
            &source_token,
            Some(&source),
            &format!(
                r#"<m:ExportItems><m:ItemIds><t:ItemId Id="{}"/></m:ItemIds></m:ExportItems>"#,
                oversized.id
            ),
        )
        .await;
    assert_eq!(
        exported.response_codes(),
        vec!["NoError"],
        "the source serves it"
    );
    let data = descendants(&exported.xml(), "Data")[0].text.clone();
    let inbox = harness
        .ews(&destination_token, Some(&destination), GET_INBOX)
        .await;
    let inbox_id = descendants(&inbox.xml(), "FolderId")[0]
        .attr("Id")
        .expect("id")
        .to_string();
    let upload = |data: &str| {
        format!(
            r#"<m:UploadItems><m:Items><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="{inbox_id}"/><t:Data>{data}</t:Data></t:Item></m:Items></m:UploadItems>"#
        )
    };
    let refused = harness
        .ews(&destination_token, Some(&destination), &upload(&data))
        .await;
    assert_eq!(refused.response_codes(), vec!["ErrorMessageSizeExceeded"]);

    let small = items
        .iter()
        .find(|item| item.size < 100_000)
        .expect("a small item");
    let small_export = harness
        .ews(
            &source_token,
            Some(&source),
            &format!(
                r#"<m:ExportItems><m:ItemIds><t:ItemId Id="{}"/></m:ItemIds></m:ExportItems>"#,
                small.id
            ),
        )
        .await;
    let small_data = descendants(&small_export.xml(), "Data")[0].text.clone();
    harness
        .admin_put(
            &format!("/tenants/destination/mailboxes/{destination}/quota"),
            &json!({"bytes": 10}),
        )
        .await;
    let full = harness
        .ews(&destination_token, Some(&destination), &upload(&small_data))
        .await;
    assert_eq!(full.response_codes(), vec!["ErrorQuotaExceeded"]);
    let mime = base64::engine::general_purpose::STANDARD.encode("Subject: hi\r\n\r\nhi\r\n");
    let create = format!(
        r#"<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:MimeContent>{mime}</t:MimeContent></t:Message></m:Items></m:CreateItem>"#
    );
    assert_eq!(
        harness
            .ews(&destination_token, Some(&destination), &create)
            .await
            .response_codes(),
        vec!["ErrorQuotaExceeded"]
    );
    let counters = harness.counters("destination", &destination).await;
    assert_eq!(counters.get("storage.quota_exceeded"), Some(&2));
    assert_eq!(counters.get("storage.item_too_large"), Some(&1));
    harness.finish().await;
}
