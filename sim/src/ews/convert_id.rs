//! `ConvertId`: converts ids between formats. Clients also call it as a cheap version probe.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::context::OpContext;
use super::folder_ops::required;
use super::soap::{error_message, response_end, response_start, success_start, EwsError};
use super::OpError;
use crate::ids::ObjectId;
use crate::xml::{Element, XmlWriter};

const FORMATS: [&str; 6] = [
    "EwsLegacyId",
    "EwsId",
    "EntryId",
    "HexEntryId",
    "StoreId",
    "OwaId",
];

/// `ConvertId`: one response message per source id.
pub fn convert_id(
    _ctx: &OpContext<'_>,
    request: &Element,
    writer: &mut XmlWriter,
) -> Result<(), OpError> {
    let destination = request.attr("DestinationFormat").unwrap_or("");
    if !FORMATS.contains(&destination) {
        return Err(super::soap::SoapFault::schema(format!(
            "'{destination}' is not an id format."
        ))
        .into());
    }
    let sources = required(request, "SourceIds")?;
    response_start(writer, "ConvertId");
    for source in &sources.children {
        match convert(source, destination) {
            Ok(converted) => {
                success_start(writer, "m:ConvertIdResponseMessage");
                writer.empty(
                    "m:AlternateId",
                    &[
                        ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
                        ("xsi:type", "t:AlternateIdType"),
                        ("Format", destination),
                        ("Id", &converted),
                        ("Mailbox", source.attr("Mailbox").unwrap_or("")),
                    ],
                );
                writer.close("m:ConvertIdResponseMessage");
            }
            Err(error) => error_message(writer, "m:ConvertIdResponseMessage", &error),
        }
    }
    response_end(writer, "ConvertId");
    Ok(())
}

fn convert(source: &Element, destination: &str) -> Result<String, EwsError> {
    if source.name != "AlternateId" {
        return Err(EwsError::new(
            "ErrorInvalidRequest",
            "Only mailbox ids (AlternateId) can be converted.",
        ));
    }
    let id = source.attr("Id").unwrap_or("");
    if id.is_empty() {
        return Err(EwsError::id_empty());
    }
    let raw = match source.attr("Format").unwrap_or("") {
        "HexEntryId" => hex::decode(id).map_err(|_| EwsError::id_malformed())?,
        format if FORMATS.contains(&format) => {
            STANDARD.decode(id).map_err(|_| EwsError::id_malformed())?
        }
        _ => return Err(EwsError::id_malformed()),
    };
    // Only ids this server issued convert; anything else is malformed, as on Exchange.
    ObjectId::decode(&STANDARD.encode(&raw)).map_err(|_| EwsError::id_malformed())?;
    Ok(match destination {
        "HexEntryId" => hex::encode_upper(&raw),
        _ => STANDARD.encode(&raw),
    })
}
