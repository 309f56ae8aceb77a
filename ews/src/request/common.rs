//! Pieces many requests share: folder and item ids, shapes, property paths, restrictions, paging.

use ferry_xml::XmlWriter;

use super::{Access, MailboxTarget};
use crate::types::{
    Comparison, ExtendedPropertyPath, FolderId, FolderRef, ItemId, PropertyName, PropertyPath,
    PropertySet, Restriction,
};

/// `IdOnly`, `Default` or `AllProperties`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseShape {
    /// Ids only, plus what is asked for.
    IdOnly,
    /// The usual properties.
    Default,
    /// Every property.
    AllProperties,
}

impl BaseShape {
    fn as_str(self) -> &'static str {
        match self {
            BaseShape::IdOnly => "IdOnly",
            BaseShape::Default => "Default",
            BaseShape::AllProperties => "AllProperties",
        }
    }
}

/// Which folder properties to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderShape {
    /// Base shape.
    pub base: BaseShape,
    /// Extra `FieldURI`s (`folder:DisplayName`, `folder:PermissionSet`...).
    pub fields: Vec<String>,
    /// Extra extended properties.
    pub extended: Vec<ExtendedPropertyPath>,
}

impl FolderShape {
    /// Ids only.
    pub fn id_only() -> FolderShape {
        FolderShape {
            base: BaseShape::IdOnly,
            fields: Vec::new(),
            extended: Vec::new(),
        }
    }

    /// The properties a migration needs to rebuild a folder tree.
    pub fn tree() -> FolderShape {
        FolderShape {
            base: BaseShape::IdOnly,
            fields: [
                "folder:ParentFolderId",
                "folder:DisplayName",
                "folder:FolderClass",
                "folder:TotalCount",
                "folder:ChildFolderCount",
                "folder:DistinguishedFolderId",
            ]
            .map(String::from)
            .to_vec(),
            extended: Vec::new(),
        }
    }

    pub(crate) fn write(&self, writer: &mut XmlWriter) {
        writer.open("m:FolderShape", &[]);
        writer.leaf("t:BaseShape", self.base.as_str());
        write_additional_properties(writer, &self.fields, &self.extended);
        writer.close("m:FolderShape");
    }
}

/// Which item properties to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemShape {
    /// Base shape.
    pub base: BaseShape,
    /// Whether to return `MimeContent` (only `GetItem` may).
    pub include_mime: bool,
    /// Extra `FieldURI`s.
    pub fields: Vec<String>,
    /// Extra extended properties.
    pub extended: Vec<ExtendedPropertyPath>,
}

impl ItemShape {
    /// Ids only.
    pub fn id_only() -> ItemShape {
        ItemShape {
            base: BaseShape::IdOnly,
            include_mime: false,
            fields: Vec::new(),
            extended: Vec::new(),
        }
    }

    /// What a migration needs to list a folder: class, size, dates, Message-ID.
    pub fn listing() -> ItemShape {
        ItemShape {
            base: BaseShape::IdOnly,
            include_mime: false,
            fields: [
                "item:ItemClass",
                "item:Size",
                "item:DateTimeReceived",
                "item:Subject",
                "message:InternetMessageId",
            ]
            .map(String::from)
            .to_vec(),
            extended: Vec::new(),
        }
    }

    pub(crate) fn write(&self, writer: &mut XmlWriter) {
        writer.open("m:ItemShape", &[]);
        writer.leaf("t:BaseShape", self.base.as_str());
        if self.include_mime {
            writer.leaf("t:IncludeMimeContent", "true");
        }
        write_additional_properties(writer, &self.fields, &self.extended);
        writer.close("m:ItemShape");
    }
}

fn write_additional_properties(
    writer: &mut XmlWriter,
    fields: &[String],
    extended: &[ExtendedPropertyPath],
) {
    if fields.is_empty() && extended.is_empty() {
        return;
    }
    writer.open("t:AdditionalProperties", &[]);
    for field in fields {
        writer.empty("t:FieldURI", &[("FieldURI", field)]);
    }
    for path in extended {
        write_extended_path(writer, path);
    }
    writer.close("t:AdditionalProperties");
}

/// Writes an `ExtendedFieldURI`.
pub(crate) fn write_extended_path(writer: &mut XmlWriter, path: &ExtendedPropertyPath) {
    let mut attrs: Vec<(&str, String)> = Vec::with_capacity(3);
    let set_attr = |set: &PropertySet| match set {
        PropertySet::Distinguished(name) => ("DistinguishedPropertySetId", name.clone()),
        PropertySet::Guid(guid) => ("PropertySetId", guid.to_string()),
    };
    match &path.name {
        PropertyName::Tag(tag) => attrs.push(("PropertyTag", format!("0x{tag:04X}"))),
        PropertyName::Id(set, id) => {
            attrs.push(set_attr(set));
            attrs.push(("PropertyId", id.to_string()));
        }
        PropertyName::Name(set, name) => {
            attrs.push(set_attr(set));
            attrs.push(("PropertyName", name.clone()));
        }
    }
    attrs.push(("PropertyType", path.property_type.clone()));
    let borrowed: Vec<(&str, &str)> = attrs
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect();
    writer.empty("t:ExtendedFieldURI", &borrowed);
}

