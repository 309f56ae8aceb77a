//! Why signing in failed. Messages name codes and ids, never a secret.

use std::time::Duration;

/// A failed sign-in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The certificate or its private key cannot be used.
    #[error("{0}")]
    BadCertificate(String),
    /// The token endpoint asked the client to slow down.
    #[error("the token endpoint is throttling")]
    Throttled {
        /// Its `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The token endpoint could not be reached or failed; retrying may help.
    #[error("{message}")]
    Unavailable {
        /// What happened.
        message: String,
        /// The endpoint's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The token endpoint answered something that is not a token reply.
    #[error("malformed token reply: {0}")]
    MalformedReply(String),
    /// The credentials were refused.
    #[error("{0}")]
    Refused(String),
}
