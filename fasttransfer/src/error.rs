//! The ways export data and FastTransfer streams can be malformed. Messages carry offsets,
//! tags and small counts, never the data itself (it is mail).

use thiserror::Error;

use crate::tag::PropTag;

/// Export data whose block framing is broken.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FramingError {
    /// Fewer than the 8 bytes of a block header are left.
    #[error("block header at offset {offset} truncated: {available} bytes left")]
    TruncatedHeader {
        /// Offset of the header.
        offset: usize,
        /// Bytes left from there.
        available: usize,
    },
    /// A block declares more bytes than are left.
    #[error(
        "block {marker} at offset {offset} declares {length} bytes but only {available} remain"
    )]
    BlockPastEnd {
        /// Offset of the block header.
        offset: usize,
        /// The block's marker.
        marker: u32,
        /// The declared payload length.
        length: u32,
        /// Bytes left after the header.
        available: usize,
    },
    /// No block holds a message.
    #[error("no message block among {blocks} blocks")]
    NoMessageBlock {
        /// How many blocks there were.
        blocks: usize,
    },
    /// A second message block.
    #[error("second message block at offset {offset} (first at offset {first_offset})")]
    DuplicateMessageBlock {
        /// Offset of the first message block.
        first_offset: usize,
        /// Offset of the second.
        offset: usize,
    },
    /// A payload too long for the format's `u32` length.
    #[error("block {marker} of {length} bytes is too large to frame")]
    BlockTooLarge {
        /// The block's marker.
        marker: u32,
        /// Its payload length.
        length: u64,
    },
}

/// A FastTransfer stream, property or value that is malformed or inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FxError {
    /// The stream ends inside an element.
    #[error("stream truncated in {what} at offset {offset}")]
    Truncated {
        /// The part being read: "property tag", "property name", "property value"...
        what: &'static str,
        /// Offset where that part starts.
        offset: usize,
    },
    /// A length or count larger than what is left of the stream.
    #[error(
        "{what} of {declared} at offset {offset} for {tag} exceeds the {available} bytes left"
    )]
    DeclaredSizeTooLarge {
        /// "length" or "count".
        what: &'static str,
        /// The value declared.
        declared: u64,
        /// The property it belongs to.
        tag: PropTag,
        /// Offset of the length or count.
        offset: usize,
        /// Bytes left after it.
        available: usize,
    },
    /// A named property whose name kind is neither 0 (LID) nor 1 (string).
    #[error("invalid property name kind {kind} at offset {offset}")]
    InvalidNameKind {
        /// The kind byte.
        kind: u8,
        /// Its offset.
        offset: usize,
    },
    /// A string name longer than [`crate::name::MAX_NAME_UNITS`] UTF-16 units.
    #[error("property name at offset {offset} is longer than {limit} units")]
    NameTooLong {
        /// Offset of the name's first unit.
        offset: usize,
        /// The limit.
        limit: usize,
    },
    /// Recipient, attachment and embedded-message markers that do not nest.
    #[error("unbalanced stream at element {index}: {what}")]
    Unbalanced {
        /// Index of the element (from 0) in the order fed to the tracker.
        index: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// Messages embedded deeper than the limit.
    #[error("embedded messages nest deeper than {limit} at element {index}")]
    NestingTooDeep {
        /// Index of the element.
        index: usize,
        /// The limit.
        limit: u32,
    },
    /// A value whose kind does not fit the tag's property type.
    #[error("a {value} value does not fit property {tag}")]
    TypeMismatch {
        /// The property tag.
        tag: PropTag,
        /// The kind of value given.
        value: &'static str,
    },
    /// A tag whose property type has no known encoding.
    #[error("property {tag} has a type that cannot be encoded")]
    UnsizableType {
        /// The property tag.
        tag: PropTag,
    },
    /// A tag that is a stream marker, so it cannot be a property.
    #[error("{tag} is a marker, not a property")]
    MarkerTag {
        /// The tag.
        tag: PropTag,
    },
    /// A name given for a property id below 0x8000.
    #[error("property {tag} is not named but a name was given")]
    UnexpectedName {
        /// The property tag.
        tag: PropTag,
    },
    /// No name given for a property id of 0x8000 or more.
    #[error("named property {tag} has no name")]
    MissingName {
        /// The property tag.
        tag: PropTag,
    },
    /// A string name that cannot be written (a NUL unit inside, or too long).
    #[error("property name for {tag} cannot be written: {reason}")]
    InvalidName {
        /// The property tag.
        tag: PropTag,
        /// Why.
        reason: &'static str,
    },
    /// A value too long for the format's `u32` length or count.
    #[error("value of {length} for property {tag} is too large to encode")]
    ValueTooLarge {
        /// The property tag.
        tag: PropTag,
        /// The length or count.
        length: u64,
    },
    /// Raw value bytes that do not decode as the tag's type says.
    #[error("value of property {tag} is malformed: {reason}")]
    MalformedValue {
        /// The property tag.
        tag: PropTag,
        /// Why.
        reason: &'static str,
    },
    /// A multi-valued type MS-OXCDATA does not define (of booleans, error codes, server ids,
    /// objects, restrictions or rule actions): it is read and written raw but not decoded.
    #[error("property {tag} has a multi-valued type with no decoded form")]
    UndecodableMultiValue {
        /// The property tag.
        tag: PropTag,
    },
}
