//! Exchange's full-fidelity export data, read and written losslessly: what EWS `ExportItems`
//! returns and `UploadItems` takes, and what Microsoft Graph's `exportItems` returns, with the
//! MS-OXCFXICS FastTransfer stream inside it.
//!
//! The layers, outside in:
//!
//! - [`Base64Decoder`]: the base64 text replies carry, decoded into [`Chunks`] as it arrives.
//! - [`chunks`]: [`Chunks`], a byte string held as shared `Bytes` chunks, and [`ChunksBuilder`].
//!   Everything below slices its input rather than copying it, so a 140 MB attachment passes
//!   through without being duplicated.
//! - [`framing`]: [`ExportData`], the blocks around the stream (block 2 is the message; Exchange
//!   writes blocks 1, 3 and 4 before it, reproduced by [`ExportData::with_exchange_header`]).
//! - [`tag`] and [`name`]: property tags and types, the stream's markers and meta-properties,
//!   named-property names and well-known property sets.
//! - [`reader`]: [`Reader`] turns a stream into [`Element`]s (markers and [`Property`]s whose
//!   values stay encoded as a [`RawValue`]); [`writer`]: [`Writer`] and [`encode`] write them
//!   back byte for byte. Content the reader cannot size is carried as [`Element::Unparsed`].
//! - [`property`] and [`value`]: [`Property::decode`] turns a raw value into a [`PropValue`] on
//!   demand and [`Property::new`] encodes one (internally `codec`, with `layout` deciding each
//!   type's wire size).
//! - [`scope`]: [`ScopeTracker`] says whether an element belongs to a message, a recipient or an
//!   attachment, and at which embedding depth.
//!
//! Malformed input is an [`FxError`] or [`FramingError`] naming the problem and its offset;
//! no input makes the crate panic or allocate in proportion to a declared size.

mod base64_text;
pub mod chunks;
mod codec;
mod cursor;
pub mod error;
pub mod framing;
mod layout;
pub mod name;
pub mod property;
pub mod reader;
pub mod scope;
pub mod tag;
pub mod value;
pub mod writer;

pub use base64_text::{Base64Decoder, Base64Error};
pub use chunks::{Chunks, ChunksBuilder};
pub use error::{FramingError, FxError};
pub use framing::{Block, ExportData};
pub use name::{NameKind, PropName};
pub use property::{Property, RawValue};
pub use reader::{Element, Reader};
pub use scope::{Location, Scope, ScopeTracker};
pub use tag::PropTag;
pub use value::PropValue;
pub use writer::{encode, Writer};
