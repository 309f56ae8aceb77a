//! Ferry's Exchange Web Services client: every operation a mailbox migration needs, against
//! Exchange Online in any Microsoft cloud, with OAuth2 and throttling a caller can act on.
//!
//! - [`cloud`]: sign-in authority, EWS URL and token resource per cloud, all overridable.
//! - [`auth`]: client-secret, certificate and delegated-admin password credentials, and the
//!   [`TokenProvider`](auth::TokenProvider) that caches and renews tokens.
//! - [`request`]: pure request writers (checked against Microsoft's schemas in tests).
//! - [`reply`]: replies read as they stream in; base64 item data decoded straight from the
//!   socket; SOAP faults and error messages classified into [`EwsError`].
//! - [`EwsClient`] sends requests (bearer token, `X-AnchorMailbox`, one renewal on 401) and its
//!   operation methods (in `ops`) return typed results, one per object for batches.
//!
//! The client holds at most one item's data at a time when exporting ([`ExportStream`]) and
//! encodes upload data while the request is sent, so memory does not grow with batch size.

pub mod auth;
pub mod client;
pub mod cloud;
pub mod data;
pub mod error;
mod ops;
pub mod reply;
pub mod request;
pub mod secret;
pub mod time;
pub mod types;

pub use auth::{ClientCertificate, Credentials};
pub use client::{ClientConfig, EwsClient};
pub use cloud::{Cloud, Endpoints};
pub use error::{EwsError, ThrottleScope};
pub use ops::ExportStream;
pub use request::{Access, MailboxTarget};
pub use secret::Secret;
