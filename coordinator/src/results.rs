//! Unit results and mailbox states. Each result is applied to the store exactly once (a
//! redelivered result changes nothing), then the mailbox's state follows from its counters:
//! queued until work shows, running, and once every planned unit is done, completed, completed
//! with errors, or failed. A periodic sweep catches up what a crash interrupted: mailboxes whose
//! planning stopped, and states not yet updated.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ferry_core::model::{counter, result_queue, MailboxId, MailboxState, PassId, ProjectId};
use ferry_core::store::{CounterKey, UnitOutcome};
use ferry_core::units::result_counters;
use ferry_core::wire::item_error_from_proto;
use ferry_proto::v1::UnitResult;
use prost::Message;
use tokio_util::sync::CancellationToken;

use crate::coordinator::Coordinator;
use crate::error::CoordinatorError;

/// Results taken from the broker at once.
const RESULT_PREFETCH: u16 = 32;

/// How long the sweep rests per mailbox it visited. A visit (the record and counters read in
/// pipelined batches, the state compared) cost about 11 µs of coordinator CPU at 10,000
/// mailboxes (`control-bench`), so the sweep takes about 1% of a core however many mailboxes
/// are in a pass, and catches up within a second up to 1,000 of them, 10 s at 10,000.
const SWEEP_REST_PER_MAILBOX: Duration = Duration::from_millis(1);

impl Coordinator {
    /// Consumes unit results until `shutdown`, resubscribing after broker failures.
    pub(crate) async fn consume_results(self: Arc<Self>, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let queue = result_queue(&self.config.namespace);
            let subscribed = self.broker.subscribe(&queue, RESULT_PREFETCH).await;
            let mut subscription = match subscribed {
                Ok(subscription) => subscription,
                Err(error) => {
                    tracing::warn!(%error, "could not subscribe to results; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                    }
                }
            };
            loop {
                let next = tokio::select! {
                    _ = shutdown.cancelled() => return,
                    next = subscription.next() => next,
                };
                let delivery = match next {
                    Ok(Some(delivery)) => delivery,
                    Ok(None) => break,
                    Err(error) => {
                        tracing::warn!(%error, "result subscription failed; resubscribing");
                        break;
                    }
                };
                let result = match UnitResult::decode(&delivery.payload[..]) {
                    Ok(result) => result,
                    Err(error) => {
                        tracing::error!(%error, "dropping a message that is not a unit result");
                        let _ = delivery.ack().await;
                        continue;
                    }
                };
                match self.apply_result(&result).await {
                    Ok(()) => {
                        let _ = delivery.ack().await;
                    }
                    Err(error) => {
                        tracing::warn!(unit = %result.unit_id, %error, "could not apply a result; it will come back");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        let _ = delivery.nack(true).await;
                    }
                }
            }
        }
    }

    /// Applies one unit result (once) and moves its mailbox on.
    pub(crate) async fn apply_result(&self, result: &UnitResult) -> Result<(), CoordinatorError> {
        let key = CounterKey {
            project: ProjectId(result.project_id.clone()),
            mailbox: MailboxId(result.mailbox_id.clone()),
            pass: PassId(result.pass_id.clone()),
        };
        let (mailbox_deltas, folder_deltas) = result_counters(result);
        let errors: Vec<_> = result.errors.iter().map(item_error_from_proto).collect();
        let unit = ferry_core::model::UnitId(result.unit_id.clone());
        let applied = self
            .store
            .apply_unit_result(&UnitOutcome {
                counters: &key,
                unit: &unit,
                mailbox_deltas: &mailbox_deltas,
                folder: &result.folder_path,
                folder_deltas: &folder_deltas,
                errors: &errors,
            })
            .await?;
        if applied {
            tracing::debug!(unit = %result.unit_id, worker = %result.worker, copied = result.items_copied, "result applied");
        } else {
            tracing::debug!(unit = %result.unit_id, "result already applied");
        }
        self.settle_mailbox(&key).await
    }

    /// Moves a mailbox to the state its counters show.
    pub(crate) async fn settle_mailbox(&self, key: &CounterKey) -> Result<(), CoordinatorError> {
        let _guard = self.lock_mailbox(&key.mailbox).await;
        let Some(mut record) = self.store.mailbox(&key.project, &key.mailbox).await? else {
            return Ok(());
        };
        if record.pass_id.as_ref() != Some(&key.pass) || record.state.is_terminal() {
            return Ok(());
        }
        let counters = self.store.counters(key).await?;
        let next = next_state(record.state, record.units_total, &counters);
        if next == record.state {
            return Ok(());
        }
        record.state = next;
        if next.is_terminal() {
            record.ended_at = Some(Utc::now());
            if next == MailboxState::Failed {
                record.failure =
                    Some("no folder of the mailbox could be migrated; see its errors".into());
            }
            tracing::info!(
                mailbox = %record.source_address,
                state = next.name(),
                copied = counters.get(counter::ITEMS_COPIED),
                failed = counters.get(counter::ITEMS_FAILED),
                "mailbox finished its pass"
            );
        }
        self.store.put_mailbox(&record).await?;
        Ok(())
    }

