//! Folder ids across Graph's id spaces: the mailbox API's, the users API's REST ids, the entry
//! ids (`Binary 0x0FFF` through `$expand`) and EWS ids, bridged by `translateExchangeIds`.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE};
use base64::Engine;
use serde_json::{json, Value};

use crate::common::Sim;

const ENTRY_ID: &str = "singleValueExtendedProperties($filter=id eq 'Binary 0x0FFF')";

/// Decodes base64 of either alphabet, padded or not.
pub fn bytes(text: &str) -> Vec<u8> {
    let standard = text
        .trim_end_matches('=')
        .replace('-', "+")
        .replace('_', "/");
    STANDARD_NO_PAD.decode(standard).expect("base64")
}

/// The entry id a folder listing expanded.
fn expanded_entry_id(folder: &Value) -> Vec<u8> {
    let properties = folder["singleValueExtendedProperties"]
        .as_array()
        .unwrap_or_else(|| panic!("expanded: {folder}"));
    assert_eq!(properties.len(), 1, "{folder}");
    assert_eq!(properties[0]["id"], "Binary 0xfff");
    let value = properties[0]["value"].as_str().expect("value");
    assert!(
        !value.contains('-') && !value.contains('_'),
        "standard base64"
    );
    STANDARD.decode(value).expect("standard base64")
}

/// The EWS id of a mailbox-API folder id.
pub fn ews_id(graph_id: &str) -> String {
    graph_id.replace('-', "+").replace('_', "/")
}

