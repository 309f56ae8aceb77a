//! Calling a tenant the way Microsoft asks: a request rate per tenant, a pause for the whole
//! process when the server throttles a mailbox or the tenant, and retries of transient failures
//! with exponential back-off.
//!
//! The request rate is the tenant's, not the process's: a [`Pacer`] made with
//! [`Pacer::shared`] takes each request's turn from the store ([`Store::rate_turn`]), so every
//! coordinator and worker process calling a tenant shares one budget. If the store cannot be
//! reached, requests fall back to a rate kept in this process (`governor`) until it can.
//!
//! One [`Pacer`] serves a whole process, so a throttling reply seen by one task pauses every task
//! calling the same mailbox (or tenant). Each task calls through its own [`Lane`]; a lane that
//! holds a concurrency permit gives it up while it waits out a pause, so a throttled tenant never
//! occupies the slots other tenants' work could use.

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::mail::{MailError, ThrottleScope};
use crate::store::Store;

/// How calls are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts at a call that keeps failing transiently (throttling does not count).
    pub max_attempts: u32,
    /// Delay after the first transient failure; doubles each time.
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
    /// Pause when a throttling reply names no back-off (an HTTP 503 without `Retry-After`);
    /// doubles with each such reply in a row.
    pub default_back_off: Duration,
    /// Longest pause a single back-off may impose (guards against absurd values).
    pub max_back_off: Duration,
    /// Give up on a call throttled for longer than this in total.
    pub max_throttled: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            default_back_off: Duration::from_secs(2),
            max_back_off: Duration::from_secs(120),
            max_throttled: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The delay before attempt `failures + 1`.
    fn delay(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
            .min(self.max_delay);
        retry_after.map_or(exponential, |hint| {
            hint.min(self.max_back_off).max(exponential)
        })
    }
}

/// Rate limits and throttling pauses for one process.
#[derive(Default)]
pub struct Pacer {
    /// Where tenants' request rates are shared with other processes, if anywhere.
    store: Option<Arc<dyn Store>>,
    /// Whether the last turn asked of the store failed (so a store outage is logged once).
    store_failing: AtomicBool,
    limiters: Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>,
    pauses: Mutex<HashMap<String, Instant>>,
}

/// The requests a tenant's rate lets through at once after a quiet spell: a fifth of a
/// second's worth, so that over any few seconds the tenant sees the rate, not a burst above it.
fn burst(requests_per_second: f64) -> u32 {
    (requests_per_second / 5.0).ceil().clamp(1.0, 1000.0) as u32
}

/// The rate to keep when a project's is not a positive number.
fn effective_rate(requests_per_second: f64) -> f64 {
    if requests_per_second.is_finite() && requests_per_second > 0.0 {
        requests_per_second
    } else {
        crate::model::ProjectOptions::default().requests_per_second
    }
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").finish_non_exhaustive()
    }
}

fn mailbox_pause_key(tenant: &str, mailbox: &str) -> String {
    format!("{tenant}#{}", mailbox.to_ascii_lowercase())
}

impl Pacer {
    /// A pacer whose request rates hold for this process alone.
    pub fn new() -> Arc<Pacer> {
        Arc::new(Pacer::default())
    }

    /// A pacer whose request rates are shared through `store` with every process using it.
    pub fn shared(store: Arc<dyn Store>) -> Arc<Pacer> {
        Arc::new(Pacer {
            store: Some(store),
            ..Pacer::default()
        })
    }

    /// Waits for the turn of `turns` requests at `tenant`'s rate: from the store when the
    /// pacer shares rates and the store answers, from this process's own limiter otherwise.
    async fn wait_for_turns(
        &self,
        tenant: &str,
        requests_per_second: f64,
        limiter: &DefaultDirectRateLimiter,
        turns: u32,
    ) {
        if let Some(store) = &self.store {
            let rate = effective_rate(requests_per_second);
            match store.rate_turn(tenant, rate, burst(rate), turns).await {
                Ok(wait) => {
                    if self.store_failing.swap(false, Ordering::Relaxed) {
                        tracing::info!("request rates are shared through the store again");
                    }
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    return;
                }
                Err(error) => {
                    if !self.store_failing.swap(true, Ordering::Relaxed) {
                        tracing::warn!(%error, "request rates held per process until the store answers");
                    }
                }
            }
        }
        for _ in 0..turns.max(1) {
            limiter.until_ready().await;
        }
    }

