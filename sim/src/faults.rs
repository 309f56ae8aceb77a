//! Faults on demand: seeded, rate-controlled failures of the kinds Exchange Online produces.

use std::sync::Mutex;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// Added latency before a request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Latency {
    /// No added latency.
    #[default]
    None,
    /// Always the same delay.
    Fixed {
        /// Milliseconds.
        ms: u64,
    },
    /// Uniform between two bounds.
    Uniform {
        /// Lower bound, milliseconds.
        min_ms: u64,
        /// Upper bound, milliseconds.
        max_ms: u64,
    },
    /// Log-normal around a median, the shape real service latencies have.
    LogNormal {
        /// Median, milliseconds.
        median_ms: u64,
        /// Spread (standard deviation of the logarithm).
        sigma: f64,
    },
}

/// Which faults to inject, and how often. Rates are probabilities per request (or per item).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultSettings {
    /// Seed of the fault generator, so a failing run can be replayed.
    pub seed: u64,
    /// Tenants the faults apply to, by name; empty means every tenant.
    pub tenants: Vec<String>,
    /// Requests answered with a SOAP fault `ErrorInternalServerError` (HTTP 500).
    pub internal_error_rate: f64,
    /// Replies cut off part way through, the connection reset.
    pub connection_reset_rate: f64,
    /// Latency added to every request.
    pub latency: Latency,
    /// Requests whose (otherwise valid) token is refused as expired (HTTP 401).
    pub token_expiry_rate: f64,
    /// Items deleted by their owner just before a `GetItem` or `ExportItems` reads them, which
    /// then get `ErrorItemNotFound`.
    pub item_vanish_rate: f64,
    /// Replies whose text properties (subjects, names) carry `&#x0;`, as Exchange really sends.
    pub invalid_xml_char_rate: f64,
}

impl Default for FaultSettings {
    fn default() -> Self {
        FaultSettings {
            seed: 7,
            tenants: Vec::new(),
            internal_error_rate: 0.0,
            connection_reset_rate: 0.0,
            latency: Latency::None,
            token_expiry_rate: 0.0,
            item_vanish_rate: 0.0,
            invalid_xml_char_rate: 0.0,
        }
    }
}

impl FaultSettings {
    /// Checks that every rate is a probability and latency bounds make sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let rates = [
            ("faults.internal_error_rate", self.internal_error_rate),
            ("faults.connection_reset_rate", self.connection_reset_rate),
            ("faults.token_expiry_rate", self.token_expiry_rate),
            ("faults.item_vanish_rate", self.item_vanish_rate),
            ("faults.invalid_xml_char_rate", self.invalid_xml_char_rate),
        ];
        for (field, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(ConfigError {
                    field,
                    problem: format!("{rate} is not a probability between 0 and 1"),
                });
            }
        }
        match self.latency {
            Latency::Uniform { min_ms, max_ms } if min_ms > max_ms => Err(ConfigError {
                field: "faults.latency",
                problem: "min_ms is greater than max_ms".into(),
            }),
            Latency::LogNormal { sigma, .. } if !(sigma >= 0.0 && sigma.is_finite()) => {
                Err(ConfigError {
                    field: "faults.latency",
                    problem: "sigma must be a non-negative number".into(),
                })
            }
            _ => Ok(()),
        }
    }
}

/// The fault injector shared by every request.
#[derive(Debug)]
pub struct Faults {
    inner: Mutex<(FaultSettings, ChaCha8Rng)>,
}

impl Faults {
    /// An injector with these settings.
    pub fn new(settings: FaultSettings) -> Faults {
        let rng = ChaCha8Rng::seed_from_u64(settings.seed);
        Faults {
            inner: Mutex::new((settings, rng)),
        }
    }

    /// The current settings.
    pub fn settings(&self) -> FaultSettings {
        self.lock().0.clone()
    }

    /// Replaces the settings and reseeds the generator.
    pub fn set_settings(&self, settings: FaultSettings) {
        let rng = ChaCha8Rng::seed_from_u64(settings.seed);
        *self.lock() = (settings, rng);
    }

    /// Whether faults apply to a tenant.
    pub fn applies_to(&self, tenant: &str) -> bool {
        let guard = self.lock();
        guard.0.tenants.is_empty()
            || guard
                .0
                .tenants
                .iter()
                .any(|name| name.eq_ignore_ascii_case(tenant))
    }

    /// Draws whether a fault with the rate `pick` selects happens now.
    pub fn roll(&self, pick: impl Fn(&FaultSettings) -> f64) -> bool {
        let mut guard = self.lock();
        let rate = pick(&guard.0);
        rate > 0.0 && guard.1.random_bool(rate.min(1.0))
    }

    /// Draws the latency to add to a request.
    pub fn latency(&self) -> Duration {
        let mut guard = self.lock();
        let (settings, rng) = &mut *guard;
        let ms = match settings.latency {
            Latency::None => 0,
            Latency::Fixed { ms } => ms,
            Latency::Uniform { min_ms, max_ms } => rng.random_range(min_ms..=max_ms),
            Latency::LogNormal { median_ms, sigma } => {
                LogNormal::new((median_ms.max(1) as f64).ln(), sigma)
                    .map(|distribution| distribution.sample(rng).min(600_000.0) as u64)
                    .unwrap_or(median_ms)
            }
        };
        Duration::from_millis(ms)
    }

    /// Draws how many bytes of a reply to send before cutting the connection.
    pub fn reset_point(&self, reply_len: usize) -> usize {
        let mut guard = self.lock();
        guard.1.random_range(0..reply_len.max(1))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (FaultSettings, ChaCha8Rng)> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolls_are_seeded_and_follow_the_rate() {
        let settings = FaultSettings {
            internal_error_rate: 0.25,
            ..FaultSettings::default()
        };
        let first = Faults::new(settings.clone());
        let second = Faults::new(settings);
        let draws: Vec<bool> = (0..1000)
            .map(|_| first.roll(|s| s.internal_error_rate))
            .collect();
        let replay: Vec<bool> = (0..1000)
            .map(|_| second.roll(|s| s.internal_error_rate))
            .collect();
        assert_eq!(draws, replay, "same seed, same faults");
        let hits = draws.iter().filter(|hit| **hit).count();
        assert!((180..320).contains(&hits), "about a quarter, got {hits}");
        assert!(
            !first.roll(|s| s.connection_reset_rate),
            "zero rate never fires"
        );
    }

    #[test]
    fn latency_distributions_stay_in_bounds() {
        let faults = Faults::new(FaultSettings {
            latency: Latency::Uniform {
                min_ms: 5,
                max_ms: 9,
            },
            ..FaultSettings::default()
        });
        for _ in 0..100 {
            let latency = faults.latency();
            assert!(latency >= Duration::from_millis(5) && latency <= Duration::from_millis(9));
        }
    }

    #[test]
    fn tenant_filter_and_validation() {
        let faults = Faults::new(FaultSettings {
            tenants: vec!["source".into()],
            ..FaultSettings::default()
        });
        assert!(faults.applies_to("Source"));
        assert!(!faults.applies_to("destination"));
        let bad = FaultSettings {
            item_vanish_rate: 1.5,
            ..FaultSettings::default()
        };
        assert_eq!(
            bad.validate().expect_err("not a rate").field,
            "faults.item_vanish_rate"
        );
    }
}
