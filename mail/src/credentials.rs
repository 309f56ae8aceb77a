//! An endpoint's credentials as the sign-in crate takes them, shared by both protocols.

use ferry_auth::{ClientCertificate, Credentials, Secret};
use ferry_core::mail::MailError;
use ferry_core::model::CredentialConfig;

/// The credentials an endpoint configures; a certificate that cannot be used is refused here,
/// before any request.
pub fn credentials(config: &CredentialConfig) -> Result<Credentials, MailError> {
    Ok(match config {
        CredentialConfig::ClientSecret {
            client_id,
            client_secret,
        } => Credentials::ClientSecret {
            client_id: client_id.clone(),
            secret: Secret::new(client_secret.clone()),
        },
        CredentialConfig::Certificate {
            client_id,
            certificate_pem,
            private_key_pem,
        } => Credentials::Certificate {
            client_id: client_id.clone(),
            certificate: Box::new(
                ClientCertificate::from_pem(certificate_pem, private_key_pem).map_err(|error| {
                    MailError::Permanent {
                        code: "invalid_request".into(),
                        message: error.to_string(),
                    }
                })?,
            ),
        },
        CredentialConfig::DelegatedAdmin {
            client_id,
            username,
            password,
        } => Credentials::Password {
            client_id: client_id.clone(),
            username: username.clone(),
            password: Secret::new(password.clone()),
        },
    })
}
