//! Helpers for Ferry's end-to-end tests: a simulator started in-process on port 0 whose every
//! SOAP reply is recorded and, at the end of the test, validated against Microsoft's EWS schemas
//! by an outside validator (`xmllint` through `shared/ews/validate.sh`).

pub mod services;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ferry_sim::xml::{parse_document, Element};
use ferry_sim::{RunningSim, SimConfig, TenantConnection};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

/// The shared material (schemas, recorded replies, corpus): `FERRY_SHARED_DIR`, or `shared/`
/// beside the project root.
pub fn shared_dir() -> PathBuf {
    let directory = std::env::var_os("FERRY_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    assert!(
        directory.join("ews/validate.sh").is_file(),
        "the shared material is missing: expected {} beside the project root, or set FERRY_SHARED_DIR",
        directory.display()
    );
    directory
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A simulator configuration for tests: small, loopback, port 0.
pub fn test_config(mailboxes: usize, items_median: u32) -> SimConfig {
    let mut config = SimConfig {
        listen: "127.0.0.1:0".parse().expect("valid address"),
        ..SimConfig::default()
    };
    config.seed.mailboxes = mailboxes;
    config.seed.items_median = items_median;
    config
}

/// A reply from the EWS endpoint.
#[derive(Debug)]
pub struct EwsResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as text.
    pub text: String,
}

impl EwsResponse {
    /// The parsed body.
    pub fn xml(&self) -> Element {
        parse_document(&self.text)
            .unwrap_or_else(|error| panic!("reply is not XML ({error}): {}", self.text))
    }

    /// Every `ResponseCode` in the reply, in order.
    pub fn response_codes(&self) -> Vec<String> {
        descendants(&self.xml(), "ResponseCode")
            .iter()
            .map(|element| element.trimmed_text().to_string())
            .collect()
    }

    /// The `BackOffMilliseconds` value, if the reply carries one.
    pub fn back_off_ms(&self) -> Option<u64> {
        descendants(&self.xml(), "Value")
            .into_iter()
            .find(|value| value.attr("Name") == Some("BackOffMilliseconds"))
            .and_then(|value| value.trimmed_text().parse().ok())
    }
}

/// Every element with this local name below `root`, in document order.
pub fn descendants<'a>(root: &'a Element, name: &str) -> Vec<&'a Element> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(element) = stack.pop() {
        if element.name == name {
            found.push(element);
        }
        stack.extend(element.children.iter().rev());
    }
    found
}

/// A SOAP envelope with `RequestServerVersion` and, if given, impersonation of `mailbox`.
pub fn envelope(impersonate: Option<&str>, body: &str) -> String {
    let impersonation = impersonate
        .map(|address| {
            format!(
                "<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>{address}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
            )
        })
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/>{impersonation}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
    )
}

/// A simulator for one test, with an HTTP client and reply recording.
pub struct SimHarness {
    /// The running simulator.
    pub sim: RunningSim,
    /// A shared HTTP client.
    pub http: reqwest::Client,
    replies: tempfile::TempDir,
}

impl SimHarness {
    /// Starts a simulator with `config`, recording its replies.
    pub async fn start(mut config: SimConfig) -> SimHarness {
        let replies = tempfile::tempdir().expect("temporary directory");
        config.record_replies = Some(replies.path().to_path_buf());
        let sim = ferry_sim::start(config, CancellationToken::new())
            .await
            .expect("simulator starts");
        SimHarness {
            sim,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("http client"),
            replies,
        }
    }

    /// The connection details of a tenant (`source` or `destination`).
    pub fn tenant(&self, name: &str) -> &TenantConnection {
        self.sim
            .connection
            .tenant(name)
            .unwrap_or_else(|| panic!("no tenant {name}"))
    }

    /// An EWS client for a tenant with its app secret.
    pub fn client(&self, tenant: &str) -> ferry_ews::EwsClient {
        let connection = self.tenant(tenant);
        self.client_with(
            tenant,
            ferry_ews::Credentials::ClientSecret {
                client_id: connection.client_id.clone(),
                secret: ferry_ews::Secret::new(connection.client_secret.clone()),
            },
        )
    }

    /// An EWS client for a tenant with the given credentials.
    pub fn client_with(
        &self,
        tenant: &str,
        credentials: ferry_ews::Credentials,
    ) -> ferry_ews::EwsClient {
        let connection = self.tenant(tenant);
        let endpoints = ferry_ews::Endpoints {
            token_url: connection.token_url.clone(),
            ews_url: connection.ews_url.clone(),
            resource: "https://outlook.office365.com".into(),
        };
        ferry_ews::EwsClient::new(ferry_ews::ClientConfig::new(endpoints, credentials))
            .expect("client")
    }

