//! The HTTP side: sending a request with a bearer token and `X-AnchorMailbox`, renewing the token
//! once when EWS refuses it, and turning HTTP statuses and SOAP faults into [`EwsError`]s.

use std::sync::Mutex;
use std::time::Duration;

use futures_util::TryStreamExt;
use tokio_util::io::StreamReader;

use crate::cloud::Endpoints;
use crate::error::parse_retry_after;
use crate::reply::{Reply, ReplyReader};
use crate::request::{Request, DEFAULT_SCHEMA_VERSION};
use crate::types::ServerVersion;
use crate::{EwsError, ThrottleScope};
use ferry_auth::{Credentials, TokenProvider};

/// How to build a client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Token, EWS and resource endpoints.
    pub endpoints: Endpoints,
    /// How to sign in.
    pub credentials: Credentials,
    /// `RequestServerVersion` (default `Exchange2016`).
    pub schema_version: String,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Longest silence while reading a reply before giving up on it.
    pub read_timeout: Duration,
    /// Largest item (MIME or export data) the client accepts in a reply.
    pub max_item_bytes: usize,
    /// `User-Agent`.
    pub user_agent: String,
}

impl ClientConfig {
    /// A configuration with the usual defaults.
    pub fn new(endpoints: Endpoints, credentials: Credentials) -> ClientConfig {
        ClientConfig {
            endpoints,
            credentials,
            schema_version: DEFAULT_SCHEMA_VERSION.into(),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(120),
            max_item_bytes: 200 * 1024 * 1024,
            user_agent: format!("Ferry/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// An EWS client for one tenant.
#[derive(Debug)]
pub struct EwsClient {
    http: reqwest::Client,
    ews_url: String,
    tokens: TokenProvider,
    pub(crate) schema_version: String,
    pub(crate) max_item_bytes: usize,
    server_version: Mutex<Option<ServerVersion>>,
}

impl EwsClient {
    /// A client; nothing is sent until the first operation.
    pub fn new(config: ClientConfig) -> Result<EwsClient, EwsError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|error| {
                EwsError::InvalidRequest(format!("cannot build the HTTP client: {error}"))
            })?;
        let scope = if config.credentials.is_app_only() {
            config.endpoints.app_scope()
        } else {
            config.endpoints.delegated_scope()
        };
        let tokens = TokenProvider::new(
            http.clone(),
            config.endpoints.token_url.clone(),
            scope,
            config.credentials,
        );
        Ok(EwsClient {
            http,
            ews_url: config.endpoints.ews_url,
            tokens,
            schema_version: config.schema_version,
            max_item_bytes: config.max_item_bytes,
            server_version: Mutex::new(None),
        })
    }

    /// What the server last said about itself.
    pub fn server_version(&self) -> Option<ServerVersion> {
        self.server_version
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The token provider (to warm it up, or check credentials without an EWS call).
    pub fn tokens(&self) -> &TokenProvider {
        &self.tokens
    }

    /// Sends a request and opens its reply up to the response element.
    pub async fn send(&self, request: &Request) -> Result<Reply, EwsError> {
        let mut token = self.tokens.token().await?;
        let mut renewed = false;
        loop {
            let chunks = ferry_xml::SegmentChunks::new(request.body.clone());
            let body = reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks.map(Ok::<_, std::io::Error>),
            ));
            let response = self
                .http
                .post(&self.ews_url)
                .bearer_auth(token.expose())
                .header("content-type", "text/xml; charset=utf-8")
                .header("x-anchormailbox", &request.mailbox)
                .body(body)
                .send()
                .await
                .map_err(|error| transport_error(request.operation, error))?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|value| value.to_str().ok())
                .and_then(parse_retry_after);
            match status {
                200 => {
                    let reply = Reply::open(reader_of(response), self.max_item_bytes).await?;
                    if let Some(version) = &reply.server_version {
                        *self
                            .server_version
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                            Some(version.clone());
                    }
                    return Ok(reply);
                }
                401 if !renewed => {
                    tracing::debug!(
                        operation = request.operation,
                        "token refused, renewing once"
                    );
                    token = self.tokens.renew(&token).await?;
                    renewed = true;
                }
                401 => {
                    let diagnostics = response
                        .headers()
                        .get("x-ms-diagnostics")
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or("no diagnostics")
                        .to_string();
                    return Err(EwsError::Unauthorized(format!(
                        "EWS refused a freshly issued token: {diagnostics}"
                    )));
                }
                500 => {
                    // A SOAP fault; anything unreadable is a server failure.
                    return Err(match Reply::open(reader_of(response), 0).await {
                        Err(EwsError::MalformedReply(problem)) => EwsError::Transient {
                            message: format!("HTTP 500 without a readable fault: {problem}"),
                            retry_after,
                        },
                        Err(error) => error,
                        Ok(_) => EwsError::Transient {
                            message: "HTTP 500".into(),
                            retry_after,
                        },
                    });
                }
                429 | 503 => {
                    return Err(EwsError::Throttled {
                        back_off: retry_after,
                        scope: ThrottleScope::Tenant,
                    })
                }
                status if status >= 500 => {
                    return Err(EwsError::Transient {
                        message: format!("HTTP {status} from EWS"),
                        retry_after,
                    })
                }
                status => {
                    return Err(EwsError::Permanent {
                        code: format!("HTTP {status}"),
                        message: format!("EWS answered {} with HTTP {status}", request.operation),
                    })
                }
            }
        }
    }
}

fn reader_of(response: reqwest::Response) -> ReplyReader {
    let stream = response
        .bytes_stream()
        .map_err(|error| std::io::Error::other(error.without_url()));
    ReplyReader::new(Box::pin(StreamReader::new(stream)))
}

fn transport_error(operation: &str, error: reqwest::Error) -> EwsError {
    EwsError::Transient {
        message: format!("{operation} could not be sent: {}", error.without_url()),
        retry_after: None,
    }
}