    /// Every `sweep_interval`, or less often when many mailboxes are in a pass: plans mailboxes
    /// whose planning stopped (a crash, a failure that may pass) and settles the state of
    /// mailboxes a result did not settle (the coordinator stopped between applying it and
    /// settling). Results settle their mailbox as they arrive, so the sweep is a safety net,
    /// and its cost is kept flat: it rests [`SWEEP_REST_PER_MAILBOX`] per mailbox it visited.
    pub(crate) async fn sweep(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            let visited = match self.sweep_once().await {
                Ok(visited) => visited,
                Err(error) => {
                    tracing::warn!(%error, "sweep failed");
                    0
                }
            };
            let rest = self.config.sweep_interval.max(
                SWEEP_REST_PER_MAILBOX.saturating_mul(u32::try_from(visited).unwrap_or(u32::MAX)),
            );
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(rest) => {}
            }
        }
    }

    /// One sweep; returns the mailboxes it visited.
    async fn sweep_once(self: &Arc<Self>) -> Result<usize, CoordinatorError> {
        let mut visited = 0;
        for project in self.store.projects().await? {
            // Only mailboxes still in a pass: a finished project costs the sweep nothing.
            let mut planned = Vec::new();
            let active = self.store.active_mailboxes(&project.id).await?;
            visited += active.len();
            for mailbox in active {
                let Some(pass) = mailbox.pass_id.clone() else {
                    continue;
                };
                if mailbox.state.is_terminal() || mailbox.state == MailboxState::NotStarted {
                    continue;
                }
                if mailbox.units_total.is_none() {
                    self.clone()
                        .spawn_planning(project.id.clone(), pass, mailbox.id.clone());
                    continue;
                }
                let key = CounterKey {
                    project: project.id.clone(),
                    mailbox: mailbox.id.clone(),
                    pass,
                };
                planned.push((mailbox, key));
            }
            // Counters of all of them in a few round trips; only a mailbox whose state should
            // move is settled (which reads it again under its lock).
            let keys: Vec<CounterKey> = planned.iter().map(|(_, key)| key.clone()).collect();
            let counters = self.store.counters_many(&keys).await?;
            for ((mailbox, key), counters) in planned.iter().zip(&counters) {
                if next_state(mailbox.state, mailbox.units_total, counters) != mailbox.state {
                    self.settle_mailbox(key).await?;
                }
            }
        }
        Ok(visited)
    }
}

/// The state a mailbox's counters call for.
pub fn next_state(
    current: MailboxState,
    units_total: Option<u64>,
    counters: &ferry_core::model::Counters,
) -> MailboxState {
    let units_done = counters.get(counter::UNITS_DONE);
    if let Some(total) = units_total {
        if units_done >= total {
            let units_failed = counters.get(counter::UNITS_FAILED);
            return if total > 0 && units_failed >= total {
                MailboxState::Failed
            } else if units_failed > 0
                || counters.get(counter::ITEMS_FAILED) > 0
                || counters.get(counter::PLANNING_ERRORS) > 0
            {
                MailboxState::CompletedWithErrors
            } else {
                MailboxState::Completed
            };
        }
    }
    let progressed = units_done > 0 || counters.get(counter::ITEMS_COPIED) > 0;
    if current == MailboxState::Queued && progressed {
        MailboxState::Running
    } else {
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::model::Counters;

    fn counters(pairs: &[(&str, u64)]) -> Counters {
        let mut counters = Counters::default();
        for (name, value) in pairs {
            counters.add(name, *value);
        }
        counters
    }

    #[test]
    fn mailboxes_move_through_their_states() {
        let queued = MailboxState::Queued;
        assert_eq!(
            next_state(queued, None, &counters(&[])),
            queued,
            "still planning"
        );
        assert_eq!(
            next_state(queued, Some(3), &counters(&[("items_copied", 5)])),
            MailboxState::Running
        );
        assert_eq!(
            next_state(queued, Some(0), &counters(&[])),
            MailboxState::Completed,
            "nothing to do"
        );
        let done = counters(&[("units_done", 3), ("items_copied", 10)]);
        assert_eq!(
            next_state(MailboxState::Running, Some(3), &done),
            MailboxState::Completed
        );
        let with_errors = counters(&[("units_done", 3), ("items_failed", 1)]);
        assert_eq!(
            next_state(MailboxState::Running, Some(3), &with_errors),
            MailboxState::CompletedWithErrors
        );
        let planning_errors = counters(&[("units_done", 3), ("planning_errors", 1)]);
        assert_eq!(
            next_state(MailboxState::Running, Some(3), &planning_errors),
            MailboxState::CompletedWithErrors
        );
        let all_failed = counters(&[("units_done", 2), ("units_failed", 2)]);
        assert_eq!(
            next_state(MailboxState::Running, Some(2), &all_failed),
            MailboxState::Failed
        );
    }
}
