//! The sliding-window arithmetic both stores share (the Redis store runs the same steps in Lua):
//! entries spent at a time, each freeing up `span` later; an amount fits when what the
//! window holds plus it is at most the limit, or when the window is empty.

use std::time::Duration;

use super::{WindowEntry, WindowSpend};

/// The entries of one window, oldest first, with the time (on the store's clock) each was
/// spent at.
#[derive(Debug, Default)]
pub struct Window {
    entries: Vec<(Duration, WindowEntry)>,
}

impl Window {
    /// Drops the entries spent `span` or longer before `now`.
    fn expire(&mut self, now: Duration, span: Duration) {
        self.entries
            .retain(|(at, _)| now.saturating_sub(*at) < span);
    }

    /// Whether the window holds nothing.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Spends `amount` as entry `id` at `now`, or says when it would fit.
    pub fn spend(
        &mut self,
        now: Duration,
        span: Duration,
        limit: u64,
        amount: u64,
        id: String,
    ) -> WindowSpend {
        self.expire(now, span);
        let total: u64 = self.entries.iter().map(|(_, entry)| entry.amount).sum();
        if total == 0 || total.saturating_add(amount) <= limit {
            let entry = WindowEntry { id, amount };
            self.entries.push((now, entry.clone()));
            return WindowSpend::Spent(entry);
        }
        let needed = total.saturating_add(amount) - limit;
        let mut freed = 0u64;
        let mut wait = span;
        for (at, entry) in &self.entries {
            freed += entry.amount;
            if freed >= needed {
                wait = (*at + span).saturating_sub(now);
                break;
            }
        }
        WindowSpend::Full {
            wait: wait.max(Duration::from_millis(1)),
            room: limit.saturating_sub(total),
        }
    }

    /// Sets entry `entry`'s amount to `amount` (0 removes it) spent at `now`, if it has not
    /// expired.
    pub fn adjust(&mut self, now: Duration, entry: &WindowEntry, amount: u64) -> WindowEntry {
        if let Some(position) = self
            .entries
            .iter()
            .position(|(_, held)| held.id == entry.id)
        {
            self.entries.remove(position);
            if amount > 0 {
                // Entries stay oldest first.
                let at = self.entries.partition_point(|(at, _)| *at <= now);
                self.entries.insert(
                    at,
                    (
                        now,
                        WindowEntry {
                            id: entry.id.clone(),
                            amount,
                        },
                    ),
                );
            }
        }
        WindowEntry {
            id: entry.id.clone(),
            amount,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    #[test]
    fn amounts_fit_until_the_limit_then_wait_for_the_oldest_to_expire() {
        let mut window = Window::default();
        let span = secs(10);
        assert!(matches!(
            window.spend(secs(0), span, 100, 60, "a".into()),
            WindowSpend::Spent(_)
        ));
        assert!(matches!(
            window.spend(secs(4), span, 100, 30, "b".into()),
            WindowSpend::Spent(_)
        ));
        assert_eq!(
            window.spend(secs(5), span, 100, 30, "c".into()),
            WindowSpend::Full {
                wait: secs(5),
                room: 10
            },
            "the first entry frees enough at 10 s"
        );
        assert!(matches!(
            window.spend(secs(10), span, 100, 30, "c".into()),
            WindowSpend::Spent(_)
        ));
    }

    #[test]
    fn an_oversized_amount_passes_an_empty_window_and_adjusting_corrects_an_entry() {
        let mut window = Window::default();
        let span = secs(10);
        let WindowSpend::Spent(big) = window.spend(secs(0), span, 100, 500, "big".into()) else {
            panic!("an empty window takes anything");
        };
        assert!(matches!(
            window.spend(secs(1), span, 100, 1, "x".into()),
            WindowSpend::Full { room: 0, .. }
        ));
        window.adjust(secs(1), &big, 40);
        assert!(matches!(
            window.spend(secs(1), span, 100, 60, "x".into()),
            WindowSpend::Spent(_)
        ));
        window.adjust(secs(1), &big, 0);
        window.expire(secs(11), span);
        assert!(window.is_empty());
    }
}
