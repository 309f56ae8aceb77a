//! The HTTP side of the Graph endpoint: one pipeline for every request, in the order the
//! service applies its checks, and the reply streamed with Graph's headers.
//!
//! `/v1.0/...`: authenticate the bearer token (Graph audience; 401 `InvalidAuthenticationToken`
//! otherwise), the token-expiry fault, route the path (404/405), check the token's permission
//! for the operation (403), find the mailbox (404; for `users/{id}/…` the user's), check a delegated admin's access to it
//! (403), then `admitted`: throttle (429/503), latency and internal-error faults (500), the
//! operation, and the connection-reset fault on the reply. `importItem` has no bearer token:
//! its URL's `authtoken` finds the session (401), and the same `admitted` tail follows.

use std::sync::Arc;

use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use bytes::Bytes;

use super::access::{check_mailbox_access, check_permission};
use super::context::{GraphReply, GraphRequest, MailboxContext};
use super::discovery::{exchange_settings, user_not_found};
use super::error::GraphError;
use super::folders::Scope;
use super::json::text_body;
use super::query::Query;
use super::route::{self, MailboxResource, Resource, UserResource};
use super::sessions::SessionRejection;
use super::throttle::GraphAdmission;
use super::{
    calendar_permissions, delta, export, folder_write, folders, import, items, mail_folders, rules,
    translate_ids,
};
use crate::identity::{Audience, Principal, TokenRejection};
use crate::model::Mailbox;
use crate::server::{stream_reply, SimState, StreamedReply};
use crate::xml::Segment;

/// What serving a request produced.
struct Served {
    result: Result<GraphReply, GraphError>,
    admission: Option<GraphAdmission>,
    reset_after: Option<usize>,
}

impl From<GraphError> for Served {
    fn from(error: GraphError) -> Served {
        Served {
            result: Err(error),
            admission: None,
            reset_after: None,
        }
    }
}

