//! Graph's error replies: an HTTP status and `{"error": {"code", "message", "innerError":
//! {"date", "request-id", "client-request-id"}}}`.
//!
//! Codes follow what the Outlook workload behind Graph sends: Exchange's response codes for
//! store failures (`ErrorItemNotFound`, `ErrorFolderExists`, `ErrorInvalidIdMalformed`...), and
//! Graph's own for protocol failures (`BadRequest`, `InvalidAuthenticationToken`,
//! `TooManyRequests`).

use serde_json::json;

use crate::identity::TokenRejection;
use crate::transfer::TransferError;

/// A refused Graph request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    /// HTTP status.
    pub status: u16,
    /// The error code.
    pub code: &'static str,
    /// What was wrong, for a person to read.
    pub message: String,
    /// Seconds the client should wait (`Retry-After`), for throttling.
    pub retry_after_secs: Option<u64>,
    /// Extra headers (`WWW-Authenticate`, `Allow`).
    pub headers: Vec<(&'static str, String)>,
}

impl GraphError {
    /// An error with a status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> GraphError {
        GraphError {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
            headers: Vec::new(),
        }
    }

    /// 400 `BadRequest`: the request itself is malformed (query options, JSON body).
    pub fn bad_request(message: impl Into<String>) -> GraphError {
        GraphError::new(400, "BadRequest", message)
    }

    /// 400 `ErrorInvalidRequest`: a well-formed request the operation cannot carry out as asked.
    pub fn invalid_request(message: impl Into<String>) -> GraphError {
        GraphError::new(400, "ErrorInvalidRequest", message)
    }

    /// 404 `ErrorItemNotFound`, which the Outlook workload uses for folders and items alike.
    pub fn not_found() -> GraphError {
        GraphError::new(
            404,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        )
    }

    /// 400 `ErrorInvalidIdMalformed`: a folder or item id that was not issued here.
    pub fn id_malformed() -> GraphError {
        GraphError::new(400, "ErrorInvalidIdMalformed", "Id is malformed.")
    }

    /// 401 `InvalidAuthenticationToken`, with the challenge Graph sends.
    pub fn unauthorized(rejection: TokenRejection) -> GraphError {
        let message = match rejection {
            TokenRejection::Missing => "Access token is empty.",
            TokenRejection::Invalid => {
                "IDX14100: JWT is not well formed, or was not issued by this service."
            }
            TokenRejection::Expired => "Lifetime validation failed, the token is expired.",
            TokenRejection::WrongAudience => "Access token validation failure. Invalid audience.",
            TokenRejection::NoPermissions => "The token contains no permissions.",
        };
        GraphError::new(401, "InvalidAuthenticationToken", message).with_header(
            "www-authenticate",
            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
        )
    }

    /// 403 `ErrorAccessDenied`: the token is valid but does not grant this operation.
    pub fn access_denied(message: impl Into<String>) -> GraphError {
        GraphError::new(403, "ErrorAccessDenied", message)
    }

    /// A throttling refusal: 429 `TooManyRequests` (or 503 `ServiceUnavailable`) with
    /// `Retry-After` in whole seconds, at least one.
    pub fn throttled(status: u16, retry_after_secs: u64, message: impl Into<String>) -> GraphError {
        let code = if status == 503 {
            "ServiceUnavailable"
        } else {
            "TooManyRequests"
        };
        GraphError {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..GraphError::new(status, code, message)
        }
    }

    /// Adds a header to the reply.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> GraphError {
        self.headers.push((name, value.into()));
        self
    }

    /// The JSON body for a request with these ids.
    pub fn body(&self, request_id: &str, client_request_id: &str) -> String {
        json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                    "request-id": request_id,
                    "client-request-id": client_request_id,
                }
            }
        })
        .to_string()
    }
}

impl From<TransferError> for GraphError {
    /// Import failures as Graph reports them. The statuses are assumptions (the docs name none):
    /// 413 for an item over the size limit, 507 for a full mailbox, as Graph's Outlook APIs do.
    fn from(error: TransferError) -> GraphError {
        let status = match error {
            TransferError::CorruptData(_) => 400,
            TransferError::ItemTooLarge { .. } => 413,
            TransferError::QuotaExceeded => 507,
            TransferError::Throttled(_) => 429,
        };
        let message = error.message();
        match error {
            TransferError::Throttled(throttled) => GraphError::throttled(
                429,
                throttled.back_off.as_secs_f64().ceil() as u64,
                format!(
                    "Application is over its {} limit for this mailbox.",
                    throttled.policy.exchange_part()
                ),
            ),
            _ => GraphError::new(status, error.code(), message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_graphs_shape() {
        let error = GraphError::not_found();
        let body: serde_json::Value =
            serde_json::from_str(&error.body("r-1", "c-1")).expect("json");
        assert_eq!(body["error"]["code"], "ErrorItemNotFound");
        assert_eq!(body["error"]["innerError"]["request-id"], "r-1");
        assert_eq!(body["error"]["innerError"]["client-request-id"], "c-1");
        assert!(body["error"]["innerError"]["date"].is_string());
    }

    #[test]
    fn throttling_names_retry_after_in_whole_seconds() {
        let error = GraphError::throttled(429, 0, "busy");
        assert_eq!(
            (error.code, error.retry_after_secs),
            ("TooManyRequests", Some(1))
        );
        assert_eq!(
            GraphError::throttled(503, 5, "busy").code,
            "ServiceUnavailable"
        );
    }
}
