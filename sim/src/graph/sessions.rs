//! Import sessions: the pre-authenticated URLs `createImportSession` hands out.
//!
//! The URL's `authtoken` is a random secret that alone authorises `importItem` for one mailbox
//! until the session expires (`graph.import_session_lifetime_secs`); it can serve any number of
//! imports until then, as the docs' "subsequent POST operations" suggests. Only a hash of each
//! secret is kept, and `Debug` shows the number of sessions, so no secret reaches a log.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::time::Instant;
use uuid::Uuid;

/// What a session authorises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSession {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The mailbox items may be imported into.
    pub mailbox: Uuid,
    /// Who created it (throttling counts its imports against that caller).
    pub caller: String,
    expires_at: Instant,
}

/// Why an `authtoken` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRejection {
    /// No such session (a wrong, truncated or missing token).
    Unknown,
    /// The session has expired.
    Expired,
}

/// Every open import session, by the hash of its secret.
#[derive(Default)]
pub struct ImportSessions {
    sessions: Mutex<HashMap<[u8; 32], ImportSession>>,
}

impl std::fmt::Debug for ImportSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSessions")
            .field("sessions", &self.lock().len())
            .finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl ImportSessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], ImportSession>> {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a session; returns its secret `authtoken`.
    pub fn create(
        &self,
        tenant_id: Uuid,
        mailbox: Uuid,
        caller: String,
        lifetime: Duration,
    ) -> String {
        let mut secret = [0u8; 48];
        rand::rng().fill_bytes(&mut secret);
        let token = URL_SAFE_NO_PAD.encode(secret);
        let now = Instant::now();
        let mut sessions = self.lock();
        // Forget sessions long expired, so the table does not grow without bound.
        sessions.retain(|_, session| {
            now.duration_since(session.expires_at) < Duration::from_secs(3600)
        });
        sessions.insert(
            digest(&token),
            ImportSession {
                tenant_id,
                mailbox,
                caller,
                expires_at: now + lifetime,
            },
        );
        token
    }

    /// The session an `authtoken` opens, if it is known and not expired.
    pub fn find(&self, token: &str) -> Result<ImportSession, SessionRejection> {
        let session = self
            .lock()
            .get(&digest(token))
            .cloned()
            .ok_or(SessionRejection::Unknown)?;
        if session.expires_at <= Instant::now() {
            return Err(SessionRejection::Expired);
        }
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sessions_expire_and_never_print_their_secret() {
        let sessions = ImportSessions::default();
        let token = sessions.create(
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            "app:x".into(),
            Duration::from_secs(30),
        );
        assert_eq!(
            sessions.find(&token).map(|session| session.mailbox),
            Ok(Uuid::from_u128(2))
        );
        assert_eq!(sessions.find("guess"), Err(SessionRejection::Unknown));
        assert!(!format!("{sessions:?}").contains(&token));
        tokio::time::advance(Duration::from_secs(31)).await;
        assert_eq!(sessions.find(&token), Err(SessionRejection::Expired));
    }
}
