//! The simulator's identity and access rules: token flows and their errors, expiry, and who may
//! act on which mailbox.

use ferry_tests::{envelope, test_config, SimHarness};

const GET_INBOX: &str = r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#;

#[tokio::test]
async fn client_credentials_and_password_flows_issue_working_tokens() {
    let harness = SimHarness::start(test_config(4, 5)).await;
    let source = harness.tenant("source").clone();
    let mailbox = harness.first_user("source");

    let token = harness.app_token("source").await;
    let reply = harness.ews(&token, Some(&mailbox), GET_INBOX).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.response_codes(), vec!["NoError"]);
    assert!(reply.text.contains("ServerVersionInfo"));

    let (status, body) = harness
        .token_request(
            "source",
            &[
                ("grant_type", "password"),
                ("client_id", &source.client_id),
                ("username", &source.admin_upn),
                ("password", &source.admin_password),
                (
                    "scope",
                    "https://outlook.office365.com/EWS.AccessAsUser.All",
                ),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let delegated = body["access_token"].as_str().expect("token").to_string();
    let reply = harness.ews(&delegated, Some(&mailbox), GET_INBOX).await;
    assert_eq!(
        reply.response_codes(),
        vec!["NoError"],
        "the admin may impersonate"
    );
    harness.finish().await;
}

#[tokio::test]
async fn token_errors_are_the_ones_entra_id_returns() {
    let harness = SimHarness::start(test_config(2, 1)).await;
    let source = harness.tenant("source").clone();
    let (status, body) = harness
        .token_request(
            "source",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &source.client_id),
                ("client_secret", "not-the-secret"),
                ("scope", "https://outlook.office365.com/.default"),
            ],
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"]
        .as_str()
        .unwrap_or("")
        .starts_with("AADSTS7000215:"));
    assert!(
        !body.to_string().contains("not-the-secret"),
        "secrets are never echoed"
    );

    let (status, body) = harness
        .token_request(
            "source",
            &[
                ("grant_type", "password"),
                ("client_id", &source.client_id),
                ("username", &source.admin_upn),
                ("password", "wrong"),
                (
                    "scope",
                    "https://outlook.office365.com/EWS.AccessAsUser.All",
                ),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(body["error_codes"][0], 50126);

    let (status, body) = harness
        .token_request(
            "source",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &source.client_id),
                ("client_secret", &source.client_secret),
                (
                    "scope",
                    "https://outlook.office365.com/EWS.AccessAsUser.All",
                ),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );

    let response = harness
        .http
        .post(
            source
                .token_url
                .replace(&source.tenant_id, "no-such-tenant.example"),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["error_codes"][0], 90002);
    harness.finish().await;
}

#[tokio::test]
async fn ews_refuses_missing_invalid_and_expired_tokens_with_401() {
    let mut config = test_config(2, 1);
    config.identity.token_lifetime_secs = 1;
    let harness = SimHarness::start(config).await;
    let mailbox = harness.first_user("source");

    let missing = harness
        .ews_raw("", Some(&mailbox), envelope(Some(&mailbox), GET_INBOX))
        .await;
    assert_eq!(missing.status, 401);
    assert!(missing.headers.contains_key("www-authenticate"));

    let invalid = harness
        .ews("eyJ0.forged.token", Some(&mailbox), GET_INBOX)
        .await;
    assert_eq!(invalid.status, 401);
    assert!(invalid.headers["www-authenticate"]
        .to_str()
        .unwrap_or("")
        .contains("invalid_token"));

    let token = harness.app_token("source").await;
    assert_eq!(
        harness.ews(&token, Some(&mailbox), GET_INBOX).await.status,
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let expired = harness.ews(&token, Some(&mailbox), GET_INBOX).await;
    assert_eq!(expired.status, 401);
    assert!(expired.headers["x-ms-diagnostics"]
        .to_str()
        .unwrap_or("")
        .contains("expired"));
    let renewed = harness.app_token("source").await;
    assert_eq!(
        harness
            .ews(&renewed, Some(&mailbox), GET_INBOX)
            .await
            .status,
        200,
        "a new token works"
    );

    harness
        .admin_put(
            "/identity",
            &serde_json::json!({"token_lifetime_secs": 3600}),
        )
        .await;
    let long_lived = harness.app_token("source").await;
    let response = harness
        .http
        .post(format!(
            "{}/identity/expire-tokens",
            harness.sim.connection.admin_url
        ))
        .send()
        .await
        .expect("answers");
    assert!(response.status().is_success());
    assert_eq!(
        harness
            .ews(&long_lived, Some(&mailbox), GET_INBOX)
            .await
            .status,
        401
    );
    harness.finish().await;
}

#[tokio::test]
async fn impersonation_is_required_for_apps_and_checked_for_admins() {
    let harness = SimHarness::start(test_config(4, 1)).await;
    let mailbox = harness.first_user("source");
    let token = harness.app_token("source").await;

    let no_header = harness.ews(&token, None, GET_INBOX).await;
    assert_eq!(no_header.status, 500);
    assert_eq!(
        no_header.response_codes(),
        vec!["ErrorInvalidExchangeImpersonationHeaderData"]
    );

    let nobody = harness
        .ews(&token, Some("nobody@contoso.com"), GET_INBOX)
        .await;
    assert_eq!(nobody.response_codes(), vec!["ErrorNonExistentMailbox"]);

    let other_tenant = harness.first_user("destination");
    let foreign = harness.ews(&token, Some(&other_tenant), GET_INBOX).await;
    assert_eq!(
        foreign.response_codes(),
        vec!["ErrorNonExistentMailbox"],
        "a token reaches its own tenant's mailboxes only"
    );

    let tenant = harness
        .sim
        .state
        .directory
        .tenant("source")
        .expect("tenant");
    let helpdesk = tenant
        .admins
        .iter()
        .find(|admin| !admin.can_impersonate)
        .expect("a help-desk admin");
    let source = harness.tenant("source").clone();
    let (status, body) = harness
        .token_request(
            "source",
            &[
                ("grant_type", "password"),
                ("client_id", &source.client_id),
                ("username", &helpdesk.upn),
                ("password", helpdesk.password.expose()),
                (
                    "scope",
                    "https://outlook.office365.com/EWS.AccessAsUser.All",
                ),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let helpdesk_token = body["access_token"].as_str().expect("token").to_string();
    let denied = harness
        .ews(&helpdesk_token, Some(&mailbox), GET_INBOX)
        .await;
    assert_eq!(denied.response_codes(), vec!["ErrorImpersonateUserDenied"]);
    let delegate = harness
        .ews(
            &helpdesk_token,
            None,
            &format!(
                r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>{mailbox}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>"#
            ),
        )
        .await;
    assert_eq!(
        delegate.response_codes(),
        vec!["NoError"],
        "full access works without impersonation"
    );

    let unconsented = tenant
        .apps
        .iter()
        .find(|app| !app.full_access_as_app)
        .expect("an unconsented app");
    let client_id = unconsented.client_id.to_string();
    let (status, body) = harness
        .token_request(
            "source",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &client_id),
                ("client_secret", unconsented.client_secret.expose()),
                ("scope", "https://outlook.office365.com/.default"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let weak = body["access_token"].as_str().expect("token").to_string();
    let refused = harness.ews(&weak, Some(&mailbox), GET_INBOX).await;
    assert_eq!(
        refused.status, 401,
        "a token without full_access_as_app is refused"
    );
    harness.finish().await;
}
