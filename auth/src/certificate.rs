//! Certificate credentials: a client assertion (RFC 7523 JWT) signed with the app's private key,
//! as Entra ID accepts instead of a client secret.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use sha1::{Digest, Sha1};
use sha2::Sha256;

use crate::AuthError;

/// How long a client assertion is valid; Entra ID accepts up to ten minutes of clock skew.
const ASSERTION_LIFETIME_SECS: i64 = 600;

/// An app's certificate and private key.
#[derive(Clone)]
pub struct ClientCertificate {
    signing_key: SigningKey<Sha256>,
    /// Base64url SHA-1 of the certificate (the JWT `x5t` header Entra ID looks the key up by).
    thumbprint: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t", &self.thumbprint)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl ClientCertificate {
    /// Loads a PEM certificate and its PEM private key (PKCS#8 or PKCS#1 RSA).
    pub fn from_pem(
        certificate_pem: &str,
        private_key_pem: &str,
    ) -> Result<ClientCertificate, AuthError> {
        let certificate = pem::parse(certificate_pem).map_err(|error| {
            AuthError::BadCertificate(format!("the certificate is not PEM: {error}"))
        })?;
        if certificate.tag() != "CERTIFICATE" {
            return Err(AuthError::BadCertificate(format!(
                "expected a CERTIFICATE in PEM, found {}",
                certificate.tag()
            )));
        }
        let private_key = RsaPrivateKey::from_pkcs8_pem(private_key_pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(private_key_pem))
            .map_err(|_| {
                AuthError::BadCertificate(
                    "the private key is not an RSA key in PKCS#8 or PKCS#1 PEM".into(),
                )
            })?;
        Ok(ClientCertificate {
            signing_key: SigningKey::<Sha256>::new(private_key),
            thumbprint: URL_SAFE_NO_PAD.encode(Sha1::digest(certificate.contents())),
        })
    }

    /// The `x5t` thumbprint.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// A signed client assertion for `client_id` at `token_url`.
    pub fn assertion(&self, client_id: &str, token_url: &str) -> String {
        let now = chrono::Utc::now().timestamp();
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": self.thumbprint});
        let claims = serde_json::json!({
            "aud": token_url,
            "iss": client_id,
            "sub": client_id,
            "jti": uuid::Uuid::new_v4().to_string(),
            "nbf": now,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.signing_key.sign(signing_input.as_bytes());
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;

    const CERT: &str = include_str!("../../tests/fixtures/app-certificate.pem");
    const KEY: &str = include_str!("../../tests/fixtures/app-certificate.key");

    #[test]
    fn assertions_are_signed_jwts_naming_the_certificate() {
        let certificate = ClientCertificate::from_pem(CERT, KEY).expect("loads");
        let assertion =
            certificate.assertion("client-1", "https://login.example/t/oauth2/v2.0/token");
        let parts: Vec<&str> = assertion.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
        assert_eq!(header["x5t"], certificate.thumbprint());
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["aud"], "https://login.example/t/oauth2/v2.0/token");
        let private_key = RsaPrivateKey::from_pkcs8_pem(KEY)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(KEY))
            .expect("key");
        let verifying_key = VerifyingKey::<Sha256>::new(private_key.to_public_key());
        let signature =
            Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).expect("b64").as_slice())
                .expect("sig");
        verifying_key
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("valid signature");
        assert!(!format!("{certificate:?}").contains("PRIVATE"));
    }

    #[test]
    fn rejects_what_is_not_a_certificate_and_key() {
        assert!(ClientCertificate::from_pem("garbage", KEY).is_err());
        assert!(ClientCertificate::from_pem(CERT, "garbage").is_err());
        assert!(ClientCertificate::from_pem(KEY, KEY).is_err());
    }
}
