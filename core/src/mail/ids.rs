//! Ids a mail service hands out. Opaque strings whose meaning belongs to the service; the types
//! keep a folder id from being passed where an item id belongs.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a service's id.
            pub fn new(id: impl Into<String>) -> $name {
                $name(id.into())
            }

            /// The id as the service spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> $name {
                $name(id.to_string())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> $name {
                $name(id)
            }
        }
    };
}

opaque_id!(
    /// A folder's id in its mailbox.
    FolderId
);
opaque_id!(
    /// An item's id in its mailbox.
    ItemId
);
