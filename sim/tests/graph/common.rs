//! A simulator for one test, with an HTTP client for Graph and EWS, and the check of every
//! recorded Graph reply against the v1.0 metadata at the end (`shared/graph/validate.py`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use ferry_sim::{RunningSim, SimConfig, TenantConnection};
use reqwest::Method;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
pub const EWS_SCOPE: &str = "https://outlook.office365.com/.default";

/// A reply: status, headers and the body as JSON (`Null` if it is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    /// The Graph error code of an error reply.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

pub struct Sim {
    pub sim: RunningSim,
    pub http: reqwest::Client,
    replies: tempfile::TempDir,
}

/// The shared material beside the checkout: `FERRY_SHARED_DIR`, or `../shared`.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("FERRY_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

impl Sim {
    /// A small seeded simulator on port 0, recording its replies, changed by `configure`.
    pub async fn start(configure: impl FnOnce(&mut SimConfig)) -> Sim {
        let replies = tempfile::tempdir().expect("temporary directory");
        let mut config = SimConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            ..SimConfig::default()
        };
        config.seed.mailboxes = 4;
        config.seed.items_median = 12;
        config.record_replies = Some(replies.path().to_path_buf());
        configure(&mut config);
        let sim = ferry_sim::start(config, CancellationToken::new())
            .await
            .expect("simulator starts");
        Sim {
            sim,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("http client"),
            replies,
        }
    }

    pub fn tenant(&self, name: &str) -> &TenantConnection {
        self.sim.connection.tenant(name).expect("tenant")
    }

    /// A client-credentials token of the tenant's migration app for `scope`.
    pub async fn token(&self, tenant: &str, scope: &str) -> String {
        let connection = self.tenant(tenant);
        self.client_credentials_token(
            tenant,
            &connection.client_id,
            &connection.client_secret,
            scope,
        )
        .await
        .expect("access token")
    }

    /// The access token the tenant's token endpoint issues an app for `scope`, if any.
    async fn client_credentials_token(
        &self,
        tenant: &str,
        client_id: &str,
        client_secret: &str,
        scope: &str,
    ) -> Option<String> {
        let reply: Value = self
            .http
            .post(&self.tenant(tenant).token_url)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("scope", scope),
            ])
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token json");
        reply["access_token"].as_str().map(str::to_string)
    }

    pub async fn graph_token(&self, tenant: &str) -> String {
        self.token(tenant, GRAPH_SCOPE).await
    }

    /// Sends a request; `token` goes in `Authorization` when given.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    pub async fn get(&self, url: &str, token: &str) -> Reply {
        self.send(Method::GET, url, Some(token), None, &[]).await
    }

    pub async fn post(&self, url: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(Method::POST, url, token, Some(body), &[]).await
    }

    /// The admin API's listing of a tenant's mailboxes.
    pub async fn admin_mailboxes(&self, tenant: &str) -> Vec<Value> {
        let url = format!(
            "{}/tenants/{tenant}/mailboxes",
            self.sim.connection.admin_url
        );
        self.http
            .get(url)
            .send()
            .await
            .expect("admin")
            .json()
            .await
            .expect("json")
    }

    /// The tenant's first user mailbox with items: (address, Graph mailbox id).
    pub async fn user_mailbox(&self, tenant: &str) -> (String, String) {
        let mailboxes = self.admin_mailboxes(tenant).await;
        let mailbox = mailboxes
            .iter()
            .filter(|mailbox| mailbox["kind"] == "user")
            .max_by_key(|mailbox| mailbox["items"].as_u64())
            .expect("a user mailbox");
        (
            mailbox["address"].as_str().expect("address").to_string(),
            mailbox["graph_mailbox_id"]
                .as_str()
                .expect("graph id")
                .to_string(),
        )
    }

    /// The destination mailbox with the same local part as a source address.
    pub async fn destination_of(&self, source_address: &str) -> (String, String) {
        let local = source_address.split('@').next().expect("local part");
        let mailboxes = self.admin_mailboxes("destination").await;
        let mailbox = mailboxes
            .iter()
            .find(|mailbox| {
                mailbox["address"]
                    .as_str()
                    .is_some_and(|address| address.starts_with(&format!("{local}@")))
            })
            .expect("destination mailbox");
        (
            mailbox["address"].as_str().expect("address").to_string(),
            mailbox["graph_mailbox_id"]
                .as_str()
                .expect("graph id")
                .to_string(),
        )
    }

    /// `…/v1.0/users/{user}` followed by `rest`.
    pub fn user_url(&self, tenant: &str, user: &str, rest: &str) -> String {
        format!("{}/users/{user}{rest}", self.tenant(tenant).graph_url)
    }

    /// A Graph token of the tenant's app that has no admin consent: valid, without roles.
    pub async fn unconsented_graph_token(&self, tenant: &str) -> String {
        let (client_id, secret) = {
            let tenant = self.sim.state.directory.tenant(tenant).expect("tenant");
            let app = tenant
                .apps
                .iter()
                .find(|app| !app.graph_mailbox_access)
                .expect("app without consent");
            (
                app.client_id.to_string(),
                app.client_secret.expose().to_string(),
            )
        };
        self.client_credentials_token(tenant, &client_id, &secret, GRAPH_SCOPE)
            .await
            .expect("a token without roles")
    }

    /// `…/v1.0/admin/exchange/mailboxes/{id}` followed by `rest`.
    pub fn mailbox_url(&self, tenant: &str, mailbox_id: &str, rest: &str) -> String {
        format!(
            "{}/admin/exchange/mailboxes/{mailbox_id}{rest}",
            self.tenant(tenant).graph_url
        )
    }

    /// Follows `@odata.nextLink` to the end; every object of every page, and the last page.
    pub async fn follow(
        &self,
        url: &str,
        token: &str,
        headers: &[(&str, &str)],
    ) -> (Vec<Value>, Reply) {
        let mut values = Vec::new();
        let mut next = url.to_string();
        loop {
            let reply = self
                .send(Method::GET, &next, Some(token), None, headers)
                .await;
            assert_eq!(reply.status, 200, "{}: {}", next, reply.text);
            values.extend(reply.json["value"].as_array().cloned().unwrap_or_default());
            match reply.json["@odata.nextLink"].as_str() {
                Some(link) => next = link.to_string(),
                None => return (values, reply),
            }
        }
    }

    /// Creates an import session and returns its `importUrl`.
    pub async fn import_url(&self, tenant: &str, mailbox_id: &str, token: &str) -> String {
        let reply = self
            .send(
                Method::POST,
                &self.mailbox_url(tenant, mailbox_id, "/createImportSession"),
                Some(token),
                None,
                &[],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json["importUrl"]
            .as_str()
            .expect("importUrl")
            .to_string()
    }

    /// An EWS SOAP call impersonating `mailbox`; the reply's text.
    pub async fn ews(&self, token: &str, mailbox: &str, body: &str) -> String {
        let envelope = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/><t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{mailbox}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation></soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
        );
        self.http
            .post(&self.tenant("source").ews_url)
            .bearer_auth(token)
            .header("content-type", "text/xml; charset=utf-8")
            .body(envelope)
            .send()
            .await
            .expect("ews")
            .text()
            .await
            .expect("ews body")
    }

    /// Stops the simulator and checks every recorded Graph reply against the metadata.
    pub async fn finish(self) {
        self.sim.stop().await.expect("simulator stops");
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.replies.path())
            .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
            .unwrap_or_default();
        files.retain(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        });
        files.sort();
        assert!(!files.is_empty(), "the test recorded no Graph reply");
        validate_graph_replies(&files);
    }
}

