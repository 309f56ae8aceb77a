//! The MAPI properties the simulated store gives meaning to (MS-OXPROPS names), and the named
//! property sets and ids it uses. Written for the simulator alone: the client side has its own,
//! so the simulator stays an independent check.

use uuid::Uuid;

use super::props::PropertyKey;

/// `PS_PUBLIC_STRINGS`.
pub const PS_PUBLIC_STRINGS: Uuid = Uuid::from_u128(0x00020329_0000_0000_C000_000000000046);
/// `PSETID_Common`.
pub const PSETID_COMMON: Uuid = Uuid::from_u128(0x00062008_0000_0000_C000_000000000046);
/// `PSETID_Address` (contacts).
pub const PSETID_ADDRESS: Uuid = Uuid::from_u128(0x00062004_0000_0000_C000_000000000046);
/// `PSETID_Appointment`.
pub const PSETID_APPOINTMENT: Uuid = Uuid::from_u128(0x00062002_0000_0000_C000_000000000046);
/// `PSETID_Task`.
pub const PSETID_TASK: Uuid = Uuid::from_u128(0x00062003_0000_0000_C000_000000000046);
/// `PSETID_Meeting`.
pub const PSETID_MEETING: Uuid = Uuid::from_u128(0x6ED8DA90_450B_101B_98DA_00AA003F1305);

