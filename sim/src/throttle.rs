//! Throttling modelled on Exchange Online's EWS policies.
//!
//! Four policies, every number configurable: concurrent requests per mailbox (27), concurrent
//! sync calls per mailbox (5), a per-(caller, mailbox) request budget that recharges over time,
//! and imported bytes per mailbox in a sliding window (150 MB per 5 minutes). A request over a
//! policy is refused in one of the three forms Exchange uses, chosen per policy.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use uuid::Uuid;

use crate::config::ConfigError;

/// How a throttled request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThrottleForm {
    /// HTTP 503 with an empty body.
    Http503,
    /// HTTP 500 with a SOAP fault `ErrorServerBusy` and `BackOffMilliseconds` in its detail.
    SoapFault,
    /// HTTP 200 with `ResponseClass="Error"`, `ErrorServerBusy` and `BackOffMilliseconds` in
    /// `MessageXml`, as Exchange Online answers a sync call over `ConcurrentSyncCalls`.
    ResponseMessage,
}

/// The throttling policies; every number can be changed at start-up or through the admin API.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottlePolicy {
    /// Master switch.
    pub enabled: bool,
    /// Concurrent requests per mailbox (Exchange Online: 27).
    pub max_concurrent_requests: u32,
    /// How requests over the concurrency limit are refused.
    pub concurrency_form: ThrottleForm,
    /// Concurrent `SyncFolderItems`/`SyncFolderHierarchy` calls per mailbox (Exchange Online: 5).
    pub max_concurrent_sync: u32,
    /// How sync calls over their limit are refused.
    pub sync_form: ThrottleForm,
    /// Back-off suggested for sync calls over their limit, in milliseconds.
    pub sync_back_off_ms: u64,
    /// Requests a caller can burst against one mailbox before the budget runs dry.
    pub budget_burst: u32,
    /// Requests per second the budget recharges by.
    pub budget_recharge_per_sec: f64,
    /// How requests over budget are refused.
    pub budget_form: ThrottleForm,
    /// Bytes that may be imported into one mailbox per window (Exchange Online: 150 MB).
    pub import_bytes_per_window: u64,
    /// The import window, in seconds (Exchange Online: 300).
    pub import_window_secs: u64,
    /// How imports over the limit are refused.
    pub import_form: ThrottleForm,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            enabled: true,
            max_concurrent_requests: 27,
            concurrency_form: ThrottleForm::Http503,
            max_concurrent_sync: 5,
            sync_form: ThrottleForm::ResponseMessage,
            sync_back_off_ms: 5000,
            budget_burst: 3000,
            budget_recharge_per_sec: 10.0,
            budget_form: ThrottleForm::SoapFault,
            import_bytes_per_window: 150 * 1024 * 1024,
            import_window_secs: 300,
            import_form: ThrottleForm::SoapFault,
        }
    }
}

impl ThrottlePolicy {
    /// Checks the policy's numbers.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, problem: &str| {
            Err(ConfigError {
                field,
                problem: problem.to_string(),
            })
        };
        if self.max_concurrent_requests == 0 {
            return bad("throttling.max_concurrent_requests", "must be at least 1");
        }
        if self.max_concurrent_sync == 0 {
            return bad("throttling.max_concurrent_sync", "must be at least 1");
        }
        if self.budget_burst == 0 {
            return bad("throttling.budget_burst", "must be at least 1");
        }
        if !(self.budget_recharge_per_sec > 0.0 && self.budget_recharge_per_sec.is_finite()) {
            return bad(
                "throttling.budget_recharge_per_sec",
                "must be a positive number",
            );
        }
        if self.import_window_secs == 0 {
            return bad("throttling.import_window_secs", "must be at least 1");
        }
        Ok(())
    }
}

/// Which policy refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottledPolicy {
    /// Too many concurrent requests for the mailbox.
    Concurrency,
    /// Too many concurrent sync calls for the mailbox.
    ConcurrentSync,
    /// The caller's budget for the mailbox ran dry.
    Budget,
    /// Too many bytes imported into the mailbox in the window.
    Import,
}