    /// This process's own rate limiter of a tenant at `requests_per_second`.
    fn limiter(&self, tenant: &str, requests_per_second: f64) -> Arc<DefaultDirectRateLimiter> {
        let rate = effective_rate(requests_per_second);
        let key = format!("{tenant}@{rate}");
        let mut limiters = self
            .limiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        limiters
            .entry(key)
            .or_insert_with(|| {
                let period = Duration::from_secs_f64(1.0 / rate);
                let burst = NonZeroU32::new(burst(rate)).unwrap_or(NonZeroU32::MIN);
                let quota = Quota::with_period(period)
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                    .allow_burst(burst);
                Arc::new(RateLimiter::direct(quota))
            })
            .clone()
    }

    /// Until when calls to `mailbox` of `tenant` must wait, if they must.
    pub fn paused_until(&self, tenant: &str, mailbox: &str) -> Option<Instant> {
        let now = Instant::now();
        let mut pauses = self
            .pauses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pauses.retain(|_, until| *until > now);
        let tenant_pause = pauses.get(tenant).copied();
        let mailbox_pause = pauses.get(&mailbox_pause_key(tenant, mailbox)).copied();
        tenant_pause.max(mailbox_pause)
    }

    /// Pauses calls for `back_off`: to the mailbox, or to the whole tenant, as the scope says.
    pub fn pause(&self, tenant: &str, mailbox: &str, scope: ThrottleScope, back_off: Duration) {
        let key = match scope {
            ThrottleScope::Tenant => tenant.to_string(),
            ThrottleScope::Mailbox | ThrottleScope::Connection => {
                mailbox_pause_key(tenant, mailbox)
            }
        };
        let until = Instant::now() + back_off;
        let mut pauses = self
            .pauses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = pauses.entry(key).or_insert(until);
        *entry = (*entry).max(until);
    }
}

/// Whether a failed call may be repeated as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// The call has no lasting effect (reads, idempotent updates): retry transient failures.
    Safe,
    /// The call may have had its effect even when it failed (an upload whose reply was lost):
    /// only throttling, which Exchange sends before doing anything, is retried; other failures
    /// go back to the caller to reconcile.
    OnlyIfThrottled,
}

/// A concurrency slot a task holds while it calls, and gives up while it waits out a pause.
/// Clones share the slot, so a task's source and destination lanes hold one slot together.
#[derive(Debug, Clone)]
pub struct Slot {
    semaphore: Arc<Semaphore>,
    permit: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
}

impl Slot {
    /// Takes a slot from `semaphore`.
    pub async fn acquire(semaphore: Arc<Semaphore>) -> Slot {
        let permit = semaphore.clone().acquire_owned().await.ok();
        Slot {
            semaphore,
            permit: Arc::new(Mutex::new(permit)),
        }
    }

    fn permit(&self) -> std::sync::MutexGuard<'_, Option<OwnedSemaphorePermit>> {
        self.permit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn release(&self) {
        self.permit().take();
    }

    async fn reacquire(&self) {
        if self.permit().is_some() {
            return;
        }
        let permit = self.semaphore.clone().acquire_owned().await.ok();
        let mut held = self.permit();
        if held.is_none() {
            *held = permit;
        }
    }
}

/// The calls of one task to one mailbox of one tenant.
#[derive(Debug)]
pub struct Lane {
    pacer: Arc<Pacer>,
    limiter: Arc<DefaultDirectRateLimiter>,
    requests_per_second: f64,
    tenant: String,
    mailbox: String,
    policy: RetryPolicy,
    slot: Option<Slot>,
    throttle_events: u64,
}

impl Lane {
    /// A lane to `mailbox` of the tenant keyed `tenant`, at most `requests_per_second` for the
    /// tenant (over every process if the pacer is shared, in this one otherwise).
    pub fn new(
        pacer: Arc<Pacer>,
        tenant: &str,
        mailbox: &str,
        requests_per_second: f64,
        policy: RetryPolicy,
    ) -> Lane {
        Lane {
            limiter: pacer.limiter(tenant, requests_per_second),
            requests_per_second,
            pacer,
            tenant: tenant.to_string(),
            mailbox: mailbox.to_string(),
            policy,
            slot: None,
            throttle_events: 0,
        }
    }

    /// Holds `slot` while calling, giving it up during pauses.
    pub fn with_slot(mut self, slot: Slot) -> Lane {
        self.slot = Some(slot);
        self
    }

    /// Throttling replies this lane met.
    pub fn throttle_events(&self) -> u64 {
        self.throttle_events
    }

    /// Records a throttling reply the caller met outside [`Lane::call`] (a per-item
    /// `ErrorServerBusy` inside a successful reply) and pauses the mailbox or tenant for its
    /// back-off, so the next call waits as a throttled call would. Returns the pause.
    pub fn throttled(&mut self, back_off: Option<Duration>, scope: ThrottleScope) -> Duration {
        self.throttle_events += 1;
        let pause = back_off
            .unwrap_or(self.policy.default_back_off)
            .min(self.policy.max_back_off);
        self.pacer.pause(&self.tenant, &self.mailbox, scope, pause);
        pause
    }

