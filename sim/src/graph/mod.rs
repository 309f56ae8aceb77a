//! Microsoft Graph's mailbox import/export API (v1.0), served over the same tenants and
//! mailboxes as EWS, on the simulator's one listener.
//!
//! # Routes
//!
//! Under `/v1.0/` (bearer token for `https://graph.microsoft.com/.default`):
//!
//! | request | answer |
//! | --- | --- |
//! | `GET users/{id \| upn}/settings/exchange` | `exchangeSettings` `{primaryMailboxId}` ([`discovery`]) |
//! | `GET admin/exchange/mailboxes/{mbx}/folders` | every folder below the mailbox root, paged ([`folders`]) |
//! | `POST …/folders`, `POST …/folders/{fid}/childFolders` | 201 and the new folder ([`folder_write`]) |
//! | `GET …/folders/{fid}`, `PATCH …/folders/{fid}` (displayName), `DELETE …/folders/{fid}[/$ref]` | the folder; 204 on delete |
//! | `GET …/folders/{fid}/childFolders`, `…/$count` | direct children; plain-text counts |
//! | `GET …/folders/delta`, `GET …/folders/{fid}/childFolders/delta` | folder changes ([`delta`]) |
//! | `GET …/folders/{fid}/items`, `…/items/$count`, `…/items/{iid}` | items ([`items`]), `$expand` of extended properties ([`extended`]) |
//! | `GET …/folders/{fid}/items/delta` | item changes, `@removed` tombstones |
//! | `DELETE …/folders/{fid}/items/{iid}?disposalType=softDelete\|hardDelete` | 204 |
//! | `POST …/exportItems` `{"itemIds": [...]}` | `exportItemResponse` per id, `data` = EWS `ExportItems` bytes ([`export`]) |
//! | `POST …/createImportSession` | `mailboxItemImportSession` with `importUrl` ([`import`]) |
//! | `GET users/{user}/mailFolders/{restId \| well-known name}` | `mailFolder` with its REST id ([`mail_folders`]) |
//! | `POST users/{user}/translateExchangeIds` | `convertIdResult` per folder id: `entryId`, `ewsId`, `restId` ([`translate_ids`]) |
//! | `GET`, `POST users/{user}/mailFolders/inbox/messageRules`; `GET`, `PATCH`, `DELETE …/{id}` | inbox rules, the model's EWS rules ([`rules`], [`rule_json`]) |
//! | `GET`, `POST users/{user}/calendar/calendarPermissions`; `GET`, `PATCH`, `DELETE …/{id}` | the default calendar's permissions ([`calendar_permissions`]) |
//!
//! and `POST /api/gv1.0/Mailboxes('{mbx}')/importItem?authtoken=…` (no `Authorization`).
//! `{fid}` may be a folder id or a well-known name (`inbox`, `Inbox`, `msgfolderroot`,
//! `recoverableitemsdeletions`...). Paths may nest `childFolders/{fid}`, use the key form
//! (`folders('Inbox')`) and percent-encoding (`MBX%3A…%40…`, as msgraph-sdk writes ids);
//! functions and actions may carry `()` and the `microsoft.graph.` prefix. Mailbox ids are
//! `MBX:<8 hex>@<8 hex>`, derived from the mailbox GUID and the tenant id ([`ids`]); folder and
//! item ids are the EWS ids in URL-safe base64. The users API (`users/{user}/…`, `{user}` an
//! object id, UPN or SMTP address) names folders by REST ids of another layout, which the
//! mailbox API's ids are refused as; the folders' entry ids (`Binary 0x0FFF`, through
//! `$expand` on the mailbox API) and `translateExchangeIds` bridge the two ([`exchange_ids`]).
//! Every error is Graph's JSON error
//! ([`error`]), every reply carries `request-id` and `client-request-id`.
//!
//! # Identity, throttling, faults
//!
//! Tokens come from the same token endpoint (client secret, certificate assertion, or an
//! admin's password), for the Graph resource; EWS refuses them and this endpoint refuses EWS
//! tokens (401 `InvalidAuthenticationToken`). Each operation needs its documented permission
//! ([`access`], 403 otherwise); the seeded migration app has them all, the app without consent
//! none. Throttling is Outlook's per app and mailbox ([`throttle`]). The simulator's faults
//! apply as they do to EWS: token expiry (401 once), internal errors (500
//! `ErrorInternalServerError`), latency, connection resets part way through a reply, and items
//! vanishing before `GET` or `exportItems` reads them (404, or the entry's `error`). The
//! invalid-XML-character fault is XML's and does not apply.
//!
//! # Configuration
//!
//! `SimConfig.graph` ([`config::GraphConfig`]): `import_session_lifetime_secs` (3600),
//! `default_page_size` (10), `max_page_size` (1000). `SimConfig.graph_throttling`
//! ([`throttle::GraphThrottlePolicy`]): `enabled`, `max_concurrent_requests` (4),
//! `concurrency_retry_after_secs` (1), `requests_per_window` (10,000), `request_window_secs`
//! (600), `upload_bytes_per_window` (150 MiB), `upload_window_secs` (300), `refusal_status`
//! (429 or 503); also `GET`/`PUT /admin/graph/throttling`. `identity.graph_resource`
//! (`https://graph.microsoft.com`). `record_replies` also saves every Graph JSON reply as
//! `NNNNNNN-<operation>.json` (`listFolders`, `getItem`, `exportItems`, `Error`...).
//!
//! # Assumptions where the docs are silent
//!
//! Each module's documentation names its own; together:
//!
//! - Listing: `folders` lists the whole tree below the mailbox root (the docs' description,
//!   not its example's caption "directly under the root"); `$top` is the page size (the docs'
//!   example) and the default page is 10; `$expand` on folders reads their entry id
//!   (`Binary 0x0FFF`), display name and container class only, and is refused on delta (not
//!   documented there).
//! - Folders: `POST …/folders` creates under `msgfolderroot`; deletion is immediate, with
//!   subfolders and items; well-known folders can be neither renamed (400
//!   `ErrorInvalidOperation`) nor deleted (403 `ErrorDeleteDistinguishedFolder`); a sibling
//!   with the same name, compared without case, is 409 `ErrorFolderExists`; body members other
//!   than `displayName`, `type` and a matching `String 0x3001` are refused by name.
//! - Items: `softDelete` moves an item to Recoverable Items\Deletions (a new id, as any move);
//!   extended property ids are echoed as Graph normalises them (lower-case GUID, lower-case
//!   hexadecimal tags) and a property stored with another type does not match.
//! - Delta: tombstones are `{"id", "@removed": {"reason": "deleted"}}`; a corrupt token is 400
//!   `ErrorInvalidSyncStateData`, a well-formed unknown one (another run, mailbox or folder)
//!   410 `SyncStateNotFound`; folder delta reports changes of a folder's own properties (name,
//!   creation, deletion), not of its item counts.
//! - Export: results keep the request's order; failures are per entry (`error`, no `data`).
//! - Import: one session serves many imports until it expires; a wrong, foreign or expired
//!   `authtoken` is 401 `InvalidAuthenticationToken`; an `update` with a stale `ChangeKey` is 409
//!   `ErrorIrresolvableConflict`, an item not in the folder 404; corrupt data 400
//!   `ErrorCorruptData`, an item over `limits.max_item_bytes` 413, a full mailbox 507.
//! - Access: an unknown mailbox id is 404 `ErrorNonExistentMailbox`, a mailbox of another
//!   tenant too; a delegated admin needs full access to the mailbox (403 otherwise); deleting an
//!   item needs `MailboxItem.ReadWrite.All` (the docs' table), which the consented app holds.
//! - Throttling: Graph's limits are counted apart from EWS's per-mailbox policies, except the
//!   import budget, which both protocols share; refused requests are not counted.
//! - Users API: rules live on the Inbox only; rule sequences are stored as given (from 1);
//!   entries EWS has and Graph cannot express are hidden from Graph and kept on rewrite;
//!   calendar delegates are EWS `Editor` entries with a marker; `immutableEntryId` and
//!   `restImmutableEntryId` translate as `entryId` and `restId` (folder ids never change here).
//! - Protocol: `Content-Type` is not enforced (JSON bodies are read as JSON); unknown paths are
//!   404 `ResourceNotFound`, other methods 405 `MethodNotAllowed` with `Allow`.

