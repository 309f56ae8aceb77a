//! One error type for everything the EWS client can meet, classified so a caller knows what to do:
//! wait and retry (throttled, transient), renew credentials (unauthorised), record the item as
//! failed (not found, too large, quota), or give up (permanent, malformed reply).

use std::time::Duration;

/// How far a throttling reply reaches, as far as the reply tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThrottleScope {
    /// The budget of one mailbox (and caller): `ErrorServerBusy` with `BackOffMilliseconds`,
    /// concurrent sync calls.
    Mailbox,
    /// The whole service for this tenant: HTTP 503 or 429 without detail.
    Tenant,
    /// Too many connections or open objects for this caller (`ErrorTooManyObjectsOpened`,
    /// `ErrorExceededConnectionCount`).
    Connection,
}

impl std::fmt::Display for ThrottleScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ThrottleScope::Mailbox => "mailbox",
            ThrottleScope::Tenant => "tenant",
            ThrottleScope::Connection => "connection",
        })
    }
}

/// An EWS failure a caller can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EwsError {
    /// The server asked us to slow down.
    #[error("throttled ({scope} scope){}", back_off_text(.back_off))]
    Throttled {
        /// How long the server asked us to wait (`BackOffMilliseconds`, `Retry-After`).
        back_off: Option<Duration>,
        /// What the throttling applies to.
        scope: ThrottleScope,
    },
    /// The token was refused or the caller may not act on the mailbox.
    #[error("unauthorised: {0}")]
    Unauthorized(String),
    /// The mailbox does not exist (`ErrorNonExistentMailbox`).
    #[error("mailbox not found: {0}")]
    MailboxNotFound(String),
    /// The folder does not exist.
    #[error("folder not found ({code}): {message}")]
    FolderNotFound {
        /// The EWS response code.
        code: String,
        /// The server's text.
        message: String,
    },
    /// The item does not exist (any more).
    #[error("item not found: {0}")]
    ItemNotFound(String),
    /// The destination mailbox is full (`ErrorQuotaExceeded`).
    #[error("mailbox quota exceeded: {0}")]
    QuotaExceeded(String),
    /// The item is larger than the server accepts (`ErrorMessageSizeExceeded`).
    #[error("item too large: {0}")]
    ItemTooLarge(String),
    /// A failure that may pass: 5xx, timeouts, connection resets, `ErrorInternalServerError`.
    #[error("transient failure: {message}")]
    Transient {
        /// What happened.
        message: String,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// Any other response code; retrying will not help.
    #[error("{code}: {message}")]
    Permanent {
        /// The EWS response code, or `HTTP <status>`.
        code: String,
        /// The server's text.
        message: String,
    },
    /// The reply could not be read.
    #[error("malformed reply: {0}")]
    MalformedReply(String),
    /// The request could not be built from the arguments given.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

fn back_off_text(back_off: &Option<Duration>) -> String {
    back_off
        .map(|back_off| format!(", back off {} ms", back_off.as_millis()))
        .unwrap_or_default()
}

impl EwsError {
    /// Classifies an EWS response code (`ErrorItemNotFound`...) with the server's message and
    /// `BackOffMilliseconds`, if any.
    pub fn from_response_code(code: &str, message: &str, back_off: Option<Duration>) -> EwsError {
        let message = message.to_string();
        match code {
            "ErrorServerBusy" => EwsError::Throttled {
                back_off,
                scope: ThrottleScope::Mailbox,
            },
            "ErrorTooManyObjectsOpened"
            | "ErrorExceededConnectionCount"
            | "ErrorExceededSubscriptionCount" => EwsError::Throttled {
                back_off,
                scope: ThrottleScope::Connection,
            },
            "ErrorNonExistentMailbox"
            | "ErrorMailRecipientNotFound"
            | "ErrorInvalidSmtpAddress" => EwsError::MailboxNotFound(message),
            "ErrorAccessDenied"
            | "ErrorImpersonateUserDenied"
            | "ErrorImpersonationDenied"
            | "ErrorImpersonationFailed"
            | "ErrorInvalidExchangeImpersonationHeaderData"
            | "ErrorInvalidLicense"
            | "ErrorOrganizationAccessBlocked" => {
                EwsError::Unauthorized(format!("{code}: {message}"))
            }
            "ErrorFolderNotFound"
            | "ErrorParentFolderNotFound"
            | "ErrorSyncFolderNotFound"
            | "ErrorSavedItemFolderNotFound"
            | "ErrorToFolderNotFound" => EwsError::FolderNotFound {
                code: code.to_string(),
                message,
            },
            "ErrorItemNotFound" => EwsError::ItemNotFound(message),
            "ErrorQuotaExceeded" | "ErrorMessagePerFolderCountReceiveQuotaExceeded" => {
                EwsError::QuotaExceeded(message)
            }
            "ErrorMessageSizeExceeded"
            | "ErrorAttachmentSizeLimitExceeded"
            | "ErrorRequestStreamTooBig" => EwsError::ItemTooLarge(message),
            "ErrorInternalServerError"
            | "ErrorInternalServerTransientError"
            | "ErrorMailboxStoreUnavailable"
            | "ErrorMailboxMoveInProgress"
            | "ErrorConnectionFailed"
            | "ErrorTimeoutExpired"
            | "ErrorBatchProcessingStopped"
            | "ErrorMailboxFailover" => EwsError::Transient {
                message: format!("{code}: {message}"),
                retry_after: back_off,
            },
            _ => EwsError::Permanent {
                code: code.to_string(),
                message,
            },
        }
    }

    /// How long to wait before retrying, when the server said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            EwsError::Throttled { back_off, .. } => *back_off,
            EwsError::Transient { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            EwsError::Throttled { .. } | EwsError::Transient { .. }
        )
    }

    /// A short stable name for counters and error logs (`throttled`, `item_not_found`...), or the
    /// EWS code for permanent errors.
    pub fn code(&self) -> String {
        match self {
            EwsError::Throttled { .. } => "throttled".into(),
            EwsError::Unauthorized(_) => "unauthorized".into(),
            EwsError::MailboxNotFound(_) => "mailbox_not_found".into(),
            EwsError::FolderNotFound { .. } => "folder_not_found".into(),
            EwsError::ItemNotFound(_) => "item_not_found".into(),
            EwsError::QuotaExceeded(_) => "quota_exceeded".into(),
            EwsError::ItemTooLarge(_) => "item_too_large".into(),
            EwsError::Transient { .. } => "transient".into(),
            EwsError::Permanent { code, .. } => code.clone(),
            EwsError::MalformedReply(_) => "malformed_reply".into(),
            EwsError::InvalidRequest(_) => "invalid_request".into(),
        }
    }
}

