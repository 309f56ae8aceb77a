//! Inbox rules over the users API (`…/mailFolders/inbox/messageRules`), the same rules EWS
//! `GetInboxRules` and `UpdateInboxRules` serve.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{Sim, EWS_SCOPE};
use crate::exchange_ids::{ews_id, translate};

fn get_inbox_rules(address: &str) -> String {
    format!(
        "<m:GetInboxRules><m:MailboxSmtpAddress>{address}</m:MailboxSmtpAddress></m:GetInboxRules>"
    )
}

/// The `<t:Rule>` element of the EWS reply whose display name is `name`.
fn ews_rule(reply: &str, name: &str) -> Option<String> {
    reply
        .split("<t:Rule>")
        .skip(1)
        .map(|rest| {
            rest.split("</t:Rule>")
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .find(|rule| rule.contains(&format!("<t:DisplayName>{name}</t:DisplayName>")))
}

fn without_context(mut value: Value) -> Value {
    value
        .as_object_mut()
        .expect("object")
        .remove("@odata.context");
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_written_over_graph_reads_back_and_is_seen_over_ews() {
    let sim = Sim::start(|_| {}).await;
    let (address, mailbox_id) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let ews = sim.token("source", EWS_SCOPE).await;
    let rules_url = sim.user_url("source", &address, "/mailFolders/inbox/messageRules");
    let created_folder = sim
        .post(
            &sim.mailbox_url("source", &mailbox_id, "/folders/inbox/childFolders"),
            Some(&token),
            &json!({"displayName": "Filed by a Graph rule", "type": "IPF.Note"}),
        )
        .await;
    assert_eq!(created_folder.status, 201, "{}", created_folder.text);
    let folder_ews_id = ews_id(created_folder.json["id"].as_str().expect("id"));
    let rest_id = translate(
        &sim,
        &token,
        &address,
        std::slice::from_ref(&folder_ews_id),
        "ewsId",
        "restId",
    )
    .await[0]["targetId"]
        .as_str()
        .expect("rest id")
        .to_string();
    let before = sim.get(&rules_url, &token).await;
    assert_eq!(before.status, 200, "{}", before.text);
    let sequence = before.json["value"].as_array().expect("rules").len() + 1;

    let conditions = json!({
        "bodyContains": ["quarterly"],
        "fromAddresses": [{"emailAddress": {"name": "Ann Lee", "address": "ann@partner.example"}}],
        "hasAttachments": true,
        "importance": "high",
        "isNonDeliveryReport": false,
        "messageActionFlag": "fyi",
        "sensitivity": "confidential",
        "sentToAddresses": [{"emailAddress": {"address": "team@partner.example"}}],
        "subjectContains": ["Invoice", "Rechnung"],
        "withinSizeRange": {"minimumSize": 10, "maximumSize": 2048},
    });
    let exceptions = json!({"senderContains": ["noreply"]});
    let actions = json!({
        "assignCategories": ["Finance"],
        "forwardTo": [{"emailAddress": {"name": "Accounts", "address": "accounts@partner.example"}}],
        "markAsRead": true,
        "markImportance": "low",
        "moveToFolder": rest_id,
        "stopProcessingRules": true,
    });
    let created = sim
        .post(
            &rules_url,
            Some(&token),
            &json!({
                "displayName": "Invoices from partners",
                "sequence": sequence,
                "conditions": conditions,
                "exceptions": exceptions,
                "actions": actions,
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let rule = &created.json;
    assert_eq!(rule["conditions"], conditions);
    assert_eq!(rule["exceptions"], exceptions);
    assert_eq!(rule["actions"], actions);
    assert_eq!(
        (
            rule["isEnabled"].clone(),
            rule["hasError"].clone(),
            rule["isReadOnly"].clone()
        ),
        (json!(true), json!(false), json!(false))
    );
    assert_eq!(rule["sequence"], sequence);
    let id = rule["id"].as_str().expect("id").to_string();
    let rule_url = format!("{rules_url}/{}", id.replace('=', "%3D"));
    let read = sim.get(&rule_url, &token).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        without_context(read.json.clone()),
        without_context(created.json.clone())
    );
    let listed = sim.get(&rules_url, &token).await;
    let values = listed.json["value"].as_array().expect("rules");
    assert!(values
        .iter()
        .any(|value| *value == without_context(created.json.clone())));
    let sequences: Vec<i64> = values
        .iter()
        .map(|value| value["sequence"].as_i64().expect("sequence"))
        .collect();
    assert!(
        sequences.windows(2).all(|pair| pair[0] <= pair[1]),
        "{sequences:?}"
    );

    let reply = sim.ews(&ews, &address, &get_inbox_rules(&address)).await;
    let seen = ews_rule(&reply, "Invoices from partners")
        .unwrap_or_else(|| panic!("EWS sees the rule: {reply}"));
    for expected in [
        format!("<t:RuleId>{id}</t:RuleId>"),
        format!("<t:Priority>{sequence}</t:Priority>"),
        "<t:Importance>High</t:Importance>".into(),
        "<t:FlaggedForAction>FYI</t:FlaggedForAction>".into(),
        "<t:Sensitivity>Confidential</t:Sensitivity>".into(),
        "<t:MinimumSize>10</t:MinimumSize>".into(),
        "<t:MaximumSize>2048</t:MaximumSize>".into(),
        "<t:ContainsSenderStrings><t:String>noreply</t:String></t:ContainsSenderStrings>".into(),
        "<t:MarkImportance>Low</t:MarkImportance>".into(),
        "<t:EmailAddress>accounts@partner.example</t:EmailAddress>".into(),
        format!("<t:MoveToFolder><t:FolderId Id=\"{folder_ews_id}\""),
    ] {
        assert!(seen.contains(&expected), "{expected} in {seen}");
    }

    let patched = sim
        .send(
            Method::PATCH,
            &rule_url,
            Some(&token),
            Some(&json!({"isEnabled": false, "actions": {"delete": true}})),
            &[],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.json["isEnabled"], false);
    assert_eq!(patched.json["actions"], json!({"delete": true}));
    assert_eq!(
        patched.json["conditions"], conditions,
        "untouched parts stay"
    );
    let reply = sim.ews(&ews, &address, &get_inbox_rules(&address)).await;
    let seen = ews_rule(&reply, "Invoices from partners").expect("still there");
    assert!(
        seen.contains("<t:IsEnabled>false</t:IsEnabled>")
            && seen.contains("<t:Delete>true</t:Delete>")
    );
    assert!(!seen.contains("MoveToFolder"), "{seen}");

    let deleted = sim
        .send(Method::DELETE, &rule_url, Some(&token), None, &[])
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let gone = sim.get(&rule_url, &token).await;
    assert_eq!((gone.status, gone.code()), (404, "ErrorItemNotFound"));
    let reply = sim.ews(&ews, &address, &get_inbox_rules(&address)).await;
    assert!(ews_rule(&reply, "Invoices from partners").is_none());
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_written_over_ews_read_over_graph() {
    let sim = Sim::start(|_| {}).await;
    let (address, _) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let ews = sim.token("source", EWS_SCOPE).await;
    let update = format!(
        "<m:UpdateInboxRules><m:MailboxSmtpAddress>{address}</m:MailboxSmtpAddress><m:RemoveOutlookRuleBlob>true</m:RemoveOutlookRuleBlob><m:Operations><t:CreateRuleOperation><t:Rule><t:DisplayName>Made over EWS</t:DisplayName><t:Priority>1</t:Priority><t:IsEnabled>true</t:IsEnabled><t:Conditions><t:ContainsSubjectStrings><t:String>Report</t:String></t:ContainsSubjectStrings><t:ItemClasses><t:String>IPM.Note.Custom</t:String></t:ItemClasses></t:Conditions><t:Actions><t:MoveToFolder><t:DistinguishedFolderId Id=\"inbox\"/></t:MoveToFolder></t:Actions></t:Rule></t:CreateRuleOperation></m:Operations></m:UpdateInboxRules>"
    );
    let reply = sim.ews(&ews, &address, &update).await;
    assert!(reply.contains("NoError"), "{reply}");
    let ews_rules = sim.ews(&ews, &address, &get_inbox_rules(&address)).await;
    let listed = sim
        .get(
            &sim.user_url("source", &address, "/mailFolders('Inbox')/messageRules"),
            &token,
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let values = listed.json["value"].as_array().expect("rules");
    assert_eq!(values.len(), ews_rules.matches("<t:Rule>").count());
    for value in values {
        let name = value["displayName"].as_str().expect("name");
        let seen = ews_rule(&ews_rules, name).unwrap_or_else(|| panic!("{name} over EWS"));
        assert!(
            seen.contains(&format!("<t:Priority>{}</t:Priority>", value["sequence"])),
            "{seen}"
        );
        assert!(seen.contains(&format!(
            "<t:RuleId>{}</t:RuleId>",
            value["id"].as_str().expect("id")
        )));
    }
    let inbox = sim
        .get(
            &sim.user_url("source", &address, "/mailFolders/inbox"),
            &token,
        )
        .await;
    let made = values
        .iter()
        .find(|value| value["displayName"] == "Made over EWS")
        .expect("the EWS rule");
    assert_eq!(made["sequence"], 1);
    assert_eq!(
        made["conditions"],
        json!({"subjectContains": ["Report"]}),
        "ItemClasses has no Graph name"
    );
    assert_eq!(made["actions"], json!({"moveToFolder": inbox.json["id"]}));
    assert_eq!(made["hasError"], false);

    // Rewriting the conditions over Graph keeps what Graph cannot see.
    let url = sim.user_url(
        "source",
        &address,
        &format!(
            "/mailFolders/inbox/messageRules/{}",
            made["id"].as_str().expect("id")
        ),
    );
    let patched = sim
        .send(Method::PATCH, &url, Some(&token), Some(&json!({"displayName": "Renamed over Graph", "conditions": {"subjectContains": ["Weekly"]}})), &[])
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let ews_rules = sim.ews(&ews, &address, &get_inbox_rules(&address)).await;
    let seen = ews_rule(&ews_rules, "Renamed over Graph").expect("renamed");
    assert!(
        seen.contains("IPM.Note.Custom")
            && seen.contains("<t:String>Weekly</t:String>")
            && !seen.contains("Report"),
        "{seen}"
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rules_are_refused_naming_the_property_and_nothing_is_made() {
    let sim = Sim::start(|_| {}).await;
    let (address, mailbox_id) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let rules_url = sim.user_url("source", &address, "/mailFolders/inbox/messageRules");
    let count = |reply: &crate::common::Reply| reply.json["value"].as_array().map(Vec::len);
    let before = count(&sim.get(&rules_url, &token).await);
    let mailbox_api_id = sim
        .get(
            &sim.mailbox_url("source", &mailbox_id, "/folders/inbox"),
            &token,
        )
        .await
        .json["id"]
        .as_str()
        .expect("id")
        .to_string();
    let other = sim
        .admin_mailboxes("source")
        .await
        .iter()
        .filter_map(|mailbox| mailbox["address"].as_str().map(str::to_string))
        .find(|other| *other != address)
        .expect("another mailbox");
    let foreign = sim
        .get(
            &sim.user_url("source", &other, "/mailFolders/inbox"),
            &token,
        )
        .await
        .json["id"]
        .clone();
    let cases = [
        (
            json!({"sequence": 1, "actions": {"markAsRead": true}}),
            400,
            "displayName",
        ),
        (
            json!({"displayName": "r", "actions": {"markAsRead": true}}),
            400,
            "sequence",
        ),
        (
            json!({"displayName": "r", "sequence": "1"}),
            400,
            "sequence",
        ),
        (
            json!({"displayName": "r", "sequence": 1, "colour": "red"}),
            400,
            "colour",
        ),
        (
            json!({"displayName": "r", "sequence": 1, "conditions": {"subjectContain": ["x"]}}),
            400,
            "conditions.subjectContain",
        ),
        (
            json!({"displayName": "r", "sequence": 1, "conditions": {"importance": "urgent"}}),
            400,
            "conditions.importance",
        ),
        (
            json!({"displayName": "r", "sequence": 1, "conditions": {"hasAttachments": "yes"}}),
            400,
            "conditions.hasAttachments",
        ),
        (
            json!({"displayName": "r", "sequence": 1, "actions": {"moveToFolder": mailbox_api_id}}),
            400,
            "actions.moveToFolder",
        ),
        (
            json!({"displayName": "r", "sequence": 1, "actions": {"copyToFolder": foreign}}),
            404,
            "actions.copyToFolder",
        ),
    ];
    for (body, status, named) in cases {
        let refused = sim.post(&rules_url, Some(&token), &body).await;
        assert_eq!(refused.status, status, "{body}: {}", refused.text);
        let message = refused.json["error"]["message"].as_str().expect("message");
        assert!(message.contains(named), "{body}: {message}");
        if named.ends_with("moveToFolder") {
            assert_eq!(refused.code(), "ErrorInvalidIdMalformed");
        }
        if named.ends_with("copyToFolder") {
            assert_eq!(refused.code(), "ErrorItemNotFound");
        }
    }
    assert_eq!(
        count(&sim.get(&rules_url, &token).await),
        before,
        "no rule was made"
    );

    // PascalCase members are read, as msgraph-sdk may write them; a duplicate name is allowed.
    for _ in 0..2 {
        let pascal = sim
            .post(
                &rules_url,
                Some(&token),
                &json!({"DisplayName": "Twice", "Sequence": 3, "Actions": {"MarkAsRead": true}}),
            )
            .await;
        assert_eq!(pascal.status, 201, "{}", pascal.text);
        assert_eq!(pascal.json["actions"], json!({"markAsRead": true}));
    }
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = json!({"isEnabled": false});
        let missing = sim
            .send(
                method.clone(),
                &format!("{rules_url}/AQAAAA99999999="),
                Some(&token),
                (method == Method::PATCH).then_some(&body),
                &[],
            )
            .await;
        assert_eq!(
            (missing.status, missing.code()),
            (404, "ErrorItemNotFound"),
            "{method}"
        );
    }
    let drafts = sim
        .get(
            &sim.user_url("source", &address, "/mailFolders/drafts/messageRules"),
            &token,
        )
        .await;
    assert_eq!(drafts.status, 404);

    let unconsented = sim.unconsented_graph_token("source").await;
    let forbidden = sim.get(&rules_url, &unconsented).await;
    assert_eq!(
        (forbidden.status, forbidden.code()),
        (403, "ErrorAccessDenied")
    );
    assert!(
        forbidden.text.contains("MailboxSettings.Read"),
        "{}",
        forbidden.text
    );
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_api_is_throttled_per_mailbox_like_the_mailbox_api() {
    let sim = Sim::start(|config| config.graph_throttling.requests_per_window = 3).await;
    let (address, _) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let urls = [
        sim.user_url("source", &address, "/mailFolders/inbox/messageRules"),
        sim.user_url("source", &address, "/calendar/calendarPermissions"),
        sim.user_url("source", &address, "/mailFolders/inbox"),
        sim.user_url("source", &address, "/mailFolders/inbox/messageRules"),
    ];
    let mut statuses = Vec::new();
    for url in &urls {
        let reply = sim.get(url, &token).await;
        if reply.status == 429 {
            assert!(reply.header("retry-after").is_some());
        }
        statuses.push(reply.status);
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    sim.finish().await;
}
