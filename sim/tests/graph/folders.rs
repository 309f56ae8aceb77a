//! Folders: the tree, paging and query options, create, rename, delete, and folder delta.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::Sim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_folder_tree_pages_and_links_every_folder_to_its_parent() {
    let sim = Sim::start(|_| {}).await;
    let (address, mailbox_id) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let (folders, _) = sim
        .follow(
            &sim.mailbox_url("source", &mailbox_id, "/folders?$top=3"),
            &token,
            &[],
        )
        .await;
    let admin_url = format!(
        "{}/tenants/source/mailboxes/{address}/folders",
        sim.sim.connection.admin_url
    );
    let admin: Vec<Value> = sim
        .http
        .get(admin_url)
        .send()
        .await
        .expect("admin")
        .json()
        .await
        .expect("json");
    assert_eq!(
        folders.len(),
        admin.len() - 1,
        "every folder but the mailbox root"
    );
    let ids: HashSet<&str> = folders
        .iter()
        .map(|folder| folder["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), folders.len(), "no folder listed twice");
    let outside: HashSet<&str> = folders
        .iter()
        .map(|folder| folder["parentFolderId"].as_str().expect("parent"))
        .filter(|parent| !ids.contains(parent))
        .collect();
    assert_eq!(
        outside.len(),
        1,
        "only the root is outside the listing: {outside:?}"
    );
    let inbox = folders
        .iter()
        .find(|folder| folder["wellKnownName"] == "inbox")
        .expect("inbox");
    assert_eq!(inbox["type"], "IPF.Note");
    assert!(
        folders
            .iter()
            .any(|folder| folder["wellKnownName"].is_null()),
        "user folders have none"
    );
    assert!(inbox["parentMailboxUrl"]
        .as_str()
        .is_some_and(|url| url.ends_with(&mailbox_id)));

    // The same first page through a percent-encoded id and the key form of the path.
    let encoded = mailbox_id.replace(':', "%3A").replace('@', "%40");
    let first = sim
        .get(
            &sim.mailbox_url("source", &encoded, "/folders?$top=3"),
            &token,
        )
        .await;
    assert_eq!(first.json["value"], json!(folders[..3]));
    let keyed = format!(
        "{}/admin/exchange/mailboxes('{mailbox_id}')/folders('Inbox')",
        sim.tenant("source").graph_url
    );
    assert_eq!(sim.get(&keyed, &token).await.json["id"], inbox["id"]);
    let children = sim
        .follow(
            &sim.mailbox_url("source", &mailbox_id, "/folders/inbox/childFolders"),
            &token,
            &[],
        )
        .await
        .0;
    assert_eq!(
        children.len() as u64,
        inbox["childFolderCount"].as_u64().expect("count")
    );

    let calendars = sim
        .get(&sim.mailbox_url("source", &mailbox_id, "/folders?$filter=type eq 'IPF.Appointment'&$select=displayName,type,wellKnownName&$count=true"), &token)
        .await;
    let calendars = &calendars.json;
    assert!(
        calendars["@odata.count"]
            .as_u64()
            .is_some_and(|count| count >= 1),
        "{calendars}"
    );
    for folder in calendars["value"].as_array().expect("values") {
        assert_eq!(folder["type"], "IPF.Appointment");
        assert!(
            folder.get("totalItemCount").is_none(),
            "not selected: {folder}"
        );
    }
    let count = sim
        .send(
            Method::GET,
            &sim.mailbox_url("source", &mailbox_id, "/folders/$count"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(count.text, folders.len().to_string());

    for (query, wanted) in [
        ("$filter=subject eq 'x'", "subject"),
        ("$filter=type eq", "filter"),
        ("$search=x", "$search"),
        ("$select=colour", "colour"),
        ("$top=many", "$top"),
    ] {
        let refused = sim
            .get(
                &sim.mailbox_url("source", &mailbox_id, &format!("/folders?{query}")),
                &token,
            )
            .await;
        assert_eq!(
            (refused.status, refused.code()),
            (400, "BadRequest"),
            "{query}: {}",
            refused.text
        );
        assert!(refused.text.contains(wanted), "{query}: {}", refused.text);
    }
    let unknown = sim
        .get(
            &sim.mailbox_url("source", "MBX:00000000@00000000", "/folders"),
            &token,
        )
        .await;
    assert_eq!(unknown.status, 404);
    let missing = sim
        .get(
            &sim.mailbox_url("source", &mailbox_id, "/folders/AAAA"),
            &token,
        )
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (400, "ErrorInvalidIdMalformed")
    );
    let route = sim
        .get(
            &sim.mailbox_url("source", &mailbox_id, "/calendars"),
            &token,
        )
        .await;
    assert_eq!(route.status, 404);
    let method = sim
        .send(
            Method::PUT,
            &sim.mailbox_url("source", &mailbox_id, "/folders"),
            Some(&token),
            Some(&json!({})),
            &[],
        )
        .await;
    assert_eq!(method.status, 405);
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_are_created_renamed_deleted_and_reported_by_delta() {
    let sim = Sim::start(|_| {}).await;
    let (_, mailbox_id) = sim.user_mailbox("destination").await;
    let token = sim.graph_token("destination").await;
    let url = |rest: &str| sim.mailbox_url("destination", &mailbox_id, rest);
    let (_, first_round) = sim
        .follow(
            &url("/folders/delta()"),
            &token,
            &[("prefer", "odata.maxpagesize=4")],
        )
        .await;
    let delta_link = first_round.json["@odata.deltaLink"]
        .as_str()
        .expect("delta link")
        .to_string();
    let children_round = sim
        .follow(&url("/folders/inbox/childFolders/delta"), &token, &[])
        .await
        .1;
    let children_link = children_round.json["@odata.deltaLink"]
        .as_str()
        .expect("delta link")
        .to_string();

    let created = sim
        .post(
            &url("/folders/inbox/childFolders"),
            Some(&token),
            &json!({"displayName": "Projects", "type": "IPF.Note"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["wellKnownName"], Value::Null);
    assert_eq!(created.json["childFolderCount"], 0);
    let id = created.json["id"].as_str().expect("id").to_string();
    let clash = sim
        .post(
            &url("/folders/Inbox/childFolders"),
            Some(&token),
            &json!({"displayName": "projects", "type": "IPF.Note"}),
        )
        .await;
    assert_eq!((clash.status, clash.code()), (409, "ErrorFolderExists"));
    let untyped = sim
        .post(
            &url("/folders"),
            Some(&token),
            &json!({"displayName": "No type"}),
        )
        .await;
    assert_eq!(untyped.status, 400);
    assert!(untyped.text.contains("'type'"), "{}", untyped.text);
    let top = sim
        .post(&url("/folders"), Some(&token), &json!({"displayName": "Announcements", "type": "IPF.Note", "singleValueExtendedProperties": [{"id": "String 0x3001", "value": "Announcements"}]}))
        .await;
    assert_eq!(top.status, 201, "{}", top.text);

    let renamed = sim
        .send(
            Method::PATCH,
            &url(&format!("/folders/{id}")),
            Some(&token),
            Some(&json!({"displayName": "Projects 2026"})),
            &[],
        )
        .await;
    assert_eq!(
        (renamed.status, renamed.json["displayName"].as_str()),
        (200, Some("Projects 2026")),
        "{}",
        renamed.text
    );
    let retype = sim
        .send(
            Method::PATCH,
            &url(&format!("/folders/{id}")),
            Some(&token),
            Some(&json!({"type": "IPF.Task"})),
            &[],
        )
        .await;
    assert_eq!(retype.status, 400);
    let inbox_rename = sim
        .send(
            Method::PATCH,
            &url("/folders/inbox"),
            Some(&token),
            Some(&json!({"displayName": "In"})),
            &[],
        )
        .await;
    assert_eq!(inbox_rename.status, 400);

    let (changes, round) = sim.follow(&delta_link, &token, &[]).await;
    let names: HashSet<&str> = changes
        .iter()
        .filter_map(|folder| folder["displayName"].as_str())
        .collect();
    assert_eq!(
        names,
        HashSet::from(["Projects 2026", "Announcements"]),
        "{changes:?}"
    );
    let delta_link = round.json["@odata.deltaLink"]
        .as_str()
        .expect("next round")
        .to_string();
    let children = sim.follow(&children_link, &token, &[]).await.0;
    assert_eq!(
        children.len(),
        1,
        "only the inbox's new child: {children:?}"
    );

    let deleted = sim
        .send(
            Method::DELETE,
            &url(&format!("/folders/inbox/childFolders/{id}/$ref")),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(
        sim.get(&url(&format!("/folders/{id}")), &token)
            .await
            .status,
        404
    );
    let top_id = top.json["id"].as_str().expect("id");
    assert_eq!(
        sim.send(
            Method::DELETE,
            &url(&format!("/folders/{top_id}")),
            Some(&token),
            None,
            &[]
        )
        .await
        .status,
        204
    );
    let distinguished = sim
        .send(
            Method::DELETE,
            &url("/folders/inbox/$ref"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(
        (distinguished.status, distinguished.code()),
        (403, "ErrorDeleteDistinguishedFolder")
    );

    let (changes, _) = sim.follow(&delta_link, &token, &[]).await;
    let removed: HashSet<&str> = changes
        .iter()
        .filter(|change| change["@removed"]["reason"] == "deleted")
        .map(|change| change["id"].as_str().expect("id"))
        .collect();
    assert_eq!(removed, HashSet::from([id.as_str(), top_id]), "{changes:?}");
    sim.finish().await;
}
