//! The HTTP server: routes, shared state, and replies streamed to the client.

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use futures_util::Stream;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::SimConfig;
use crate::ews::{self, EwsReply};
use crate::faults::Faults;
use crate::identity::{Identity, Resources};
use crate::model::Directory;
use crate::throttle::Throttle;
use crate::xml::{Segment, SegmentChunks};

/// Everything the handlers share.
#[derive(Debug)]
pub struct SimState {
    /// The configuration the simulator started with.
    pub config: SimConfig,
    /// Tenants and mailboxes.
    pub directory: Directory,
    /// Token issuance and validation.
    pub identity: Identity,
    /// Throttling.
    pub throttle: Throttle,
    /// Fault injection.
    pub faults: Faults,
    /// Where replies are recorded, if anywhere.
    pub recorder: Option<Recorder>,
    /// The Graph endpoint's own state (mailbox ids, import sessions, throttle).
    pub graph: crate::graph::GraphState,
}

impl SimState {
    /// State for a directory under a configuration.
    pub fn new(config: SimConfig, directory: Directory) -> SimState {
        let identity = Identity::new(
            Resources::new(&config.identity.resource, &config.identity.graph_resource),
            std::time::Duration::from_secs(config.identity.token_lifetime_secs),
        );
        let throttle = Throttle::new(config.throttling.clone());
        let faults = Faults::new(config.faults.clone());
        if let Some(path) = &config.identity.certificate_pem {
            match std::fs::read_to_string(path) {
                Ok(pem) => {
                    for tenant in directory.tenants() {
                        if let Some(app) = tenant.apps.first() {
                            if let Err(problem) = identity.certificates.register(
                                tenant.tenant_id,
                                app.client_id,
                                &pem,
                            ) {
                                tracing::warn!(path = %path.display(), %problem, "certificate not registered");
                            }
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot read the app certificate")
                }
            }
        }
        let recorder = config.record_replies.clone().map(Recorder::new);
        let graph = crate::graph::GraphState::new(&config, &directory);
        SimState {
            graph,
            config,
            directory,
            identity,
            throttle,
            faults,
            recorder,
        }
    }
}

/// Writes reply bodies to numbered files, for schema validation in tests.
#[derive(Debug)]
pub struct Recorder {
    directory: PathBuf,
    next: AtomicU64,
}

impl Recorder {
    fn new(directory: PathBuf) -> Recorder {
        Recorder {
            directory,
            next: AtomicU64::new(1),
        }
    }

    /// Saves one reply body as `NNNNNNN-<operation>.<extension>` (`xml` for EWS, `json` for
    /// Graph), numbered in the order replies finished.
    fn save(&self, operation: &str, extension: &str, body: &[u8]) {
        let number = self.next.fetch_add(1, Ordering::Relaxed);
        let name = if operation.is_empty() {
            "Fault"
        } else {
            operation
        };
        let path = self
            .directory
            .join(format!("{number:07}-{name}.{extension}"));
        if let Err(error) =
            std::fs::create_dir_all(&self.directory).and_then(|()| std::fs::write(&path, body))
        {
            tracing::warn!(path = %path.display(), %error, "could not record reply");
        }
    }
}

/// Builds the router for a simulator's state.
pub fn router(state: Arc<SimState>) -> Router {
    let body_limit = state.config.limits.max_request_bytes;
    Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route("/EWS/Exchange.asmx", post(ews_endpoint))
        .route("/ews/exchange.asmx", post(ews_endpoint))
        .route("/EWS/exchange.asmx", post(ews_endpoint))
        .merge(crate::admin::routes())
        .merge(crate::graph::routes())
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Serves until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    state: Arc<SimState>,
    shutdown: CancellationToken,
) -> io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

async fn token(
    State(state): State<Arc<SimState>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let host = headers
        .get("host")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let token_url = format!("http://{host}{}", uri.path());
    match state
        .identity
        .issue(&state.directory, &tenant, &token_url, &form)
    {
        Ok(response) => axum::Json(response).into_response(),
        Err(error) => {
            let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
            (status, axum::Json(error)).into_response()
        }
    }
}

async fn ews_endpoint(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok());
    let reply = ews::handle(&state, authorization, body).await;
    into_response(&state, reply)
}

fn into_response(state: &Arc<SimState>, reply: EwsReply) -> Response {
    let record = reply.schema_valid && reply.reset_after.is_none() && !reply.body.is_empty();
    let content_type = (!reply.body.is_empty()).then_some("text/xml; charset=utf-8");
    stream_reply(
        state,
        StreamedReply {
            status: reply.status,
            headers: reply.headers,
            content_type,
            body: reply.body,
            reset_after: reply.reset_after,
            guard: reply
                .admission
                .map(|admission| Box::new(admission) as Box<dyn Send>),
            record: record.then_some((reply.operation, "xml")),
        },
    )
}

/// A reply of either protocol, ready to stream.
pub struct StreamedReply {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The `Content-Type`, if the reply has a body.
    pub content_type: Option<&'static str>,
    /// The body: markup as it is, large binary content base64-encoded chunk by chunk.
    pub body: Vec<Segment>,
    /// Cut the connection after this many body bytes (the connection-reset fault).
    pub reset_after: Option<usize>,
    /// Held until the last byte is sent (a throttle admission, whose slot the reply occupies).
    pub guard: Option<Box<dyn Send>>,
    /// The operation name and file extension to record the body under, if it is recorded.
    pub record: Option<(String, &'static str)>,
}

/// Streams a reply to the client, recording it when the simulator records replies.
pub fn stream_reply(state: &Arc<SimState>, reply: StreamedReply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let recording = reply
        .record
        .filter(|_| state.recorder.is_some() && reply.reset_after.is_none())
        .map(|(operation, extension)| (Arc::clone(state), operation, extension, Vec::new()));
    let stream = ReplyStream {
        chunks: SegmentChunks::new(reply.body),
        sent: 0,
        reset_after: reply.reset_after,
        fail_next: false,
        finished: false,
        _guard: reply.guard,
        recording,
    };
    let mut response = Response::new(Body::from_stream(stream));
    *response.status_mut() = status;
    if let Some(content_type) = reply.content_type {
        response
            .headers_mut()
            .insert("content-type", HeaderValue::from_static(content_type));
    }
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Streams a reply's segments, encoding large content chunk by chunk. Holds the request's
/// throttle admission until the last byte is sent.
struct ReplyStream {
    chunks: SegmentChunks,
    sent: usize,
    reset_after: Option<usize>,
    fail_next: bool,
    finished: bool,
    _guard: Option<Box<dyn Send>>,
    recording: Option<(Arc<SimState>, String, &'static str, Vec<u8>)>,
}

impl Stream for ReplyStream {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            if self.fail_next {
                self.finished = true;
                return Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "injected connection reset",
                ))));
            }
            let Some(piece) = self.chunks.next() else {
                self.finished = true;
                if let Some((state, operation, extension, body)) = self.recording.take() {
                    if let Some(recorder) = &state.recorder {
                        recorder.save(&operation, extension, &body);
                    }
                }
                return Poll::Ready(None);
            };
            if let Some(limit) = self.reset_after {
                if self.sent + piece.len() >= limit {
                    // Send what fits, then fail the body: hyper aborts the connection mid-reply.
                    let keep = limit - self.sent;
                    self.sent = limit;
                    self.fail_next = true;
                    if keep > 0 {
                        return Poll::Ready(Some(Ok(piece.slice(..keep))));
                    }
                    continue;
                }
            }
            self.sent += piece.len();
            if let Some((_, _, _, body)) = &mut self.recording {
                body.extend_from_slice(&piece);
            }
            return Poll::Ready(Some(Ok(piece)));
        }
    }
}
