//! The default calendar's permissions over the users API (`…/calendar/calendarPermissions`),
//! the same entries EWS `GetFolder` shows in the calendar's `PermissionSet`.

use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{Sim, EWS_SCOPE};

const GET_CALENDAR_PERMISSIONS: &str = r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:PermissionSet"/></t:AdditionalProperties></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/></m:FolderIds></m:GetFolder>"#;

/// `(user, level)` of each EWS calendar permission entry: the address, or `Default`/`Anonymous`.
async fn ews_levels(sim: &Sim, token: &str, address: &str) -> Vec<(String, String)> {
    let reply = sim.ews(token, address, GET_CALENDAR_PERMISSIONS).await;
    let between = |text: &str, open: &str, close: &str| {
        text.split_once(open)
            .and_then(|(_, rest)| rest.split_once(close))
            .map(|(value, _)| value.to_string())
    };
    reply
        .split("<t:CalendarPermission>")
        .skip(1)
        .map(|entry| {
            let user = between(entry, "<t:PrimarySmtpAddress>", "</t:PrimarySmtpAddress>")
                .or_else(|| between(entry, "<t:DistinguishedUser>", "</t:DistinguishedUser>"))
                .expect("a user");
            let level = between(
                entry,
                "<t:CalendarPermissionLevel>",
                "</t:CalendarPermissionLevel>",
            )
            .expect("a level");
            (user, level)
        })
        .collect()
}

fn role_of_level(level: &str) -> &'static str {
    match level {
        "None" => "none",
        "FreeBusyTimeOnly" => "freeBusyRead",
        "FreeBusyTimeAndSubjectAndLocation" => "limitedRead",
        "Reviewer" => "read",
        "Editor" => "write",
        _ => "custom",
    }
}

