//! What the token endpoint answers ([`TokenResponse`], [`TokenError`] with Entra ID's AADSTS
//! codes) and why a service refuses a bearer token ([`TokenRejection`]).

use serde::Serialize;
use uuid::Uuid;

/// A successful token response, as Entra ID writes it.
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// The granted scope (delegated flows only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// Extended lifetime in seconds (same as `expires_in` here).
    pub ext_expires_in: u64,
    /// The token.
    pub access_token: String,
}

/// A refused token request: HTTP status and the Entra ID error body.
#[derive(Debug, Clone, Serialize)]
pub struct TokenError {
    /// HTTP status (400 or 401).
    #[serde(skip)]
    pub status: u16,
    /// OAuth error (`invalid_client`, `invalid_grant`...).
    pub error: &'static str,
    /// `AADSTSnnnn: ...` description.
    pub error_description: String,
    /// The AADSTS codes.
    pub error_codes: Vec<u32>,
    /// When, in Entra ID's format.
    pub timestamp: String,
    /// A fresh id per failure.
    pub trace_id: String,
    /// A fresh id per failure.
    pub correlation_id: String,
}

impl TokenError {
    pub(super) fn new(
        status: u16,
        error: &'static str,
        code: u32,
        description: String,
    ) -> Box<TokenError> {
        Box::new(TokenError {
            status,
            error,
            error_description: format!(
                "AADSTS{code}: {description} Trace ID: {} Correlation ID: {} Timestamp: {}",
                Uuid::new_v4(),
                Uuid::new_v4(),
                chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ")
            ),
            error_codes: vec![code],
            timestamp: chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
            trace_id: Uuid::new_v4().to_string(),
            correlation_id: Uuid::new_v4().to_string(),
        })
    }
}

/// Why a bearer token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Not a token this simulator issued.
    Invalid,
    /// Issued here, but expired.
    Expired,
    /// Issued for the other service (a Graph token sent to EWS, or the reverse).
    WrongAudience,
    /// An app token without the roles the service needs (`full_access_as_app` for EWS).
    NoPermissions,
}

impl TokenRejection {
    /// The `x-ms-diagnostics` value Exchange Online sends with the 401.
    pub fn diagnostics(self) -> Option<&'static str> {
        match self {
            TokenRejection::Missing => None,
            TokenRejection::Invalid => {
                Some("2000001;reason=\"The token is invalid.\";error_category=\"invalid_token\"")
            }
            TokenRejection::Expired => {
                Some("2000008;reason=\"The token has expired.\";error_category=\"invalid_token\"")
            }
            TokenRejection::WrongAudience => Some(
                "2000003;reason=\"The audience claim value is invalid for current resource.\";error_category=\"invalid_resource\"",
            ),
            TokenRejection::NoPermissions => Some(
                "2000008;reason=\"The token contains no permissions, or permissions can not be understood.\";error_category=\"invalid_grant\"",
            ),
        }
    }
}
