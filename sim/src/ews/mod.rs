//! The EWS endpoint: one request in, one reply out.
//!
//! [`handle`] runs the steps Exchange Online runs, in its order: authenticate the bearer token,
//! apply injected faults, parse the SOAP envelope, check the schema version, find the mailbox the
//! request acts on (impersonation or delegate access), admit it through the throttle, then
//! dispatch the operation to its handler. Handlers write the reply body; this module wraps it in
//! the envelope, or turns a failure into a SOAP fault or a throttling reply.

mod access;
mod context;
mod convert_id;
mod directory_ops;
mod export_ops;
mod folder_ops;
mod folder_xml;
mod item_build;
mod item_ops;
mod item_xml;
mod paging;
mod permissions;
mod restriction;
mod rule_ops;
mod shape;
pub mod soap;
mod sync_ops;

use std::sync::Arc;

use bytes::Bytes;

pub use context::OpContext;
use soap::{
    envelope_end, envelope_start, error_message, response_end, response_start, EwsError, SoapFault,
};

use crate::identity::{Audience, TokenRejection};
use crate::model::Mailbox;
use crate::server::SimState;
use crate::throttle::{Admission, ThrottleForm, Throttled};
use crate::xml::{parse_document, Element, Ns, Segment, XmlWriter};

/// Why an operation did not produce its normal reply.
#[derive(Debug)]
pub enum OpError {
    /// The whole request failed with a SOAP fault.
    Fault(SoapFault),
    /// The request was throttled after parsing (the import policy).
    Throttled(Throttled),
}

impl From<SoapFault> for OpError {
    fn from(fault: SoapFault) -> OpError {
        OpError::Fault(fault)
    }
}

impl From<EwsError> for OpError {
    fn from(error: EwsError) -> OpError {
        OpError::Fault(SoapFault::from(error))
    }
}