/// Tagged property ids (the upper 16 bits of a property tag).
pub mod tag {
    /// `PidTagImportance`.
    pub const IMPORTANCE: u16 = 0x0017;
    /// `PidTagMessageClass`.
    pub const MESSAGE_CLASS: u16 = 0x001A;
    /// `PidTagSensitivity`.
    pub const SENSITIVITY: u16 = 0x0036;
    /// `PidTagSubject`.
    pub const SUBJECT: u16 = 0x0037;
    /// `PidTagClientSubmitTime`.
    pub const CLIENT_SUBMIT_TIME: u16 = 0x0039;
    /// `PidTagSentRepresentingSearchKey`.
    pub const SENT_REPRESENTING_SEARCH_KEY: u16 = 0x003B;
    /// `PidTagReceivedByEntryId`.
    pub const RECEIVED_BY_ENTRY_ID: u16 = 0x003F;
    /// `PidTagReceivedByName`.
    pub const RECEIVED_BY_NAME: u16 = 0x0040;
    /// `PidTagSentRepresentingEntryId`.
    pub const SENT_REPRESENTING_ENTRY_ID: u16 = 0x0041;
    /// `PidTagSentRepresentingName`.
    pub const SENT_REPRESENTING_NAME: u16 = 0x0042;
    /// `PidTagReplyRecipientEntries`.
    pub const REPLY_RECIPIENT_ENTRIES: u16 = 0x004F;
    /// `PidTagReplyRecipientNames`.
    pub const REPLY_RECIPIENT_NAMES: u16 = 0x0050;
    /// `PidTagReceivedBySearchKey`.
    pub const RECEIVED_BY_SEARCH_KEY: u16 = 0x0051;
    /// `PidTagSentRepresentingAddressType`.
    pub const SENT_REPRESENTING_ADDRESS_TYPE: u16 = 0x0064;
    /// `PidTagSentRepresentingEmailAddress`.
    pub const SENT_REPRESENTING_EMAIL_ADDRESS: u16 = 0x0065;
    /// `PidTagConversationTopic`.
    pub const CONVERSATION_TOPIC: u16 = 0x0070;
    /// `PidTagReceivedByAddressType`.
    pub const RECEIVED_BY_ADDRESS_TYPE: u16 = 0x0075;
    /// `PidTagReceivedByEmailAddress`.
    pub const RECEIVED_BY_EMAIL_ADDRESS: u16 = 0x0076;
    /// `PidTagTransportMessageHeaders`.
    pub const TRANSPORT_MESSAGE_HEADERS: u16 = 0x007D;
    /// `PidTagRecipientType`.
    pub const RECIPIENT_TYPE: u16 = 0x0C15;
    /// `PidTagSenderEntryId`.
    pub const SENDER_ENTRY_ID: u16 = 0x0C19;
    /// `PidTagSenderName`.
    pub const SENDER_NAME: u16 = 0x0C1A;
    /// `PidTagSenderSearchKey`.
    pub const SENDER_SEARCH_KEY: u16 = 0x0C1D;
    /// `PidTagSenderAddressType`.
    pub const SENDER_ADDRESS_TYPE: u16 = 0x0C1E;
    /// `PidTagSenderEmailAddress`.
    pub const SENDER_EMAIL_ADDRESS: u16 = 0x0C1F;
    /// `PidTagDisplayBcc`.
    pub const DISPLAY_BCC: u16 = 0x0E02;
    /// `PidTagDisplayCc`.
    pub const DISPLAY_CC: u16 = 0x0E03;
    /// `PidTagDisplayTo`.
    pub const DISPLAY_TO: u16 = 0x0E04;
    /// `PidTagMessageDeliveryTime`.
    pub const MESSAGE_DELIVERY_TIME: u16 = 0x0E06;
    /// `PidTagMessageFlags`.
    pub const MESSAGE_FLAGS: u16 = 0x0E07;
    /// `PidTagMessageSize`.
    pub const MESSAGE_SIZE: u16 = 0x0E08;
    /// `PidTagParentEntryId`.
    pub const PARENT_ENTRY_ID: u16 = 0x0E09;
    /// `PidTagHasAttachments`.
    pub const HAS_ATTACHMENTS: u16 = 0x0E1B;
    /// `PidTagAttachSize`.
    pub const ATTACH_SIZE: u16 = 0x0E20;
    /// `PidTagAttachNumber`.
    pub const ATTACH_NUMBER: u16 = 0x0E21;
    /// `PidTagAccess`.
    pub const ACCESS: u16 = 0x0FF4;
    /// `PidTagInstanceKey`.
    pub const INSTANCE_KEY: u16 = 0x0FF6;
    /// `PidTagAccessLevel`.
    pub const ACCESS_LEVEL: u16 = 0x0FF7;
    /// `PidTagRecordKey`.
    pub const RECORD_KEY: u16 = 0x0FF9;
    /// `PidTagObjectType`.
    pub const OBJECT_TYPE: u16 = 0x0FFE;
    /// `PidTagEntryId`.
    pub const ENTRY_ID: u16 = 0x0FFF;
    /// `PidTagBody`.
    pub const BODY: u16 = 0x1000;
    /// `PidTagRtfCompressed`.
    pub const RTF_COMPRESSED: u16 = 0x1009;
    /// `PidTagHtml` (binary, in the message's code page).
    pub const HTML: u16 = 0x1013;
    /// `PidTagInternetMessageId`.
    pub const INTERNET_MESSAGE_ID: u16 = 0x1035;
    /// `PidTagInternetReferences`.
    pub const INTERNET_REFERENCES: u16 = 0x1039;
    /// `PidTagInReplyToId`.
    pub const IN_REPLY_TO_ID: u16 = 0x1042;
    /// `PidTagRowid`.
    pub const ROW_ID: u16 = 0x3000;
    /// `PidTagDisplayName`.
    pub const DISPLAY_NAME: u16 = 0x3001;
    /// `PidTagAddressType`.
    pub const ADDRESS_TYPE: u16 = 0x3002;
    /// `PidTagEmailAddress`.
    pub const EMAIL_ADDRESS: u16 = 0x3003;
    /// `PidTagCreationTime`.
    pub const CREATION_TIME: u16 = 0x3007;
    /// `PidTagLastModificationTime`.
    pub const LAST_MODIFICATION_TIME: u16 = 0x3008;
    /// `PidTagSearchKey`.
    pub const SEARCH_KEY: u16 = 0x300B;
    /// `PidTagAttachDataBinary` / `PidTagAttachDataObject`.
    pub const ATTACH_DATA: u16 = 0x3701;
    /// `PidTagAttachExtension`.
    pub const ATTACH_EXTENSION: u16 = 0x3703;
    /// `PidTagAttachFilename`.
    pub const ATTACH_FILENAME: u16 = 0x3704;
    /// `PidTagAttachMethod`.
    pub const ATTACH_METHOD: u16 = 0x3705;
    /// `PidTagAttachLongFilename`.
    pub const ATTACH_LONG_FILENAME: u16 = 0x3707;
    /// `PidTagRenderingPosition`.
    pub const RENDERING_POSITION: u16 = 0x370B;
    /// `PidTagAttachMimeTag`.
    pub const ATTACH_MIME_TAG: u16 = 0x370E;
    /// `PidTagAttachContentId`.
    pub const ATTACH_CONTENT_ID: u16 = 0x3712;
    /// `PidTagAttachFlags`.
    pub const ATTACH_FLAGS: u16 = 0x3714;
    /// `PidTagDisplayType`.
    pub const DISPLAY_TYPE: u16 = 0x3900;
    /// `PidTagSmtpAddress`.
    pub const SMTP_ADDRESS: u16 = 0x39FE;
    /// `PidTagGivenName`.
    pub const GIVEN_NAME: u16 = 0x3A06;
    /// `PidTagBusinessTelephoneNumber`.
    pub const BUSINESS_TELEPHONE_NUMBER: u16 = 0x3A08;
    /// `PidTagSurname`.
    pub const SURNAME: u16 = 0x3A11;
    /// `PidTagCompanyName`.
    pub const COMPANY_NAME: u16 = 0x3A16;
    /// `PidTagTransmittableDisplayName`.
    pub const TRANSMITTABLE_DISPLAY_NAME: u16 = 0x3A20;
    /// `PidTagInternetCodepage`.
    pub const INTERNET_CODEPAGE: u16 = 0x3FDE;
    /// `PidTagSenderSmtpAddress`.
    pub const SENDER_SMTP_ADDRESS: u16 = 0x5D01;
    /// `PidTagSentRepresentingSmtpAddress`.
    pub const SENT_REPRESENTING_SMTP_ADDRESS: u16 = 0x5D02;
    /// `PidTagReceivedBySmtpAddress`.
    pub const RECEIVED_BY_SMTP_ADDRESS: u16 = 0x5D07;
    /// `PidTagRecipientDisplayName`.
    pub const RECIPIENT_DISPLAY_NAME: u16 = 0x5FF6;
    /// `PidTagRecipientEntryId`.
    pub const RECIPIENT_ENTRY_ID: u16 = 0x5FF7;
    /// `PidTagRecipientFlags`.
    pub const RECIPIENT_FLAGS: u16 = 0x5FFD;
    /// `PidTagRecipientTrackStatus`.
    pub const RECIPIENT_TRACK_STATUS: u16 = 0x5FFF;
    /// `PidTagSourceKey`.
    pub const SOURCE_KEY: u16 = 0x65E0;
    /// `PidTagParentSourceKey`.
    pub const PARENT_SOURCE_KEY: u16 = 0x65E1;
    /// `PidTagChangeKey`.
    pub const CHANGE_KEY: u16 = 0x65E2;
    /// `PidTagPredecessorChangeList`.
    pub const PREDECESSOR_CHANGE_LIST: u16 = 0x65E3;
    /// `PidTagMid`.
    pub const MID: u16 = 0x674A;
    /// `PidTagChangeNumber`.
    pub const CHANGE_NUMBER: u16 = 0x67A4;
    /// `PidTagExceptionStartTime`.
    pub const EXCEPTION_START_TIME: u16 = 0x7FFA;
    /// `PidTagExceptionEndTime`.
    pub const EXCEPTION_END_TIME: u16 = 0x7FFB;
    /// `PidTagAttachmentFlags`.
    pub const ATTACHMENT_FLAGS: u16 = 0x7FFD;
    /// `PidTagAttachmentHidden`.
    pub const ATTACHMENT_HIDDEN: u16 = 0x7FFE;
}

