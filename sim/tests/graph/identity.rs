//! Tokens for Graph and EWS are not interchangeable; permissions and discovery.

use reqwest::Method;
use serde_json::Value;

use crate::common::{Sim, EWS_SCOPE, GRAPH_SCOPE};

const GET_INBOX: &str = r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_and_ews_tokens_are_each_refused_by_the_other_service() {
    let sim = Sim::start(|_| {}).await;
    let (address, mailbox_id) = sim.user_mailbox("source").await;
    let graph = sim.graph_token("source").await;
    let ews = sim.token("source", EWS_SCOPE).await;
    let folders = sim.mailbox_url("source", &mailbox_id, "/folders");

    assert_eq!(sim.get(&folders, &graph).await.status, 200);
    let refused = sim.get(&folders, &ews).await;
    assert_eq!(
        (refused.status, refused.code()),
        (401, "InvalidAuthenticationToken"),
        "{}",
        refused.text
    );
    assert!(refused
        .header("www-authenticate")
        .is_some_and(|value| value.starts_with("Bearer")));
    assert!(refused.json["error"]["innerError"]["request-id"].is_string());
    let missing = sim.send(Method::GET, &folders, None, None, &[]).await;
    assert_eq!(
        (missing.status, missing.code()),
        (401, "InvalidAuthenticationToken")
    );

    let at_ews = sim
        .http
        .post(&sim.tenant("source").ews_url)
        .bearer_auth(&graph)
        .header("content-type", "text/xml; charset=utf-8")
        .body(format!(
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{address}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></soap:Header><soap:Body>{GET_INBOX}</soap:Body></soap:Envelope>"#
        ))
        .send()
        .await
        .expect("ews");
    assert_eq!(at_ews.status(), 401);
    let diagnostics = at_ews.headers()["x-ms-diagnostics"]
        .to_str()
        .expect("text")
        .to_string();
    assert!(diagnostics.starts_with("2000003;"), "{diagnostics}");
    assert!(sim.ews(&ews, &address, GET_INBOX).await.contains("NoError"));
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_without_consent_is_forbidden_and_an_admin_may_sign_in() {
    let sim = Sim::start(|_| {}).await;
    let (_, mailbox_id) = sim.user_mailbox("source").await;
    let folders = sim.mailbox_url("source", &mailbox_id, "/folders");
    let source = sim.tenant("source");
    let token = |form: Vec<(&'static str, String)>| {
        let http = sim.http.clone();
        let url = source.token_url.clone();
        async move {
            let reply: Value = http
                .post(url)
                .form(&form)
                .send()
                .await
                .expect("token")
                .json()
                .await
                .expect("json");
            reply["access_token"].as_str().map(str::to_string)
        }
    };
    let unconsented = sim.unconsented_graph_token("source").await;
    let refused = sim.get(&folders, &unconsented).await;
    assert_eq!(
        (refused.status, refused.code()),
        (403, "ErrorAccessDenied"),
        "{}",
        refused.text
    );
    assert!(refused.json["error"]["message"]
        .as_str()
        .is_some_and(|text| text.contains("MailboxFolder.Read.All")));

    let delegated = token(vec![
        ("grant_type", "password".into()),
        ("client_id", source.client_id.clone()),
        ("username", source.admin_upn.clone()),
        ("password", source.admin_password.clone()),
        ("scope", GRAPH_SCOPE.into()),
    ])
    .await
    .expect("an admin's Graph token");
    assert_eq!(sim.get(&folders, &delegated).await.status, 200);
    let mixed: Value = sim
        .http
        .post(&source.token_url)
        .form(&[
            ("grant_type", "password"),
            ("client_id", source.client_id.as_str()),
            ("username", source.admin_upn.as_str()),
            ("password", source.admin_password.as_str()),
            ("scope", "https://graph.microsoft.com/.default https://outlook.office365.com/EWS.AccessAsUser.All"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    assert_eq!(mixed["error_codes"][0], 28000, "{mixed}");
    sim.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exchange_settings_name_the_mailbox_by_upn_or_object_id() {
    let sim = Sim::start(|_| {}).await;
    let token = sim.graph_token("source").await;
    let graph = &sim.tenant("source").graph_url;
    for mailbox in sim.admin_mailboxes("source").await {
        let address = mailbox["address"].as_str().expect("address");
        let expected = mailbox["graph_mailbox_id"].as_str().expect("id");
        assert!(
            expected.starts_with("MBX:") && expected.len() == 21,
            "{expected}"
        );
        let by_upn = sim
            .get(
                &format!("{graph}/users/{}/settings/exchange", address.to_uppercase()),
                &token,
            )
            .await;
        assert_eq!(by_upn.status, 200, "{}", by_upn.text);
        assert_eq!(by_upn.json["primaryMailboxId"], expected);
        let user_id = mailbox["graph_user_id"].as_str().expect("user id");
        let by_id = sim
            .get(
                &format!("{graph}/users/{user_id}/settings/exchange"),
                &token,
            )
            .await;
        assert_eq!(by_id.json["primaryMailboxId"], expected);
    }
    let unknown = sim
        .get(
            &format!("{graph}/users/nobody@nowhere.example/settings/exchange"),
            &token,
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (404, "Request_ResourceNotFound")
    );
    let options = sim
        .get(
            &format!(
                "{graph}/users/{}/settings/exchange?$select=id",
                sim.user_mailbox("source").await.0
            ),
            &token,
        )
        .await;
    assert_eq!(options.status, 400);
    // A mailbox of another tenant is not found with this tenant's token.
    let (_, destination_id) = sim.user_mailbox("destination").await;
    let foreign = sim
        .get(
            &sim.mailbox_url("source", &destination_id, "/folders"),
            &token,
        )
        .await;
    assert_eq!(
        (foreign.status, foreign.code()),
        (404, "ErrorNonExistentMailbox")
    );
    sim.finish().await;
}

/// A client assertion (RFC 7523) for `client_id` at `token_url`, signed with the test key.
fn client_assertion(client_id: &str, token_url: &str, thumbprint: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};

    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let key = std::fs::read_to_string(fixtures.join("app-certificate.key")).expect("test key");
    let now = chrono::Utc::now().timestamp();
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": thumbprint});
    let claims = serde_json::json!({"aud": token_url, "iss": client_id, "sub": client_id, "jti": "graph-test", "nbf": now, "exp": now + 600});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&key).expect("key");
    let signature = SigningKey::<sha2::Sha256>::new(key).sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_signs_in_for_graph_too() {
    let certificate = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/app-certificate.pem");
    let sim =
        Sim::start(|config| config.identity.certificate_pem = Some(certificate.clone())).await;
    let source = sim.tenant("source");
    let registered: Value = sim
        .http
        .post(format!(
            "{}/tenants/source/apps/{}/certificates",
            sim.sim.connection.admin_url, source.client_id
        ))
        .body(std::fs::read_to_string(&certificate).expect("certificate"))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    let thumbprint = registered["x5t"].as_str().expect("x5t");
    let token_for = |scope: &'static str| {
        let assertion = client_assertion(&source.client_id, &source.token_url, thumbprint);
        let http = sim.http.clone();
        let (url, client_id) = (source.token_url.clone(), source.client_id.clone());
        async move {
            let reply: Value = http
                .post(url)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", assertion.as_str()),
                    ("scope", scope),
                ])
                .send()
                .await
                .expect("token")
                .json()
                .await
                .expect("json");
            reply["access_token"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| panic!("no token: {reply}"))
        }
    };
    let (_, mailbox_id) = sim.user_mailbox("source").await;
    let folders = sim.mailbox_url("source", &mailbox_id, "/folders");
    assert_eq!(
        sim.get(&folders, &token_for(GRAPH_SCOPE).await)
            .await
            .status,
        200
    );
    assert_eq!(
        sim.get(&folders, &token_for(EWS_SCOPE).await).await.status,
        401
    );
    sim.finish().await;
}
