//! The HTTP side: a bearer token on every call, renewed once when Graph refuses it; error
//! replies read (with a size limit) into [`GraphError`]s; JSON replies read into types; paged
//! collections followed through `@odata.nextLink`.

use std::time::Duration;

use futures_util::TryStreamExt;
use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::GraphError;
use ferry_auth::{parse_retry_after, Credentials, Secret, TokenProvider};

/// Largest error or JSON object reply the client reads (items stream separately).
const MAX_JSON_REPLY_BYTES: usize = 8 * 1024 * 1024;

/// Items per page of a listing unless configured otherwise.
pub const DEFAULT_PAGE_SIZE: u32 = 250;

/// How to build a client.
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// Graph's versioned root, `https://graph.microsoft.com/v1.0`.
    pub graph_url: String,
    /// The token endpoint, `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`.
    pub token_url: String,
    /// The resource scopes are built from, `https://graph.microsoft.com`.
    pub resource: String,
    /// How to sign in.
    pub credentials: Credentials,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Longest silence while reading a reply before giving up on it.
    pub read_timeout: Duration,
    /// Largest item (export data) the client accepts in a reply.
    pub max_item_bytes: usize,
    /// Items asked for per page of a listing (`$top`; Graph's own default is small).
    pub page_size: u32,
    /// `User-Agent`.
    pub user_agent: String,
}

impl GraphConfig {
    /// A configuration with the usual defaults.
    pub fn new(
        graph_url: impl Into<String>,
        token_url: impl Into<String>,
        resource: impl Into<String>,
        credentials: Credentials,
    ) -> GraphConfig {
        GraphConfig {
            graph_url: graph_url.into(),
            token_url: token_url.into(),
            resource: resource.into(),
            credentials,
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(120),
            max_item_bytes: 200 * 1024 * 1024,
            page_size: DEFAULT_PAGE_SIZE,
            user_agent: format!("Ferry/{}", env!("CARGO_PKG_VERSION")),
        }
    }

    /// The scope tokens are asked for: `<resource>/.default`, for app-only and delegated sign-in
    /// alike (the permissions come from the app's registration and consent).
    pub fn scope(&self) -> String {
        format!("{}/.default", self.resource.trim_end_matches('/'))
    }
}

/// A Graph client for one tenant.
#[derive(Debug)]
pub struct GraphClient {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    tokens: TokenProvider,
    pub(crate) max_item_bytes: usize,
    pub(crate) page_size: u32,
    pub(crate) sessions: crate::ops::import::SessionCache,
}

/// One page of a collection.
#[derive(Debug, Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    pub delta_link: Option<String>,
}

impl GraphClient {
    /// A client; nothing is sent until the first operation.
    pub fn new(config: GraphConfig) -> Result<GraphClient, GraphError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|error| {
                GraphError::InvalidRequest(format!("cannot build the HTTP client: {error}"))
            })?;
        let tokens = TokenProvider::new(
            http.clone(),
            config.token_url.clone(),
            config.scope(),
            config.credentials,
        );
        Ok(GraphClient {
            http,
            base: config.graph_url.trim_end_matches('/').to_string(),
            tokens,
            max_item_bytes: config.max_item_bytes,
            page_size: config.page_size.max(1),
            sessions: Default::default(),
        })
    }

    /// The token provider (to check credentials without a Graph call).
    pub fn tokens(&self) -> &TokenProvider {
        &self.tokens
    }

    /// A link the service handed back (`@odata.nextLink`, a delta link), checked to point at
    /// the same scheme and host as the client's root before a token is sent to it.
    pub(crate) fn service_link(&self, link: &str) -> Result<String, GraphError> {
        fn origin(url: &str) -> Option<&str> {
            let after_scheme = url.find("://")? + 3;
            let end = url[after_scheme..]
                .find('/')
                .map_or(url.len(), |at| after_scheme + at);
            Some(&url[..end])
        }
        match (origin(link), origin(&self.base)) {
            (Some(theirs), Some(ours)) if theirs.eq_ignore_ascii_case(ours) => Ok(link.to_string()),
            _ => Err(GraphError::Malformed(
                "a paging or delta link that leaves the service's host".into(),
            )),
        }
    }

    /// The absolute URL of a path below the versioned root.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    /// Sends a request built by `build` with a bearer token; on 401 renews the token once and
    /// sends it again. Any error status becomes a [`GraphError`].
    pub(crate) async fn send(
        &self,
        operation: &'static str,
        build: impl Fn(&Secret) -> RequestBuilder,
    ) -> Result<Response, GraphError> {
        let mut token = self.tokens.token().await?;
        let mut renewed = false;
        loop {
            let response = build(&token)
                .send()
                .await
                .map_err(|error| transport_error(operation, error))?;
            if response.status().as_u16() == 401 && !renewed {
                renewed = true;
                token = self.tokens.renew(&token).await?;
                continue;
            }
            return check(operation, response).await;
        }
    }

    /// `send` for a request with no body.
    pub(crate) async fn call(
        &self,
        operation: &'static str,
        method: Method,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<Response, GraphError> {
        self.send(operation, |token| {
            self.http
                .request(method.clone(), url)
                .bearer_auth(token.expose())
                .query(query)
        })
        .await
    }

    /// `send` for a request with a JSON body.
    pub(crate) async fn send_json<B: serde::Serialize>(
        &self,
        operation: &'static str,
        method: Method,
        url: &str,
        body: &B,
    ) -> Result<Response, GraphError> {
        self.send(operation, |token| {
            self.http
                .request(method.clone(), url)
                .bearer_auth(token.expose())
                .json(body)
        })
        .await
    }

    /// A JSON reply to a GET.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<T, GraphError> {
        let response = self.call(operation, Method::GET, url, query).await?;
        read_json(operation, response).await
    }

    /// Every member of a paged collection, following `@odata.nextLink` (which carries the
    /// query, so it is sent as it is).
    pub(crate) async fn get_all<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, GraphError> {
        let mut page: Page<T> = self.get_json(operation, url, query).await?;
        let mut all = std::mem::take(&mut page.value);
        while let Some(next) = page.next_link.take() {
            let next = self.service_link(&next)?;
            page = self.get_json(operation, &next, &[]).await?;
            all.append(&mut page.value);
        }
        Ok(all)
    }
}