/// `translateExchangeIds`; the reply's `value`.
pub async fn translate(
    sim: &Sim,
    token: &str,
    user: &str,
    ids: &[String],
    source: &str,
    target: &str,
) -> Vec<Value> {
    let reply = sim
        .post(
            &sim.user_url("source", user, "/translateExchangeIds"),
            Some(token),
            &json!({"inputIds": ids, "sourceIdType": source, "targetIdType": target}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.json["@odata.context"]
        .as_str()
        .is_some_and(|context| context
            .ends_with("/v1.0/$metadata#Collection(microsoft.graph.convertIdResult)")));
    let values = reply.json["value"].as_array().expect("value").clone();
    assert_eq!(values.len(), ids.len());
    for (value, id) in values.iter().zip(ids) {
        assert_eq!(value["sourceId"], *id, "one result per input, in order");
    }
    values
}

fn targets(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|value| {
            value["targetId"]
                .as_str()
                .unwrap_or_else(|| panic!("translated: {value}"))
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entry_ids_rest_ids_and_ews_ids_translate_and_agree_with_the_folder_listing() {
    let sim = Sim::start(|_| {}).await;
    let (address, mailbox_id) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let (folders, _) = sim
        .follow(
            &sim.mailbox_url(
                "source",
                &mailbox_id,
                &format!("/folders?$top=4&$expand={ENTRY_ID}"),
            ),
            &token,
            &[],
        )
        .await;
    assert!(folders.len() > 4, "the listing pages");
    let entry_ids: Vec<Vec<u8>> = folders.iter().map(expanded_entry_id).collect();
    for entry_id in &entry_ids {
        assert_eq!(entry_id.len(), 46);
        assert_eq!(entry_id[..4], [0; 4]);
    }

    // $select and $expand together; one folder; child folders.
    let selected = sim
        .get(
            &sim.mailbox_url(
                "source",
                &mailbox_id,
                &format!("/folders?$top=2&$select=displayName&$expand={ENTRY_ID}"),
            ),
            &token,
        )
        .await;
    assert_eq!(selected.status, 200, "{}", selected.text);
    let first = &selected.json["value"][0];
    let mut keys: Vec<&str> = first
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "@odata.type",
            "displayName",
            "id",
            "parentMailboxUrl",
            "singleValueExtendedProperties"
        ]
    );
    let inbox = folders
        .iter()
        .position(|folder| folder["wellKnownName"] == "inbox")
        .expect("inbox");
    let one = sim
        .get(
            &sim.mailbox_url(
                "source",
                &mailbox_id,
                &format!("/folders/inbox?$expand={ENTRY_ID}"),
            ),
            &token,
        )
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(expanded_entry_id(&one.json), entry_ids[inbox]);
    let children = sim
        .get(
            &sim.mailbox_url(
                "source",
                &mailbox_id,
                &format!("/folders/msgfolderroot/childFolders?$expand={ENTRY_ID}"),
            ),
            &token,
        )
        .await;
    assert_eq!(children.status, 200, "{}", children.text);
    for child in children.json["value"].as_array().expect("children") {
        let index = folders
            .iter()
            .position(|folder| folder["id"] == child["id"])
            .expect("listed");
        assert_eq!(expanded_entry_id(child), entry_ids[index]);
    }
    let other_property = sim
        .get(
            &sim.mailbox_url("source", &mailbox_id, "/folders/inbox?$expand=singleValueExtendedProperties($filter=id eq 'String 0x0E1D')"),
            &token,
        )
        .await;
    assert_eq!(other_property.status, 200);
    assert!(other_property
        .json
        .get("singleValueExtendedProperties")
        .is_none());

    // ewsId -> entryId agrees with the listing, byte for byte.
    let ews_ids: Vec<String> = folders
        .iter()
        .map(|folder| ews_id(folder["id"].as_str().expect("id")))
        .collect();
    let entry_texts =
        targets(&translate(&sim, &token, &address, &ews_ids, "ewsId", "entryId").await);
    for (text, expected) in entry_texts.iter().zip(&entry_ids) {
        assert!(
            !text.contains('+') && !text.contains('/'),
            "URL-safe: {text}"
        );
        assert_eq!(
            URL_SAFE.decode(text).expect("padded URL-safe base64"),
            *expected
        );
    }
    // entryId -> restId -> ewsId and -> entryId round trips.
    let rest_ids =
        targets(&translate(&sim, &token, &address, &entry_texts, "entryId", "restId").await);
    for (rest, folder) in rest_ids.iter().zip(&folders) {
        assert_ne!(
            rest,
            folder["id"].as_str().expect("id"),
            "the users API's ids differ"
        );
        assert!(!rest.contains('+') && !rest.contains('/'));
        assert_eq!(rest.len() % 4, 0, "padded");
    }
    assert_eq!(
        targets(&translate(&sim, &token, &address, &rest_ids, "restId", "ewsId").await),
        ews_ids
    );
    let back: Vec<Vec<u8>> =
        targets(&translate(&sim, &token, &address, &rest_ids, "restId", "entryId").await)
            .iter()
            .map(|text| bytes(text))
            .collect();
    assert_eq!(back, entry_ids);
    // Inputs in the other alphabet, without padding, are read too.
    let unpadded: Vec<String> = entry_ids
        .iter()
        .map(|bytes| STANDARD_NO_PAD.encode(bytes))
        .collect();
    assert_eq!(
        targets(&translate(&sim, &token, &address, &unpadded, "entryId", "restId").await),
        rest_ids
    );

    // The users API's mailFolders answers to the REST id and to well-known names.
    let rest_inbox = sim
        .get(
            &sim.user_url("source", &address, "/mailFolders/Inbox"),
            &token,
        )
        .await;
    assert_eq!(rest_inbox.status, 200, "{}", rest_inbox.text);
    assert_eq!(rest_inbox.json["id"], rest_ids[inbox]);
    assert_eq!(
        rest_inbox.json["displayName"],
        folders[inbox]["displayName"]
    );
    assert_eq!(
        rest_inbox.json["totalItemCount"],
        folders[inbox]["totalItemCount"]
    );
    assert_eq!(rest_inbox.json["isHidden"], false);
    let parent = folders
        .iter()
        .position(|folder| folder["id"] == folders[inbox]["parentFolderId"])
        .expect("msgfolderroot is listed");
    assert_eq!(rest_inbox.json["parentFolderId"], rest_ids[parent]);
    let by_id = sim
        .get(
            &sim.user_url(
                "source",
                &address,
                &format!("/mailFolders/{}", rest_ids[inbox]),
            ),
            &token,
        )
        .await;
    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.json["id"], rest_ids[inbox]);
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_of_the_wrong_kind_or_mailbox_are_refused() {
    let sim = Sim::start(|_| {}).await;
    let (address, mailbox_id) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let mailboxes = sim.admin_mailboxes("source").await;
    let other = mailboxes
        .iter()
        .map(|mailbox| mailbox["address"].as_str().expect("address"))
        .find(|other| *other != address)
        .expect("another mailbox");
    let folders = sim
        .get(
            &sim.mailbox_url("source", &mailbox_id, "/folders/inbox"),
            &token,
        )
        .await;
    let mailbox_api_id = folders.json["id"].as_str().expect("id").to_string();
    let other_inbox = sim
        .get(&sim.user_url("source", other, "/mailFolders/inbox"), &token)
        .await;
    let foreign_rest_id = other_inbox.json["id"].as_str().expect("id").to_string();

    let refused = sim
        .get(
            &sim.user_url(
                "source",
                &address,
                &format!("/mailFolders/{mailbox_api_id}"),
            ),
            &token,
        )
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (400, "ErrorInvalidIdMalformed"),
        "{}",
        refused.text
    );
    assert!(refused.json["error"]["message"]
        .as_str()
        .expect("message")
        .contains(&mailbox_api_id));
    let missing = sim
        .get(
            &sim.user_url(
                "source",
                &address,
                &format!("/mailFolders/{foreign_rest_id}"),
            ),
            &token,
        )
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (404, "ErrorItemNotFound"),
        "{}",
        missing.text
    );
    let unknown_user = sim
        .get(
            &sim.user_url("source", "nobody@nowhere.example", "/mailFolders/inbox"),
            &token,
        )
        .await;
    assert_eq!(unknown_user.status, 404, "{}", unknown_user.text);

    let results = translate(
        &sim,
        &token,
        &address,
        &[
            mailbox_api_id.clone(),
            foreign_rest_id.clone(),
            "not base64!".into(),
        ],
        "restId",
        "entryId",
    )
    .await;
    let codes: Vec<&str> = results
        .iter()
        .map(|result| {
            assert!(result.get("targetId").is_none(), "{result}");
            result["errorDetails"]["code"].as_str().expect("code")
        })
        .collect();
    assert_eq!(
        codes,
        [
            "ErrorInvalidIdMalformed",
            "ErrorItemNotFound",
            "ErrorInvalidIdMalformed"
        ]
    );

    // PascalCase parameters, as msgraph-sdk writes them.
    let pascal = sim
        .post(
            &sim.user_url("source", &address, "/translateExchangeIds"),
            Some(&token),
            &json!({"InputIds": [ews_id(&mailbox_api_id)], "SourceIdType": "ewsId", "TargetIdType": "restId"}),
        )
        .await;
    assert_eq!(pascal.status, 200, "{}", pascal.text);
    assert_eq!(
        pascal.json["value"][0]["targetId"],
        sim.get(
            &sim.user_url("source", &address, "/mailFolders/inbox"),
            &token
        )
        .await
        .json["id"]
    );
    let too_many = sim
        .post(
            &sim.user_url("source", &address, "/translateExchangeIds"),
            Some(&token),
            &json!({"inputIds": vec![mailbox_api_id.clone(); 1001], "sourceIdType": "ewsId", "targetIdType": "restId"}),
        )
        .await;
    assert_eq!(too_many.status, 400, "{}", too_many.text);
    let unknown_type = sim
        .post(
            &sim.user_url("source", &address, "/translateExchangeIds"),
            Some(&token),
            &json!({"inputIds": [mailbox_api_id], "sourceIdType": "hexEntryId", "targetIdType": "restId"}),
        )
        .await;
    assert_eq!(unknown_type.status, 400);
    assert!(
        unknown_type.text.contains("hexEntryId"),
        "{}",
        unknown_type.text
    );

    let unconsented = sim.unconsented_graph_token("source").await;
    let forbidden = sim
        .post(
            &sim.user_url("source", &address, "/translateExchangeIds"),
            Some(&unconsented),
            &json!({"inputIds": [], "sourceIdType": "ewsId", "targetIdType": "restId"}),
        )
        .await;
    assert_eq!(
        (forbidden.status, forbidden.code()),
        (403, "ErrorAccessDenied")
    );
    assert!(
        forbidden.text.contains("User.ReadBasic.All"),
        "{}",
        forbidden.text
    );
    let forbidden = sim
        .get(
            &sim.user_url("source", &address, "/mailFolders/inbox"),
            &unconsented,
        )
        .await;
    assert_eq!(forbidden.status, 403);
    assert!(
        forbidden.text.contains("Mail.ReadBasic.All"),
        "{}",
        forbidden.text
    );
    sim.finish().await;
}