/// Named properties by their long id (`PidLid...`) in their property set.
pub mod lid {
    /// `PidLidAppointmentStartWhole`.
    pub const APPOINTMENT_START_WHOLE: u32 = 0x820D;
    /// `PidLidAppointmentEndWhole`.
    pub const APPOINTMENT_END_WHOLE: u32 = 0x820E;
    /// `PidLidLocation`.
    pub const LOCATION: u32 = 0x8208;
    /// `PidLidBusyStatus`.
    pub const BUSY_STATUS: u32 = 0x8205;
    /// `PidLidAppointmentSubType` (all-day).
    pub const APPOINTMENT_SUB_TYPE: u32 = 0x8215;
    /// `PidLidAppointmentRecur`.
    pub const APPOINTMENT_RECUR: u32 = 0x8216;
    /// `PidLidAppointmentStateFlags`.
    pub const APPOINTMENT_STATE_FLAGS: u32 = 0x8217;
    /// `PidLidResponseStatus`.
    pub const RESPONSE_STATUS: u32 = 0x8218;
    /// `PidLidRecurring`.
    pub const RECURRING: u32 = 0x8223;
    /// `PidLidExceptionReplaceTime`.
    pub const EXCEPTION_REPLACE_TIME: u32 = 0x8228;
    /// `PidLidGlobalObjectId` (`PSETID_Meeting`).
    pub const GLOBAL_OBJECT_ID: u32 = 0x0003;
    /// `PidLidCleanGlobalObjectId` (`PSETID_Meeting`).
    pub const CLEAN_GLOBAL_OBJECT_ID: u32 = 0x0023;
    /// `PidLidEmail1DisplayName`; Email2 and Email3 follow at +0x10 and +0x20.
    pub const EMAIL1_DISPLAY_NAME: u32 = 0x8080;
    /// `PidLidEmail1AddressType`.
    pub const EMAIL1_ADDRESS_TYPE: u32 = 0x8082;
    /// `PidLidEmail1EmailAddress`.
    pub const EMAIL1_EMAIL_ADDRESS: u32 = 0x8083;
    /// `PidLidEmail1OriginalDisplayName`.
    pub const EMAIL1_ORIGINAL_DISPLAY_NAME: u32 = 0x8084;
    /// `PidLidEmail1OriginalEntryId`.
    pub const EMAIL1_ORIGINAL_ENTRY_ID: u32 = 0x8085;
    /// `PidLidFileUnder`.
    pub const FILE_UNDER: u32 = 0x8005;
    /// `PidLidTaskStatus`.
    pub const TASK_STATUS: u32 = 0x8101;
    /// `PidLidPercentComplete`.
    pub const PERCENT_COMPLETE: u32 = 0x8102;
    /// `PidLidTaskDueDate`.
    pub const TASK_DUE_DATE: u32 = 0x8105;
    /// `PidLidTaskOwner`.
    pub const TASK_OWNER: u32 = 0x811F;
    /// `PidLidTaskAssigner`.
    pub const TASK_ASSIGNER: u32 = 0x8121;
    /// `PidLidTaskLastDelegate`.
    pub const TASK_LAST_DELEGATE: u32 = 0x8125;
}