fn user_of(entry: &Value) -> String {
    entry["emailAddress"]["address"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| "Default".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_permissions_list_add_change_and_remove_as_ews_sees_them() {
    let sim = Sim::start(|_| {}).await;
    let (address, _) = sim.user_mailbox("source").await;
    let token = sim.graph_token("source").await;
    let ews = sim.token("source", EWS_SCOPE).await;
    let url = sim.user_url("source", &address, "/calendar/calendarPermissions");
    let listed = sim.get(&url, &token).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let entries = listed.json["value"].as_array().expect("entries").clone();
    let levels = ews_levels(&sim, &ews, &address).await;
    assert_eq!(entries.len(), levels.len() - 1, "all but Anonymous");
    for entry in &entries {
        let user = user_of(entry);
        let (_, level) = levels
            .iter()
            .find(|(ews_user, _)| ews_user.eq_ignore_ascii_case(&user))
            .unwrap_or_else(|| panic!("{user} over EWS"));
        assert_eq!(entry["role"], role_of_level(level), "{user}: {level}");
    }
    let default = entries
        .iter()
        .find(|entry| entry["id"] == "RGVmYXVsdA==")
        .expect("Default");
    assert_eq!(default["emailAddress"], json!({"name": "My Organization"}));
    assert_eq!(
        (
            default["isRemovable"].clone(),
            default["isInsideOrganization"].clone()
        ),
        (json!(false), json!(true))
    );
    assert_eq!(
        default["allowedRoles"],
        json!(["none", "freeBusyRead", "limitedRead", "read", "write"])
    );

    // Someone of the tenant without an entry yet.
    let colleague = sim
        .admin_mailboxes("source")
        .await
        .iter()
        .filter_map(|mailbox| mailbox["address"].as_str().map(str::to_string))
        .find(|other| {
            *other != address
                && !levels
                    .iter()
                    .any(|(user, _)| user.eq_ignore_ascii_case(other))
        })
        .expect("a colleague without an entry");
    let added = sim
        .post(
            &url,
            Some(&token),
            &json!({"emailAddress": {"address": colleague.to_uppercase()}, "role": "read"}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let id = base64::engine::general_purpose::STANDARD.encode(format!(
        "ExchangePublishedUser.{}",
        colleague.to_lowercase()
    ));
    assert_eq!(added.json["id"], id);
    assert_eq!(added.json["role"], "read");
    assert_eq!(added.json["isInsideOrganization"], true);
    assert_eq!(added.json["isRemovable"], true);
    assert_eq!(added.json["allowedRoles"].as_array().map(Vec::len), Some(7));
    assert_eq!(
        added.json["emailAddress"]["address"]
            .as_str()
            .map(str::to_lowercase),
        Some(colleague.to_lowercase())
    );
    let level = |levels: Vec<(String, String)>| {
        levels
            .into_iter()
            .find(|(user, _)| user.eq_ignore_ascii_case(&colleague))
            .map(|(_, level)| level)
    };
    assert_eq!(
        level(ews_levels(&sim, &ews, &address).await).as_deref(),
        Some("Reviewer")
    );
    let entry_url = format!("{url}/{}", id.replace('=', "%3D"));
    let read = sim.get(&entry_url, &token).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json["role"], "read");
    let again = sim
        .post(
            &url,
            Some(&token),
            &json!({"emailAddress": {"address": colleague}, "role": "write"}),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (409, "ErrorItemSave"),
        "{}",
        again.text
    );

    for (role, ews_level) in [
        ("write", "Editor"),
        ("delegateWithPrivateEventAccess", "Editor"),
        ("limitedRead", "FreeBusyTimeAndSubjectAndLocation"),
    ] {
        let patched = sim
            .send(
                Method::PATCH,
                &entry_url,
                Some(&token),
                Some(&json!({"role": role})),
                &[],
            )
            .await;
        assert_eq!(patched.status, 200, "{}", patched.text);
        assert_eq!(patched.json["role"], role);
        assert_eq!(
            sim.get(&entry_url, &token).await.json["role"],
            role,
            "read back as written"
        );
        assert_eq!(
            level(ews_levels(&sim, &ews, &address).await).as_deref(),
            Some(ews_level),
            "{role}"
        );
    }
    let custom = sim
        .send(
            Method::PATCH,
            &entry_url,
            Some(&token),
            Some(&json!({"role": "custom"})),
            &[],
        )
        .await;
    assert_eq!((custom.status, custom.code()), (400, "ErrorInvalidRequest"));
    assert!(custom.text.contains("custom"));
    let unknown = sim
        .send(
            Method::PATCH,
            &entry_url,
            Some(&token),
            Some(&json!({"role": "owner"})),
            &[],
        )
        .await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.text.contains("owner"), "{}", unknown.text);

    // Outside the organisation: allowed, without the delegate roles.
    let outside = sim
        .post(&url, Some(&token), &json!({"emailAddress": {"address": "partner@fabrikam.example", "name": "Partner"}, "role": "freeBusyRead"}))
        .await;
    assert_eq!(outside.status, 201, "{}", outside.text);
    assert_eq!(outside.json["isInsideOrganization"], false);
    assert_eq!(
        outside.json["emailAddress"],
        json!({"name": "Partner", "address": "partner@fabrikam.example"})
    );
    assert_eq!(
        outside.json["allowedRoles"].as_array().map(Vec::len),
        Some(5)
    );
    let outside_url = format!("{url}/{}", outside.json["id"].as_str().expect("id"));
    let delegate = sim
        .send(
            Method::PATCH,
            &outside_url,
            Some(&token),
            Some(&json!({"role": "delegateWithoutPrivateEventAccess"})),
            &[],
        )
        .await;
    assert_eq!(delegate.status, 400, "{}", delegate.text);

    let default_url = format!("{url}/RGVmYXVsdA==");
    let kept = sim
        .send(Method::DELETE, &default_url, Some(&token), None, &[])
        .await;
    assert_eq!((kept.status, kept.code()), (400, "ErrorInvalidRequest"));
    assert!(kept.text.contains("cannot be removed"), "{}", kept.text);
    let none = sim
        .send(
            Method::PATCH,
            &default_url,
            Some(&token),
            Some(&json!({"role": "none"})),
            &[],
        )
        .await;
    assert_eq!(none.status, 200, "{}", none.text);
    for entry in [&entry_url, &outside_url] {
        let removed = sim
            .send(Method::DELETE, entry, Some(&token), None, &[])
            .await;
        assert_eq!(removed.status, 204, "{}", removed.text);
        let gone = sim.get(entry, &token).await;
        assert_eq!((gone.status, gone.code()), (404, "ErrorItemNotFound"));
    }
    let levels = ews_levels(&sim, &ews, &address).await;
    assert_eq!(level(levels.clone()), None);
    assert!(
        levels.contains(&("Default".into(), "None".into())),
        "{levels:?}"
    );

    let unconsented = sim.unconsented_graph_token("source").await;
    let forbidden = sim.get(&url, &unconsented).await;
    assert_eq!(
        (forbidden.status, forbidden.code()),
        (403, "ErrorAccessDenied")
    );
    assert!(
        forbidden.text.contains("Calendars.Read"),
        "{}",
        forbidden.text
    );
    sim.finish().await;
}
