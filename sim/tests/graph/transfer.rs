//! exportItems and importItem: the same bytes as EWS, the stamp readable through `$expand`,
//! per-item errors, limits, and import sessions.

use base64::Engine;
use ferry_sim::model::tags::PS_PUBLIC_STRINGS;
use ferry_sim::model::{PropValue, PropertyKey, WellKnownFolder};
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{base64, wait_until, Sim, EWS_SCOPE};
use crate::items::source_inbox_exports;

fn decode(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_exports_the_bytes_ews_exports() {
    let sim = Sim::start(|_| {}).await;
    let exports = source_inbox_exports(&sim, 3).await;
    let (address, _) = sim.user_mailbox("source").await;
    let ids: String = exports
        .iter()
        .map(|(id, _)| {
            format!(
                r#"<t:ItemId Id="{}"/>"#,
                id.replace('-', "+").replace('_', "/")
            )
        })
        .collect();
    let reply = sim
        .ews(
            &sim.token("source", EWS_SCOPE).await,
            &address,
            &format!("<m:ExportItems><m:ItemIds>{ids}</m:ItemIds></m:ExportItems>"),
        )
        .await;
    let ews_data: Vec<&str> = reply
        .split("<m:Data>")
        .skip(1)
        .map(|rest| rest.split("</m:Data>").next().expect("closed"))
        .collect();
    assert_eq!(ews_data.len(), exports.len(), "{reply}");
    for ((_, graph), ews) in exports.iter().zip(ews_data) {
        assert_eq!(
            decode(graph),
            decode(ews),
            "the same export data over both protocols"
        );
    }
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_copy_shows_its_stamp_and_received_time_through_expand() {
    let sim = Sim::start(|_| {}).await;
    let (source_address, _) = sim.user_mailbox("source").await;
    let (data, received) = {
        let tenant = sim.sim.state.directory.tenant("source").expect("tenant");
        let mailbox = tenant.mailbox_by_address(&source_address).expect("mailbox");
        let state = mailbox.lock();
        let inbox = state.well_known_folder(WellKnownFolder::Inbox);
        let (_, seq) = state.folders[&inbox]
            .items
            .iter()
            .next()
            .expect("an inbox item");
        let mut item = state.items[seq].clone();
        item.message.set(
            PropertyKey::NamedString {
                set: PS_PUBLIC_STRINGS,
                name: "FerrySourceItem".into(),
            },
            PropValue::text("source-key-42"),
        );
        let data: Vec<u8> = ferry_sim::export_stream::encode(&item).concat();
        (data, item.received())
    };
    let (_, mailbox_id) = sim.destination_of(&source_address).await;
    let token = sim.graph_token("destination").await;
    let import_url = sim.import_url("destination", &mailbox_id, &token).await;
    let imported = sim
        .post(
            &import_url,
            None,
            &json!({"FolderId": "inbox", "Mode": "create", "Data": base64(&data)}),
        )
        .await;
    assert_eq!(imported.status, 200, "{}", imported.text);
    let id = imported.json["itemId"].as_str().expect("id");
    let expand = "$expand=singleValueExtendedProperties($filter=id eq 'String {00020329-0000-0000-C000-000000000046} Name FerrySourceItem' or id eq 'SystemTime 0x0E06')";
    let got = sim
        .get(
            &sim.mailbox_url(
                "destination",
                &mailbox_id,
                &format!("/folders/inbox/items/{id}?{expand}"),
            ),
            &token,
        )
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
    let properties = got.json["singleValueExtendedProperties"]
        .as_array()
        .expect("expanded");
    let value_of = |needle: &str| {
        properties
            .iter()
            .find(|property| {
                property["id"]
                    .as_str()
                    .is_some_and(|id| id.to_lowercase().contains(needle))
            })
            .map(|property| property["value"].clone())
    };
    assert_eq!(value_of("ferrysourceitem"), Some(json!("source-key-42")));
    assert_eq!(
        value_of("0xe06"),
        Some(json!(ferry_sim::time::format_ews(received)))
    );
    let listed = sim
        .get(
            &sim.mailbox_url(
                "destination",
                &mailbox_id,
                &format!("/folders/inbox/items?{expand}"),
            ),
            &token,
        )
        .await;
    assert!(
        listed.json["value"][0]["singleValueExtendedProperties"].is_array(),
        "{}",
        listed.text
    );
    let unstamped = sim
        .get(
            &sim.mailbox_url(
                "source",
                &sim.user_mailbox("source").await.1,
                &format!(
                    "/folders/inbox/items?$top=1&{}",
                    expand.replace(" or id eq 'SystemTime 0x0E06'", "")
                ),
            ),
            &sim.graph_token("source").await,
        )
        .await;
    assert!(
        unstamped.json["value"][0]
            .get("singleValueExtendedProperties")
            .is_none(),
        "a source item has no stamp: {}",
        unstamped.text
    );
    let bad = sim.get(&sim.mailbox_url("destination", &mailbox_id, &format!("/folders/inbox/items/{id}?$expand=singleValueExtendedProperties($filter=id eq 'Text 0x1')")), &token).await;
    assert_eq!(bad.status, 400);
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_limits_and_per_item_errors() {
    let sim = Sim::start(|_| {}).await;
    let exports = source_inbox_exports(&sim, 2).await;
    let (_, mailbox_id) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let url = sim.mailbox_url("source", &mailbox_id, "/exportItems");
    let too_many: Vec<String> = (0..21).map(|_| exports[0].0.clone()).collect();
    let refused = sim
        .post(&url, Some(&token), &json!({"itemIds": too_many}))
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.text.contains("20"), "{}", refused.text);
    let deleted_elsewhere = exports[1].0.clone();
    let hard = sim
        .send(
            Method::DELETE,
            &sim.mailbox_url(
                "source",
                &mailbox_id,
                &format!("/folders/inbox/items/{deleted_elsewhere}?disposalType=hardDelete"),
            ),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(hard.status, 204);
    let mixed = sim
        .post(
            &url,
            Some(&token),
            &json!({"ItemIds": [exports[0].0, deleted_elsewhere, "garbage"]}),
        )
        .await;
    assert_eq!(mixed.status, 200, "{}", mixed.text);
    let results = mixed.json["value"].as_array().expect("results");
    assert_eq!(results[0]["itemId"], json!(exports[0].0));
    assert_eq!(results[0]["data"], json!(exports[0].1));
    assert_eq!(results[1]["error"]["code"], "ErrorItemNotFound");
    assert!(results[1].get("data").is_none());
    assert_eq!(results[2]["error"]["code"], "ErrorInvalidIdMalformed");
    assert_eq!(
        sim.post(&url, Some(&token), &json!({"ids": []}))
            .await
            .status,
        400
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_urls_authorise_without_a_bearer_token_and_check_their_input() {
    let sim = Sim::start(|_| {}).await;
    let exports = source_inbox_exports(&sim, 2).await;
    let (source_address, _) = sim.user_mailbox("source").await;
    let (_, mailbox_id) = sim.destination_of(&source_address).await;
    let token = sim.graph_token("destination").await;
    let import_url = sim.import_url("destination", &mailbox_id, &token).await;
    assert!(
        import_url.contains(&format!(
            "/api/gv1.0/Mailboxes('{mailbox_id}')/importItem?authtoken="
        )),
        "{import_url}"
    );
    let create = json!({"FolderId": "inbox", "Mode": "create", "Data": exports[0].1});
    let wrong = import_url
        .rsplit_once('=')
        .map(|(head, _)| format!("{head}=guessed"))
        .expect("token");
    let refused = sim.post(&wrong, None, &create).await;
    assert_eq!(
        (refused.status, refused.code()),
        (401, "InvalidAuthenticationToken")
    );
    let other_mailbox = sim
        .admin_mailboxes("destination")
        .await
        .into_iter()
        .filter_map(|mailbox| mailbox["graph_mailbox_id"].as_str().map(str::to_string))
        .find(|id| *id != mailbox_id)
        .expect("another mailbox");
    let swapped = import_url.replace(&mailbox_id, &other_mailbox);
    assert_eq!(sim.post(&swapped, None, &create).await.status, 401);

    let created = sim.post(&import_url, None, &create).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let (item, key) = (
        created.json["itemId"].as_str().expect("id"),
        created.json["changeKey"].as_str().expect("key"),
    );
    for (body, status, code) in [
        (
            json!({"FolderId": "inbox", "Mode": "create", "Data": exports[1].1, "ItemId": item}),
            400,
            "ErrorInvalidRequest",
        ),
        (
            json!({"FolderId": "inbox", "Mode": "update", "Data": exports[1].1}),
            400,
            "BadRequest",
        ),
        (
            json!({"FolderId": "inbox", "Mode": "update", "Data": exports[1].1, "ItemId": item, "ChangeKey": "CQAAAAAAAAAAAAAA"}),
            409,
            "ErrorIrresolvableConflict",
        ),
        (
            json!({"FolderId": "sentitems", "Mode": "update", "Data": exports[1].1, "ItemId": item, "ChangeKey": key}),
            404,
            "ErrorItemNotFound",
        ),
        (
            json!({"FolderId": "inbox", "Mode": "create", "Data": base64(b"not an export stream")}),
            400,
            "ErrorCorruptData",
        ),
        (
            json!({"FolderId": "inbox", "Mode": "create", "Data": "%%%"}),
            400,
            "ErrorCorruptData",
        ),
        (
            json!({"FolderId": "inbox", "Mode": "move", "Data": exports[1].1}),
            400,
            "BadRequest",
        ),
        (
            json!({"Mode": "create", "Data": exports[1].1}),
            400,
            "BadRequest",
        ),
        (
            json!({"FolderId": "inbox", "Mode": "create", "Data": exports[1].1, "Extra": "x"}),
            400,
            "BadRequest",
        ),
    ] {
        let reply = sim.post(&import_url, None, &body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (status, code),
            "{body}: {}",
            reply.text
        );
    }
    let updated = sim
        .post(&import_url, None, &json!({"FolderId": "inbox", "Mode": "update", "Data": exports[1].1, "ItemId": item, "ChangeKey": key}))
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(
        updated.json["itemId"],
        json!(item),
        "an update keeps the id"
    );
    assert_ne!(
        updated.json["changeKey"],
        json!(key),
        "and changes the change key"
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
    assert!(
        counters.to_string().contains("import.bytes"),
        "imports are charged like EWS uploads"
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_session_stops_working_when_it_expires() {
    let sim = Sim::start(|config| config.graph.import_session_lifetime_secs = 1).await;
    let (_, mailbox_id) = sim.user_mailbox("destination").await;
    let token = sim.graph_token("destination").await;
    let session = sim
        .send(
            Method::POST,
            &sim.mailbox_url("destination", &mailbox_id, "/createImportSession"),
            Some(&token),
            None,
            &[],
        )
        .await;
    let expiry = session.json["expirationDateTime"].as_str().expect("expiry");
    assert!(
        chrono::DateTime::parse_from_rfc3339(expiry).is_ok(),
        "{expiry}"
    );
    let import_url = session.json["importUrl"].as_str().expect("url").to_string();
    // A body without FolderId is refused after the session is checked: 400 while it lives.
    let probe = json!({"Mode": "create"});
    let first = sim.post(&import_url, None, &probe).await;
    assert!(matches!(first.status, 400 | 401), "{}", first.text);
    wait_until("the session has expired", || async {
        sim.post(&import_url, None, &probe).await.status == 401
    })
    .await;
    let expired = sim.post(&import_url, None, &probe).await;
    assert!(expired.text.contains("expired"), "{}", expired.text);
    sim.finish().await;
}