/// Writes an `ExtendedProperty` with its value(s).
pub(crate) fn write_extended_property(
    writer: &mut XmlWriter,
    path: &ExtendedPropertyPath,
    values: &[String],
) {
    writer.open("t:ExtendedProperty", &[]);
    write_extended_path(writer, path);
    if path.is_array() {
        writer.open("t:Values", &[]);
        for value in values {
            writer.leaf("t:Value", value);
        }
        writer.close("t:Values");
    } else {
        writer.leaf("t:Value", values.first().map(String::as_str).unwrap_or(""));
    }
    writer.close("t:ExtendedProperty");
}

/// Writes a `FieldURI` or `ExtendedFieldURI`.
pub(crate) fn write_property_path(writer: &mut XmlWriter, path: &PropertyPath) {
    match path {
        PropertyPath::Field(uri) => {
            writer.empty("t:FieldURI", &[("FieldURI", uri)]);
        }
        PropertyPath::Extended(extended) => write_extended_path(writer, extended),
    }
}

/// Writes a folder reference; a distinguished folder names the mailbox for delegate access.
pub(crate) fn write_folder_ref(
    writer: &mut XmlWriter,
    folder: &FolderRef,
    mailbox: &MailboxTarget,
) {
    match folder {
        FolderRef::Id(id) => write_folder_id(writer, "t:FolderId", id),
        FolderRef::Distinguished(name) => {
            if mailbox.access == Access::Delegate {
                writer.open("t:DistinguishedFolderId", &[("Id", name)]);
                writer.open("t:Mailbox", &[]);
                writer.leaf("t:EmailAddress", &mailbox.address);
                writer.close("t:Mailbox");
                writer.close("t:DistinguishedFolderId");
            } else {
                writer.empty("t:DistinguishedFolderId", &[("Id", name)]);
            }
        }
    }
}

/// Writes a folder id element under the given name (`t:FolderId`, `t:ParentFolderId`).
pub(crate) fn write_folder_id(writer: &mut XmlWriter, element: &str, id: &FolderId) {
    match &id.change_key {
        Some(change_key) => writer.empty(element, &[("Id", &id.id), ("ChangeKey", change_key)]),
        None => writer.empty(element, &[("Id", &id.id)]),
    };
}

/// Writes an item id element under the given name.
pub(crate) fn write_item_id(writer: &mut XmlWriter, element: &str, id: &ItemId) {
    match &id.change_key {
        Some(change_key) => writer.empty(element, &[("Id", &id.id), ("ChangeKey", change_key)]),
        None => writer.empty(element, &[("Id", &id.id)]),
    };
}

/// Writes a restriction expression (inside `m:Restriction`).
pub(crate) fn write_restriction(writer: &mut XmlWriter, restriction: &Restriction) {
    match restriction {
        Restriction::And(parts) | Restriction::Or(parts) => {
            let name = if matches!(restriction, Restriction::And(_)) {
                "t:And"
            } else {
                "t:Or"
            };
            writer.open(name, &[]);
            for part in parts {
                write_restriction(writer, part);
            }
            writer.close(name);
        }
        Restriction::Not(inner) => {
            writer.open("t:Not", &[]);
            write_restriction(writer, inner);
            writer.close("t:Not");
        }
        Restriction::Exists(path) => {
            writer.open("t:Exists", &[]);
            write_property_path(writer, path);
            writer.close("t:Exists");
        }
        Restriction::Compare(path, comparison, value) => {
            let name = match comparison {
                Comparison::Equal => "t:IsEqualTo",
                Comparison::NotEqual => "t:IsNotEqualTo",
                Comparison::Greater => "t:IsGreaterThan",
                Comparison::GreaterOrEqual => "t:IsGreaterThanOrEqualTo",
                Comparison::Less => "t:IsLessThan",
                Comparison::LessOrEqual => "t:IsLessThanOrEqualTo",
            };
            writer.open(name, &[]);
            write_property_path(writer, path);
            writer.open("t:FieldURIOrConstant", &[]);
            writer.empty("t:Constant", &[("Value", value)]);
            writer.close("t:FieldURIOrConstant");
            writer.close(name);
        }
    }
}

/// Indexed paging: where to start and how many to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Offset from the beginning.
    pub offset: u64,
    /// Most entries to return (Exchange Online returns at most 1000).
    pub max_entries: u32,
}

impl Paging {
    /// The first page of `max_entries`.
    pub fn first(max_entries: u32) -> Paging {
        Paging {
            offset: 0,
            max_entries,
        }
    }

    pub(crate) fn write(&self, writer: &mut XmlWriter, element: &str) {
        writer.empty(
            element,
            &[
                ("MaxEntriesReturned", &self.max_entries.to_string()),
                ("Offset", &self.offset.to_string()),
                ("BasePoint", "Beginning"),
            ],
        );
    }
}

/// `FindFolder` traversal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traversal {
    /// Direct children.
    Shallow,
    /// The whole subtree.
    Deep,
}
