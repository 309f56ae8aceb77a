//! The request-rate arithmetic both stores share (the Redis store runs the same steps in Lua): a
//! generic cell rate algorithm that hands out turns. Each turn is one request; turns come at
//! most one per `interval`, with up to `burst` at once after a quiet spell. A caller is never
//! refused: it is told how long to wait for its turn, and turns are handed out in the order
//! they are asked for, so callers in every process share the rate fairly.

use std::time::Duration;

/// The spacing and burst of a rate of `per_second` turns a second with bursts of `burst`.
pub fn interval(per_second: f64) -> Duration {
    if per_second.is_finite() && per_second > 0.0 {
        Duration::from_secs_f64(1.0 / per_second).max(Duration::from_nanos(1))
    } else {
        Duration::from_secs(1)
    }
}

/// Takes the next `turns` turns together (a call that sends several requests). `theoretical`
/// is when the rate would next be idle (its "theoretical arrival time"; `None` or the past when
/// it is idle now). Returns the wait before the first turn and the new theoretical arrival
/// time to keep: the turns after the first push later callers back.
pub fn take_turn(
    theoretical: Option<Duration>,
    now: Duration,
    interval: Duration,
    burst: u32,
    turns: u32,
) -> (Duration, Duration) {
    let busy_until = theoretical.unwrap_or(now).max(now);
    let tolerance = interval.saturating_mul(burst.max(1) - 1);
    let wait = busy_until.saturating_sub(tolerance).saturating_sub(now);
    (wait, busy_until + interval.saturating_mul(turns.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_burst_goes_at_once_then_turns_are_spaced() {
        let interval = interval(10.0);
        assert_eq!(interval, 100 * MS);
        let mut theoretical = None;
        let mut waits = Vec::new();
        for _ in 0..5 {
            let (wait, next) = take_turn(theoretical, Duration::ZERO, interval, 3, 1);
            waits.push(wait);
            theoretical = Some(next);
        }
        assert_eq!(
            waits,
            vec![
                Duration::ZERO,
                Duration::ZERO,
                Duration::ZERO,
                100 * MS,
                200 * MS
            ]
        );
    }

    #[test]
    fn an_idle_rate_does_not_bank_more_than_its_burst() {
        let interval = interval(10.0);
        let (_, theoretical) = take_turn(None, Duration::ZERO, interval, 2, 1);
        // Ten seconds later the rate has been idle for long: two turns at once, then spacing.
        let now = Duration::from_secs(10);
        let (first, theoretical) = take_turn(Some(theoretical), now, interval, 2, 1);
        let (second, theoretical) = take_turn(Some(theoretical), now, interval, 2, 1);
        let (third, _) = take_turn(Some(theoretical), now, interval, 2, 1);
        assert_eq!(
            (first, second, third),
            (Duration::ZERO, Duration::ZERO, 100 * MS)
        );
    }

    #[test]
    fn several_turns_at_once_push_the_next_caller_back() {
        let interval = interval(10.0);
        let (first, theoretical) = take_turn(None, Duration::ZERO, interval, 1, 5);
        let (next, _) = take_turn(Some(theoretical), Duration::ZERO, interval, 1, 1);
        assert_eq!((first, next), (Duration::ZERO, 500 * MS));
    }

    #[test]
    fn nonsense_rates_fall_back_to_one_a_second() {
        assert_eq!(interval(0.0), Duration::from_secs(1));
        assert_eq!(interval(f64::NAN), Duration::from_secs(1));
        assert_eq!(interval(-3.0), Duration::from_secs(1));
    }
}
