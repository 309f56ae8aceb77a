//! Work units: one folder (or one received-time range of a large folder) of one mailbox in one
//! pass. Units travel on the broker as `ferry.v1.WorkUnit`; their ids are derived from what they
//! cover, so planning the same mailbox again yields the same ids.

use ferry_proto::v1::{Plan, UnitResult, WorkUnit};
use sha2::{Digest, Sha256};

use crate::mail::ReceivedRange;
use crate::model::{counter, Counters, MailboxId, PassId, UnitId};
use crate::wire::{datetime, optional_timestamp};

/// The id of the unit covering `range` of a source folder of a mailbox in a pass.
pub fn unit_id(
    pass: &PassId,
    mailbox: &MailboxId,
    source_folder_id: &str,
    range: ReceivedRange,
) -> UnitId {
    let bound = |time: Option<chrono::DateTime<chrono::Utc>>| {
        time.map(|time| time.timestamp_micros().to_string())
    };
    let digest = Sha256::new()
        .chain_update(pass.0.as_bytes())
        .chain_update([0])
        .chain_update(mailbox.0.as_bytes())
        .chain_update([0])
        .chain_update(source_folder_id.as_bytes())
        .chain_update([0])
        .chain_update(bound(range.from).unwrap_or_default().as_bytes())
        .chain_update([0])
        .chain_update(bound(range.before).unwrap_or_default().as_bytes())
        .finalize();
    UnitId(hex::encode(&digest[..16]))
}

/// The received-time range a unit covers.
pub fn unit_range(unit: &WorkUnit) -> ReceivedRange {
    ReceivedRange {
        from: unit.received_from.as_ref().and_then(datetime),
        before: unit.received_before.as_ref().and_then(datetime),
    }
}

/// Sets the range a unit covers.
pub fn set_unit_range(unit: &mut WorkUnit, range: ReceivedRange) {
    unit.received_from = optional_timestamp(range.from);
    unit.received_before = optional_timestamp(range.before);
}

/// A plan (the units of one mailbox in one pass), as kept in the store.
pub fn encode_plan(plan: &Plan) -> Vec<u8> {
    use prost::Message;
    plan.encode_to_vec()
}

/// Reads a plan kept by [`encode_plan`].
pub fn decode_plan(bytes: &[u8]) -> Result<Plan, prost::DecodeError> {
    use prost::Message;
    Plan::decode(bytes)
}

/// The counters a unit result adds to its mailbox and its folder.
pub fn result_counters(result: &UnitResult) -> (Counters, Counters) {
    let mut mailbox = Counters::default();
    let item_errors = result
        .errors
        .iter()
        .filter(|error| !error.source_item_id.is_empty())
        .count() as u64;
    mailbox.add(counter::UNITS_DONE, 1);
    mailbox.add(counter::ITEMS_ALREADY_PRESENT, result.items_already_present);
    mailbox.add(counter::ITEMS_FAILED, item_errors);
    mailbox.add(counter::THROTTLE_EVENTS, result.throttle_events);
    if result.failed {
        mailbox.add(counter::UNITS_FAILED, 1);
    }
    for error in &result.errors {
        mailbox.add(&format!("{}{}", counter::ERRORS_PREFIX, error.code), 1);
    }
    let mut folder = Counters::default();
    folder.add(counter::ITEMS_SEEN, result.items_seen);
    folder.add(counter::ITEMS_COPIED, result.items_copied);
    folder.add(counter::BYTES_COPIED, result.bytes_copied);
    folder.add(counter::ITEMS_ALREADY_PRESENT, result.items_already_present);
    folder.add(counter::ITEMS_FAILED, item_errors);
    folder.add(counter::UNITS_DONE, 1);
    (mailbox, folder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn unit_ids_depend_on_what_the_unit_covers() {
        let (pass, mailbox) = (PassId("p".into()), MailboxId("m".into()));
        let whole = ReceivedRange::default();
        let from = Utc.timestamp_opt(1_600_000_000, 0).single();
        let half = ReceivedRange { from, before: None };
        assert_eq!(
            unit_id(&pass, &mailbox, "f", whole),
            unit_id(&pass, &mailbox, "f", whole)
        );
        assert_ne!(
            unit_id(&pass, &mailbox, "f", whole),
            unit_id(&pass, &mailbox, "f", half)
        );
        assert_ne!(
            unit_id(&pass, &mailbox, "f", whole),
            unit_id(&pass, &mailbox, "g", whole)
        );
        assert_ne!(
            unit_id(&pass, &mailbox, "f", whole),
            unit_id(&PassId("q".into()), &mailbox, "f", whole)
        );
    }

    #[test]
    fn plans_round_trip_with_ranges() {
        let mut unit = WorkUnit {
            unit_id: "u".into(),
            ..WorkUnit::default()
        };
        let range = ReceivedRange {
            from: Utc.timestamp_opt(1_600_000_000, 0).single(),
            before: None,
        };
        set_unit_range(&mut unit, range);
        let plan = Plan {
            units: vec![unit.clone()],
            folders_total: 3,
            folders_created: 1,
            planning_errors: 0,
        };
        let read = decode_plan(&encode_plan(&plan)).unwrap_or_default();
        assert_eq!(read, plan);
        assert_eq!(unit_range(&read.units[0]), range);
    }
}