pub use ferry_auth::parse_retry_after;

impl From<ferry_auth::AuthError> for EwsError {
    fn from(error: ferry_auth::AuthError) -> EwsError {
        use ferry_auth::AuthError;
        match error {
            AuthError::BadCertificate(message) => EwsError::InvalidRequest(message),
            AuthError::Throttled { retry_after } => EwsError::Throttled {
                back_off: retry_after,
                scope: ThrottleScope::Tenant,
            },
            AuthError::Unavailable {
                message,
                retry_after,
            } => EwsError::Transient {
                message,
                retry_after,
            },
            AuthError::MalformedReply(message) => EwsError::MalformedReply(message),
            AuthError::Refused(message) => EwsError::Unauthorized(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_codes_are_classified() {
        let busy = EwsError::from_response_code(
            "ErrorServerBusy",
            "busy",
            Some(Duration::from_millis(5000)),
        );
        assert_eq!(busy.retry_after(), Some(Duration::from_millis(5000)));
        assert!(busy.is_retryable());
        assert!(matches!(
            busy,
            EwsError::Throttled {
                scope: ThrottleScope::Mailbox,
                ..
            }
        ));
        assert!(matches!(
            EwsError::from_response_code("ErrorItemNotFound", "gone", None),
            EwsError::ItemNotFound(_)
        ));
        assert!(EwsError::from_response_code("ErrorInternalServerError", "x", None).is_retryable());
        let other =
            EwsError::from_response_code("ErrorInvalidIdMalformed", "Id is malformed.", None);
        assert_eq!(other.code(), "ErrorInvalidIdMalformed");
        assert!(!other.is_retryable());
    }
}
