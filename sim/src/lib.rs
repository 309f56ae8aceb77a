//! placeholder
pub mod config;
pub mod export_stream;
pub mod faults;
pub mod identity;
pub mod ids;
pub mod model;
pub mod throttle;
pub mod time;
pub mod xml;
