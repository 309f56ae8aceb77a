//! The simulated Microsoft Entra ID token endpoint and the tokens it issues.
//!
//! `POST /{tenant}/oauth2/v2.0/token` supports the two flows a migration uses: client credentials
//! (app-only, scope `<resource>/.default`) and resource-owner password (a delegated admin, scope
//! `<resource>/EWS.AccessAsUser.All` or `<resource>/.default`). Tokens are for one resource
//! ([`audience`]): EWS (`https://outlook.office365.com`, app tokens carry `full_access_as_app`)
//! or Microsoft Graph (`https://graph.microsoft.com`, app tokens carry the mailbox import/export
//! roles), and each service refuses the other's. Failures return the JSON body Entra ID returns,
//! with its AADSTS codes. Tokens are opaque to clients, JWT-shaped like the real ones, and expire
//! after the configured lifetime. Apps may also authenticate with a certificate (a signed client
//! assertion instead of a secret), once the certificate is registered.

mod assertion;
pub mod audience;
mod reply;

pub use assertion::{AssertionError, CertificateRegistry};
pub use audience::{Audience, Resources, ScopeError, GRAPH_APP_ROLES};
pub use reply::{TokenError, TokenRejection, TokenResponse};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
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
        /// Whether the token carries EWS's `full_access_as_app` role (never for a Graph token).
        full_access_as_app: bool,
    },
    /// A user signed in with a password (delegated).
    User {
        /// The user principal name.
        upn: String,
    },
}

/// A validated bearer token: which tenant, which subject, for which service.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The tenant the token is for.
    pub tenant: Arc<Tenant>,
    /// Who it was issued to.
    pub subject: Subject,
    /// The service the token is for.
    pub audience: Audience,
    /// The permissions it carries: an app token's roles (`roles` claim), a delegated token's
    /// permissions (`scp` claim).
    pub roles: Vec<&'static str>,
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
    audience: Audience,
    roles: Vec<&'static str>,
    expires_at: Instant,
}

/// Issues and validates tokens.
#[derive(Debug)]
pub struct Identity {
    /// Certificates registered on app registrations.
    pub certificates: CertificateRegistry,
    resources: Resources,
    lifetime: Mutex<Duration>,
    tokens: Mutex<HashMap<String, IssuedToken>>,
}

