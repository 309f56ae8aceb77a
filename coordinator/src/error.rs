//! The coordinator's errors, each mapping to the gRPC status an operator's tool should see.

use ferry_core::broker::BrokerError;
use ferry_core::store::StoreError;

/// A coordinator failure.
#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    /// A request field is missing or wrong.
    #[error("{field}: {problem}")]
    InvalidArgument {
        /// The field, as a path (`source.credentials.client_id`, `mailboxes[2].source_address`).
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A project or mailbox does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is valid but the state does not allow it (a mailbox still in a pass).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The broker failed.
    #[error(transparent)]
    Broker(#[from] BrokerError),
}

impl CoordinatorError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, problem: impl Into<String>) -> CoordinatorError {
        CoordinatorError::InvalidArgument {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// Whether the store or broker failed, rather than the request: asking again later may
    /// succeed.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            CoordinatorError::Store(_) | CoordinatorError::Broker(_)
        )
    }
}

impl From<CoordinatorError> for tonic::Status {
    fn from(error: CoordinatorError) -> tonic::Status {
        match &error {
            CoordinatorError::InvalidArgument { .. } => {
                tonic::Status::invalid_argument(error.to_string())
            }
            CoordinatorError::NotFound(_) => tonic::Status::not_found(error.to_string()),
            CoordinatorError::FailedPrecondition(_) => {
                tonic::Status::failed_precondition(error.to_string())
            }
            CoordinatorError::Store(_) | CoordinatorError::Broker(_) => {
                tonic::Status::unavailable(error.to_string())
            }
        }
    }
}
