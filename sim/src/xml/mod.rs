//! XML for the simulator: a bounded request reader and a streaming-friendly reply writer.

pub mod reader;
pub mod writer;

pub use reader::{parse_document, Element, XmlError};
pub use writer::{Segment, XmlWriter};

/// SOAP 1.1 envelope namespace.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// EWS messages namespace (`m:`).
pub const MESSAGES_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
/// EWS types namespace (`t:`).
pub const TYPES_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
/// EWS SOAP fault detail namespace (`e:`).
pub const ERRORS_NS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";

/// The namespaces a request element can be in, as far as the simulator cares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ns {
    /// No namespace, or one the simulator does not know.
    #[default]
    None,
    /// The SOAP envelope namespace.
    Soap,
    /// EWS messages.
    Messages,
    /// EWS types.
    Types,
}

impl Ns {
    /// Maps a namespace URI to the namespaces EWS uses.
    pub fn from_uri(uri: &str) -> Ns {
        match uri {
            SOAP_NS => Ns::Soap,
            MESSAGES_NS => Ns::Messages,
            TYPES_NS => Ns::Types,
            _ => Ns::None,
        }
    }
}
