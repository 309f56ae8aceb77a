//! Full-fidelity transfer as both protocols perform it: EWS `ExportItems`/`UploadItems` and
//! Graph's `exportItems`/`importItem` read and write the same export data ([`export_stream`])
//! through the functions here, so an item imported over Graph is stored exactly as an EWS upload
//! stores it (stamp included), both are charged to the mailbox's one import budget, and both
//! export the same bytes for the same item.
//!
//! [`export_stream`]: crate::export_stream

use bytes::Bytes;

use crate::export_stream::{decode, encode, Imported};
use crate::model::{Item, Mailbox, MailboxState};
use crate::server::SimState;
use crate::throttle::Throttled;

/// Where an imported item goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportTarget {
    /// A new item with a new id (uploading the same data twice makes two items, as in Exchange).
    New,
    /// The content of this existing item is replaced; it keeps its id and gets a new change key.
    Replace(u64),
}

/// Why export data could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferError {
    /// The data is not an export stream (`ErrorCorruptData`); the problem is named.
    CorruptData(String),
    /// The item is larger than `limits.max_item_bytes` (`ErrorMessageSizeExceeded`).
    ItemTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The import would take the mailbox over its quota (`ErrorQuotaExceeded`).
    QuotaExceeded,
    /// The mailbox's import budget is used up for now.
    Throttled(Throttled),
}

impl TransferError {
    /// The Exchange response code of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            TransferError::CorruptData(_) => "ErrorCorruptData",
            TransferError::ItemTooLarge { .. } => "ErrorMessageSizeExceeded",
            TransferError::QuotaExceeded => "ErrorQuotaExceeded",
            TransferError::Throttled(_) => "ErrorServerBusy",
        }
    }

    /// The message Exchange gives with the code.
    pub fn message(&self) -> String {
        match self {
            TransferError::CorruptData(problem) => {
                format!("The upload data is corrupt: {problem}.")
            }
            TransferError::ItemTooLarge { limit } => {
                format!("The message exceeds the maximum supported size of {limit} bytes.")
            }
            TransferError::QuotaExceeded => "The mailbox quota has been exceeded.".into(),
            TransferError::Throttled(_) => {
                "The server cannot service this request right now. Try again later.".into()
            }
        }
    }
}

/// An item's export data, counted on the mailbox (`export.items`, `export.bytes`). The parts
/// share the item's large values, so nothing big is copied.
pub fn export_data(mailbox: &Mailbox, item: &Item) -> Vec<Bytes> {
    let data = encode(item);
    mailbox.counters.add(
        "export.bytes",
        data.iter().map(|part| part.len() as u64).sum(),
    );
    mailbox.counters.bump("export.items");
    data
}

/// Decodes export data a client sent (already base64-decoded).
pub fn decode_data(raw: &Bytes) -> Result<Imported, TransferError> {
    decode(raw).map_err(|error| TransferError::CorruptData(error.0))
}

/// Charges `bytes` of imported data in `items` items to the mailbox's import budget (shared by
/// both protocols).
pub fn charge_import(
    sim: &SimState,
    mailbox: &Mailbox,
    bytes: u64,
    items: usize,
) -> Result<(), TransferError> {
    sim.throttle
        .admit_import(mailbox.guid, bytes, items)
        .map_err(TransferError::Throttled)?;
    // What the import window counted (export data), beside `import.bytes` (item sizes).
    mailbox.counters.add("import.window_bytes", bytes);
    Ok(())
}

/// Refuses an item that is too large or that would take the mailbox over its quota.
pub fn check_storage(
    sim: &SimState,
    mailbox: &Mailbox,
    state: &MailboxState,
    size: u64,
) -> Result<(), TransferError> {
    let limit = sim.config.limits.max_item_bytes;
    if size > limit {
        mailbox.counters.bump("storage.item_too_large");
        return Err(TransferError::ItemTooLarge { limit });
    }
    if state.used_bytes.saturating_add(size) > mailbox.quota() {
        mailbox.counters.bump("storage.quota_exceeded");
        return Err(TransferError::QuotaExceeded);
    }
    Ok(())
}

/// The item an upload makes: the decoded message in `folder`, with the creation and
/// modification times the data carries (else now).
pub fn item_from_upload(imported: Imported, folder: u64, now: i64) -> Item {
    let mut item = Item::new(folder, imported.message, now);
    item.created = imported.created.unwrap_or(now);
    item.modified = imported.modified.unwrap_or(now);
    item
}

/// Stores decoded export data in `folder`, as a new item or over an existing one, after the
/// storage checks; counts `import.items` and `import.bytes`. Returns the item's number.
pub fn store_import(
    sim: &SimState,
    mailbox: &Mailbox,
    state: &mut MailboxState,
    imported: Imported,
    folder: u64,
    target: ImportTarget,
    now: i64,
) -> Result<u64, TransferError> {
    let item = item_from_upload(imported, folder, now);
    let seq = match target {
        ImportTarget::New => {
            check_storage(sim, mailbox, state, item.size())?;
            state.insert_item(item)
        }
        ImportTarget::Replace(seq) => {
            let growth = item
                .size()
                .saturating_sub(state.items.get(&seq).map(Item::size).unwrap_or(0));
            check_storage(sim, mailbox, state, growth)?;
            state.update_item(seq, now, |stored| {
                stored.message = item.message;
                stored.created = item.created;
            });
            seq
        }
    };
    mailbox.counters.bump("import.items");
    mailbox.counters.add(
        "import.bytes",
        state.items.get(&seq).map(Item::size).unwrap_or(0),
    );
    Ok(seq)
}

/// The item-vanishes fault: when drawn, the item is deleted just before a read (its owner
/// deleted it while the migration ran), and the read must then fail as not found.
pub fn vanishes_before_read(
    sim: &SimState,
    mailbox: &Mailbox,
    state: &mut MailboxState,
    seq: u64,
    faults_apply: bool,
) -> bool {
    if faults_apply && sim.faults.roll(|settings| settings.item_vanish_rate) {
        state.delete_item(seq);
        mailbox.counters.bump("fault.item_vanished");
        return true;
    }
    false
}