pub mod access;
pub mod body;
pub mod calendar_permissions;
pub mod collection;
pub mod config;
pub mod context;
pub mod delta;
pub mod delta_token;
pub mod discovery;
pub mod endpoint;
pub mod error;
pub mod exchange_ids;
pub mod export;
pub mod extended;
pub mod filter;
pub mod folder_write;
pub mod folders;
pub mod ids;
pub mod import;
pub mod items;
pub mod json;
pub mod mail_folders;
pub mod query;
pub mod route;
pub mod rule_json;
pub mod rules;
pub mod sessions;
pub mod throttle;
pub mod translate_ids;

use std::sync::Arc;

use axum::routing::any;
use axum::Router;
use rand::RngCore;

pub use config::GraphConfig;
pub use ids::MailboxIndex;
pub use throttle::GraphThrottlePolicy;

use crate::config::SimConfig;
use crate::model::Directory;
use crate::server::SimState;

/// What the Graph endpoint keeps beside the shared directory.
#[derive(Debug)]
pub struct GraphState {
    /// The Graph id of every mailbox.
    pub mailboxes: MailboxIndex,
    /// Open import sessions.
    pub sessions: sessions::ImportSessions,
    /// Graph's throttle.
    pub throttle: throttle::GraphThrottle,
    /// This simulator run, written into delta tokens so that an earlier run's are not taken.
    pub instance: u64,
}

impl GraphState {
    /// The state for a directory under a configuration.
    pub fn new(config: &SimConfig, directory: &Directory) -> GraphState {
        GraphState {
            mailboxes: MailboxIndex::new(directory),
            sessions: sessions::ImportSessions::default(),
            throttle: throttle::GraphThrottle::new(config.graph_throttling.clone()),
            instance: rand::rng().next_u64(),
        }
    }
}

/// The Graph routes.
pub fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/v1.0/{*path}", any(endpoint::v1))
        .route(
            "/api/gv1.0/{mailbox}/importItem",
            any(endpoint::import_item),
        )
}
