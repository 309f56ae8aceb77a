//! Ferry's Exchange Web Services client: every operation a mailbox migration needs, against
//! Exchange Online in any Microsoft cloud, with OAuth2 and throttling a caller can act on.
//!
//! - [`cloud`]: token endpoint, EWS URL and token resource per cloud, all overridable.
//! - Signing in is `ferry-auth`'s (client-secret, certificate and delegated-admin password
//!   credentials, and the [`TokenProvider`] that caches and renews tokens), re-exported here.
//! - [`request`]: pure request writers (checked against Microsoft's schemas in tests).
//! - [`reply`]: replies read as they stream in; base64 item data decoded straight from the
//!   socket; SOAP faults and error messages classified into [`EwsError`].
//! - [`EwsClient`] sends requests (bearer token, `X-AnchorMailbox`, one renewal on 401) and its
//!   operation methods (in `ops`) return typed results, one per object for batches.
//!
//! The client holds at most one item's data at a time when exporting ([`ExportStream`]) and
//! encodes upload data while the request is sent, so memory does not grow with batch size.

pub mod client;
pub mod cloud;
pub mod data;
pub mod error;
mod ops;
pub mod reply;
pub mod request;
pub mod time;
pub mod types;

pub use client::{ClientConfig, EwsClient};
pub use cloud::{Cloud, Endpoints};
pub use error::{EwsError, ThrottleScope};
pub use ferry_auth::{ClientCertificate, Credentials, Secret, TokenProvider};
pub use ops::ExportStream;
pub use request::{Access, MailboxTarget};
