//! Property tags, property types, the stream's markers and meta-properties (MS-OXCFXICS 2.2.4,
//! MS-OXCDATA 2.11), and the few property tags the stream's structure depends on.

use std::fmt;

/// A property tag: the property id in the high 16 bits, its type in the low 16.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PropTag(pub u32);

impl PropTag {
    /// The tag for an id and a type.
    pub const fn new(id: u16, prop_type: u16) -> PropTag {
        PropTag(((id as u32) << 16) | prop_type as u32)
    }

    /// The property id.
    pub const fn id(self) -> u16 {
        (self.0 >> 16) as u16
    }

    /// The property type ([`prop_type`] lists them).
    pub const fn prop_type(self) -> u16 {
        self.0 as u16
    }

    /// Whether the id is in the named range (0x8000 and up), so a name follows the tag.
    pub const fn is_named(self) -> bool {
        self.id() >= 0x8000
    }

    /// Whether the type is multi-valued (0x1000 set, and not a code-page string).
    pub const fn is_multi_valued(self) -> bool {
        let prop_type = self.prop_type();
        prop_type & prop_type::MULTIPLE_FLAG != 0 && prop_type & prop_type::CODE_PAGE_FLAG == 0
    }

    /// Whether the tag is one of the stream's markers rather than a property.
    pub const fn is_marker(self) -> bool {
        marker::is_marker(self.0)
    }

    /// The same id with another type.
    pub const fn with_type(self, prop_type: u16) -> PropTag {
        PropTag::new(self.id(), prop_type)
    }
}

impl fmt::Debug for PropTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PropTag({:#010X})", self.0)
    }
}

impl fmt::Display for PropTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010X}", self.0)
    }
}

impl From<u32> for PropTag {
    fn from(tag: u32) -> Self {
        PropTag(tag)
    }
}

/// Property types (MS-OXCDATA 2.11.1) as they appear in the low 16 bits of a tag.
pub mod prop_type {
    /// PtypInteger16: 2 bytes.
    pub const INTEGER16: u16 = 0x0002;
    /// PtypInteger32: 4 bytes.
    pub const INTEGER32: u16 = 0x0003;
    /// PtypFloating32: 4 bytes.
    pub const FLOATING32: u16 = 0x0004;
    /// PtypFloating64: 8 bytes.
    pub const FLOATING64: u16 = 0x0005;
    /// PtypCurrency: 8 bytes, a fixed-point integer scaled by 10,000.
    pub const CURRENCY: u16 = 0x0006;
    /// PtypFloatingTime: 8 bytes, an OLE automation date.
    pub const FLOATING_TIME: u16 = 0x0007;
    /// PtypErrorCode: 4 bytes.
    pub const ERROR_CODE: u16 = 0x000A;
    /// PtypBoolean: 2 bytes in FastTransfer streams (1 elsewhere).
    pub const BOOLEAN: u16 = 0x000B;
    /// PtypObject: counted bytes.
    pub const OBJECT: u16 = 0x000D;
    /// PtypInteger64: 8 bytes.
    pub const INTEGER64: u16 = 0x0014;
    /// PtypString8: counted bytes in an 8-bit code page.
    pub const STRING8: u16 = 0x001E;
    /// PtypString: counted UTF-16LE, the count including the terminating NUL.
    pub const STRING: u16 = 0x001F;
    /// PtypTime: 8 bytes, a FILETIME.
    pub const TIME: u16 = 0x0040;
    /// PtypGuid: 16 bytes.
    pub const GUID: u16 = 0x0048;
    /// PtypServerId: counted bytes.
    pub const SERVER_ID: u16 = 0x00FB;
    /// PtypRestriction: counted bytes.
    pub const RESTRICTION: u16 = 0x00FD;
    /// PtypRuleAction: counted bytes.
    pub const RULE_ACTION: u16 = 0x00FE;
    /// PtypBinary: counted bytes.
    pub const BINARY: u16 = 0x0102;
    /// Set on multi-valued types: a `u32` count, then that many values of the base type.
    pub const MULTIPLE_FLAG: u16 = 0x1000;
    /// Set on strings in a code page (the low 15 bits): counted bytes.
    pub const CODE_PAGE_FLAG: u16 = 0x8000;
    /// The code page of UTF-16LE.
    pub const CODE_PAGE_UTF16: u16 = 1200;
    /// A PtypString in code page 1200, which Exchange writes for every string it exports.
    pub const STRING_CODE_PAGE_UTF16: u16 = CODE_PAGE_FLAG | CODE_PAGE_UTF16;
    /// PtypMultipleInteger16.
    pub const MULTIPLE_INTEGER16: u16 = MULTIPLE_FLAG | INTEGER16;
    /// PtypMultipleInteger32.
    pub const MULTIPLE_INTEGER32: u16 = MULTIPLE_FLAG | INTEGER32;
    /// PtypMultipleFloating32.
    pub const MULTIPLE_FLOATING32: u16 = MULTIPLE_FLAG | FLOATING32;
    /// PtypMultipleFloating64.
    pub const MULTIPLE_FLOATING64: u16 = MULTIPLE_FLAG | FLOATING64;
    /// PtypMultipleCurrency.
    pub const MULTIPLE_CURRENCY: u16 = MULTIPLE_FLAG | CURRENCY;
    /// PtypMultipleFloatingTime.
    pub const MULTIPLE_FLOATING_TIME: u16 = MULTIPLE_FLAG | FLOATING_TIME;
    /// PtypMultipleInteger64.
    pub const MULTIPLE_INTEGER64: u16 = MULTIPLE_FLAG | INTEGER64;
    /// PtypMultipleString8.
    pub const MULTIPLE_STRING8: u16 = MULTIPLE_FLAG | STRING8;
    /// PtypMultipleString.
    pub const MULTIPLE_STRING: u16 = MULTIPLE_FLAG | STRING;
    /// PtypMultipleTime.
    pub const MULTIPLE_TIME: u16 = MULTIPLE_FLAG | TIME;
    /// PtypMultipleGuid.
    pub const MULTIPLE_GUID: u16 = MULTIPLE_FLAG | GUID;
    /// PtypMultipleBinary.
    pub const MULTIPLE_BINARY: u16 = MULTIPLE_FLAG | BINARY;
}