impl ThrottledPolicy {
    /// The counter and log name of the policy.
    pub fn name(self) -> &'static str {
        match self {
            ThrottledPolicy::Concurrency => "concurrency",
            ThrottledPolicy::ConcurrentSync => "concurrent_sync",
            ThrottledPolicy::Budget => "budget",
            ThrottledPolicy::Import => "import",
        }
    }

    /// The policy part name Exchange puts in its message text.
    pub fn exchange_part(self) -> &'static str {
        match self {
            ThrottledPolicy::Concurrency => "MaxConcurrency",
            ThrottledPolicy::ConcurrentSync => "ConcurrentSyncCalls",
            ThrottledPolicy::Budget => "RechargeRate",
            ThrottledPolicy::Import => "EwsImportThroughput",
        }
    }
}

/// A refusal: which policy, in which form, and how long the caller should wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// The policy that refused.
    pub policy: ThrottledPolicy,
    /// The form of the reply.
    pub form: ThrottleForm,
    /// The suggested back-off.
    pub back_off: Duration,
    /// The policy's configured value, for the message text.
    pub policy_value: u64,
}

/// Amounts (requests, bytes) spent within a sliding window of time, for policies of the form
/// "at most N per T". The EWS import policy and Graph's request and upload limits use it.
#[derive(Debug, Default)]
pub struct SlidingWindow {
    spent: VecDeque<(Instant, u64)>,
    total: u64,
}

impl SlidingWindow {
    /// Spends `amount` at `now` if the window of length `window` then holds at most `limit`, or
    /// says how long to wait until it would. An amount larger than the whole limit is let
    /// through when the window is empty, as it could otherwise never pass.
    pub fn spend(
        &mut self,
        now: Instant,
        window: Duration,
        limit: u64,
        amount: u64,
    ) -> Result<(), Duration> {
        self.room(now, window, limit, amount)?;
        self.spent.push_back((now, amount));
        self.total += amount;
        Ok(())
    }

    /// Whether `amount` would fit now, without spending it; the wait until it would if not.
    pub fn room(
        &mut self,
        now: Instant,
        window: Duration,
        limit: u64,
        amount: u64,
    ) -> Result<(), Duration> {
        while let Some((at, spent)) = self.spent.front().copied() {
            if now.duration_since(at) >= window {
                self.spent.pop_front();
                self.total -= spent;
            } else {
                break;
            }
        }
        if self.total > 0 && self.total + amount > limit {
            // Wait until enough of the window has expired for this amount to fit.
            let needed = self.total + amount - limit;
            let mut freed = 0u64;
            let mut wait = window;
            for (at, spent) in &self.spent {
                freed += spent;
                if freed >= needed {
                    wait = window.saturating_sub(now.duration_since(*at));
                    break;
                }
            }
            return Err(wait.max(Duration::from_millis(1)));
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
struct MailboxLoad {
    in_flight: u32,
    sync_in_flight: u32,
    imports: SlidingWindow,
}

#[derive(Debug)]
struct Budget {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug, Default)]
struct ThrottleState {
    mailboxes: HashMap<Uuid, MailboxLoad>,
    budgets: HashMap<(String, Uuid), Budget>,
}

/// The throttle shared by every request.
#[derive(Debug)]
pub struct Throttle {
    policy: Mutex<ThrottlePolicy>,
    state: Arc<Mutex<ThrottleState>>,
}

/// Holds a request's concurrency slots; releases them when dropped (after the reply is sent).
#[derive(Debug)]
pub struct Admission {
    state: Arc<Mutex<ThrottleState>>,
    mailbox: Uuid,
    sync: bool,
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(load) = state.mailboxes.get_mut(&self.mailbox) {
            load.in_flight = load.in_flight.saturating_sub(1);
            if self.sync {
                load.sync_in_flight = load.sync_in_flight.saturating_sub(1);
            }
        }
    }
}

impl Throttle {
    /// A throttle enforcing `policy`.
    pub fn new(policy: ThrottlePolicy) -> Throttle {
        Throttle {
            policy: Mutex::new(policy),
            state: Arc::new(Mutex::new(ThrottleState::default())),
        }
    }

