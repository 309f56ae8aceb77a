//! Graph failures, classified for the engine.

use ferry_core::mail::{MailError, ThrottleScope};
use ferry_graph::{AuthError, GraphError, ItemError};

/// What a 404 means where it was answered: Graph says `ErrorItemNotFound` for folders and
/// items alike, so the call site names the object it asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFound {
    /// The mailbox (discovery, or any call naming it).
    Mailbox,
    /// The folder named in the path.
    Folder,
    /// The item named in the path.
    Item,
}

const MAILBOX_CODES: &[&str] = &[
    "ErrorNonExistentMailbox",
    "MailboxNotFound",
    "Request_ResourceNotFound",
];

/// A Graph failure as the engine's error.
pub fn error(error: GraphError, not_found: NotFound) -> MailError {
    match error {
        // Graph's limits are per app and mailbox: throttling slows this mailbox only.
        GraphError::Throttled { retry_after, .. } => MailError::Throttled {
            back_off: retry_after,
            scope: ThrottleScope::Mailbox,
        },
        GraphError::Unauthorized { code, message, .. } => {
            MailError::Unauthorized(format!("{code}: {message}"))
        }
        GraphError::NotFound { code, message } => {
            let message = format!("{code}: {message}");
            if MAILBOX_CODES.contains(&code.as_str()) {
                return MailError::MailboxNotFound(message);
            }
            match not_found {
                NotFound::Mailbox => MailError::MailboxNotFound(message),
                NotFound::Folder => MailError::FolderNotFound(message),
                NotFound::Item => MailError::ItemNotFound(message),
            }
        }
        GraphError::Conflict { code, message } if code == "ErrorFolderExists" => {
            MailError::FolderExists(message)
        }
        GraphError::Conflict { code, message } => MailError::Permanent { code, message },
        GraphError::Service {
            status: 413,
            message,
            ..
        } => MailError::ItemTooLarge(message),
        GraphError::Service {
            status: 507,
            message,
            ..
        } => MailError::QuotaExceeded(message),
        GraphError::Service {
            status,
            code,
            message,
            retry_after,
        } if status >= 500 || status == 408 => MailError::Transient {
            message: format!("{status} {code}: {message}"),
            retry_after,
        },
        GraphError::Service { code, message, .. } => MailError::Permanent { code, message },
        error @ (GraphError::Transport(_) | GraphError::Malformed(_)) => {
            MailError::transient(error.to_string())
        }
        GraphError::InvalidRequest(message) => MailError::Permanent {
            code: "invalid_request".into(),
            message,
        },
        GraphError::Auth(error) => auth_error(error),
    }
}

fn auth_error(error: AuthError) -> MailError {
    match error {
        AuthError::Throttled { retry_after } => MailError::Throttled {
            back_off: retry_after,
            scope: ThrottleScope::Tenant,
        },
        AuthError::Unavailable {
            message,
            retry_after,
        } => MailError::Transient {
            message,
            retry_after,
        },
        AuthError::MalformedReply(message) => {
            MailError::transient(format!("malformed token reply: {message}"))
        }
        AuthError::BadCertificate(message) => MailError::Permanent {
            code: "invalid_request".into(),
            message,
        },
        AuthError::Refused(message) => MailError::Unauthorized(message),
    }
}

/// An error `exportItems` reported for one item.
pub fn item_error(error: ItemError) -> MailError {
    match error.code.as_str() {
        "ErrorItemNotFound" | "ItemNotFound" | "ResourceNotFound" => {
            MailError::ItemNotFound(error.to_string())
        }
        "ErrorMessageSizeExceeded" => MailError::ItemTooLarge(error.message),
        "ErrorServerBusy" | "ErrorInternalServerError" | "TooManyRequests" => {
            MailError::transient(error.to_string())
        }
        _ => MailError::Permanent {
            code: error.code,
            message: error.message,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn not_found_names_what_was_asked_for_unless_graph_says_mailbox() {
        let gone = |code: &str| GraphError::NotFound {
            code: code.into(),
            message: "m".into(),
        };
        assert!(matches!(
            error(gone("ErrorItemNotFound"), NotFound::Folder),
            MailError::FolderNotFound(_)
        ));
        assert!(matches!(
            error(gone("ErrorItemNotFound"), NotFound::Item),
            MailError::ItemNotFound(_)
        ));
        assert!(matches!(
            error(gone("ErrorNonExistentMailbox"), NotFound::Folder),
            MailError::MailboxNotFound(_)
        ));
    }

    #[test]
    fn throttling_keeps_its_hint_and_statuses_keep_their_meaning() {
        let throttled = error(
            GraphError::from_reply(
                429,
                "TooManyRequests".into(),
                "m".into(),
                Some(Duration::from_secs(4)),
            ),
            NotFound::Item,
        );
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(4)));
        assert!(matches!(
            throttled,
            MailError::Throttled {
                scope: ThrottleScope::Mailbox,
                ..
            }
        ));
        let full = error(
            GraphError::from_reply(507, "ErrorQuotaExceeded".into(), "m".into(), None),
            NotFound::Item,
        );
        assert!(matches!(full, MailError::QuotaExceeded(_)));
        let big = error(
            GraphError::from_reply(413, "x".into(), "m".into(), None),
            NotFound::Item,
        );
        assert!(matches!(big, MailError::ItemTooLarge(_)));
        let exists = error(
            GraphError::from_reply(409, "ErrorFolderExists".into(), "m".into(), None),
            NotFound::Folder,
        );
        assert!(matches!(exists, MailError::FolderExists(_)));
        let down = error(
            GraphError::from_reply(500, "ErrorInternalServerError".into(), "m".into(), None),
            NotFound::Item,
        );
        assert!(down.is_retryable());
        let bad = error(
            GraphError::from_reply(400, "ErrorCorruptData".into(), "m".into(), None),
            NotFound::Item,
        );
        assert_eq!(bad.code(), "ErrorCorruptData");
    }
}