type Handler = fn(&OpContext<'_>, &Element, &mut XmlWriter) -> Result<(), OpError>;

/// An operation the simulator serves: its handler, the oldest schema version that has it, and
/// whether it counts against the concurrent-sync limit.
struct Operation {
    handler: Handler,
    min_version: usize,
    is_sync: bool,
}

fn operation(name: &str) -> Option<Operation> {
    let (handler, min_version, is_sync): (Handler, usize, bool) = match name {
        "ConvertId" => (convert_id::convert_id, 1, false),
        "GetFolder" => (folder_ops::get_folder, 0, false),
        "FindFolder" => (folder_ops::find_folder, 0, false),
        "CreateFolder" => (folder_ops::create_folder, 0, false),
        "UpdateFolder" => (folder_ops::update_folder, 0, false),
        "DeleteFolder" => (folder_ops::delete_folder, 0, false),
        "SyncFolderHierarchy" => (sync_ops::sync_folder_hierarchy, 0, true),
        "SyncFolderItems" => (sync_ops::sync_folder_items, 0, true),
        "FindItem" => (item_ops::find_item, 0, false),
        "GetItem" => (item_ops::get_item, 0, false),
        "CreateItem" => (item_ops::create_item, 0, false),
        "UpdateItem" => (item_ops::update_item, 0, false),
        "DeleteItem" => (item_ops::delete_item, 0, false),
        "ExportItems" => (export_ops::export_items, 4, false),
        "UploadItems" => (export_ops::upload_items, 4, false),
        "GetInboxRules" => (rule_ops::get_inbox_rules, 4, false),
        "UpdateInboxRules" => (rule_ops::update_inbox_rules, 4, false),
        "ResolveNames" => (directory_ops::resolve_names, 0, false),
        _ => return None,
    };
    Some(Operation {
        handler,
        min_version,
        is_sync,
    })
}

/// A reply to an EWS request, ready for the HTTP layer.
#[derive(Debug)]
pub struct EwsReply {
    /// HTTP status.
    pub status: u16,
    /// Extra headers (`WWW-Authenticate`, `x-ms-diagnostics`).
    pub headers: Vec<(&'static str, String)>,
    /// The body, streamed segment by segment.
    pub body: Vec<Segment>,
    /// Cut the connection after this many body bytes (the connection-reset fault).
    pub reset_after: Option<usize>,
    /// Concurrency slots held until the body has been sent.
    pub admission: Option<Admission>,
    /// The operation name, for logs and reply recording.
    pub operation: String,
    /// Whether the body is valid EWS that a schema check should accept (false when a fault put
    /// invalid characters in it on purpose).
    pub schema_valid: bool,
}

impl EwsReply {
    fn empty(status: u16, operation: &str) -> EwsReply {
        EwsReply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            reset_after: None,
            admission: None,
            operation: operation.to_string(),
            schema_valid: true,
        }
    }

    fn fault(fault: &SoapFault, operation: &str) -> EwsReply {
        let mut writer = XmlWriter::new();
        fault.write(&mut writer);
        EwsReply {
            body: writer.finish(),
            ..EwsReply::empty(500, operation)
        }
    }

    fn unauthorized(rejection: TokenRejection) -> EwsReply {
        let mut reply = EwsReply::empty(401, "");
        let mut challenge = String::from(
            "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", token_types=\"app_asserted_user_v1 service_asserted_app_v1\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"",
        );
        if rejection != TokenRejection::Missing {
            challenge.push_str(", error=\"invalid_token\"");
        }
        reply.headers.push(("www-authenticate", challenge));
        if let Some(diagnostics) = rejection.diagnostics() {
            reply
                .headers
                .push(("x-ms-diagnostics", diagnostics.to_string()));
        }
        reply
    }
}

/// Handles one request to `/EWS/Exchange.asmx`.
pub async fn handle(sim: &SimState, authorization: Option<&str>, body: Bytes) -> EwsReply {
    let principal = match sim.identity.authenticate(authorization, Audience::Ews) {
        Ok(principal) => principal,
        Err(rejection) => return EwsReply::unauthorized(rejection),
    };
    let tenant = Arc::clone(&principal.tenant);
    let faults_apply = sim.faults.applies_to(&tenant.name);
    if faults_apply && sim.faults.roll(|settings| settings.token_expiry_rate) {
        tenant.counters.bump("fault.token_expired");
        return EwsReply::unauthorized(TokenRejection::Expired);
    }
    let root = match std::str::from_utf8(&body)
        .map_err(|error| SoapFault::schema(format!("the request is not UTF-8 ({error})")))
        .and_then(|text| parse_document(text).map_err(SoapFault::schema))
    {
        Ok(root) => root,
        Err(fault) => return EwsReply::fault(&fault, ""),
    };
    let (header, request) = match envelope_parts(&root) {
        Ok(parts) => parts,
        Err(fault) => return EwsReply::fault(&fault, ""),
    };
    let name = request.name.clone();
    let Some(operation) = operation(&name).filter(|_| request.ns == Ns::Messages) else {
        return EwsReply::fault(
            &SoapFault::new(
                "ErrorInvalidRequest",
                format!(
                    "The request is invalid: the simulator does not serve the '{name}' operation."
                ),
            ),
            &name,
        );
    };
    let version = match access::requested_version(header) {
        Ok(version) => version,
        Err(fault) => return EwsReply::fault(&fault, &name),
    };
    if version < operation.min_version {
        return EwsReply::fault(
            &SoapFault::schema(format!(
                "The element '{name}' is not valid for the requested server version '{}'.",
                access::VERSIONS[version]
            )),
            &name,
        );
    }
    let mailbox = match access::acting_mailbox(&principal, header, request) {
        Ok(mailbox) => mailbox,
        Err(fault) => {
            tenant
                .counters
                .bump(&format!("access_denied.{}", fault.code));
            return EwsReply::fault(&fault, &name);
        }
    };
    mailbox.counters.bump(&format!("requests.{name}"));
    let admission =
        match sim
            .throttle
            .admit(&principal.caller_key(), mailbox.guid, operation.is_sync)
        {
            Ok(admission) => admission,
            Err(throttled) => return throttled_reply(&mailbox, &throttled, &name, request),
        };
    // Latency is server time: the request holds its concurrency slots while it waits.
    if faults_apply {
        let latency = sim.faults.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }
    if faults_apply && sim.faults.roll(|settings| settings.internal_error_rate) {
        mailbox.counters.bump("fault.internal_error");
        return EwsReply::fault(
            &SoapFault::new(
                "ErrorInternalServerError",
                "An internal server error occurred. The operation failed.",
            ),
            &name,
        );
    }
    let poison_text = faults_apply && sim.faults.roll(|settings| settings.invalid_xml_char_rate);
    let ctx = OpContext {
        sim,
        principal: &principal,
        mailbox: &mailbox,
        now: crate::time::now(),
        faults_apply,
        poison_text,
    };
    let mut writer = XmlWriter::new();
    envelope_start(&mut writer);
    let result = (operation.handler)(&ctx, request, &mut writer);
    let mut reply = match result {
        Ok(()) => {
            envelope_end(&mut writer);
            EwsReply {
                body: writer.finish(),
                schema_valid: !poison_text,
                ..EwsReply::empty(200, &name)
            }
        }
        Err(OpError::Fault(fault)) => EwsReply::fault(&fault, &name),
        Err(OpError::Throttled(throttled)) => {
            return throttled_reply(&mailbox, &throttled, &name, request)
        }
    };
    if poison_text {
        mailbox.counters.bump("fault.invalid_xml_char");
    }
    if faults_apply && sim.faults.roll(|settings| settings.connection_reset_rate) {
        mailbox.counters.bump("fault.connection_reset");
        let length = reply.body.iter().map(Segment::encoded_len).sum();
        reply.reset_after = Some(sim.faults.reset_point(length));
    }
    reply.admission = Some(admission);
    reply
}

/// Splits an envelope into its header (if any) and the operation element in its body.
fn envelope_parts(root: &Element) -> Result<(Option<&Element>, &Element), SoapFault> {
    if root.ns != Ns::Soap || root.name != "Envelope" {
        return Err(SoapFault::schema(
            "the root element is not a SOAP 1.1 Envelope",
        ));
    }
    let header = root
        .children
        .iter()
        .find(|child| child.ns == Ns::Soap && child.name == "Header");
    let body = root
        .children
        .iter()
        .find(|child| child.ns == Ns::Soap && child.name == "Body")
        .ok_or_else(|| SoapFault::schema("the envelope has no Body"))?;
    let request = match body.children.as_slice() {
        [request] => request,
        [] => return Err(SoapFault::schema("the Body is empty")),
        _ => return Err(SoapFault::schema("the Body holds more than one element")),
    };
    Ok((header, request))
}

/// Replies to a throttled request in the form the refusing policy uses.
fn throttled_reply(
    mailbox: &Mailbox,
    throttled: &Throttled,
    operation: &str,
    request: &Element,
) -> EwsReply {
    mailbox
        .counters
        .bump(&format!("throttled.{}", throttled.policy.name()));
    tracing::debug!(
        mailbox = %mailbox.primary_address,
        operation,
        policy = throttled.policy.name(),
        back_off_ms = throttled.back_off.as_millis() as u64,
        "request throttled"
    );
    match throttled.form {
        ThrottleForm::Http503 => EwsReply::empty(503, operation),
        ThrottleForm::SoapFault => EwsReply::fault(&SoapFault::server_busy(throttled), operation),
        ThrottleForm::ResponseMessage => {
            let error = EwsError::server_busy(throttled);
            let mut writer = XmlWriter::new();
            envelope_start(&mut writer);
            if matches!(operation, "GetInboxRules" | "UpdateInboxRules") {
                writer.open(
                    &format!("m:{operation}Response"),
                    &[
                        ("ResponseClass", "Error"),
                        ("xmlns:m", crate::xml::MESSAGES_NS),
                        ("xmlns:t", crate::xml::TYPES_NS),
                    ],
                );
                writer.leaf("m:MessageText", &error.text);
                writer.leaf("m:ResponseCode", error.code);
                writer.leaf("m:DescriptiveLinkKey", "0");
                writer.open("m:MessageXml", &[]);
                for (name, value) in &error.values {
                    writer.leaf_with("t:Value", &[("Name", name)], value);
                }
                writer.close("m:MessageXml");
                writer.close(&format!("m:{operation}Response"));
            } else {
                response_start(&mut writer, operation);
                for _ in 0..expected_messages(operation, request) {
                    error_message(
                        &mut writer,
                        &format!("m:{operation}ResponseMessage"),
                        &error,
                    );
                }
                response_end(&mut writer, operation);
            }
            envelope_end(&mut writer);
            EwsReply {
                body: writer.finish(),
                ..EwsReply::empty(200, operation)
            }
        }
    }
}

/// How many response messages an operation's reply holds (one per id, folder or item asked for).
fn expected_messages(operation: &str, request: &Element) -> usize {
    let list = match operation {
        "GetItem" | "ExportItems" | "DeleteItem" => "ItemIds",
        "GetFolder" | "DeleteFolder" => "FolderIds",
        "FindItem" | "FindFolder" => "ParentFolderIds",
        "CreateItem" | "UploadItems" => "Items",
        "CreateFolder" => "Folders",
        "UpdateItem" => "ItemChanges",
        "UpdateFolder" => "FolderChanges",
        "ConvertId" => "SourceIds",
        _ => return 1,
    };
    request
        .child(list)
        .map(|list| list.children.len())
        .unwrap_or(1)
        .max(1)
}
