//! Extended (MAPI) properties: how EWS names them and how the simulator stores them.

use uuid::Uuid;

/// A MAPI property's name: a proptag, or a named property in a property set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PropertyKey {
    /// A tagged property (`PropertyTag="0x1234"`); the 16-bit property id.
    Tag(u16),
    /// A named property by numeric id (`PropertyId`).
    NamedId {
        /// The property set.
        set: Uuid,
        /// The numeric name.
        id: u32,
    },
    /// A named property by string name (`PropertyName`).
    NamedString {
        /// The property set.
        set: Uuid,
        /// The string name.
        name: String,
    },
}

/// One extended property value on an item or folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedProperty {
    /// Which property.
    pub key: PropertyKey,
    /// The EWS `MapiPropertyTypeType` name (`String`, `Integer`, `SystemTime`, `StringArray`, ...).
    pub property_type: String,
    /// The value(s) in EWS text form; one entry unless the type is an array.
    pub values: Vec<String>,
}

impl ExtendedProperty {
    /// Whether the type holds several values.
    pub fn is_array(&self) -> bool {
        self.property_type.ends_with("Array")
    }
}

/// The property sets EWS can name with `DistinguishedPropertySetId`.
pub const DISTINGUISHED_PROPERTY_SETS: &[(&str, u128)] = &[
    ("Meeting", 0x6ED8DA90_450B_101B_98DA_00AA003F1305),
    ("Appointment", 0x00062002_0000_0000_C000_000000000046),
    ("Common", 0x00062008_0000_0000_C000_000000000046),
    ("PublicStrings", 0x00020329_0000_0000_C000_000000000046),
    ("Address", 0x00062004_0000_0000_C000_000000000046),
    ("InternetHeaders", 0x00020386_0000_0000_C000_000000000046),
    ("CalendarAssistant", 0x11000E07_B51B_40D6_AF21_CAA85EDAB1D0),
    ("UnifiedMessaging", 0x4442858E_A9E3_4E80_B900_317A210CC15B),
    ("Task", 0x00062003_0000_0000_C000_000000000046),
    ("Sharing", 0x00062040_0000_0000_C000_000000000046),
];

/// The GUID of a distinguished property set, by its EWS name.
pub fn distinguished_set(name: &str) -> Option<Uuid> {
    DISTINGUISHED_PROPERTY_SETS
        .iter()
        .find(|(set_name, _)| *set_name == name)
        .map(|(_, guid)| Uuid::from_u128(*guid))
}

/// The EWS name of a property set, if it is a distinguished one.
pub fn distinguished_set_name(set: &Uuid) -> Option<&'static str> {
    DISTINGUISHED_PROPERTY_SETS
        .iter()
        .find(|(_, guid)| Uuid::from_u128(*guid) == *set)
        .map(|(name, _)| *name)
}

/// Parses a proptag or property id written as `0x1234` or decimal.
pub fn parse_number(text: &str) -> Option<u32> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The MAPI property types EWS accepts, by name.
pub const MAPI_PROPERTY_TYPES: &[&str] = &[
    "ApplicationTime",
    "ApplicationTimeArray",
    "Binary",
    "BinaryArray",
    "Boolean",
    "CLSID",
    "CLSIDArray",
    "Currency",
    "CurrencyArray",
    "Double",
    "DoubleArray",
    "Error",
    "Float",
    "FloatArray",
    "Integer",
    "IntegerArray",
    "Long",
    "LongArray",
    "Null",
    "Object",
    "ObjectArray",
    "Short",
    "ShortArray",
    "SystemTime",
    "SystemTimeArray",
    "String",
    "StringArray",
];

/// Checks a value against its declared type the way Exchange does, naming the problem if any.
pub fn validate_value(property_type: &str, value: &str) -> Result<(), String> {
    let base = property_type.trim_end_matches("Array");
    let ok = match base {
        "Integer" | "Long" | "Short" | "Currency" => value.trim().parse::<i64>().is_ok(),
        "Double" | "Float" | "ApplicationTime" => value.trim().parse::<f64>().is_ok(),
        "Boolean" => matches!(value.trim(), "true" | "false" | "1" | "0"),
        "SystemTime" => {
            chrono::DateTime::parse_from_rfc3339(value.trim()).is_ok()
                || chrono::NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M:%S").is_ok()
        }
        "Binary" => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .is_ok()
        }
        "CLSID" => Uuid::parse_str(value.trim()).is_ok(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("'{value}' is not a valid {property_type} value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguished_sets_round_trip() {
        let public = distinguished_set("PublicStrings").expect("known set");
        assert_eq!(public.to_string(), "00020329-0000-0000-c000-000000000046");
        assert_eq!(distinguished_set_name(&public), Some("PublicStrings"));
        assert_eq!(distinguished_set("Nope"), None);
    }

    #[test]
    fn validates_values_by_type() {
        assert!(validate_value("Integer", "42").is_ok());
        assert!(validate_value("Integer", "forty").is_err());
        assert!(validate_value("SystemTime", "2024-01-02T03:04:05Z").is_ok());
        assert!(validate_value("Boolean", "maybe").is_err());
        assert_eq!(parse_number("0x0E07"), Some(0x0E07));
        assert_eq!(parse_number("3591"), Some(3591));
    }
}
