//! The simulated Microsoft Entra ID token endpoint and the tokens it issues.
//!
//! `POST /{tenant}/oauth2/v2.0/token` supports the two flows a migration uses: client credentials
//! (app-only, `full_access_as_app`, scope `<resource>/.default`) and resource-owner password (a
//! delegated admin, scope `<resource>/EWS.AccessAsUser.All`). Failures return the JSON body Entra
//! ID returns, with its AADSTS codes. Tokens are opaque to clients, JWT-shaped like the real ones,
//! and expire after the configured lifetime. Apps may also authenticate with a certificate
//! (a signed client assertion instead of a secret), once the certificate is registered.

mod assertion;

pub use assertion::{AssertionError, CertificateRegistry};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use tokio::time::Instant;
use uuid::Uuid;

use crate::model::{Directory, Tenant};

/// Who a token was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// An application (client credentials).
    App {
        /// The application id.
        client_id: Uuid,
        /// Whether the token carries the `full_access_as_app` role.
        full_access_as_app: bool,
    },
    /// A user signed in with a password (delegated).
    User {
        /// The user principal name.
        upn: String,
    },
}

/// A validated bearer token: which tenant, which subject.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The tenant the token is for.
    pub tenant: Arc<Tenant>,
    /// Who it was issued to.
    pub subject: Subject,
}

impl Principal {
    /// A stable name of the caller for per-caller budgets and counters.
    pub fn caller_key(&self) -> String {
        match &self.subject {
            Subject::App { client_id, .. } => format!("app:{client_id}"),
            Subject::User { upn } => format!("user:{}", upn.to_lowercase()),
        }
    }
}

#[derive(Debug, Clone)]
struct IssuedToken {
    tenant: Arc<Tenant>,
    subject: Subject,
    expires_at: Instant,
}

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
    fn new(status: u16, error: &'static str, code: u32, description: String) -> Box<TokenError> {
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

/// Why a bearer token was not accepted at the EWS endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Not a token this simulator issued.
    Invalid,
    /// Issued here, but expired.
    Expired,
    /// An app token without the `full_access_as_app` role.
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
            TokenRejection::NoPermissions => Some(
                "2000008;reason=\"The token contains no permissions, or permissions can not be understood.\";error_category=\"invalid_grant\"",
            ),
        }
    }
}

/// Issues and validates tokens.
#[derive(Debug)]
pub struct Identity {
    /// Certificates registered on app registrations.
    pub certificates: CertificateRegistry,
    resource: String,
    lifetime: Mutex<Duration>,
    tokens: Mutex<HashMap<String, IssuedToken>>,
}

