//! XML writing for EWS, shared by Ferry's EWS client (requests) and its simulator (replies).
//!
//! [`XmlWriter`] builds markup into a buffer and keeps large binary content (MIME, export data)
//! as shared [`bytes::Bytes`] segments to be base64-encoded while the document is sent, so a
//! document carrying a 100 MB item never exists whole in memory. [`SegmentChunks`] does that
//! encoding chunk by chunk. Reading is not shared: the simulator parses requests into a tree and
//! the client streams replies, and keeping those apart means one side's bug can't hide the other's.

mod chunks;
pub mod schema;
mod writer;

pub use chunks::{Base64Chunks, SegmentChunks};
pub use writer::{append_base64, escape_into, Segment, XmlWriter};

/// SOAP 1.1 envelope namespace.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// EWS messages namespace (`m:`).
pub const MESSAGES_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
/// EWS types namespace (`t:`).
pub const TYPES_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
/// EWS SOAP fault detail namespace (`e:`).
pub const ERRORS_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";
