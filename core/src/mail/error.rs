//! One error type for every mail service, classified so the engine can act on it without
//! knowing the protocol: wait and retry, renew, give up on an item, or give up on the mailbox.

use std::time::Duration;

/// How far a throttling reply reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThrottleScope {
    /// One mailbox's budget (and the caller's): slow down calls to this mailbox.
    Mailbox,
    /// The whole service for this tenant (or app): slow down every call to the tenant.
    Tenant,
    /// Too many connections or open objects for this caller.
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

/// A mail service failure, classified for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Slow down: wait `back_off` (if given) before calling this mailbox or tenant again.
    #[error("throttled ({scope})")]
    Throttled {
        /// The server's requested back-off.
        back_off: Option<Duration>,
        /// Mailbox, tenant or connection.
        scope: ThrottleScope,
    },
    /// Credentials or permissions refused.
    #[error("unauthorised: {0}")]
    Unauthorized(String),
    /// No such mailbox.
    #[error("mailbox not found: {0}")]
    MailboxNotFound(String),
    /// No such folder.
    #[error("folder not found: {0}")]
    FolderNotFound(String),
    /// No such item (deleted meanwhile).
    #[error("item not found: {0}")]
    ItemNotFound(String),
    /// Destination full.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// Item over the size limit.
    #[error("item too large: {0}")]
    ItemTooLarge(String),
    /// A folder with that name exists.
    #[error("folder exists: {0}")]
    FolderExists(String),
    /// The protocol cannot do what was asked (Graph has no mail-folder permissions, say).
    #[error("not supported over {protocol}: {what}")]
    Unsupported {
        /// `ews` or `graph`.
        protocol: &'static str,
        /// What cannot be done.
        what: String,
    },
    /// The call may or may not have taken effect (its reply was lost part way, or the server
    /// failed after it may have acted): look at the destination before doing it again.
    #[error("outcome unknown: {0}")]
    OutcomeUnknown(String),
    /// May pass if retried.
    #[error("transient: {message}")]
    Transient {
        /// What happened.
        message: String,
        /// Server's retry hint.
        retry_after: Option<Duration>,
    },
    /// Will not pass.
    #[error("{code}: {message}")]
    Permanent {
        /// Service error code.
        code: String,
        /// What happened.
        message: String,
    },
}

impl MailError {
    /// A transient failure with no retry hint.
    pub fn transient(message: impl Into<String>) -> MailError {
        MailError::Transient {
            message: message.into(),
            retry_after: None,
        }
    }

    /// A stable code for counters and the error log.
    pub fn code(&self) -> String {
        match self {
            MailError::Throttled { .. } => "throttled".into(),
            MailError::Unauthorized(_) => "unauthorized".into(),
            MailError::MailboxNotFound(_) => "mailbox_not_found".into(),
            MailError::FolderNotFound(_) => "folder_not_found".into(),
            MailError::ItemNotFound(_) => "item_not_found".into(),
            MailError::QuotaExceeded(_) => "quota_exceeded".into(),
            MailError::ItemTooLarge(_) => "item_too_large".into(),
            MailError::FolderExists(_) => "folder_exists".into(),
            MailError::Unsupported { .. } => "unsupported".into(),
            MailError::OutcomeUnknown(_) => "outcome_unknown".into(),
            MailError::Transient { .. } => "transient".into(),
            MailError::Permanent { code, .. } => code.clone(),
        }
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            MailError::Throttled { .. }
                | MailError::Transient { .. }
                | MailError::OutcomeUnknown(_)
        )
    }

    /// How long the service asked the caller to wait before trying again, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            MailError::Throttled { back_off, .. } => *back_off,
            MailError::Transient { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_hints_come_from_throttling_and_transient_failures_only() {
        let throttled = MailError::Throttled {
            back_off: Some(Duration::from_secs(3)),
            scope: ThrottleScope::Mailbox,
        };
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(3)));
        assert!(throttled.is_retryable());
        let busy = MailError::Transient {
            message: "busy".into(),
            retry_after: Some(Duration::from_secs(1)),
        };
        assert_eq!(busy.retry_after(), Some(Duration::from_secs(1)));
        let gone = MailError::ItemNotFound("x".into());
        assert_eq!(gone.retry_after(), None);
        assert!(!gone.is_retryable());
        assert_eq!(gone.code(), "item_not_found");
    }
}
