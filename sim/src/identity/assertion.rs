//! Certificate credentials: the certificates registered on app registrations, and verification
//! of the client assertions (RS256 JWTs, RFC 7523) signed with their keys.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use uuid::Uuid;
use x509_cert::der::{Decode, Encode};

/// Clock skew tolerated on `nbf` and `exp`, as Entra ID does.
const SKEW_SECS: i64 = 300;

/// Why an assertion was refused: the AADSTS code and its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionError {
    /// The AADSTS code.
    pub code: u32,
    /// The description.
    pub description: String,
}

fn refuse(code: u32, description: impl Into<String>) -> AssertionError {
    AssertionError {
        code,
        description: description.into(),
    }
}

/// A registered certificate: its `x5t` thumbprint and public key.
type RegisteredKey = (String, RsaPublicKey);

/// The certificates registered on app registrations, by (tenant id, client id).
#[derive(Debug, Default)]
pub struct CertificateRegistry {
    keys: Mutex<HashMap<(Uuid, Uuid), Vec<RegisteredKey>>>,
}

impl CertificateRegistry {
    /// Registers a PEM certificate on an app; returns its `x5t` thumbprint.
    pub fn register(
        &self,
        tenant_id: Uuid,
        client_id: Uuid,
        certificate_pem: &str,
    ) -> Result<String, String> {
        let pem = pem::parse(certificate_pem)
            .map_err(|error| format!("not a PEM certificate: {error}"))?;
        if pem.tag() != "CERTIFICATE" {
            return Err(format!("expected a CERTIFICATE, found {}", pem.tag()));
        }
        let certificate = x509_cert::Certificate::from_der(pem.contents())
            .map_err(|error| format!("not an X.509 certificate: {error}"))?;
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|error| format!("unreadable public key: {error}"))?;
        let key = RsaPublicKey::from_public_key_der(&spki)
            .map_err(|_| "only RSA certificates are supported".to_string())?;
        let thumbprint = URL_SAFE_NO_PAD.encode(Sha1::digest(pem.contents()));
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry((tenant_id, client_id))
            .or_default()
            .push((thumbprint.clone(), key));
        Ok(thumbprint)
    }

    /// Verifies a client assertion from `client_id` presented at `token_url`.
    pub fn verify(
        &self,
        tenant_id: Uuid,
        client_id: Uuid,
        token_url: &str,
        assertion: &str,
    ) -> Result<(), AssertionError> {
        let malformed = || refuse(50027, "JWT token is invalid or malformed.");
        let parts: Vec<&str> = assertion.split('.').collect();
        let [header, claims, signature] = parts.as_slice() else {
            return Err(malformed());
        };
        let decode = |part: &str| -> Result<serde_json::Value, AssertionError> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed())?;
            serde_json::from_slice(&bytes).map_err(|_| malformed())
        };
        let header_json = decode(header)?;
        let claims_json = decode(claims)?;
        if header_json["alg"] != "RS256" {
            return Err(refuse(
                5002738,
                format!(
                    "The client assertion uses algorithm {}; only RS256 is accepted.",
                    header_json["alg"]
                ),
            ));
        }
        let thumbprint = header_json["x5t"].as_str().unwrap_or_default();
        let keys = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = keys
            .get(&(tenant_id, client_id))
            .and_then(|keys| keys.iter().find(|(registered, _)| registered == thumbprint))
            .map(|(_, key)| key.clone())
            .ok_or_else(|| {
                refuse(
                    700027,
                    format!("Client assertion failed signature validation. The key was not found (thumbprint '{thumbprint}')."),
                )
            })?;
        drop(keys);
        let signature_bytes = URL_SAFE_NO_PAD.decode(signature).map_err(|_| malformed())?;
        let signature = Signature::try_from(signature_bytes.as_slice()).map_err(|_| malformed())?;
        VerifyingKey::<Sha256>::new(key)
            .verify(format!("{header}.{claims}").as_bytes(), &signature)
            .map_err(|_| refuse(700027, "Client assertion failed signature validation."))?;
        let client = client_id.to_string();
        for claim in ["iss", "sub"] {
            if !claims_json[claim]
                .as_str()
                .is_some_and(|value| value.eq_ignore_ascii_case(&client))
            {
                return Err(refuse(
                    700021,
                    "Client assertion application identifier doesn't match 'client_id' parameter.",
                ));
            }
        }
        if !claims_json["aud"]
            .as_str()
            .is_some_and(|audience| audience.eq_ignore_ascii_case(token_url))
        {
            return Err(refuse(
                700212,
                format!("The client assertion's audience is not the token endpoint {token_url}."),
            ));
        }
        let now = chrono::Utc::now().timestamp();
        let expires = claims_json["exp"].as_i64().unwrap_or(0);
        let not_before = claims_json["nbf"].as_i64().unwrap_or(now);
        if expires + SKEW_SECS < now || not_before - SKEW_SECS > now {
            return Err(refuse(
                700024,
                "Client assertion is not within its valid time range.",
            ));
        }
        if claims_json["jti"].as_str().is_none_or(str::is_empty) {
            return Err(malformed());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};

    const CERT: &str = include_str!("../../../tests/fixtures/app-certificate.pem");
    const KEY: &str = include_str!("../../../tests/fixtures/app-certificate.key");
    const URL: &str = "http://127.0.0.1:1/t/oauth2/v2.0/token";

    fn assertion(thumbprint: &str, claims: serde_json::Value) -> String {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t": thumbprint});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(KEY).expect("key");
        let signature = SigningKey::<Sha256>::new(key).sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    #[test]
    fn accepts_a_signed_assertion_and_refuses_the_rest() {
        let registry = CertificateRegistry::default();
        let (tenant, client) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let thumbprint = registry.register(tenant, client, CERT).expect("registers");
        let now = chrono::Utc::now().timestamp();
        let claims = |aud: &str, iss: &str, exp: i64| serde_json::json!({"aud": aud, "iss": iss, "sub": iss, "jti": "j", "nbf": now, "exp": exp});
        let good = assertion(&thumbprint, claims(URL, &client.to_string(), now + 600));
        assert_eq!(registry.verify(tenant, client, URL, &good), Ok(()));
        let wrong_client = registry.verify(tenant, Uuid::from_u128(3), URL, &good);
        assert_eq!(
            wrong_client.map_err(|error| error.code),
            Err(700027),
            "no certificate on that app"
        );
        let expired = assertion(&thumbprint, claims(URL, &client.to_string(), now - 3600));
        assert_eq!(
            registry
                .verify(tenant, client, URL, &expired)
                .map_err(|e| e.code),
            Err(700024)
        );
        let other_audience = assertion(
            &thumbprint,
            claims("http://elsewhere/token", &client.to_string(), now + 600),
        );
        assert_eq!(
            registry
                .verify(tenant, client, URL, &other_audience)
                .map_err(|e| e.code),
            Err(700212)
        );
        let mut tampered = good.clone();
        tampered.push('A');
        assert!(registry.verify(tenant, client, URL, &tampered).is_err());
        assert!(registry.register(tenant, client, "junk").is_err());
    }
}