fn request(
    method: Method,
    uri: &Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<GraphRequest, GraphError> {
    let body = body.map_err(|rejection| {
        GraphError::new(
            rejection.status().as_u16(),
            "BadRequest",
            format!(
                "The request body could not be read: {}.",
                rejection.body_text()
            ),
        )
    })?;
    let host = headers
        .get("host")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost")
        .to_string();
    Ok(GraphRequest {
        method,
        path: uri.path().to_string(),
        query: Query::parse(uri.query())?,
        headers,
        body,
        origin: format!("http://{host}"),
    })
}

/// `/v1.0/{*path}`.
pub async fn v1(
    State(state): State<Arc<SimState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ids = RequestIds::new(&headers);
    let served = match request(method, &uri, headers, body) {
        Ok(request) => serve(&state, &request).await,
        Err(error) => error.into(),
    };
    respond(&state, served, &ids)
}

async fn serve(state: &SimState, request: &GraphRequest) -> Served {
    let authorization = request
        .headers
        .get("authorization")
        .and_then(|value| value.to_str().ok());
    let principal = match state.identity.authenticate(authorization, Audience::Graph) {
        Ok(principal) => principal,
        Err(rejection) => return GraphError::unauthorized(rejection).into(),
    };
    let tenant = Arc::clone(&principal.tenant);
    let faults_apply = state.faults.applies_to(&tenant.name);
    if faults_apply && state.faults.roll(|settings| settings.token_expiry_rate) {
        tenant.counters.bump("fault.token_expired");
        return GraphError::unauthorized(TokenRejection::Expired).into();
    }
    let path = request.path.strip_prefix("/v1.0").unwrap_or(&request.path);
    let resource = match route::parse(&request.method, &route::segments(path)) {
        Ok(resource) => resource,
        Err(error) => return error.into(),
    };
    if let Err(error) = check_permission(&principal, &request.method, &resource) {
        tenant.counters.bump("graph.access_denied");
        return error.into();
    }
    let mailbox = match &resource {
        Resource::ExchangeSettings(user) | Resource::User(user, _) => state
            .graph
            .mailboxes
            .user_mailbox(&tenant, user)
            .ok_or_else(|| user_not_found(user)),
        Resource::Mailbox(id, _) => state.graph.mailboxes.mailbox(&tenant, id).ok_or_else(|| {
            GraphError::new(
                404,
                "ErrorNonExistentMailbox",
                format!("The mailbox '{id}' does not exist in this tenant."),
            )
        }),
    };
    let mailbox = match mailbox {
        Ok(mailbox) => Arc::clone(mailbox),
        Err(error) => return error.into(),
    };
    if let Err(error) = check_mailbox_access(&principal, &mailbox) {
        return error.into();
    }
    let caller = principal.caller_key();
    admitted(
        state,
        &mailbox,
        &caller,
        request,
        faults_apply,
        Some(&principal),
        |ctx| dispatch(ctx, &resource, &caller),
    )
    .await
}

fn dispatch(
    ctx: &MailboxContext<'_>,
    resource: &Resource,
    caller: &str,
) -> Result<GraphReply, GraphError> {
    let resource = match resource {
        Resource::ExchangeSettings(user) => {
            return exchange_settings(ctx.sim, ctx.request, user, ctx.mailbox)
        }
        Resource::User(user, resource) => return dispatch_user(ctx, user, resource),
        Resource::Mailbox(_, resource) => resource,
    };
    let method = &ctx.request.method;
    match resource {
        MailboxResource::Folders if *method == Method::POST => folder_write::create(ctx, None),
        MailboxResource::Folders => folders::list(ctx, Scope::All),
        MailboxResource::FolderCount => folders::count(ctx, Scope::All),
        MailboxResource::FolderDelta => delta::folder_delta(ctx, None),
        MailboxResource::Folder(path) if *method == Method::PATCH => {
            folder_write::update(ctx, path)
        }
        MailboxResource::Folder(path) if *method == Method::DELETE => {
            folder_write::delete(ctx, path)
        }
        MailboxResource::Folder(path) => folders::get(ctx, path),
        MailboxResource::FolderRef(path) => folder_write::delete(ctx, path),
        MailboxResource::ChildFolders(path) if *method == Method::POST => {
            folder_write::create(ctx, Some(path))
        }
        MailboxResource::ChildFolders(path) => folders::list(ctx, Scope::Children(path)),
        MailboxResource::ChildFolderCount(path) => folders::count(ctx, Scope::Children(path)),
        MailboxResource::ChildFolderDelta(path) => delta::folder_delta(ctx, Some(path)),
        MailboxResource::Items(path) => items::list(ctx, path),
        MailboxResource::ItemCount(path) => items::count(ctx, path),
        MailboxResource::ItemDelta(path) => delta::item_delta(ctx, path),
        MailboxResource::Item(path, id) if *method == Method::DELETE => {
            items::delete(ctx, path, id)
        }
        MailboxResource::Item(path, id) => items::get(ctx, path, id),
        MailboxResource::ExportItems => export::export_items(ctx),
        MailboxResource::CreateImportSession => {
            import::create_import_session(ctx, caller.to_string())
        }
    }
}

fn dispatch_user(
    ctx: &MailboxContext<'_>,
    user: &str,
    resource: &UserResource,
) -> Result<GraphReply, GraphError> {
    let method = &ctx.request.method;
    match resource {
        UserResource::MailFolder(segment) => mail_folders::get(ctx, user, segment),
        UserResource::TranslateExchangeIds => translate_ids::translate(ctx),
        UserResource::MessageRules if *method == Method::POST => rules::create(ctx, user),
        UserResource::MessageRules => rules::list(ctx, user),
        UserResource::MessageRule(id) if *method == Method::PATCH => rules::update(ctx, user, id),
        UserResource::MessageRule(id) if *method == Method::DELETE => rules::delete(ctx, id),
        UserResource::MessageRule(id) => rules::get(ctx, user, id),
        UserResource::CalendarPermissions if *method == Method::POST => {
            calendar_permissions::create(ctx, user)
        }
        UserResource::CalendarPermissions => calendar_permissions::list(ctx, user),
        UserResource::CalendarPermission(id) if *method == Method::PATCH => {
            calendar_permissions::update(ctx, user, id)
        }
        UserResource::CalendarPermission(id) if *method == Method::DELETE => {
            calendar_permissions::delete(ctx, id)
        }
        UserResource::CalendarPermission(id) => calendar_permissions::get(ctx, user, id),
    }
}

/// The tail every admitted request runs: throttle, latency and internal-error faults, the
/// operation, and the connection-reset fault.
async fn admitted(
    state: &SimState,
    mailbox: &Arc<Mailbox>,
    caller: &str,
    request: &GraphRequest,
    faults_apply: bool,
    principal: Option<&Principal>,
    operation: impl FnOnce(&MailboxContext<'_>) -> Result<GraphReply, GraphError>,
) -> Served {
    let upload = match request.method {
        Method::POST | Method::PATCH | Method::PUT => request.body.len() as u64,
        _ => 0,
    };
    mailbox.counters.bump("requests.graph");
    let simulator_wide = state.throttle.policy().enabled;
    let admission = match state
        .graph
        .throttle
        .admit(caller, mailbox.guid, upload, simulator_wide)
    {
        Ok(admission) => admission,
        Err(throttled) => {
            mailbox
                .counters
                .bump(&format!("throttled.{}", throttled.limit.name()));
            tracing::debug!(mailbox = %mailbox.primary_address, limit = throttled.limit.name(), "graph request throttled");
            return throttled.error.into();
        }
    };
    // Latency is server time: the request holds its concurrency slot while it waits.
    if faults_apply {
        let latency = state.faults.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }
    let mut served = Served {
        result: Ok(GraphReply::no_content("")),
        admission: Some(admission),
        reset_after: None,
    };
    if faults_apply && state.faults.roll(|settings| settings.internal_error_rate) {
        mailbox.counters.bump("fault.internal_error");
        served.result = Err(GraphError::new(
            500,
            "ErrorInternalServerError",
            "An internal server error occurred. The operation failed.",
        ));
        return served;
    }
    let ctx = MailboxContext::new(state, principal, mailbox, request, faults_apply);
    served.result = operation(&ctx);
    if let Ok(reply) = &served.result {
        mailbox
            .counters
            .bump(&format!("requests.graph.{}", reply.operation));
        if faults_apply && state.faults.roll(|settings| settings.connection_reset_rate) {
            mailbox.counters.bump("fault.connection_reset");
            let length = reply.body.iter().map(Segment::encoded_len).sum();
            served.reset_after = Some(state.faults.reset_point(length));
        }
    }
    served
}

/// `POST /api/gv1.0/Mailboxes('{id}')/importItem?authtoken=…`.
pub async fn import_item(
    State(state): State<Arc<SimState>>,
    Path(segment): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ids = RequestIds::new(&headers);
    let served = match request(method, &uri, headers, body) {
        Ok(request) => serve_import(&state, &request, &segment).await,
        Err(error) => error.into(),
    };
    respond(&state, served, &ids)
}

async fn serve_import(state: &SimState, request: &GraphRequest, segment: &str) -> Served {
    if request.method != Method::POST {
        return GraphError::new(405, "MethodNotAllowed", "importItem takes POST.")
            .with_header("allow", "POST")
            .into();
    }
    let refused =
        |message: &str| GraphError::new(401, "InvalidAuthenticationToken", message).into();
    let Some(mailbox_id) = segment
        .strip_prefix("Mailboxes('")
        .or_else(|| segment.strip_prefix("mailboxes('"))
        .and_then(|rest| rest.strip_suffix("')"))
    else {
        return GraphError::new(
            404,
            "ResourceNotFound",
            format!("Resource not found for the segment '{segment}'."),
        )
        .into();
    };
    let session = match request.query.get("authtoken").map(|token| state.graph.sessions.find(token)) {
        Some(Ok(session)) => session,
        Some(Err(SessionRejection::Expired)) => return refused("The import session has expired; create a new one with createImportSession."),
        Some(Err(SessionRejection::Unknown)) => return refused("The authtoken of the import URL is not valid."),
        None => return refused("The import URL has no authtoken; use the importUrl createImportSession returned, unchanged."),
    };
    let mailbox = state
        .directory
        .tenant_by_id(&session.tenant_id)
        .and_then(|tenant| Some((tenant, state.graph.mailboxes.mailbox(tenant, mailbox_id)?)))
        .filter(|(_, mailbox)| mailbox.guid == session.mailbox);
    let Some((tenant, mailbox)) = mailbox else {
        return refused("The authtoken of the import URL is not for this mailbox.");
    };
    let mailbox = Arc::clone(mailbox);
    let faults_apply = state.faults.applies_to(&tenant.name);
    if faults_apply && state.faults.roll(|settings| settings.token_expiry_rate) {
        tenant.counters.bump("fault.token_expired");
        return refused(
            "The import session has expired; create a new one with createImportSession.",
        );
    }
    admitted(
        state,
        &mailbox,
        &session.caller,
        request,
        faults_apply,
        None,
        |ctx| import::import_item(ctx, &session),
    )
    .await
}

/// `request-id` (new for each request) and `client-request-id` (the client's, else the same).
struct RequestIds {
    request_id: String,
    client_request_id: String,
}

impl RequestIds {
    fn new(headers: &HeaderMap) -> RequestIds {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty() && value.len() <= 128)
            .map(str::to_string)
            .unwrap_or_else(|| request_id.clone());
        RequestIds {
            request_id,
            client_request_id,
        }
    }
}

fn respond(state: &Arc<SimState>, served: Served, ids: &RequestIds) -> Response {
    let (status, body, content_type, mut headers, operation) = match served.result {
        Ok(reply) => {
            let record = reply.is_json().then_some(reply.operation);
            (
                reply.status,
                reply.body,
                reply.content_type,
                reply.headers,
                record,
            )
        }
        Err(error) => {
            let mut headers = error.headers.clone();
            if let Some(seconds) = error.retry_after_secs {
                headers.push(("retry-after", seconds.to_string()));
            }
            let body = text_body(error.body(&ids.request_id, &ids.client_request_id));
            (
                error.status,
                body,
                Some(super::context::JSON),
                headers,
                Some("Error"),
            )
        }
    };
    headers.push(("request-id", ids.request_id.clone()));
    headers.push(("client-request-id", ids.client_request_id.clone()));
    headers.push(("odata-version", "4.0".into()));
    stream_reply(
        state,
        StreamedReply {
            status,
            headers,
            content_type,
            body,
            reset_after: served.reset_after,
            guard: served
                .admission
                .map(|admission| Box::new(admission) as Box<dyn Send>),
            record: operation.map(|operation| (operation.to_string(), "json")),
        },
    )
}
