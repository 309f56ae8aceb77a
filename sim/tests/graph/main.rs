//! The simulator's Microsoft Graph mailbox import/export API, exercised over HTTP as a client
//! would: identity, discovery, folders, items and delta, export and import, throttling and
//! faults. Every test ends by checking each Graph reply it provoked against the v1.0 metadata.

mod common;
mod faults;
mod folders;
mod identity;
mod items;
mod throttling;
mod transfer;
