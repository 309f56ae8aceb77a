//! What a Graph operation works with (the request, the caller, the mailbox it acts on) and
//! what it answers (a [`GraphReply`]).

use std::sync::Arc;

use axum::http::{HeaderMap, Method};
use bytes::Bytes;

use super::ids::display_mailbox_id;
use super::json::text_body;
use super::query::{link, Query};
use crate::identity::Principal;
use crate::model::Mailbox;
use crate::server::SimState;
use crate::xml::Segment;

/// The content type of Graph's JSON replies.
pub const JSON: &str = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";

/// One HTTP request to the Graph endpoint. `Debug` leaves out the headers and query values,
/// which carry the bearer token and the import URL's `authtoken`.
pub struct GraphRequest {
    /// The method.
    pub method: Method,
    /// The path as the client wrote it (still percent-encoded), for links back to it.
    pub path: String,
    /// The query options.
    pub query: Query,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// `http://host`, as the client addressed the simulator.
    pub origin: String,
}

impl std::fmt::Debug for GraphRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl GraphRequest {
    /// `http://host/v1.0`.
    pub fn graph_base(&self) -> String {
        format!("{}/v1.0", self.origin)
    }

    /// This request's URL with other query pairs (for `@odata.nextLink`).
    pub fn link_with(&self, pairs: &[(String, String)]) -> String {
        link(&format!("{}{}", self.origin, self.path), pairs)
    }
}

/// The context of one operation on a mailbox.
pub struct MailboxContext<'a> {
    /// The simulator's shared state.
    pub sim: &'a SimState,
    /// Who is calling (`None` for `importItem`, which the URL's token authorises).
    pub principal: Option<&'a Principal>,
    /// The mailbox.
    pub mailbox: &'a Arc<Mailbox>,
    /// Its Graph id as clients write it (`MBX:…`).
    pub mailbox_id: String,
    /// The request.
    pub request: &'a GraphRequest,
    /// The request time, seconds since the Unix epoch.
    pub now: i64,
    /// Whether faults apply to the mailbox's tenant.
    pub faults_apply: bool,
}

impl MailboxContext<'_> {
    /// A context for `mailbox`, whose Graph id the index knows.
    pub fn new<'a>(
        sim: &'a SimState,
        principal: Option<&'a Principal>,
        mailbox: &'a Arc<Mailbox>,
        request: &'a GraphRequest,
        faults_apply: bool,
    ) -> MailboxContext<'a> {
        let mailbox_id =
            display_mailbox_id(sim.graph.mailboxes.id_of(&mailbox.guid).unwrap_or_default());
        MailboxContext {
            sim,
            principal,
            mailbox,
            mailbox_id,
            request,
            now: crate::time::now(),
            faults_apply,
        }
    }

    /// `…/v1.0/admin/exchange/mailboxes/MBX:…` (the folders' `parentMailboxUrl`).
    pub fn mailbox_url(&self) -> String {
        format!(
            "{}/admin/exchange/mailboxes/{}",
            self.request.graph_base(),
            self.mailbox_id
        )
    }

    /// An `@odata.context` URL with this fragment after `$metadata#`.
    pub fn metadata(&self, fragment: &str) -> String {
        format!("{}/$metadata#{fragment}", self.request.graph_base())
    }

    /// The context fragment of a resource under the mailbox (`admin/exchange/mailboxes/MBX:…/…`).
    pub fn mailbox_fragment(&self, rest: &str) -> String {
        format!("admin/exchange/mailboxes/{}/{rest}", self.mailbox_id)
    }

    /// The folder as its entry id and the users API's REST id name it.
    pub fn folder_entry(&self, seq: u64) -> super::exchange_ids::FolderEntry {
        super::exchange_ids::FolderEntry {
            mailbox: self.mailbox.guid,
            tenant: self
                .sim
                .graph
                .mailboxes
                .tenant_of(&self.mailbox.guid)
                .unwrap_or_default(),
            seq,
        }
    }

    /// Counts an event on the mailbox.
    pub fn count(&self, name: &str) {
        self.mailbox.counters.bump(name);
    }
}

/// A successful reply.
#[derive(Debug)]
pub struct GraphReply {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<Segment>,
    /// Its content type, if it has a body.
    pub content_type: Option<&'static str>,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The operation, for counters and recorded replies.
    pub operation: &'static str,
}

impl GraphReply {
    /// A JSON reply.
    pub fn json(status: u16, operation: &'static str, text: String) -> GraphReply {
        GraphReply::segments(status, operation, text_body(text))
    }

    /// A JSON reply streamed from segments.
    pub fn segments(status: u16, operation: &'static str, body: Vec<Segment>) -> GraphReply {
        GraphReply {
            status,
            body,
            content_type: Some(JSON),
            headers: Vec::new(),
            operation,
        }
    }

    /// `204 No Content`.
    pub fn no_content(operation: &'static str) -> GraphReply {
        GraphReply {
            status: 204,
            body: Vec::new(),
            content_type: None,
            headers: Vec::new(),
            operation,
        }
    }

    /// A `text/plain` reply (`$count`).
    pub fn plain(operation: &'static str, text: String) -> GraphReply {
        GraphReply {
            content_type: Some("text/plain; charset=utf-8"),
            ..GraphReply::json(200, operation, text)
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> GraphReply {
        self.headers.push((name, value.into()));
        self
    }

    /// Whether the body is JSON worth recording for schema validation.
    pub fn is_json(&self) -> bool {
        self.content_type == Some(JSON) && !self.body.is_empty()
    }
}