    /// The first mailbox of a tenant whose kind is `user`.
    pub fn first_user(&self, tenant: &str) -> String {
        let tenant = self.sim.state.directory.tenant(tenant).expect("tenant");
        tenant
            .mailboxes()
            .iter()
            .find(|mailbox| mailbox.kind == ferry_sim::model::MailboxKind::User)
            .expect("a user mailbox")
            .primary_address
            .clone()
    }

    /// Posts a token request and returns the status and JSON body.
    pub async fn token_request(
        &self,
        tenant: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let response = self
            .http
            .post(&self.tenant(tenant).token_url)
            .form(form)
            .send()
            .await
            .expect("token endpoint answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json body"))
    }

    /// An app-only token for a tenant.
    pub async fn app_token(&self, tenant: &str) -> String {
        let connection = self.tenant(tenant).clone();
        let (status, body) = self
            .token_request(
                tenant,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &connection.client_id),
                    ("client_secret", &connection.client_secret),
                    ("scope", "https://outlook.office365.com/.default"),
                ],
            )
            .await;
        assert_eq!(status, 200, "token refused: {body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// Sends a SOAP body as `token`, impersonating `mailbox`.
    pub async fn ews(&self, token: &str, mailbox: Option<&str>, body: &str) -> EwsResponse {
        self.ews_raw(token, mailbox, envelope(mailbox, body)).await
    }

    /// Sends a whole envelope.
    pub async fn ews_raw(
        &self,
        token: &str,
        anchor: Option<&str>,
        envelope: String,
    ) -> EwsResponse {
        let mut request = self
            .http
            .post(&self.tenant("source").ews_url)
            .header("content-type", "text/xml; charset=utf-8")
            .bearer_auth(token)
            .body(envelope);
        if let Some(anchor) = anchor {
            request = request.header("x-anchormailbox", anchor);
        }
        let response = request.send().await.expect("ews endpoint answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        EwsResponse {
            status,
            headers,
            text,
        }
    }

    /// GETs an admin API path (below `/admin`) as JSON.
    pub async fn admin<T: DeserializeOwned>(&self, path: &str) -> T {
        let response = self
            .http
            .get(format!("{}{path}", self.sim.connection.admin_url))
            .send()
            .await
            .expect("admin api answers");
        assert!(
            response.status().is_success(),
            "admin {path}: {}",
            response.status()
        );
        response.json().await.expect("json")
    }

    /// PUTs JSON to an admin API path.
    pub async fn admin_put(&self, path: &str, body: &serde_json::Value) {
        let response = self
            .http
            .put(format!("{}{path}", self.sim.connection.admin_url))
            .json(body)
            .send()
            .await
            .expect("admin api answers");
        assert!(
            response.status().is_success(),
            "admin put {path}: {}",
            response.status()
        );
    }

    /// A mailbox's counters from the admin API.
    pub async fn counters(
        &self,
        tenant: &str,
        mailbox: &str,
    ) -> std::collections::BTreeMap<String, u64> {
        let all: Vec<ferry_sim::admin::TenantCounters> = self.admin("/counters").await;
        all.into_iter()
            .find(|counters| counters.tenant == tenant)
            .and_then(|mut counters| counters.mailboxes.remove(mailbox))
            .unwrap_or_default()
    }

    /// Stops the simulator and checks every recorded EWS reply against Microsoft's schemas
    /// (Graph's JSON replies, recorded beside them, are checked against Graph's metadata by the
    /// simulator's own tests).
    pub async fn finish(self) {
        self.sim.stop().await.expect("simulator stops cleanly");
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.replies.path())
            .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
            .unwrap_or_default();
        files.retain(|path| path.extension().is_some_and(|extension| extension == "xml"));
        files.sort();
        if files.is_empty() {
            return;
        }
        validate_with_schemas(&files).unwrap_or_else(|report| panic!("{report}"));
    }
}

/// Runs Microsoft's schemas over files with `shared/ews/validate.sh`; the error names the failures.
pub fn validate_with_schemas(files: &[PathBuf]) -> Result<(), String> {
    let script = shared_dir().join("ews/validate.sh");
    let mut failures = Vec::new();
    for batch in files.chunks(500) {
        let output = Command::new("sh")
            .arg(&script)
            .args(batch)
            .output()
            .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("xmllint: not found") || stderr.contains("xmllint: command not found") {
            return Err(
                "xmllint is missing: install Debian's libxml2-utils (scripts/test.sh does)".into(),
            );
        }
        if !output.status.success() {
            failures.extend(
                stderr
                    .lines()
                    .filter(|line| !line.ends_with(" validates"))
                    .map(str::to_string),
            );
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        for line in &failures {
            if let Some(path) = line.split(':').next() {
                if let Ok(text) = std::fs::read_to_string(path) {
                    eprintln!("--- {path}\n{}", &text[..text.len().min(4000)]);
                }
            }
        }
        Err(format!(
            "replies fail Microsoft's EWS schemas:\n{}",
            failures.join("\n")
        ))
    }
}
