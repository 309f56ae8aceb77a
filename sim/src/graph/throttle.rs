//! Graph's throttling of the Outlook workload: limits per app *and* mailbox (a busy mailbox
//! leaves an app's other mailboxes unaffected), every number configurable.
//!
//! - 4 concurrent requests, held until the reply's last byte is sent;
//! - 10,000 requests per 10 minutes (a sliding window; refused requests are not counted, so
//!   `Retry-After` is exactly the wait until the window has room);
//! - 150 MB of request bodies of POST and PATCH (import bodies above all) per 5 minutes.
//!
//! A refusal is HTTP 429 `TooManyRequests` with `Retry-After` in seconds, or 503 if
//! `refusal_status` says so. The caller is the app for app tokens and the user for delegated
//! ones. Importing additionally charges the mailbox's import budget shared with EWS
//! (`throttling.import_bytes_per_window`), see [`crate::transfer`]. `throttling.enabled` is the
//! simulator-wide switch (`ferry sim --no-throttling`): when it is off, so are these limits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use uuid::Uuid;

use super::error::GraphError;
use crate::config::ConfigError;
use crate::throttle::SlidingWindow;

/// The limits; `SimConfig.graph_throttling` and `PUT /admin/graph/throttling`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GraphThrottlePolicy {
    /// Whether Graph's limits apply (they also need `throttling.enabled`).
    pub enabled: bool,
    /// Concurrent requests per app and mailbox (Outlook: 4).
    pub max_concurrent_requests: u32,
    /// `Retry-After` of a request refused for concurrency, in seconds.
    pub concurrency_retry_after_secs: u64,
    /// Requests per app and mailbox per window (Outlook: 10,000).
    pub requests_per_window: u64,
    /// The request window, in seconds (Outlook: 600).
    pub request_window_secs: u64,
    /// Bytes of POST/PATCH bodies per app and mailbox per window (Outlook: 150 MB).
    pub upload_bytes_per_window: u64,
    /// The upload window, in seconds (Outlook: 300).
    pub upload_window_secs: u64,
    /// The status of a refusal: 429 (Graph's usual answer) or 503 (a busy server).
    pub refusal_status: u16,
}

impl Default for GraphThrottlePolicy {
    fn default() -> Self {
        GraphThrottlePolicy {
            enabled: true,
            max_concurrent_requests: 4,
            concurrency_retry_after_secs: 1,
            requests_per_window: 10_000,
            request_window_secs: 600,
            upload_bytes_per_window: 150 * 1024 * 1024,
            upload_window_secs: 300,
            refusal_status: 429,
        }
    }
}

impl GraphThrottlePolicy {
    /// Checks the numbers, naming the first bad field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, problem: &str| {
            Err(ConfigError {
                field,
                problem: problem.to_string(),
            })
        };
        if self.max_concurrent_requests == 0 {
            return bad(
                "graph_throttling.max_concurrent_requests",
                "must be at least 1",
            );
        }
        if self.requests_per_window == 0 {
            return bad("graph_throttling.requests_per_window", "must be at least 1");
        }
        if self.request_window_secs == 0 {
            return bad("graph_throttling.request_window_secs", "must be at least 1");
        }
        if self.upload_window_secs == 0 {
            return bad("graph_throttling.upload_window_secs", "must be at least 1");
        }
        if !matches!(self.refusal_status, 429 | 503) {
            return bad("graph_throttling.refusal_status", "must be 429 or 503");
        }
        Ok(())
    }
}

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphLimit {
    /// Concurrent requests.
    Concurrency,
    /// Requests in the window.
    Requests,
    /// Uploaded bytes in the window.
    Upload,
}

impl GraphLimit {
    /// The counter name (`throttled.graph_<name>`).
    pub fn name(self) -> &'static str {
        match self {
            GraphLimit::Concurrency => "graph_concurrency",
            GraphLimit::Requests => "graph_requests",
            GraphLimit::Upload => "graph_upload",
        }
    }

    fn message(self) -> &'static str {
        match self {
            GraphLimit::Concurrency => "Application is over its MailboxConcurrency limit.",
            GraphLimit::Requests => "Application is over its MailboxRequestRate limit.",
            GraphLimit::Upload => "Application is over its MailboxUploadSize limit.",
        }
    }
}

/// A refusal: which limit, and the reply.
#[derive(Debug, Clone)]
pub struct GraphThrottled {
    /// The limit that refused.
    pub limit: GraphLimit,
    /// The error reply (429 or 503 with `Retry-After`).
    pub error: GraphError,
}

#[derive(Debug, Default)]
struct Load {
    in_flight: u32,
    requests: SlidingWindow,
    uploads: SlidingWindow,
}

type Loads = HashMap<(String, Uuid), Load>;

/// The Graph throttle shared by every request.
#[derive(Debug)]
pub struct GraphThrottle {
    policy: Mutex<GraphThrottlePolicy>,
    loads: Arc<Mutex<Loads>>,
}

/// A request's concurrency slot; released when dropped, after the reply has been sent.
#[derive(Debug)]
pub struct GraphAdmission {
    loads: Arc<Mutex<Loads>>,
    key: (String, Uuid),
}

