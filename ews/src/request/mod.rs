//! Request writers: pure functions from arguments to SOAP envelopes (no I/O), so every request
//! the client can build is checked against Microsoft's schemas in tests.
//!
//! [`Request`] is an envelope ready to send: its markup, with item content (MIME, export data)
//! kept as shared segments that are base64-encoded while the body streams out.

mod common;
mod directory;
mod export;
mod folders;
mod items;
mod rules;

pub use common::{BaseShape, FolderShape, ItemShape, Paging, Traversal};
pub use directory::resolve_names;
pub use export::{export_items, upload_items};
pub use folders::{
    create_folders, delete_folders, find_folders, get_folders, sync_folder_hierarchy,
    update_folder, FolderUpdate, NewFolder,
};
pub use items::{
    convert_ids, create_items_from_mime, delete_items, find_items, get_items, sync_folder_items,
    update_items, FindItemQuery, ItemUpdate, SortOrder,
};
pub use rules::{get_inbox_rules, update_inbox_rules};

use ferry_xml::{Segment, XmlWriter, MESSAGES_NS, SOAP_NS, TYPES_NS};

/// The schema version requests ask for unless configured otherwise. Exchange Online serves it,
/// and it has every operation a migration needs.
pub const DEFAULT_SCHEMA_VERSION: &str = "Exchange2016";

/// How the client reaches a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `ExchangeImpersonation` (app-only tokens, or admins with the impersonation role).
    Impersonation,
    /// Delegate full access: the mailbox is named in the request itself.
    Delegate,
}

/// A mailbox and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxTarget {
    /// Primary SMTP address.
    pub address: String,
    /// Impersonation or delegation.
    pub access: Access,
}

impl MailboxTarget {
    /// A mailbox reached by impersonation.
    pub fn impersonated(address: impl Into<String>) -> MailboxTarget {
        MailboxTarget {
            address: address.into(),
            access: Access::Impersonation,
        }
    }

    /// A mailbox reached by delegate access.
    pub fn delegated(address: impl Into<String>) -> MailboxTarget {
        MailboxTarget {
            address: address.into(),
            access: Access::Delegate,
        }
    }
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// The operation name, for logs and errors.
    pub operation: &'static str,
    /// The mailbox it acts on (also sent as `X-AnchorMailbox`).
    pub mailbox: String,
    /// The envelope.
    pub body: Vec<Segment>,
}

impl Request {
    /// The whole envelope as text (tests and debugging; large content is encoded here).
    pub fn to_text(&self) -> String {
        let bytes: Vec<u8> = ferry_xml::SegmentChunks::new(self.body.clone())
            .flat_map(|chunk| chunk.to_vec())
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Wraps an operation element in an envelope with `RequestServerVersion` and, for impersonation,
/// `ExchangeImpersonation`.
pub(crate) fn envelope(
    operation: &'static str,
    mailbox: &MailboxTarget,
    version: &str,
    write_body: impl FnOnce(&mut XmlWriter),
) -> Request {
    let mut writer = XmlWriter::new();
    writer.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    writer.open(
        "soap:Envelope",
        &[
            ("xmlns:soap", SOAP_NS),
            ("xmlns:m", MESSAGES_NS),
            ("xmlns:t", TYPES_NS),
        ],
    );
    writer.open("soap:Header", &[]);
    writer.empty("t:RequestServerVersion", &[("Version", version)]);
    if mailbox.access == Access::Impersonation {
        writer.open("t:ExchangeImpersonation", &[]);
        writer.open("t:ConnectingSID", &[]);
        writer.leaf("t:PrimarySmtpAddress", &mailbox.address);
        writer.close("t:ConnectingSID");
        writer.close("t:ExchangeImpersonation");
    }
    writer.close("soap:Header");
    writer.open("soap:Body", &[]);
    write_body(&mut writer);
    writer.close("soap:Body");
    writer.close("soap:Envelope");
    Request {
        operation,
        mailbox: mailbox.address.clone(),
        body: writer.finish(),
    }
}
