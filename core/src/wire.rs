//! Conversions between the domain records and the protobuf messages of `ferry.v1` (the gRPC API
//! and the queue messages), kept in one place so the API and the queues agree.

use chrono::{DateTime, TimeZone, Utc};
use ferry_proto::v1;

use crate::model::{
    counter, Cloud, Counters, ItemErrorRecord, MailProtocol, MailboxState, PassId, PassKind,
};

/// A protobuf timestamp.
pub fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: time.timestamp_subsec_nanos() as i32,
    }
}

/// An optional protobuf timestamp.
pub fn optional_timestamp(time: Option<DateTime<Utc>>) -> Option<prost_types::Timestamp> {
    time.map(timestamp)
}

/// A time from a protobuf timestamp; `None` if it is out of range.
pub fn datetime(timestamp: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(timestamp.nanos).ok()?;
    Utc.timestamp_opt(timestamp.seconds, nanos).single()
}

/// The API's cloud; `None` for `CLOUD_UNSPECIFIED` or an unknown value.
pub fn cloud_from_proto(value: i32) -> Option<Cloud> {
    match v1::Cloud::try_from(value).ok()? {
        v1::Cloud::Unspecified => None,
        v1::Cloud::Worldwide => Some(Cloud::Worldwide),
        v1::Cloud::UsGovernment => Some(Cloud::UsGovernment),
        v1::Cloud::UsGovernmentDod => Some(Cloud::UsGovernmentDod),
        v1::Cloud::China => Some(Cloud::China),
        v1::Cloud::Germany => Some(Cloud::Germany),
    }
}

/// The API's name for a cloud.
pub fn cloud_to_proto(cloud: Cloud) -> v1::Cloud {
    match cloud {
        Cloud::Worldwide => v1::Cloud::Worldwide,
        Cloud::UsGovernment => v1::Cloud::UsGovernment,
        Cloud::UsGovernmentDod => v1::Cloud::UsGovernmentDod,
        Cloud::China => v1::Cloud::China,
        Cloud::Germany => v1::Cloud::Germany,
    }
}

/// The API's protocol; `None` for `API_UNSPECIFIED` or an unknown value.
pub fn protocol_from_proto(value: i32) -> Option<MailProtocol> {
    match v1::Api::try_from(value).ok()? {
        v1::Api::Unspecified => None,
        v1::Api::Ews => Some(MailProtocol::Ews),
        v1::Api::Graph => Some(MailProtocol::Graph),
    }
}

/// The API's name for a protocol.
pub fn protocol_to_proto(protocol: MailProtocol) -> v1::Api {
    match protocol {
        MailProtocol::Ews => v1::Api::Ews,
        MailProtocol::Graph => v1::Api::Graph,
    }
}

/// The API's mailbox state.
pub fn state_to_proto(state: MailboxState) -> v1::MailboxState {
    match state {
        MailboxState::NotStarted => v1::MailboxState::NotStarted,
        MailboxState::Queued => v1::MailboxState::Queued,
        MailboxState::Running => v1::MailboxState::Running,
        MailboxState::Completed => v1::MailboxState::Completed,
        MailboxState::CompletedWithErrors => v1::MailboxState::CompletedWithErrors,
        MailboxState::Failed => v1::MailboxState::Failed,
    }
}

/// The API's pass kind.
pub fn pass_kind_to_proto(kind: PassKind) -> v1::PassKind {
    match kind {
        PassKind::Full => v1::PassKind::Full,
        PassKind::PreStage => v1::PassKind::PreStage,
    }
}

/// A pass kind from the API; `None` for `PASS_KIND_UNSPECIFIED` or an unknown value.
pub fn pass_kind_from_proto(value: i32) -> Option<PassKind> {
    match v1::PassKind::try_from(value).ok()? {
        v1::PassKind::Unspecified => None,
        v1::PassKind::Full => Some(PassKind::Full),
        v1::PassKind::PreStage => Some(PassKind::PreStage),
    }
}

/// The API's view of counters.
pub fn counters_to_proto(counters: &Counters) -> v1::Counters {
    v1::Counters {
        items_planned: counters.get(counter::ITEMS_PLANNED),
        bytes_planned: counters.get(counter::BYTES_PLANNED),
        items_copied: counters.get(counter::ITEMS_COPIED),
        bytes_copied: counters.get(counter::BYTES_COPIED),
        items_already_present: counters.get(counter::ITEMS_ALREADY_PRESENT),
        items_failed: counters.get(counter::ITEMS_FAILED),
        errors_by_code: counters
            .with_prefix(counter::ERRORS_PREFIX)
            .into_iter()
            .collect(),
        items_by_class: counters
            .with_prefix(counter::CLASS_ITEMS_PREFIX)
            .into_iter()
            .collect(),
        bytes_by_class: counters
            .with_prefix(counter::CLASS_BYTES_PREFIX)
            .into_iter()
            .collect(),
        throttle_events: counters.get(counter::THROTTLE_EVENTS),
        units_total: counters.get(counter::UNITS_TOTAL),
        units_done: counters.get(counter::UNITS_DONE),
        folders_total: counters.get(counter::FOLDERS_TOTAL),
        folders_created: counters.get(counter::FOLDERS_CREATED),
        addresses_rewritten: counters.get(counter::ADDRESSES_REWRITTEN),
    }
}

/// The API's (and the unit result's) view of an item error.
pub fn item_error_to_proto(error: &ItemErrorRecord) -> v1::ItemError {
    v1::ItemError {
        source_item_id: error.source_item_id.clone(),
        folder_path: error.folder_path.clone(),
        code: error.code.clone(),
        message: error.message.clone(),
        subject: error.subject.clone(),
        item_class: error.item_class.clone(),
        size: error.size,
        pass_id: error.pass_id.0.clone(),
        at: Some(timestamp(error.at)),
    }
}

/// An item error from a unit result.
pub fn item_error_from_proto(error: &v1::ItemError) -> ItemErrorRecord {
    ItemErrorRecord {
        source_item_id: error.source_item_id.clone(),
        folder_path: error.folder_path.clone(),
        code: error.code.clone(),
        message: error.message.clone(),
        subject: error.subject.clone(),
        item_class: error.item_class.clone(),
        size: error.size,
        pass_id: PassId(error.pass_id.clone()),
        at: error
            .at
            .as_ref()
            .and_then(datetime)
            .unwrap_or_else(Utc::now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let time = Utc
            .timestamp_opt(1_700_000_000, 123_000_000)
            .single()
            .unwrap_or_default();
        assert_eq!(datetime(&timestamp(time)), Some(time));
        assert_eq!(
            datetime(&prost_types::Timestamp {
                seconds: 0,
                nanos: -1
            }),
            None
        );
    }

    #[test]
    fn unspecified_enums_are_not_values() {
        assert_eq!(cloud_from_proto(0), None);
        assert_eq!(cloud_from_proto(99), None);
        assert_eq!(pass_kind_from_proto(0), None);
        assert_eq!(
            cloud_from_proto(cloud_to_proto(Cloud::China) as i32),
            Some(Cloud::China)
        );
    }

    #[test]
    fn counters_map_to_the_api() {
        let mut counters = Counters::default();
        counters.add_copied("IPM.Note", 10);
        counters.add("errors.item_too_large", 2);
        let proto = counters_to_proto(&counters);
        assert_eq!(proto.items_copied, 1);
        assert_eq!(proto.bytes_by_class.get("IPM.Note"), Some(&10));
        assert_eq!(proto.errors_by_code.get("item_too_large"), Some(&2));
    }
}