    /// Waits `duration` without holding the lane's slot (it is taken again by the next call),
    /// for waits the caller knows of, such as a full import window.
    pub async fn idle(&mut self, duration: Duration) {
        if let Some(slot) = &self.slot {
            slot.release();
        }
        tokio::time::sleep(duration).await;
    }

    /// Takes `requests` turns of the tenant's rate: before a call (from [`Lane::call`]), or
    /// after one that sent more requests than it was paced for (a listing that turned out
    /// longer than expected), so the tenant's rate holds over time.
    pub async fn take_turns(&mut self, requests: u32) {
        if requests > 0 {
            self.pacer
                .wait_for_turns(
                    &self.tenant,
                    self.requests_per_second,
                    &self.limiter,
                    requests,
                )
                .await;
        }
    }

    /// The tenant key and mailbox this lane calls.
    pub fn mailbox(&self) -> (&str, &str) {
        (&self.tenant, &self.mailbox)
    }

    /// How long items may stay throttled in total before they are given up on.
    pub fn max_throttled(&self) -> Duration {
        self.policy.max_throttled
    }

    /// Waits until the mailbox and tenant are not paused and the rate allows `requests`
    /// requests. The turns are taken last, with the slot held, so none pass unused while the
    /// lane waits for its slot.
    async fn ready(&mut self, requests: u32) {
        loop {
            if let Some(until) = self.pacer.paused_until(&self.tenant, &self.mailbox) {
                if let Some(slot) = &self.slot {
                    slot.release();
                }
                tokio::time::sleep_until(until).await;
                continue;
            }
            if let Some(slot) = &self.slot {
                slot.reacquire().await;
                // Other tasks may have been throttled while this one waited for its slot.
                if self
                    .pacer
                    .paused_until(&self.tenant, &self.mailbox)
                    .is_some()
                {
                    continue;
                }
            }
            self.take_turns(requests).await;
            return;
        }
    }

    /// Calls `call` until it succeeds, fails for good, or (for [`Repeat::OnlyIfThrottled`])
    /// fails in a way only the caller can sort out.
    pub async fn call<T, F, Fut>(&mut self, repeat: Repeat, call: F) -> Result<T, MailError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, MailError>>,
    {
        self.call_sending(1, repeat, call).await
    }