/// The CSDL type and shape of each recorded operation's reply; `None` for the replies the
/// metadata does not describe (checked here instead).
fn reply_type(operation: &str) -> Option<(&'static str, &'static str)> {
    Some(match operation {
        "listFolders" | "listChildFolders" | "folderDelta" | "childFolderDelta" => {
            ("mailboxFolder", "--collection")
        }
        "getFolder" | "createFolder" | "updateFolder" => ("mailboxFolder", "--single"),
        "listItems" | "itemDelta" => ("mailboxItem", "--collection"),
        "getItem" => ("mailboxItem", "--single"),
        "exportItems" => ("exportItemResponse", "--collection"),
        "createImportSession" => ("mailboxItemImportSession", "--single"),
        "exchangeSettings" => ("exchangeSettings", "--single"),
        "getMailFolder" => ("mailFolder", "--single"),
        "translateExchangeIds" => ("convertIdResult", "--collection"),
        "listMessageRules" => ("messageRule", "--collection"),
        "getMessageRule" | "createMessageRule" | "updateMessageRule" => ("messageRule", "--single"),
        "listCalendarPermissions" => ("calendarPermission", "--collection"),
        "getCalendarPermission" | "createCalendarPermission" | "updateCalendarPermission" => {
            ("calendarPermission", "--single")
        }
        "importItem" | "Error" => return None,
        other => panic!("no metadata type is known for the recorded operation {other}"),
    })
}

/// Runs `validate.py --allow-doc-extras` over the replies, grouped by type.
pub fn validate_graph_replies(files: &[PathBuf]) {
    let mut groups: BTreeMap<(&str, &str), Vec<&PathBuf>> = BTreeMap::new();
    for file in files {
        let name = file
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default();
        let operation = name
            .split_once('-')
            .map(|(_, operation)| operation)
            .unwrap_or(name);
        let body: Value = serde_json::from_slice(&std::fs::read(file).expect("recorded reply"))
            .expect("recorded JSON");
        match reply_type(operation) {
            Some(group) => groups.entry(group).or_default().push(file),
            None if operation == "importItem" => {
                let keys: Vec<&str> = body
                    .as_object()
                    .expect("object")
                    .keys()
                    .map(String::as_str)
                    .collect();
                assert_eq!(keys.len(), 3, "{keys:?}");
                assert!(body["@odata.context"].as_str().is_some_and(
                    |context| context.ends_with("#microsoft.graph.importMailboxItemResponse")
                ));
                assert!(
                    body["itemId"].is_string() && body["changeKey"].is_string(),
                    "{body}"
                );
            }
            None => {
                let error = &body["error"];
                assert!(
                    error["code"].is_string() && error["message"].is_string(),
                    "{body}"
                );
                for key in ["date", "request-id", "client-request-id"] {
                    assert!(error["innerError"][key].is_string(), "{body}");
                }
            }
        }
    }
    let script = shared_dir().join("graph/validate.py");
    for ((type_name, shape), files) in groups {
        let output = Command::new("python3")
            .arg(&script)
            .arg("--allow-doc-extras")
            .arg(shape)
            .arg(type_name)
            .args(&files)
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", script.display()));
        assert!(
            output.status.success(),
            "{} {type_name} replies fail the v1.0 metadata:\n{}{}",
            files.len(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Export data in base64, as `Data` of an import.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Waits until `condition` holds, failing after a deadline.
pub async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