impl Identity {
    /// An identity service issuing tokens for EWS's and Graph's resources.
    pub fn new(resources: Resources, lifetime: Duration) -> Identity {
        Identity {
            certificates: CertificateRegistry::default(),
            resources,
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
        let scope_error = |refused: ScopeError| {
            TokenError::new(400, "invalid_scope", refused.code, refused.description)
        };
        let (subject, audience, granted_scope) = match field("grant_type") {
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
                let audience = self.resources.app_scope(scope).map_err(scope_error)?;
                (app_subject(app, audience), audience, None)
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
                let audience = self.resources.app_scope(scope).map_err(scope_error)?;
                (app_subject(app, audience), audience, None)
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
                let (audience, granted) =
                    self.resources.delegated_scope(scope).map_err(scope_error)?;
                (
                    Subject::User {
                        upn: admin.upn.clone(),
                    },
                    audience,
                    Some(granted),
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
        let roles = match (&subject, audience) {
            (
                Subject::App {
                    full_access_as_app: true,
                    ..
                },
                Audience::Ews,
            ) => vec!["full_access_as_app"],
            (Subject::App { .. }, Audience::Graph) if app.graph_mailbox_access => {
                GRAPH_APP_ROLES.to_vec()
            }
            (Subject::User { .. }, Audience::Ews) => vec![audience::EWS_DELEGATED_PERMISSION],
            (Subject::User { .. }, Audience::Graph) => audience::GRAPH_DELEGATED_SCOPES.to_vec(),
            _ => Vec::new(),
        };
        let lifetime = self.lifetime();
        let access_token = mint_token(
            tenant,
            &subject,
            self.resources.resource(audience),
            &roles,
            lifetime,
        );
        self.lock_tokens().insert(
            access_token.clone(),
            IssuedToken {
                tenant: Arc::clone(tenant),
                subject,
                audience,
                roles,
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

    /// Validates an `Authorization` header value for a request to the `expected` service.
    ///
    /// An EWS request also needs an app token to carry `full_access_as_app` (a Graph request's
    /// roles are checked by the Graph endpoint, which refuses with 403 rather than 401).
    pub fn authenticate(
        &self,
        authorization: Option<&str>,
        expected: Audience,
    ) -> Result<Principal, TokenRejection> {
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
        if issued.audience != expected {
            return Err(TokenRejection::WrongAudience);
        }
        if let (
            Subject::App {
                full_access_as_app: false,
                ..
            },
            Audience::Ews,
        ) = (&issued.subject, expected)
        {
            return Err(TokenRejection::NoPermissions);
        }
        Ok(Principal {
            tenant: Arc::clone(&issued.tenant),
            subject: issued.subject.clone(),
            audience: issued.audience,
            roles: issued.roles.clone(),
        })
    }

    fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, IssuedToken>> {
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The subject of an app token: EWS tokens carry `full_access_as_app` when the app has consent.
fn app_subject(app: &crate::model::AppRegistration, audience: Audience) -> Subject {
    Subject::App {
        client_id: app.client_id,
        full_access_as_app: audience == Audience::Ews && app.full_access_as_app,
    }
}

/// Makes a JWT-shaped token whose signature part is random, so tokens cannot be guessed.
fn mint_token(
    tenant: &Tenant,
    subject: &Subject,
    audience: &str,
    roles: &[&str],
    lifetime: Duration,
) -> String {
    let now = chrono::Utc::now().timestamp();
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5t": "ferry-sim"});
    let mut claims = serde_json::json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{}/", tenant.tenant_id),
        "tid": tenant.tenant_id,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime.as_secs() as i64,
    });
    match subject {
        Subject::App { client_id, .. } => {
            claims["appid"] = serde_json::json!(client_id);
            if !roles.is_empty() {
                claims["roles"] = serde_json::json!(roles);
            }
        }
        Subject::User { upn } => {
            claims["upn"] = serde_json::json!(upn);
            // `scp` holds the permission names without their resource, as Entra ID writes it.
            claims["scp"] = serde_json::json!(roles.join(" "));
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
                graph_mailbox_access: full_access_as_app,
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
        Identity::new(
            Resources::new(
                "https://outlook.office365.com",
                "https://graph.microsoft.com",
            ),
            lifetime,
        )
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
        let principal = identity
            .authenticate(Some(&header), Audience::Ews)
            .expect("valid");
        assert_eq!(principal.tenant.name, "source");
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(
            identity
                .authenticate(Some(&header), Audience::Ews)
                .expect_err("expired"),
            TokenRejection::Expired
        );
        assert_eq!(
            identity
                .authenticate(Some("Bearer nonsense"), Audience::Ews)
                .expect_err("invalid"),
            TokenRejection::Invalid
        );
        assert_eq!(
            identity
                .authenticate(None, Audience::Ews)
                .expect_err("missing"),
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
            .authenticate(
                Some(&format!("Bearer {}", token.access_token)),
                Audience::Ews,
            )
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
                .authenticate(
                    Some(&format!("Bearer {}", token.access_token)),
                    Audience::Ews,
                )
                .expect_err("no role"),
            TokenRejection::NoPermissions
        );
    }

    #[test]
    fn graph_and_ews_tokens_are_not_interchangeable() {
        let (directory, client_id) = directory(true);
        let identity = identity(Duration::from_secs(60));
        let client = client_id.to_string();
        let token_for = |scope: &str| {
            let token = identity
                .issue(
                    &directory,
                    "source",
                    URL,
                    &form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", &client),
                        ("client_secret", "s3cret"),
                        ("scope", scope),
                    ]),
                )
                .expect("issued");
            format!("Bearer {}", token.access_token)
        };
        let graph = token_for("https://graph.microsoft.com/.default");
        let ews = token_for("https://outlook.office365.com/.default");
        let principal = identity
            .authenticate(Some(&graph), Audience::Graph)
            .expect("graph token at graph");
        assert_eq!(principal.roles, GRAPH_APP_ROLES.to_vec());
        assert_eq!(
            identity
                .authenticate(Some(&graph), Audience::Ews)
                .expect_err("graph token at ews"),
            TokenRejection::WrongAudience
        );
        assert_eq!(
            identity
                .authenticate(Some(&ews), Audience::Graph)
                .expect_err("ews token at graph"),
            TokenRejection::WrongAudience
        );
        let principal = identity
            .authenticate(Some(&ews), Audience::Ews)
            .expect("ews token at ews");
        assert_eq!(principal.roles, vec!["full_access_as_app"]);
    }

    #[test]
    fn graph_tokens_of_an_app_without_consent_carry_no_roles() {
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
                    ("scope", "https://graph.microsoft.com/.default"),
                ]),
            )
            .expect("issued");
        let principal = identity
            .authenticate(
                Some(&format!("Bearer {}", token.access_token)),
                Audience::Graph,
            )
            .expect("a valid token, without roles");
        assert!(principal.roles.is_empty());
    }
}