/// The stream's syntactical markers (MS-OXCFXICS 2.2.4.1.4): a bare tag with no value.
pub mod marker {
    /// Start of the top folder of a folder transfer.
    pub const START_TOP_FLD: u32 = 0x4009_0003;
    /// Start of a subfolder.
    pub const START_SUB_FLD: u32 = 0x400A_0003;
    /// End of a folder.
    pub const END_FOLDER: u32 = 0x400B_0003;
    /// Start of a normal message in a folder or message list.
    pub const START_MESSAGE: u32 = 0x400C_0003;
    /// End of a message.
    pub const END_MESSAGE: u32 = 0x400D_0003;
    /// Start of a folder-associated (FAI) message.
    pub const START_FAI_MSG: u32 = 0x4010_0003;
    /// Start of a message embedded in an attachment.
    pub const START_EMBED: u32 = 0x4001_0003;
    /// End of an embedded message.
    pub const END_EMBED: u32 = 0x4002_0003;
    /// Start of a recipient.
    pub const START_RECIP: u32 = 0x4003_0003;
    /// End of a recipient.
    pub const END_TO_RECIP: u32 = 0x4004_0003;
    /// Start of an attachment.
    pub const NEW_ATTACH: u32 = 0x4000_0003;
    /// End of an attachment.
    pub const END_ATTACH: u32 = 0x400E_0003;
    /// Start of an incremental-sync message change.
    pub const INCR_SYNC_CHG: u32 = 0x4012_0003;
    /// Start of a partial incremental-sync message change.
    pub const INCR_SYNC_CHG_PARTIAL: u32 = 0x407D_0003;
    /// Start of incremental-sync deletions.
    pub const INCR_SYNC_DEL: u32 = 0x4013_0003;
    /// End of an incremental-sync stream.
    pub const INCR_SYNC_END: u32 = 0x4014_0003;
    /// Start of incremental-sync read-state changes.
    pub const INCR_SYNC_READ: u32 = 0x402F_0003;
    /// Start of incremental-sync state.
    pub const INCR_SYNC_STATE_BEGIN: u32 = 0x403A_0003;
    /// End of incremental-sync state.
    pub const INCR_SYNC_STATE_END: u32 = 0x403B_0003;
    /// Start of incremental-sync progress totals.
    pub const INCR_SYNC_PROGRESS_MODE: u32 = 0x4074_000B;
    /// Start of per-message incremental-sync progress.
    pub const INCR_SYNC_PROGRESS_PER_MSG: u32 = 0x4075_000B;
    /// Start of a message body in incremental sync.
    pub const INCR_SYNC_MESSAGE: u32 = 0x4015_0003;
    /// Start of property group information.
    pub const INCR_SYNC_GROUP_INFO: u32 = 0x407B_0102;
    /// Start of error information.
    pub const FX_ERROR_INFO: u32 = 0x4018_0003;

    /// Every marker.
    pub const ALL: [u32; 24] = [
        START_TOP_FLD,
        START_SUB_FLD,
        END_FOLDER,
        START_MESSAGE,
        END_MESSAGE,
        START_FAI_MSG,
        START_EMBED,
        END_EMBED,
        START_RECIP,
        END_TO_RECIP,
        NEW_ATTACH,
        END_ATTACH,
        INCR_SYNC_CHG,
        INCR_SYNC_CHG_PARTIAL,
        INCR_SYNC_DEL,
        INCR_SYNC_END,
        INCR_SYNC_READ,
        INCR_SYNC_STATE_BEGIN,
        INCR_SYNC_STATE_END,
        INCR_SYNC_PROGRESS_MODE,
        INCR_SYNC_PROGRESS_PER_MSG,
        INCR_SYNC_MESSAGE,
        INCR_SYNC_GROUP_INFO,
        FX_ERROR_INFO,
    ];

