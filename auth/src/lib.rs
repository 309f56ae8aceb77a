//! Signing in to Microsoft 365 tenants, shared by Ferry's protocol clients (EWS and Graph).
//!
//! - [`Cloud`]: the Microsoft clouds, each with its own sign-in authority and service hosts.
//! - [`Credentials`] and [`ClientCertificate`]: client secret, certificate (a signed client
//!   assertion) or a delegated admin's password.
//! - [`TokenProvider`]: fetches tokens for one scope, caches them, renews them before they expire
//!   and once on demand when a service refuses one.
//! - [`Secret`]: secrets that never print; [`AuthError`]: why signing in failed, with no secret in
//!   the message.

mod certificate;
mod cloud;
mod error;
mod retry_after;
mod secret;
mod token;

pub use certificate::ClientCertificate;
pub use cloud::Cloud;
pub use error::AuthError;
pub use retry_after::parse_retry_after;
pub use secret::Secret;
pub use token::{Credentials, TokenProvider};
