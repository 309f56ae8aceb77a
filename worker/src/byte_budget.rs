//! A worker's budget of item bytes held at once between export and upload, shared by all its
//! units, so memory stays bounded however many units run and however large their items are.
//!
//! A unit reserves its batch's listed size before exporting it and gives the reservation back
//! once the batch is uploaded. A batch larger than the whole budget takes all of it (and waits
//! for everything else to be given back), so one large item at a time still moves. Waiting is
//! first come, first served, so a large batch is not starved by small ones.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Bytes are counted in KiB, so a budget of terabytes fits the semaphore's permit count.
const UNIT: u64 = 1024;

/// The budget, shared by cloning.
#[derive(Debug, Clone)]
pub struct ByteBudget {
    permits: Arc<Semaphore>,
    total: u32,
}

/// Bytes held until dropped.
#[derive(Debug)]
pub struct Reservation {
    _permits: Option<OwnedSemaphorePermit>,
}

impl ByteBudget {
    /// A budget of `bytes` (at least 1 KiB).
    pub fn new(bytes: u64) -> ByteBudget {
        let total = bytes.div_ceil(UNIT).clamp(1, u64::from(u32::MAX) / 2);
        let total = u32::try_from(total).unwrap_or(u32::MAX / 2);
        ByteBudget {
            permits: Arc::new(Semaphore::new(total as usize)),
            total,
        }
    }

    /// Waits until `bytes` are free (or the whole budget, for more than it holds) and holds
    /// them until the reservation is dropped.
    pub async fn reserve(&self, bytes: u64) -> Reservation {
        let wanted = bytes.div_ceil(UNIT).clamp(1, u64::from(self.total));
        let wanted = u32::try_from(wanted).unwrap_or(self.total);
        // The semaphore is never closed, so acquiring only waits (were it closed, the budget
        // would no longer bound anything, which is better than failing the unit).
        let permits = self.permits.clone().acquire_many_owned(wanted).await.ok();
        Reservation { _permits: permits }
    }

    /// Bytes free now (for tests and metrics).
    pub fn available(&self) -> u64 {
        self.permits.available_permits() as u64 * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn reservations_wait_for_room_and_oversized_ones_take_everything() {
        let budget = ByteBudget::new(10 * UNIT);
        let first = budget.reserve(6 * UNIT).await;
        assert_eq!(budget.available(), 4 * UNIT);
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(5 * UNIT).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "5 KiB does not fit in the 4 left");
        drop(first);
        let second = waiting.await.expect("reserved once room was given back");
        assert_eq!(budget.available(), 5 * UNIT);
        drop(second);
        let everything = budget.reserve(1 << 40).await;
        assert_eq!(
            budget.available(),
            0,
            "more than the budget takes all of it"
        );
        drop(everything);
        assert_eq!(budget.available(), 10 * UNIT);
    }
}