/// A named property's key by long id.
pub fn named(set: Uuid, id: u32) -> PropertyKey {
    PropertyKey::NamedId { set, id }
}

/// A `PSETID_Appointment` property's key (`lid::APPOINTMENT_*`, `LOCATION`, ...).
pub fn appointment_key(id: u32) -> PropertyKey {
    named(PSETID_APPOINTMENT, id)
}

/// A `PSETID_Meeting` property's key (`lid::GLOBAL_OBJECT_ID`, ...).
pub fn meeting_key(id: u32) -> PropertyKey {
    named(PSETID_MEETING, id)
}

/// A `PSETID_Task` property's key (`lid::TASK_*`, ...).
pub fn task_key(id: u32) -> PropertyKey {
    named(PSETID_TASK, id)
}

/// A named property's key by string name.
pub fn named_string(set: Uuid, name: &str) -> PropertyKey {
    PropertyKey::NamedString {
        set,
        name: name.to_string(),
    }
}

/// The key of `Keywords` (categories).
pub fn keywords() -> PropertyKey {
    named_string(PS_PUBLIC_STRINGS, "Keywords")
}

/// Properties the store sets itself: they are not taken from an import, not part of an item's
/// digest, and a copy has its own values for them.
pub fn assigned_by_store(key: &PropertyKey) -> bool {
    match key {
        PropertyKey::Tag(id) => matches!(
            *id,
            tag::ENTRY_ID
                | tag::SOURCE_KEY
                | tag::PARENT_SOURCE_KEY
                | tag::CHANGE_KEY
                | tag::PREDECESSOR_CHANGE_LIST
                | tag::RECORD_KEY
                | tag::INSTANCE_KEY
                | tag::PARENT_ENTRY_ID
                | tag::MESSAGE_SIZE
                | tag::MID
                | tag::CHANGE_NUMBER
                | tag::ACCESS
                | tag::ACCESS_LEVEL
                | tag::HAS_ATTACHMENTS
                | tag::DISPLAY_TO
                | tag::DISPLAY_CC
                | tag::DISPLAY_BCC
                | tag::CREATION_TIME
                | tag::LAST_MODIFICATION_TIME
        ),
        _ => false,
    }
}

/// The named property Ferry stamps each copy with (the key of the item it copies); a copy's
/// digest leaves it out so that a copy and its original compare equal.
pub fn is_migration_stamp(key: &PropertyKey) -> bool {
    matches!(key, PropertyKey::NamedString { set, name } if *set == PS_PUBLIC_STRINGS && name == "FerrySourceItem")
}