impl Identity {
    /// An identity service for `resource` (for example `https://outlook.office365.com`).
    pub fn new(resource: String, lifetime: Duration) -> Identity {
        Identity {
            certificates: CertificateRegistry::default(),
            resource: resource.trim_end_matches('/').to_string(),
            lifetime: Mutex::new(lifetime),
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Changes the lifetime of tokens issued from now on.
    pub fn set_lifetime(&self, lifetime: Duration) {
        *self
            .lifetime
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = lifetime;
    }

    /// The lifetime of new tokens.
    pub fn lifetime(&self) -> Duration {
        *self
            .lifetime
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Expires every token issued so far (a tenant-wide sign-out, for tests of renewal).
    pub fn expire_all(&self) {
        let now = Instant::now();
        for token in self.lock_tokens().values_mut() {
            token.expires_at = now;
        }
    }

    /// Handles a token request for `tenant_key` with the form fields of the request body, sent
    /// to `token_url` (the audience a client assertion must name).
    pub fn issue(
        &self,
        directory: &Directory,
        tenant_key: &str,
        token_url: &str,
        form: &HashMap<String, String>,
    ) -> Result<TokenResponse, Box<TokenError>> {
        let field = |name: &str| form.get(name).map(|value| value.trim()).unwrap_or("");
        let tenant = directory.tenant(tenant_key).ok_or_else(|| {
            TokenError::new(
                400,
                "invalid_request",
                90002,
                format!(
                    "Tenant '{tenant_key}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
                ),
            )
        })?;
        let client_id = field("client_id");
        if client_id.is_empty() {
            return Err(TokenError::new(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.".into(),
            ));
        }
        let app = tenant.app(client_id).ok_or_else(|| {
            tenant.counters.bump("identity.unknown_client");
            TokenError::new(
                400,
                "unauthorized_client",
                700016,
                format!(
                    "Application with identifier '{client_id}' was not found in the directory '{}'.",
                    tenant.domain
                ),
            )
        })?;
        let scope = field("scope");
        if scope.is_empty() {
            return Err(TokenError::new(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.".into(),
            ));
        }
        let (subject, granted_scope) = match field("grant_type") {
            "client_credentials" if !field("client_assertion").is_empty() => {
                if field("client_assertion_type")
                    != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                {
                    return Err(TokenError::new(
                        400,
                        "invalid_request",
                        50027,
                        "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.".into(),
                    ));
                }
                self.certificates
                    .verify(
                        tenant.tenant_id,
                        app.client_id,
                        token_url,
                        field("client_assertion"),
                    )
                    .map_err(|refused| {
                        tenant.counters.bump("identity.bad_client_assertion");
                        TokenError::new(401, "invalid_client", refused.code, refused.description)
                    })?;
                if !self.is_app_scope(scope) {
                    return Err(TokenError::new(
                        400,
                        "invalid_scope",
                        1002012,
                        format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
                    ));
                }
                (
                    Subject::App {
                        client_id: app.client_id,
                        full_access_as_app: app.full_access_as_app,
                    },
                    None,
                )
            }
            "client_credentials" => {
                let secret = field("client_secret");
                if secret.is_empty() {
                    return Err(TokenError::new(
                        401,
                        "invalid_client",
                        7000218,
                        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into(),
                    ));
                }
                if !app.client_secret.matches(secret) {
                    tenant.counters.bump("identity.bad_client_secret");
                    return Err(TokenError::new(
                        401,
                        "invalid_client",
                        7000215,
                        format!(
                            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                        ),
                    ));
                }
                if !self.is_app_scope(scope) {
                    return Err(TokenError::new(
                        400,
                        "invalid_scope",
                        1002012,
                        format!(
                            "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                        ),
                    ));
                }
                (
                    Subject::App {
                        client_id: app.client_id,
                        full_access_as_app: app.full_access_as_app,
                    },
                    None,
                )
            }
            "password" => {
                let username = field("username");
                let admin = tenant.admin(username).ok_or_else(|| {
                    tenant.counters.bump("identity.unknown_user");
                    TokenError::new(
                        400,
                        "invalid_grant",
                        50034,
                        format!(
                            "The user account {{EUII Hidden}} does not exist in the {} directory. To sign into this application, the account must be added to the directory.",
                            tenant.tenant_id
                        ),
                    )
                })?;
                if !admin
                    .password
                    .matches(form.get("password").map(String::as_str).unwrap_or(""))
                {
                    tenant.counters.bump("identity.bad_password");
                    return Err(TokenError::new(
                        400,
                        "invalid_grant",
                        50126,
                        "Error validating credentials due to invalid username or password.".into(),
                    ));
                }
                let wanted = format!("{}/EWS.AccessAsUser.All", self.resource);
                let scopes: Vec<&str> = scope.split_whitespace().collect();
                if !scopes.iter().any(|requested| {
                    requested.eq_ignore_ascii_case(&wanted)
                        || requested.eq_ignore_ascii_case(&format!("{}/.default", self.resource))
                }) {
                    return Err(TokenError::new(
                        400,
                        "invalid_scope",
                        70011,
                        format!("The provided value for the input parameter 'scope' is not valid. The scope '{scope}' does not exist."),
                    ));
                }
                (
                    Subject::User {
                        upn: admin.upn.clone(),
                    },
                    Some(wanted),
                )
            }
            "" => {
                return Err(TokenError::new(
                    400,
                    "invalid_request",
                    900144,
                    "The request body must contain the following parameter: 'grant_type'.".into(),
                ))
            }
            other => {
                return Err(TokenError::new(
                    400,
                    "unsupported_grant_type",
                    70003,
                    format!("The app requested an unsupported grant type '{other}'."),
                ))
            }
        };
        let lifetime = self.lifetime();
        let access_token = mint_token(tenant, &subject, lifetime);
        self.lock_tokens().insert(
            access_token.clone(),
            IssuedToken {
                tenant: Arc::clone(tenant),
                subject,
                expires_at: Instant::now() + lifetime,
            },
        );
        tenant.counters.bump("identity.tokens_issued");
        Ok(TokenResponse {
            token_type: "Bearer",
            scope: granted_scope,
            expires_in: lifetime.as_secs(),
            ext_expires_in: lifetime.as_secs(),
            access_token,
        })
    }

    /// Validates an `Authorization` header value.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, TokenRejection> {
        let token = authorization
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or(TokenRejection::Missing)?;
        let mut tokens = self.lock_tokens();
        let now = Instant::now();
        tokens
            .retain(|_, issued| now.duration_since(issued.expires_at) < Duration::from_secs(3600));
        let issued = tokens.get(token).ok_or(TokenRejection::Invalid)?;
        if issued.expires_at <= now {
            return Err(TokenRejection::Expired);
        }
        if let Subject::App {
            full_access_as_app: false,
            ..
        } = issued.subject
        {
            return Err(TokenRejection::NoPermissions);
        }
        Ok(Principal {
            tenant: Arc::clone(&issued.tenant),
            subject: issued.subject.clone(),
        })
    }

    fn is_app_scope(&self, scope: &str) -> bool {
        let scope = scope.trim().to_ascii_lowercase();
        let resource = self.resource.to_ascii_lowercase();
        scope == format!("{resource}/.default")
            || (resource == "https://outlook.office365.com"
                && scope == "https://outlook.office.com/.default")
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, IssuedToken>> {
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Makes a JWT-shaped token whose signature part is random, so tokens cannot be guessed.
fn mint_token(tenant: &Tenant, subject: &Subject, lifetime: Duration) -> String {
    let now = chrono::Utc::now().timestamp();
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5t": "ferry-sim"});
    let mut claims = serde_json::json!({
        "aud": "https://outlook.office365.com",
        "iss": format!("https://sts.windows.net/{}/", tenant.tenant_id),
        "tid": tenant.tenant_id,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime.as_secs() as i64,
    });
    match subject {
        Subject::App {
            client_id,
            full_access_as_app,
        } => {
            claims["appid"] = serde_json::json!(client_id);
            if *full_access_as_app {
                claims["roles"] = serde_json::json!(["full_access_as_app"]);
            }
        }
        Subject::User { upn } => {
            claims["upn"] = serde_json::json!(upn);
            claims["scp"] = serde_json::json!("EWS.AccessAsUser.All");
        }
    }
    let mut signature = [0u8; 32];
    rand::rng().fill_bytes(&mut signature);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AdminAccount, AppRegistration, Secret};

    const URL: &str = "http://sim/t/oauth2/v2.0/token";

    fn directory(full_access_as_app: bool) -> (Directory, Uuid) {
        let client_id = Uuid::from_u128(0xabc);
        let tenant = Tenant::new(
            "source".into(),
            Uuid::from_u128(0x7e4a),
            "source.example".into(),
            vec![AppRegistration {
                client_id,
                client_secret: Secret::new("s3cret"),
                full_access_as_app,
            }],
            vec![AdminAccount {
                upn: "admin@source.example".into(),
                password: Secret::new("pa55"),
                can_impersonate: true,
                full_access: true,
            }],
            vec![],
        );
        (Directory::new(vec![tenant]), client_id)
    }

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    fn identity(lifetime: Duration) -> Identity {
        Identity::new("https://outlook.office365.com".into(), lifetime)
    }

    #[tokio::test(start_paused = true)]
    async fn client_credentials_token_works_until_it_expires() {
        let (directory, client_id) = directory(true);
        let identity = identity(Duration::from_secs(60));
        let client = client_id.to_string();
        let response = identity
            .issue(
                &directory,
                "source.example",
                URL,
                &form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &client),
                    ("client_secret", "s3cret"),
                    ("scope", "https://outlook.office365.com/.default"),
                ]),
            )
            .expect("token issued");
        assert_eq!(response.expires_in, 60);
        let header = format!("Bearer {}", response.access_token);
        let principal = identity.authenticate(Some(&header)).expect("valid");
        assert_eq!(principal.tenant.name, "source");
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(
            identity.authenticate(Some(&header)).expect_err("expired"),
            TokenRejection::Expired
        );
        assert_eq!(
            identity
                .authenticate(Some("Bearer nonsense"))
                .expect_err("invalid"),
            TokenRejection::Invalid
        );
        assert_eq!(
            identity.authenticate(None).expect_err("missing"),
            TokenRejection::Missing
        );
    }

    #[test]
    fn wrong_secret_gets_the_entra_error() {
        let (directory, client_id) = directory(true);
        let client = client_id.to_string();
        let error = identity(Duration::from_secs(60))
            .issue(
                &directory,
                "source",
                URL,
                &form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &client),
                    ("client_secret", "nope"),
                    ("scope", "https://outlook.office365.com/.default"),
                ]),
            )
            .expect_err("refused");
        assert_eq!((error.status, error.error), (401, "invalid_client"));
        assert!(error.error_description.starts_with("AADSTS7000215:"));
        assert!(
            !error.error_description.contains("nope"),
            "the secret is not echoed"
        );
    }

    #[test]
    fn password_flow_checks_user_password_and_scope() {
        let (directory, client_id) = directory(true);
        let client = client_id.to_string();
        let identity = identity(Duration::from_secs(60));
        let mut fields = form(&[
            ("grant_type", "password"),
            ("client_id", &client),
            ("username", "admin@source.example"),
            ("password", "wrong"),
            (
                "scope",
                "https://outlook.office365.com/EWS.AccessAsUser.All",
            ),
        ]);
        let error = identity
            .issue(&directory, "source", URL, &fields)
            .expect_err("bad password");
        assert_eq!(error.error_codes, vec![50126]);
        fields.insert("password".into(), "pa55".into());
        let token = identity
            .issue(&directory, "source", URL, &fields)
            .expect("signed in");
        let principal = identity
            .authenticate(Some(&format!("Bearer {}", token.access_token)))
            .expect("valid");
        assert!(matches!(principal.subject, Subject::User { .. }));
        fields.insert("username".into(), "ghost@source.example".into());
        let error = identity
            .issue(&directory, "source", URL, &fields)
            .expect_err("no such user");
        assert_eq!(error.error_codes, vec![50034]);
    }

    #[test]
    fn unknown_tenant_and_app_and_grant() {
        let (directory, client_id) = directory(true);
        let identity = identity(Duration::from_secs(60));
        let error = identity
            .issue(&directory, "nowhere", URL, &form(&[]))
            .expect_err("no tenant");
        assert_eq!(error.error_codes, vec![90002]);
        let error = identity
            .issue(
                &directory,
                "source",
                URL,
                &form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", "00000000-0000-0000-0000-000000000001"),
                    ("scope", "x"),
                ]),
            )
            .expect_err("no app");
        assert_eq!(error.error_codes, vec![700016]);
        let client = client_id.to_string();
        let error = identity
            .issue(
                &directory,
                "source",
                URL,
                &form(&[
                    ("grant_type", "implicit"),
                    ("client_id", &client),
                    ("scope", "x"),
                ]),
            )
            .expect_err("bad grant");
        assert_eq!(error.error, "unsupported_grant_type");
    }

    #[test]
    fn app_without_consent_gets_a_token_that_ews_refuses() {
        let (directory, client_id) = directory(false);
        let identity = identity(Duration::from_secs(60));
        let client = client_id.to_string();
        let token = identity
            .issue(
                &directory,
                "source",
                URL,
                &form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &client),
                    ("client_secret", "s3cret"),
                    ("scope", "https://outlook.office365.com/.default"),
                ]),
            )
            .expect("issued");
        assert_eq!(
            identity
                .authenticate(Some(&format!("Bearer {}", token.access_token)))
                .expect_err("no role"),
            TokenRejection::NoPermissions
        );
    }
}