    /// The current policy.
    pub fn policy(&self) -> ThrottlePolicy {
        self.policy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Replaces the policy; budgets and windows already accumulated are kept.
    pub fn set_policy(&self, policy: ThrottlePolicy) {
        *self
            .policy
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = policy;
    }

    /// Admits a request by `caller` against `mailbox`, or refuses it.
    pub fn admit(
        &self,
        caller: &str,
        mailbox: Uuid,
        is_sync: bool,
    ) -> Result<Admission, Throttled> {
        let policy = self.policy();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if policy.enabled {
            let now = Instant::now();
            let load = state.mailboxes.entry(mailbox).or_default();
            if load.in_flight >= policy.max_concurrent_requests {
                return Err(Throttled {
                    policy: ThrottledPolicy::Concurrency,
                    form: policy.concurrency_form,
                    back_off: Duration::from_millis(500),
                    policy_value: u64::from(policy.max_concurrent_requests),
                });
            }
            if is_sync && load.sync_in_flight >= policy.max_concurrent_sync {
                return Err(Throttled {
                    policy: ThrottledPolicy::ConcurrentSync,
                    form: policy.sync_form,
                    back_off: Duration::from_millis(policy.sync_back_off_ms),
                    policy_value: u64::from(policy.max_concurrent_sync),
                });
            }
            let budget = state
                .budgets
                .entry((caller.to_string(), mailbox))
                .or_insert(Budget {
                    tokens: f64::from(policy.budget_burst),
                    updated: now,
                });
            let elapsed = now.duration_since(budget.updated).as_secs_f64();
            budget.tokens = (budget.tokens + elapsed * policy.budget_recharge_per_sec)
                .min(f64::from(policy.budget_burst));
            budget.updated = now;
            if budget.tokens < 1.0 {
                let wait = (1.0 - budget.tokens) / policy.budget_recharge_per_sec;
                return Err(Throttled {
                    policy: ThrottledPolicy::Budget,
                    form: policy.budget_form,
                    back_off: Duration::from_secs_f64(wait).max(Duration::from_millis(1)),
                    policy_value: u64::from(policy.budget_burst),
                });
            }
            budget.tokens -= 1.0;
        }
        let load = state.mailboxes.entry(mailbox).or_default();
        load.in_flight += 1;
        if is_sync {
            load.sync_in_flight += 1;
        }
        Ok(Admission {
            state: Arc::clone(&self.state),
            mailbox,
            sync: is_sync,
        })
    }

    /// Accounts `bytes` imported into `mailbox` by a request carrying `items` items, or refuses
    /// the import if the window is full.
    ///
    /// One item larger than the whole window is let through when the window is empty, as it
    /// could otherwise never succeed; a request of several items must fit in the window (a
    /// client splits it), or it would let a big batch through a window made for less.
    pub fn admit_import(&self, mailbox: Uuid, bytes: u64, items: usize) -> Result<(), Throttled> {
        let policy = self.policy();
        if !policy.enabled {
            return Ok(());
        }
        let window = Duration::from_secs(policy.import_window_secs);
        let now = Instant::now();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let load = state.mailboxes.entry(mailbox).or_default();
        if items > 1 && bytes > policy.import_bytes_per_window {
            return Err(Throttled {
                policy: ThrottledPolicy::Import,
                form: policy.import_form,
                back_off: window,
                policy_value: policy.import_bytes_per_window,
            });
        }
        load.imports
            .spend(now, window, policy.import_bytes_per_window, bytes)
            .map_err(|wait| Throttled {
                policy: ThrottledPolicy::Import,
                form: policy.import_form,
                back_off: wait,
                policy_value: policy.import_bytes_per_window,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_policy() -> ThrottlePolicy {
        ThrottlePolicy {
            max_concurrent_requests: 2,
            max_concurrent_sync: 1,
            budget_burst: 3,
            budget_recharge_per_sec: 1.0,
            import_bytes_per_window: 100,
            import_window_secs: 10,
            ..ThrottlePolicy::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_limited_and_released_on_drop() {
        let throttle = Throttle::new(ThrottlePolicy {
            budget_burst: 100,
            ..small_policy()
        });
        let mailbox = Uuid::from_u128(1);
        let first = throttle.admit("app", mailbox, false).expect("first");
        let _second = throttle.admit("app", mailbox, false).expect("second");
        let refused = throttle.admit("app", mailbox, false).expect_err("third");
        assert_eq!(refused.policy, ThrottledPolicy::Concurrency);
        assert_eq!(refused.form, ThrottleForm::Http503);
        drop(first);
        assert!(throttle.admit("app", mailbox, false).is_ok());
        assert!(
            throttle.admit("app", Uuid::from_u128(2), false).is_ok(),
            "other mailboxes are not affected"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sync_calls_have_their_own_limit() {
        let throttle = Throttle::new(small_policy());
        let mailbox = Uuid::from_u128(1);
        let _sync = throttle.admit("app", mailbox, true).expect("first sync");
        let refused = throttle
            .admit("app", mailbox, true)
            .expect_err("second sync");
        assert_eq!(refused.policy, ThrottledPolicy::ConcurrentSync);
        assert_eq!(refused.form, ThrottleForm::ResponseMessage);
        assert_eq!(refused.back_off, Duration::from_millis(5000));
    }

    #[tokio::test(start_paused = true)]
    async fn budget_recharges_over_time() {
        let throttle = Throttle::new(small_policy());
        let mailbox = Uuid::from_u128(1);
        for _ in 0..3 {
            drop(throttle.admit("app", mailbox, false).expect("within burst"));
        }
        let refused = throttle
            .admit("app", mailbox, false)
            .expect_err("budget spent");
        assert_eq!(refused.policy, ThrottledPolicy::Budget);
        assert_eq!(refused.back_off, Duration::from_secs(1));
        assert!(
            throttle.admit("other-app", mailbox, false).is_ok(),
            "budgets are per caller"
        );
        tokio::time::advance(Duration::from_millis(1000)).await;
        assert!(throttle.admit("app", mailbox, false).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn imports_are_limited_per_window() {
        let throttle = Throttle::new(small_policy());
        let mailbox = Uuid::from_u128(1);
        throttle.admit_import(mailbox, 60, 1).expect("first");
        tokio::time::advance(Duration::from_secs(4)).await;
        throttle.admit_import(mailbox, 30, 1).expect("second");
        let refused = throttle
            .admit_import(mailbox, 30, 1)
            .expect_err("window full");
        assert_eq!(refused.policy, ThrottledPolicy::Import);
        assert_eq!(
            refused.back_off,
            Duration::from_secs(6),
            "until the first import expires"
        );
        tokio::time::advance(Duration::from_secs(6)).await;
        throttle
            .admit_import(mailbox, 30, 1)
            .expect("window moved on");
        assert!(
            throttle.admit_import(Uuid::from_u128(2), 500, 1).is_ok(),
            "an oversized item into an empty window passes"
        );
        assert!(
            throttle.admit_import(Uuid::from_u128(3), 500, 2).is_err(),
            "an oversized batch never does"
        );
    }

    #[test]
    fn validation_names_the_field() {
        let policy = ThrottlePolicy {
            budget_recharge_per_sec: 0.0,
            ..ThrottlePolicy::default()
        };
        assert_eq!(
            policy.validate().expect_err("invalid").field,
            "throttling.budget_recharge_per_sec"
        );
    }
}
