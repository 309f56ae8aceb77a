//! Graph failures, typed by what a caller does about them: wait (throttled), sign in again
//! (unauthorised, after the client has renewed its token once), give up on an object (not found,
//! conflict), or give up on the request. Messages carry Graph's code and message, never a token,
//! a secret or an import URL.

use std::time::Duration;

use ferry_auth::AuthError;

/// A failed Graph call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// 429, or 503 with `Retry-After`: the app is over a limit for this mailbox.
    #[error("throttled ({status} {code}): {message}")]
    Throttled {
        /// 429 or 503.
        status: u16,
        /// Graph's code (`TooManyRequests`, `ServiceUnavailable`...).
        code: String,
        /// Graph's message.
        message: String,
        /// The `Retry-After` it sent.
        retry_after: Option<Duration>,
    },
    /// 401 even after a fresh token, or 403: the credentials do not grant the call.
    #[error("unauthorised ({status} {code}): {message}")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// Graph's code (`InvalidAuthenticationToken`, `ErrorAccessDenied`...).
        code: String,
        /// Graph's message.
        message: String,
    },
    /// 404: no such mailbox, folder or item (`code` says which when Graph does).
    #[error("not found ({code}): {message}")]
    NotFound {
        /// Graph's code (`ErrorNonExistentMailbox`, `ErrorItemNotFound`, `ResourceNotFound`...).
        code: String,
        /// Graph's message.
        message: String,
    },
    /// 409: a folder of that name exists, or a stale change key.
    #[error("conflict ({code}): {message}")]
    Conflict {
        /// Graph's code (`ErrorFolderExists`, `ErrorIrresolvableConflict`...).
        code: String,
        /// Graph's message.
        message: String,
    },
    /// Any other error reply.
    #[error("Graph answered {status} {code}: {message}")]
    Service {
        /// HTTP status.
        status: u16,
        /// Graph's code.
        code: String,
        /// Graph's message.
        message: String,
        /// The `Retry-After` it sent, if any.
        retry_after: Option<Duration>,
    },
    /// The service could not be reached, or the connection broke part way through a reply.
    #[error("transport: {0}")]
    Transport(String),
    /// A reply that is not what Graph sends.
    #[error("malformed reply: {0}")]
    Malformed(String),
    /// A request the client refuses to send (bad argument).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Signing in failed.
    #[error("sign-in: {0}")]
    Auth(#[from] AuthError),
}

impl GraphError {
    /// A stable code for counters and logs: Graph's code where it sent one.
    pub fn code(&self) -> &str {
        match self {
            GraphError::Throttled { code, .. }
            | GraphError::Unauthorized { code, .. }
            | GraphError::NotFound { code, .. }
            | GraphError::Conflict { code, .. }
            | GraphError::Service { code, .. } => code,
            GraphError::Transport(_) => "transport",
            GraphError::Malformed(_) => "malformed_reply",
            GraphError::InvalidRequest(_) => "invalid_request",
            GraphError::Auth(_) => "sign_in",
        }
    }

    /// The HTTP status of an error reply.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Throttled { status, .. }
            | GraphError::Unauthorized { status, .. }
            | GraphError::Service { status, .. } => Some(*status),
            GraphError::NotFound { .. } => Some(404),
            GraphError::Conflict { .. } => Some(409),
            _ => None,
        }
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Throttled { .. } | GraphError::Transport(_) => true,
            GraphError::Service { status, .. } => *status >= 500 || *status == 408,
            GraphError::Auth(error) => matches!(
                error,
                AuthError::Throttled { .. } | AuthError::Unavailable { .. }
            ),
            _ => false,
        }
    }

    /// How long the service asked the caller to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            GraphError::Throttled { retry_after, .. } | GraphError::Service { retry_after, .. } => {
                *retry_after
            }
            GraphError::Auth(AuthError::Throttled { retry_after })
            | GraphError::Auth(AuthError::Unavailable { retry_after, .. }) => *retry_after,
            _ => None,
        }
    }

    /// The error an error reply stands for.
    pub fn from_reply(
        status: u16,
        code: String,
        message: String,
        retry_after: Option<Duration>,
    ) -> GraphError {
        match status {
            429 => GraphError::Throttled {
                status,
                code,
                message,
                retry_after,
            },
            // Graph answers 503 both when it sheds load (with Retry-After: throttling) and when
            // a back end is down (without: a transient failure).
            503 if retry_after.is_some() => GraphError::Throttled {
                status,
                code,
                message,
                retry_after,
            },
            401 | 403 => GraphError::Unauthorized {
                status,
                code,
                message,
            },
            404 => GraphError::NotFound { code, message },
            409 => GraphError::Conflict { code, message },
            _ => GraphError::Service {
                status,
                code,
                message,
                retry_after,
            },
        }
    }
}

/// A failure `exportItems` reports for one item while the others export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ItemError {
    /// Graph's code (`ErrorItemNotFound`...).
    pub code: String,
    /// Graph's message.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_kinds_and_throttling_keeps_its_hint() {
        let hint = Some(Duration::from_secs(7));
        let throttled = GraphError::from_reply(429, "TooManyRequests".into(), "m".into(), hint);
        assert!(throttled.is_retryable());
        assert_eq!(throttled.retry_after(), hint);
        let shed = GraphError::from_reply(503, "ServiceUnavailable".into(), "m".into(), hint);
        assert!(matches!(shed, GraphError::Throttled { status: 503, .. }));
        let down = GraphError::from_reply(503, "ServiceUnavailable".into(), "m".into(), None);
        assert!(matches!(down, GraphError::Service { .. }) && down.is_retryable());
        let gone = GraphError::from_reply(404, "ErrorItemNotFound".into(), "m".into(), None);
        assert_eq!(gone.code(), "ErrorItemNotFound");
        assert!(!gone.is_retryable());
        let refused = GraphError::from_reply(403, "ErrorAccessDenied".into(), "m".into(), None);
        assert!(matches!(
            refused,
            GraphError::Unauthorized { status: 403, .. }
        ));
        let bad = GraphError::from_reply(400, "ErrorInvalidRequest".into(), "m".into(), None);
        assert!(!bad.is_retryable());
    }
}
