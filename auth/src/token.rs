//! OAuth2 against Entra ID: app-only client credentials (secret or certificate) and a delegated
//! admin's password sign-in, for whatever resource the caller names in its scope (Exchange's for
//! EWS, Graph's for the mailbox import/export API).
//!
//! [`TokenProvider`] caches the token, renews it before it expires (at a fifth of its lifetime
//! left, at most five minutes before) and, when the service still refuses it, renews it once on demand.
//! Only one renewal runs at a time, so a burst of requests costs one token request.

use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::certificate::ClientCertificate;
use crate::retry_after::parse_retry_after;
use crate::secret::Secret;
use crate::AuthError;

/// How a client signs in.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// App-only with a client secret.
    ClientSecret {
        /// Application (client) id.
        client_id: String,
        /// Its secret.
        secret: Secret,
    },
    /// App-only with a certificate.
    Certificate {
        /// Application (client) id.
        client_id: String,
        /// Certificate and private key.
        certificate: Box<ClientCertificate>,
    },
    /// A delegated admin signing in with a password (resource-owner password credentials), the
    /// flow of MigrationWiz's `ModernAuthClientIdExport`/`ModernAuthTenantIdImport` options.
    Password {
        /// The public client application id.
        client_id: String,
        /// The admin's user principal name.
        username: String,
        /// The admin's password.
        password: Secret,
    },
}

impl Credentials {
    /// Whether these are app-only credentials (which need impersonation to reach a mailbox).
    pub fn is_app_only(&self) -> bool {
        !matches!(self, Credentials::Password { .. })
    }
}

#[derive(Debug, Deserialize)]
struct TokenReply {
    access_token: String,
    #[serde(default, deserialize_with = "number_or_string")]
    expires_in: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct TokenErrorReply {
    error: Option<String>,
    error_description: Option<String>,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Value {
        Number(u64),
        Text(String),
    }
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(number)) => Some(number),
        Some(Value::Text(text)) => text.parse().ok(),
        None => None,
    })
}

#[derive(Debug, Clone)]
struct CachedToken {
    token: Secret,
    renew_at: Instant,
    expires_at: Instant,
}

/// Fetches and caches access tokens.
#[derive(Debug)]
pub struct TokenProvider {
    http: reqwest::Client,
    token_url: String,
    scope: String,
    credentials: Credentials,
    cached: Mutex<Option<CachedToken>>,
}

impl TokenProvider {
    /// A provider for `credentials` at `token_url`, asking for `scope`.
    pub fn new(
        http: reqwest::Client,
        token_url: String,
        scope: String,
        credentials: Credentials,
    ) -> TokenProvider {
        TokenProvider {
            http,
            token_url,
            scope,
            credentials,
            cached: Mutex::new(None),
        }
    }

    /// The credentials in use.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// A valid token, from the cache or freshly issued.
    pub async fn token(&self) -> Result<Secret, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref() {
            if Instant::now() < token.renew_at {
                return Ok(token.token.clone());
            }
        }
        let fresh = self.fetch().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// A token to replace one the service refused. If another task already renewed it, that token is
    /// returned without a new request.
    pub async fn renew(&self, rejected: &Secret) -> Result<Secret, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref() {
            if token.token != *rejected && Instant::now() < token.expires_at {
                return Ok(token.token.clone());
            }
        }
        let fresh = self.fetch().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    async fn fetch(&self) -> Result<CachedToken, AuthError> {
        let mut form: Vec<(&str, String)> = vec![("scope", self.scope.clone())];
        match &self.credentials {
            Credentials::ClientSecret { client_id, secret } => {
                form.push(("grant_type", "client_credentials".into()));
                form.push(("client_id", client_id.clone()));
                form.push(("client_secret", secret.expose().to_string()));
            }
            Credentials::Certificate {
                client_id,
                certificate,
            } => {
                form.push(("grant_type", "client_credentials".into()));
                form.push(("client_id", client_id.clone()));
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                ));
                form.push((
                    "client_assertion",
                    certificate.assertion(client_id, &self.token_url),
                ));
            }
            Credentials::Password {
                client_id,
                username,
                password,
            } => {
                form.push(("grant_type", "password".into()));
                form.push(("client_id", client_id.clone()));
                form.push(("username", username.clone()));
                form.push(("password", password.expose().to_string()));
            }
        }
        let requested_at = Instant::now();
        let response = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|error| AuthError::Unavailable {
                message: format!("token request failed: {}", error.without_url()),
                retry_after: None,
            })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .and_then(parse_retry_after);
        let body = response
            .bytes()
            .await
            .map_err(|error| AuthError::Unavailable {
                message: format!("token reply failed: {}", error.without_url()),
                retry_after: None,
            })?;
        if status.is_success() {
            let reply: TokenReply = serde_json::from_slice(&body)
                .map_err(|error| AuthError::MalformedReply(format!("token reply: {error}")))?;
            let lifetime = Duration::from_secs(reply.expires_in.unwrap_or(3599));
            let margin = (lifetime / 5).min(Duration::from_secs(300));
            tracing::debug!(lifetime_secs = lifetime.as_secs(), "access token issued");
            return Ok(CachedToken {
                token: Secret::new(reply.access_token),
                renew_at: requested_at + lifetime - margin,
                expires_at: requested_at + lifetime,
            });
        }
        if status.as_u16() == 429 {
            return Err(AuthError::Throttled { retry_after });
        }
        if status.is_server_error() {
            return Err(AuthError::Unavailable {
                message: format!("token endpoint answered HTTP {status}"),
                retry_after,
            });
        }
        let error: TokenErrorReply = serde_json::from_slice(&body).unwrap_or(TokenErrorReply {
            error: None,
            error_description: None,
        });
        // Entra ID's descriptions name codes and ids, never the secret that was sent.
        Err(AuthError::Refused(format!(
            "token endpoint refused the credentials (HTTP {}): {}: {}",
            status.as_u16(),
            error.error.unwrap_or_else(|| "unknown_error".into()),
            error
                .error_description
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_print_secrets() {
        let credentials = Credentials::Password {
            client_id: "c".into(),
            username: "admin@contoso.com".into(),
            password: Secret::new("hunter2"),
        };
        assert!(!format!("{credentials:?}").contains("hunter2"));
        assert!(!credentials.is_app_only());
    }

    #[test]
    fn token_replies_accept_numeric_or_text_lifetimes() {
        let number: TokenReply =
            serde_json::from_str(r#"{"access_token":"a","expires_in":60}"#).expect("json");
        assert_eq!(number.expires_in, Some(60));
        let text: TokenReply =
            serde_json::from_str(r#"{"access_token":"a","expires_in":"60"}"#).expect("json");
        assert_eq!(text.expires_in, Some(60));
    }
}
