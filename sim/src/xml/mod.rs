//! XML for the simulator: a bounded request reader here, and the reply writer shared with the
//! EWS client (`ferry-xml`).

pub mod reader;

pub use ferry_xml::{Segment, SegmentChunks, XmlWriter, ERRORS_NS, MESSAGES_NS, SOAP_NS, TYPES_NS};
pub use reader::{parse_document, Element, XmlError};

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
