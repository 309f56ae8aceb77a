//! The adapter for an endpoint, by the protocol it names; cached per endpoint configuration.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ferry_core::mail::{MailApi, MailApiFactory, MailError};
use ferry_core::model::{EndpointConfig, MailProtocol};
use sha2::{Digest, Sha256};

use crate::ews::EwsMailApi;
use crate::graph::GraphMailApi;

/// Builds the mail API of each endpoint, over the protocol its `api` names.
#[derive(Default)]
pub struct ProtocolFactory {
    cache: Mutex<HashMap<String, Arc<dyn MailApi>>>,
}

impl ProtocolFactory {
    /// A factory with an empty cache.
    pub fn new() -> ProtocolFactory {
        ProtocolFactory::default()
    }
}

impl std::fmt::Debug for ProtocolFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cached = self.cache.lock().map(|cache| cache.len()).unwrap_or(0);
        f.debug_struct("ProtocolFactory")
            .field("cached", &cached)
            .finish()
    }
}

impl MailApiFactory for ProtocolFactory {
    fn connect(&self, endpoint: &EndpointConfig) -> Result<Arc<dyn MailApi>, MailError> {
        // The whole configuration, secrets included, keys the cache (hashed, never kept in
        // clear), so a project whose credentials change gets a fresh client.
        let key = hex::encode(Sha256::digest(
            serde_json::to_vec(endpoint).unwrap_or_default(),
        ));
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(api) = cache.get(&key) {
            return Ok(api.clone());
        }
        let api: Arc<dyn MailApi> = match endpoint.protocol() {
            MailProtocol::Ews => Arc::new(EwsMailApi::from_endpoint(endpoint)?),
            MailProtocol::Graph => Arc::new(GraphMailApi::from_endpoint(endpoint)?),
        };
        cache.insert(key, api.clone());
        Ok(api)
    }
}
