//! Names of named properties (ids 0x8000 and up): a property set GUID and either a numeric
//! LID or a string, as the stream writes them after the tag.

use uuid::Uuid;

/// The longest string name accepted, in UTF-16 units. Names in practice are short identifiers;
/// the limit bounds what a hostile stream can make the reader allocate.
pub const MAX_NAME_UNITS: usize = 4096;

/// A named property's name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PropName {
    /// The property set.
    pub set: Uuid,
    /// The LID or string within the set.
    pub kind: NameKind,
}

/// How a named property is identified within its set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A numeric long id (name kind 0).
    Lid(u32),
    /// A string (name kind 1), kept as UTF-16 units so any name round-trips exactly, even one
    /// that is not valid UTF-16. The terminating NUL is not included.
    Name(Vec<u16>),
}

impl PropName {
    /// A name by LID.
    pub fn lid(set: Uuid, lid: u32) -> PropName {
        PropName {
            set,
            kind: NameKind::Lid(lid),
        }
    }

    /// A name by string.
    pub fn string(set: Uuid, name: &str) -> PropName {
        PropName {
            set,
            kind: NameKind::Name(name.encode_utf16().collect()),
        }
    }

    /// The string name as text (unpaired surrogates replaced), or `None` for a LID.
    pub fn name_lossy(&self) -> Option<String> {
        match &self.kind {
            NameKind::Lid(_) => None,
            NameKind::Name(units) => Some(String::from_utf16_lossy(units)),
        }
    }

    /// Why this name cannot be written, if it cannot: a string name must have no NUL unit
    /// (the NUL ends it on the wire) and at most [`MAX_NAME_UNITS`] units.
    pub(crate) fn unwritable_reason(&self) -> Option<&'static str> {
        match &self.kind {
            NameKind::Lid(_) => None,
            NameKind::Name(units) if units.contains(&0) => Some("a nul unit inside the name"),
            NameKind::Name(units) if units.len() > MAX_NAME_UNITS => Some("longer than the limit"),
            NameKind::Name(_) => None,
        }
    }
}

/// Well-known property sets (MS-OXPROPS 1.3.2).
pub mod property_set {
    use uuid::Uuid;

    /// PS_PUBLIC_STRINGS.
    pub const PS_PUBLIC_STRINGS: Uuid = Uuid::from_u128(0x00020329_0000_0000_C000_000000000046);
    /// PS_INTERNET_HEADERS: string-named properties for internet headers.
    pub const PS_INTERNET_HEADERS: Uuid = Uuid::from_u128(0x00020386_0000_0000_C000_000000000046);
    /// PSETID_Common.
    pub const PSETID_COMMON: Uuid = Uuid::from_u128(0x00062008_0000_0000_C000_000000000046);
    /// PSETID_Address.
    pub const PSETID_ADDRESS: Uuid = Uuid::from_u128(0x00062004_0000_0000_C000_000000000046);
    /// PSETID_Appointment.
    pub const PSETID_APPOINTMENT: Uuid = Uuid::from_u128(0x00062002_0000_0000_C000_000000000046);
    /// PSETID_Task.
    pub const PSETID_TASK: Uuid = Uuid::from_u128(0x00062003_0000_0000_C000_000000000046);
    /// PSETID_Meeting.
    pub const PSETID_MEETING: Uuid = Uuid::from_u128(0x6ED8DA90_450B_101B_98DA_00AA003F1305);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_names_keep_units_and_read_lossily() {
        let name = PropName::string(property_set::PS_PUBLIC_STRINGS, "Keywords");
        assert_eq!(name.name_lossy().as_deref(), Some("Keywords"));
        assert_eq!(name.unwritable_reason(), None);
        let odd = PropName {
            set: property_set::PS_PUBLIC_STRINGS,
            kind: NameKind::Name(vec![0xD800, u16::from(b'x')]),
        };
        assert_eq!(odd.name_lossy().as_deref(), Some("\u{FFFD}x"));
        assert_eq!(
            PropName::lid(property_set::PSETID_COMMON, 0x8514).name_lossy(),
            None
        );
    }

    #[test]
    fn unwritable_names_are_refused() {
        let with_nul = PropName::string(property_set::PS_PUBLIC_STRINGS, "a\0b");
        assert!(with_nul.unwritable_reason().is_some());
        let long = PropName::string(
            property_set::PS_PUBLIC_STRINGS,
            &"x".repeat(MAX_NAME_UNITS + 1),
        );
        assert!(long.unwritable_reason().is_some());
    }

    #[test]
    fn property_set_guids_are_written_little_endian() {
        // PSETID_Common as it appears in a real export.
        let wire = [
            0x08, 0x20, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x46,
        ];
        assert_eq!(Uuid::from_bytes_le(wire), property_set::PSETID_COMMON);
        assert_eq!(
            property_set::PSETID_MEETING.to_string(),
            "6ed8da90-450b-101b-98da-00aa003f1305"
        );
    }
}
