//! Pacing uploads to each destination mailbox's import window, so Exchange Online's limit (150 MB
//! per 5 minutes per mailbox) is met by waiting, not by refusals, and every mailbox can run at
//! its cap.
//!
//! The window lives in the store ([`Store::window_spend`]), so every worker process shares it.
//! A round of a unit asks for the bytes it is about to export before exporting them (its items'
//! listed sizes, scaled by the ratio of export data to listed size seen so far), takes only the
//! items that fit in the room left, and waits (without its concurrency slot) when none do. Once
//! exported, the entry is corrected to the real bytes; items the server refused are taken out.
//!
//! Entries are timed when the upload is about to be sent and live 1% (at least 250 ms) longer
//! than the window, as the server starts counting a little later.
//!
//! The limit adapts when the server's differs from the configured one: every refusal lowers the
//! mailbox's limit by a quarter (never below 1 MiB) and every accepted upload raises it by a
//! tenth of the configured limit, up to it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_core::model::ProjectOptions;
use ferry_core::pacing::Lane;
use ferry_core::store::{Store, StoreError, WindowEntry, WindowSpend};

/// The lowest limit adaptation goes to.
const MIN_LIMIT: u64 = 1024 * 1024;

/// A worker's view of its destination mailboxes' import windows.
pub struct ImportPacing {
    store: Arc<dyn Store>,
    state: Mutex<PacingState>,
}

impl std::fmt::Debug for ImportPacing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportPacing").finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct PacingState {
    /// Export data bytes per listed byte, as seen (a moving average).
    ratio: f64,
    /// Adapted limits, by window.
    limits: HashMap<String, u64>,
}

/// Bytes spent in a mailbox's window for one round of a unit.
#[derive(Debug)]
pub struct ImportGrant {
    window: String,
    span: Duration,
    entry: Option<WindowEntry>,
}

/// The window key of a destination mailbox.
fn window_key(tenant: &str, mailbox: &str) -> String {
    format!("import:{tenant}#{}", mailbox.to_ascii_lowercase())
}

