//! The operations a migration needs, as methods of [`EwsClient`](crate::EwsClient): build the
//! request, send it, read the reply message by message into typed results.
//!
//! Operations on several objects return one result per object, in request order: a batch where
//! some items fail yields the others and a typed error for each failure. The outer `Result` fails
//! only when the whole request did (throttled, unauthorised, transport).

mod directory;
mod folders;
mod items;
mod rules;
mod transfer;

pub use transfer::ExportStream;

use crate::reply::{Element, Reply, Status};
use crate::EwsError;

/// Reads every response message, pairing each with its status.
pub(crate) async fn messages<T>(
    mut reply: Reply,
    mut parse: impl FnMut(&Element) -> Result<T, EwsError>,
) -> Result<Vec<Result<T, EwsError>>, EwsError> {
    let mut results = Vec::new();
    while let Some(message) = reply.next_message().await? {
        results.push(Status::of(&message).check().and_then(|()| parse(&message)));
    }
    Ok(results)
}

/// Reads a reply that has exactly one response message; its error is the operation's error.
pub(crate) async fn single<T>(
    mut reply: Reply,
    parse: impl FnOnce(&Element) -> Result<T, EwsError>,
) -> Result<T, EwsError> {
    let message = reply.next_message().await?.ok_or_else(|| {
        EwsError::MalformedReply(format!(
            "{} reply has no response message",
            reply.operation()
        ))
    })?;
    Status::of(&message).check()?;
    parse(&message)
}