    /// [`Lane::call`] for a call that sends `requests` requests (a Graph upload sends one per
    /// item): that many turns of the tenant's rate are taken before it, and again before each
    /// retry.
    pub async fn call_sending<T, F, Fut>(
        &mut self,
        requests: u32,
        repeat: Repeat,
        mut call: F,
    ) -> Result<T, MailError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, MailError>>,
    {
        let requests = requests.max(1);
        let mut failures = 0u32;
        let mut unexplained_throttles = 0u32;
        let mut throttled_for = Duration::ZERO;
        loop {
            // A retry sends the whole call again: a Graph upload repeats every item's request.
            self.ready(requests).await;
            let error = match call().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            match &error {
                MailError::Throttled { back_off, scope } => {
                    self.throttle_events += 1;
                    let pause = match back_off {
                        Some(back_off) => *back_off,
                        None => {
                            unexplained_throttles += 1;
                            self.policy
                                .default_back_off
                                .saturating_mul(1 << (unexplained_throttles - 1).min(10))
                        }
                    }
                    .min(self.policy.max_back_off);
                    throttled_for += pause;
                    if throttled_for > self.policy.max_throttled {
                        return Err(error);
                    }
                    tracing::debug!(tenant = %self.tenant, mailbox = %self.mailbox, ?pause, %scope, "throttled");
                    self.pacer.pause(&self.tenant, &self.mailbox, *scope, pause);
                }
                MailError::Transient { retry_after, .. } if repeat == Repeat::Safe => {
                    failures += 1;
                    if failures >= self.policy.max_attempts {
                        return Err(error);
                    }
                    let delay = self.policy.delay(failures, *retry_after);
                    tracing::debug!(mailbox = %self.mailbox, ?delay, %error, "retrying");
                    if let Some(slot) = &self.slot {
                        slot.release();
                    }
                    tokio::time::sleep(delay).await;
                }
                _ => return Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick_policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            default_back_off: Duration::from_millis(20),
            max_back_off: Duration::from_millis(50),
            max_throttled: Duration::from_secs(1),
        }
    }

    #[tokio::test]
    async fn transient_failures_are_retried_then_returned() {
        let mut lane = Lane::new(Pacer::new(), "t", "ann@x", 1000.0, quick_policy());
        let calls = AtomicU32::new(0);
        let result: Result<(), MailError> = lane
            .call(Repeat::Safe, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(MailError::Transient {
                    message: "reset".into(),
                    retry_after: None,
                })
            })
            .await;
        assert!(result.is_err());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "max_attempts bounds the attempts"
        );
    }

    #[tokio::test]
    async fn uploads_are_not_repeated_after_an_ambiguous_failure() {
        let mut lane = Lane::new(Pacer::new(), "t", "ann@x", 1000.0, quick_policy());
        let calls = AtomicU32::new(0);
        let result: Result<(), MailError> = lane
            .call(Repeat::OnlyIfThrottled, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(MailError::Transient {
                    message: "reset".into(),
                    retry_after: None,
                })
            })
            .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_throttled_mailbox_pauses_other_lanes_to_it_but_not_other_mailboxes() {
        let pacer = Pacer::new();
        let mut lane = Lane::new(pacer.clone(), "t", "ann@x", 1000.0, quick_policy());
        let calls = AtomicU32::new(0);
        let value = lane
            .call(Repeat::OnlyIfThrottled, || async {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    Err(MailError::Throttled {
                        back_off: Some(Duration::from_millis(40)),
                        scope: ThrottleScope::Mailbox,
                    })
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(value, Ok(7), "throttling is retried even for uploads");
        assert_eq!(lane.throttle_events(), 1);

        pacer.pause(
            "t",
            "ann@x",
            ThrottleScope::Mailbox,
            Duration::from_secs(60),
        );
        assert!(
            pacer.paused_until("t", "ANN@x").is_some(),
            "addresses compare case-insensitively"
        );
        assert!(
            pacer.paused_until("t", "bob@x").is_none(),
            "other mailboxes go on"
        );
        pacer.pause("t", "ann@x", ThrottleScope::Tenant, Duration::from_secs(60));
        assert!(
            pacer.paused_until("t", "bob@x").is_some(),
            "a tenant pause stops every mailbox"
        );
        assert!(
            pacer.paused_until("other", "bob@x").is_none(),
            "other tenants go on"
        );
    }

    #[tokio::test]
    async fn a_paused_lane_gives_its_slot_to_others() {
        let pacer = Pacer::new();
        let semaphore = Arc::new(Semaphore::new(1));
        let slot = Slot::acquire(semaphore.clone()).await;
        let mut lane =
            Lane::new(pacer.clone(), "t", "ann@x", 1000.0, quick_policy()).with_slot(slot);
        pacer.pause(
            "t",
            "ann@x",
            ThrottleScope::Tenant,
            Duration::from_millis(200),
        );
        let waiting = tokio::spawn(async move {
            lane.call(Repeat::Safe, || async { Ok::<_, MailError>(()) })
                .await
        });
        let other = tokio::time::timeout(
            Duration::from_millis(150),
            semaphore.clone().acquire_owned(),
        )
        .await;
        assert!(
            other.is_ok(),
            "the slot is free while its holder waits out the pause"
        );
        drop(other);
        assert_eq!(waiting.await.ok(), Some(Ok(())));
    }

    /// Sends `calls` requests through a lane of `pacer` to tenant `t` at 100 a second.
    async fn send(pacer: Arc<Pacer>, mailbox: &'static str, calls: u32) {
        let mut lane = Lane::new(pacer, "t", mailbox, 100.0, quick_policy());
        for _ in 0..calls {
            lane.call(Repeat::Safe, || async { Ok::<_, MailError>(()) })
                .await
                .expect("call");
        }
    }

    #[tokio::test]
    async fn pacers_sharing_a_store_share_the_tenants_rate() {
        let store: Arc<dyn Store> = Arc::new(crate::store::memory::MemoryStore::new());
        // Two processes, 60 requests each at 100 a second for the tenant, a burst of 20: the
        // 120 requests take at least a second when the rate is shared.
        let started = Instant::now();
        tokio::join!(
            send(Pacer::shared(store.clone()), "ann@x", 60),
            send(Pacer::shared(store.clone()), "bob@x", 60),
        );
        let shared = started.elapsed();
        assert!(
            shared >= Duration::from_millis(990),
            "120 requests at 100/s after a burst of 20 went in {shared:?}"
        );
        // Each on its own, a pacer lets its 60 through in 0.4 s whatever the other does.
        let started = Instant::now();
        tokio::join!(
            send(Pacer::new(), "ann@x", 60),
            send(Pacer::new(), "bob@x", 60),
        );
        let separate = started.elapsed();
        assert!(
            separate < shared,
            "separate pacers do not wait for each other: {separate:?} vs {shared:?}"
        );
    }

    #[test]
    fn delays_grow_and_honour_the_servers_hint() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(1, None), Duration::from_millis(500));
        assert_eq!(policy.delay(3, None), Duration::from_secs(2));
        assert_eq!(policy.delay(30, None), Duration::from_secs(30));
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(10))),
            Duration::from_secs(10)
        );
    }
}