impl ImportPacing {
    /// Pacing over `store`'s windows.
    pub fn new(store: Arc<dyn Store>) -> ImportPacing {
        ImportPacing {
            store,
            state: Mutex::new(PacingState {
                ratio: 1.0,
                limits: HashMap::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PacingState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn limit(&self, window: &str, configured: u64) -> u64 {
        self.state()
            .limits
            .get(window)
            .copied()
            .unwrap_or(configured)
            .min(configured)
    }

    /// Waits until the first of `listed` (item sizes as listed) fits in the lane's mailbox's
    /// window and spends what the longest prefix that fits is expected to export. Returns that
    /// prefix's length (at least 1) and the grant to correct once the data is known.
    pub async fn take(
        &self,
        lane: &mut Lane,
        options: &ProjectOptions,
        listed: &[u64],
    ) -> Result<(usize, ImportGrant), StoreError> {
        let (tenant, mailbox) = lane.mailbox();
        let window = window_key(tenant, mailbox);
        // Entries are timed just before the upload is sent, and the server times its own a
        // little later: a margin keeps this window from reopening before the server's does.
        let window_span = options.import_window();
        let span = window_span + (window_span / 100).max(Duration::from_millis(250));
        let configured = options.import_bytes_per_window;
        if configured == 0 || listed.is_empty() {
            let grant = ImportGrant {
                window,
                span,
                entry: None,
            };
            return Ok((listed.len(), grant));
        }
        loop {
            let limit = self.limit(&window, configured);
            let ratio = self.state().ratio;
            let expected: Vec<u64> = listed
                .iter()
                .map(|size| (*size as f64 * ratio).ceil() as u64)
                .collect();
            let mut room = limit;
            loop {
                let (count, amount) = prefix_within(&expected, room);
                match self
                    .store
                    .window_spend(&window, span, limit, amount)
                    .await?
                {
                    WindowSpend::Spent(entry) => {
                        let grant = ImportGrant {
                            window,
                            span,
                            entry: Some(entry),
                        };
                        return Ok((count, grant));
                    }
                    WindowSpend::Full { room: left, .. } if left >= expected[0] && left < room => {
                        // Fewer items fit now: take those rather than wait for all.
                        room = left;
                    }
                    WindowSpend::Full { wait, .. } => {
                        tracing::debug!(%window, ?wait, "import window full; waiting");
                        lane.idle(wait).await;
                        break;
                    }
                }
            }
        }
    }

    /// Corrects a grant to the bytes actually exported for its items (`listed` of them by
    /// their listed sizes), spent now that they are about to be uploaded, and learns the ratio
    /// for the next estimates.
    pub async fn exported(
        &self,
        grant: &mut ImportGrant,
        listed: u64,
        exported: u64,
    ) -> Result<(), StoreError> {
        if listed > 0 && exported > 0 {
            let mut state = self.state();
            let seen = exported as f64 / listed as f64;
            state.ratio = 0.8 * state.ratio + 0.2 * seen.clamp(0.1, 10.0);
        }
        self.correct(grant, exported).await
    }

    /// Takes `bytes` the server refused (throttled) out of the grant, and lowers the
    /// mailbox's limit: the server's window is smaller than ours, or out of step with it.
    pub async fn refused(
        &self,
        grant: &mut ImportGrant,
        bytes: u64,
        options: &ProjectOptions,
    ) -> Result<(), StoreError> {
        {
            let configured = options.import_bytes_per_window;
            let mut state = self.state();
            let limit = state
                .limits
                .get(&grant.window)
                .copied()
                .unwrap_or(configured);
            let lowered = (limit - limit / 4).max(MIN_LIMIT).min(configured);
            tracing::info!(window = %grant.window, limit = lowered, "import refused; lowering the mailbox's import limit");
            state.limits.insert(grant.window.clone(), lowered);
        }
        let kept = grant
            .entry
            .as_ref()
            .map_or(0, |entry| entry.amount.saturating_sub(bytes));
        self.correct(grant, kept).await
    }

    /// Notes an upload the server took whole, raising an adapted limit back towards the
    /// configured one.
    pub fn accepted(&self, grant: &ImportGrant, options: &ProjectOptions) {
        let configured = options.import_bytes_per_window;
        let mut state = self.state();
        if let Some(limit) = state.limits.get_mut(&grant.window) {
            *limit = (*limit + configured / 10).min(configured);
            if *limit >= configured {
                state.limits.remove(&grant.window);
            }
        }
    }

    async fn correct(&self, grant: &mut ImportGrant, amount: u64) -> Result<(), StoreError> {
        let Some(entry) = &grant.entry else {
            return Ok(());
        };
        let corrected = self
            .store
            .window_adjust(&grant.window, grant.span, entry, amount)
            .await?;
        grant.entry = Some(corrected);
        Ok(())
    }
}

/// The longest prefix of `amounts` whose sum is at most `room` (at least one item, which an
/// empty window takes however large), and its sum.
fn prefix_within(amounts: &[u64], room: u64) -> (usize, u64) {
    let mut total = 0u64;
    for (index, amount) in amounts.iter().enumerate() {
        if index > 0 && total + amount > room {
            return (index, total);
        }
        total += amount;
    }
    (amounts.len(), total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::pacing::{Pacer, RetryPolicy};
    use ferry_core::store::memory::MemoryStore;
    use tokio::time::Instant;

    fn options(limit: u64) -> ProjectOptions {
        ProjectOptions {
            import_bytes_per_window: limit,
            import_window_secs: 1,
            ..ProjectOptions::default()
        }
    }

    fn lane() -> Lane {
        Lane::new(
            Pacer::new(),
            "tenant",
            "ann@x",
            1000.0,
            RetryPolicy::default(),
        )
    }

    #[test]
    fn prefixes_fit_the_room_but_always_take_one() {
        assert_eq!(prefix_within(&[4, 4, 4], 9), (2, 8));
        assert_eq!(prefix_within(&[40, 4], 9), (1, 40));
        assert_eq!(prefix_within(&[1, 2], 100), (2, 3));
    }

    #[tokio::test]
    async fn a_round_takes_what_fits_then_waits_for_the_window() {
        let pacing = ImportPacing::new(Arc::new(MemoryStore::new()));
        let options = options(10 * MIN_LIMIT);
        let mut lane = lane();
        let mb = MIN_LIMIT;
        let (count, mut first) = pacing
            .take(&mut lane, &options, &[4 * mb, 4 * mb, 4 * mb])
            .await
            .expect("take");
        assert_eq!(count, 2, "8 of 10 MiB; the third would not fit");
        pacing
            .exported(&mut first, 8 * mb, 8 * mb)
            .await
            .expect("correct");
        let (count, _) = pacing
            .take(&mut lane, &options, &[2 * mb, 4 * mb])
            .await
            .expect("take");
        assert_eq!(count, 1, "the room left takes the first item at once");
        let started = Instant::now();
        let (count, _) = pacing
            .take(&mut lane, &options, &[4 * mb])
            .await
            .expect("take");
        assert_eq!(count, 1);
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "the window was full for about a second"
        );
    }

    #[tokio::test]
    async fn refusals_lower_the_limit_and_acceptances_raise_it_back() {
        let pacing = ImportPacing::new(Arc::new(MemoryStore::new()));
        let options = options(8 * MIN_LIMIT);
        let mut lane = lane();
        let (_, mut grant) = pacing
            .take(&mut lane, &options, &[MIN_LIMIT])
            .await
            .expect("take");
        pacing
            .refused(&mut grant, MIN_LIMIT, &options)
            .await
            .expect("refused");
        assert_eq!(pacing.limit(&grant.window, 8 * MIN_LIMIT), 6 * MIN_LIMIT);
        for _ in 0..10 {
            pacing.accepted(&grant, &options);
        }
        assert_eq!(pacing.limit(&grant.window, 8 * MIN_LIMIT), 8 * MIN_LIMIT);
    }
}
