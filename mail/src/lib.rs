//! Ferry's mail protocol adapters: each implements `ferry-core`'s [`MailApi`] over one
//! protocol's client, translating the domain's types to the protocol's and back, so nothing
//! above this crate knows which protocol an endpoint speaks.
//!
//! - [`ews`]: Exchange Web Services (`ferry-ews`).
//! - [`graph`]: Microsoft Graph's mailbox import/export API (`ferry-graph`).
//! - [`ProtocolFactory`]: builds the adapter an endpoint's `api` names, one per endpoint and
//!   credentials, so a process shares one token cache per tenant.

mod credentials;
pub mod ews;
mod factory;
pub mod graph;

pub use factory::ProtocolFactory;

#[doc(no_inline)]
pub use ferry_core::mail::MailApi;