    /// Whether a tag is a marker.
    pub const fn is_marker(tag: u32) -> bool {
        matches!(
            tag,
            START_TOP_FLD
                | START_SUB_FLD
                | END_FOLDER
                | START_MESSAGE
                | END_MESSAGE
                | START_FAI_MSG
                | START_EMBED
                | END_EMBED
                | START_RECIP
                | END_TO_RECIP
                | NEW_ATTACH
                | END_ATTACH
                | INCR_SYNC_CHG
                | INCR_SYNC_CHG_PARTIAL
                | INCR_SYNC_DEL
                | INCR_SYNC_END
                | INCR_SYNC_READ
                | INCR_SYNC_STATE_BEGIN
                | INCR_SYNC_STATE_END
                | INCR_SYNC_PROGRESS_MODE
                | INCR_SYNC_PROGRESS_PER_MSG
                | INCR_SYNC_MESSAGE
                | INCR_SYNC_GROUP_INFO
                | FX_ERROR_INFO
        )
    }
}

/// Meta-properties (MS-OXCFXICS 2.2.1): properties that carry stream-level information.
pub mod meta {
    use super::PropTag;

    /// MetaTagFXDelProp: its Integer32 value is the tag of a subobject list (recipients,
    /// attachments) the receiver clears before the following subobjects are added.
    pub const FX_DEL_PROP: PropTag = PropTag(0x4016_0003);
    /// MetaTagIdsetGiven: declared Integer32 but its value is written as binary.
    pub const IDSET_GIVEN: PropTag = PropTag(0x4017_0003);
    /// MetaTagEcWarning.
    pub const EC_WARNING: PropTag = PropTag(0x400F_0003);
    /// MetaTagNewFXFolder.
    pub const NEW_FX_FOLDER: PropTag = PropTag(0x4011_0102);
    /// MetaTagIncrSyncGroupId.
    pub const INCR_SYNC_GROUP_ID: PropTag = PropTag(0x407C_0003);
    /// MetaTagIncrementalSyncMessagePartial.
    pub const INCREMENTAL_SYNC_MESSAGE_PARTIAL: PropTag = PropTag(0x407A_0003);
    /// MetaTagDnPrefix.
    pub const DN_PREFIX: PropTag = PropTag(0x4008_001E);
}

/// Property tags the stream's structure refers to, and a few the tests read. Exchange writes
/// strings as code-page 1200 strings (type 0x84B0), so match string properties by [`PropTag::id`].
pub mod pid {
    use super::PropTag;

    /// PidTagMessageRecipients: the value of an FXDelProp before the recipients.
    pub const MESSAGE_RECIPIENTS: PropTag = PropTag(0x0E12_000D);
    /// PidTagMessageAttachments: the value of an FXDelProp before the attachments.
    pub const MESSAGE_ATTACHMENTS: PropTag = PropTag(0x0E13_000D);
    /// PidTagAttachNumber: the first property of an attachment.
    pub const ATTACH_NUMBER: PropTag = PropTag(0x0E21_0003);
    /// PidTagAttachDataBinary: an attachment's content.
    pub const ATTACH_DATA_BINARY: PropTag = PropTag(0x3701_0102);
    /// PidTagAttachLongFilename.
    pub const ATTACH_LONG_FILENAME: PropTag = PropTag(0x3707_001F);
    /// PidTagSubject.
    pub const SUBJECT: PropTag = PropTag(0x0037_001F);
    /// PidTagMessageClass.
    pub const MESSAGE_CLASS: PropTag = PropTag(0x001A_001F);
    /// PidTagSmtpAddress.
    pub const SMTP_ADDRESS: PropTag = PropTag(0x39FE_001F);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_parts() {
        let tag = PropTag(0x8123_84B0);
        assert_eq!(tag.id(), 0x8123);
        assert_eq!(tag.prop_type(), prop_type::STRING_CODE_PAGE_UTF16);
        assert!(tag.is_named());
        assert!(!tag.is_multi_valued());
        assert!(PropTag(0x0E12_101F).is_multi_valued());
        assert!(!PropTag(0x0E12_941F).is_multi_valued());
        assert_eq!(PropTag::new(0x0037, 0x001F), pid::SUBJECT);
        assert_eq!(pid::SUBJECT.with_type(0x84B0), PropTag(0x0037_84B0));
        assert_eq!(format!("{}", pid::SUBJECT), "0x0037001F");
        assert_eq!(format!("{:?}", pid::SUBJECT), "PropTag(0x0037001F)");
    }

    #[test]
    fn markers_are_recognised() {
        for tag in marker::ALL {
            assert!(marker::is_marker(tag));
            assert!(PropTag(tag).is_marker());
        }
        assert!(!marker::is_marker(meta::FX_DEL_PROP.0));
        assert!(!marker::is_marker(meta::IDSET_GIVEN.0));
        assert!(!marker::is_marker(pid::ATTACH_NUMBER.0));
    }
}
