//! Reading replies: [`reader`] streams XML events (decoding base64 content on the fly),
//! [`tree`] holds one response message, [`envelope`] frames the reply and classifies faults and
//! message errors, [`parse`] turns message trees into typed results, [`any`] parses any reply by
//! its response element (recorded replies, fuzzing).

pub mod any;
pub mod envelope;
pub mod parse;
pub mod reader;
pub mod tree;

pub use envelope::{Reply, Status};
pub use reader::ReplyReader;
pub use tree::Element;