impl Drop for GraphAdmission {
    fn drop(&mut self) {
        let mut loads = self
            .loads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(load) = loads.get_mut(&self.key) {
            load.in_flight = load.in_flight.saturating_sub(1);
        }
    }
}

impl GraphThrottle {
    /// A throttle enforcing `policy`.
    pub fn new(policy: GraphThrottlePolicy) -> GraphThrottle {
        GraphThrottle {
            policy: Mutex::new(policy),
            loads: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The current policy.
    pub fn policy(&self) -> GraphThrottlePolicy {
        self.policy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Replaces the policy; windows already accumulated are kept.
    pub fn set_policy(&self, policy: GraphThrottlePolicy) {
        *self
            .policy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = policy;
    }

    /// Admits a request by `caller` on `mailbox` carrying `upload_bytes` of POST/PATCH body, or
    /// refuses it. `simulator_wide` is `throttling.enabled`.
    pub fn admit(
        &self,
        caller: &str,
        mailbox: Uuid,
        upload_bytes: u64,
        simulator_wide: bool,
    ) -> Result<GraphAdmission, GraphThrottled> {
        let policy = self.policy();
        let key = (caller.to_string(), mailbox);
        let mut loads = self
            .loads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let load = loads.entry(key.clone()).or_default();
        if policy.enabled && simulator_wide {
            let refuse = |limit: GraphLimit, wait_secs: u64| GraphThrottled {
                limit,
                error: GraphError::throttled(policy.refusal_status, wait_secs, limit.message()),
            };
            let whole_seconds = |wait: Duration| wait.as_secs_f64().ceil() as u64;
            if load.in_flight >= policy.max_concurrent_requests {
                return Err(refuse(
                    GraphLimit::Concurrency,
                    policy.concurrency_retry_after_secs,
                ));
            }
            let now = Instant::now();
            let request_window = Duration::from_secs(policy.request_window_secs);
            let upload_window = Duration::from_secs(policy.upload_window_secs);
            load.requests
                .room(now, request_window, policy.requests_per_window, 1)
                .map_err(|wait| refuse(GraphLimit::Requests, whole_seconds(wait)))?;
            if upload_bytes > 0 {
                load.uploads
                    .spend(
                        now,
                        upload_window,
                        policy.upload_bytes_per_window,
                        upload_bytes,
                    )
                    .map_err(|wait| refuse(GraphLimit::Upload, whole_seconds(wait)))?;
            }
            let _ = load
                .requests
                .spend(now, request_window, policy.requests_per_window, 1);
        }
        load.in_flight += 1;
        Ok(GraphAdmission {
            loads: Arc::clone(&self.loads),
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> GraphThrottle {
        GraphThrottle::new(GraphThrottlePolicy {
            max_concurrent_requests: 2,
            requests_per_window: 3,
            request_window_secs: 10,
            upload_bytes_per_window: 100,
            upload_window_secs: 20,
            ..GraphThrottlePolicy::default()
        })
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_per_app_and_mailbox() {
        let throttle = small();
        let mailbox = Uuid::from_u128(1);
        let first = throttle.admit("app", mailbox, 0, true).expect("first");
        let _second = throttle.admit("app", mailbox, 0, true).expect("second");
        let refused = throttle.admit("app", mailbox, 0, true).expect_err("third");
        assert_eq!(refused.limit, GraphLimit::Concurrency);
        assert_eq!(refused.error.status, 429);
        assert_eq!(refused.error.retry_after_secs, Some(1));
        assert!(throttle.admit("other", mailbox, 0, true).is_ok());
        assert!(throttle.admit("app", Uuid::from_u128(2), 0, true).is_ok());
        drop(first);
        assert!(throttle.admit("app", mailbox, 0, true).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn request_and_upload_windows_refuse_until_they_have_room() {
        let throttle = small();
        let mailbox = Uuid::from_u128(1);
        drop(throttle.admit("app", mailbox, 60, true).expect("first"));
        let refused = throttle
            .admit("app", mailbox, 60, true)
            .expect_err("upload window full");
        assert_eq!(refused.limit, GraphLimit::Upload);
        assert_eq!(refused.error.retry_after_secs, Some(20));
        tokio::time::advance(Duration::from_secs(4)).await;
        drop(throttle.admit("app", mailbox, 0, true).expect("second"));
        drop(throttle.admit("app", mailbox, 0, true).expect("third"));
        let refused = throttle
            .admit("app", mailbox, 0, true)
            .expect_err("request window full");
        assert_eq!(refused.limit, GraphLimit::Requests);
        assert_eq!(refused.error.retry_after_secs, Some(6));
        assert!(
            throttle.admit("app", mailbox, 0, false).is_ok(),
            "the simulator-wide switch turns every limit off"
        );
    }

    #[test]
    fn validation_names_the_field() {
        let policy = GraphThrottlePolicy {
            refusal_status: 500,
            ..GraphThrottlePolicy::default()
        };
        assert_eq!(
            policy.validate().expect_err("bad status").field,
            "graph_throttling.refusal_status"
        );
    }
}
