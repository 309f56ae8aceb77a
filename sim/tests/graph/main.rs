//! The simulator's Microsoft Graph mailbox import/export API, exercised over HTTP as a client
//! would: identity, discovery, folders, items and delta, export and import, throttling and
//! faults, and the users API's folder ids, inbox rules and calendar permissions. Every test
//! ends by checking each Graph reply it provoked against the v1.0 metadata.

mod calendar_permissions;
mod common;
mod exchange_ids;
mod faults;
mod folders;
mod identity;
mod items;
mod rules;
mod throttling;
mod transfer;