/// The reply if its status is a success, otherwise the error it carries.
pub(crate) async fn check(
    operation: &'static str,
    response: Response,
) -> Result<Response, GraphError> {
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(parse_retry_after);
    let body = read_limited(operation, response, 64 * 1024)
        .await
        .unwrap_or_default();
    let (code, message) = error_body(&body).unwrap_or_else(|| {
        (
            format!("Http{status}"),
            format!("{operation} answered {status} without Graph's error body"),
        )
    });
    Err(GraphError::from_reply(status, code, message, retry_after))
}

/// Graph's `{"error": {"code", "message"}}`.
fn error_body(body: &[u8]) -> Option<(String, String)> {
    #[derive(Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(Deserialize)]
    struct Inner {
        code: String,
        #[serde(default)]
        message: String,
    }
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    Some((envelope.error.code, envelope.error.message))
}

/// A reply body of at most `limit` bytes.
pub(crate) async fn read_limited(
    operation: &'static str,
    response: Response,
    limit: usize,
) -> Result<Vec<u8>, GraphError> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|error| transport_error(operation, error))?
    {
        if body.len() + chunk.len() > limit {
            return Err(GraphError::Malformed(format!(
                "{operation}: the reply is longer than {limit} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A JSON reply read into `T`.
pub(crate) async fn read_json<T: DeserializeOwned>(
    operation: &'static str,
    response: Response,
) -> Result<T, GraphError> {
    let body = read_limited(operation, response, MAX_JSON_REPLY_BYTES).await?;
    serde_json::from_slice(&body)
        .map_err(|error| GraphError::Malformed(format!("{operation}: {error}")))
}

/// A transport failure, named without the URL (an import URL carries a token).
pub(crate) fn transport_error(operation: &'static str, error: reqwest::Error) -> GraphError {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the reply broke off"
    } else {
        "failed"
    };
    let error = error.without_url();
    GraphError::Transport(format!("{operation} {kind}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_follow_links_only_to_the_services_own_host() {
        let credentials = Credentials::ClientSecret {
            client_id: "c".into(),
            secret: Secret::new("s"),
        };
        let client = GraphClient::new(GraphConfig::new(
            "https://graph.microsoft.com/v1.0",
            "https://login.microsoftonline.com/t/oauth2/v2.0/token",
            "https://graph.microsoft.com",
            credentials,
        ))
        .expect("client");
        let page = "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/M/folders?$skip=10";
        assert_eq!(client.service_link(page).expect("same host"), page);
        for elsewhere in [
            "https://evil.example/v1.0/x",
            "http://graph.microsoft.com/v1.0/x",
            "https://graph.microsoft.com.evil.example/v1.0/x",
            "not a url",
        ] {
            assert!(client.service_link(elsewhere).is_err(), "{elsewhere}");
        }
    }
}
