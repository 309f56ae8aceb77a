//! Settings of the Graph endpoint (`SimConfig.graph`); its throttling is
//! `SimConfig.graph_throttling` ([`super::throttle::GraphThrottlePolicy`]).

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// How the Graph endpoint pages and how long import sessions last.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GraphConfig {
    /// Lifetime of an import session's URL, in seconds (the docs give no number; an hour here,
    /// tests use seconds).
    pub import_session_lifetime_secs: u64,
    /// Items or folders on a page when the client asks for no page size (Outlook's default, 10,
    /// matches the `$skip=10` of the docs' examples).
    pub default_page_size: usize,
    /// The most a page holds, whatever `$top` or `Prefer: odata.maxpagesize` asks for; larger
    /// requests get pages of this size and a `@odata.nextLink`.
    pub max_page_size: usize,
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            import_session_lifetime_secs: 3600,
            default_page_size: 10,
            max_page_size: 1000,
        }
    }
}

impl GraphConfig {
    /// Checks the numbers, naming the first bad field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, problem: &str| {
            Err(ConfigError {
                field,
                problem: problem.to_string(),
            })
        };
        if self.import_session_lifetime_secs == 0 {
            return bad("graph.import_session_lifetime_secs", "must be at least 1");
        }
        if self.default_page_size == 0 {
            return bad("graph.default_page_size", "must be at least 1");
        }
        if self.max_page_size < self.default_page_size {
            return bad(
                "graph.max_page_size",
                "must be at least graph.default_page_size",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        assert!(GraphConfig::default().validate().is_ok());
        let config = GraphConfig {
            max_page_size: 5,
            ..GraphConfig::default()
        };
        assert_eq!(
            config.validate().expect_err("too small").field,
            "graph.max_page_size"
        );
    }
}
