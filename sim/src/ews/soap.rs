//! SOAP framing of replies: the envelope with `ServerVersionInfo`, faults, response messages.

use std::time::Duration;

use crate::throttle::Throttled;
use crate::xml::{XmlWriter, ERRORS_NS, MESSAGES_NS, SOAP_NS, TYPES_NS};

/// XML Schema's namespace, declared on `ServerVersionInfo` as Exchange does.
const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";

/// XML Schema instances' namespace, declared on `ServerVersionInfo` as Exchange does.
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The server version every reply reports, as Exchange Online does today.
const SERVER_VERSION: [(&str, &str); 5] = [
    ("MajorVersion", "15"),
    ("MinorVersion", "20"),
    ("MajorBuildNumber", "8769"),
    ("MinorBuildNumber", "35"),
    ("Version", "V2018_01_08"),
];

/// An error for one response message (`ResponseClass="Error"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EwsError {
    /// The `ResponseCode` (`ErrorItemNotFound`...).
    pub code: &'static str,
    /// The `MessageText`.
    pub text: String,
    /// `MessageXml` values (`BackOffMilliseconds`...).
    pub values: Vec<(&'static str, String)>,
}

impl EwsError {
    /// An error with a code and message text.
    pub fn new(code: &'static str, text: impl Into<String>) -> EwsError {
        EwsError {
            code,
            text: text.into(),
            values: Vec::new(),
        }
    }

    /// `ErrorItemNotFound`.
    pub fn item_not_found() -> EwsError {
        EwsError::new(
            "ErrorItemNotFound",
            "The specified object was not found in the store., The process failed to get the correct properties.",
        )
    }

    /// `ErrorFolderNotFound`.
    pub fn folder_not_found() -> EwsError {
        EwsError::new(
            "ErrorFolderNotFound",
            "The specified folder could not be found in the store.",
        )
    }

    /// `ErrorInvalidIdMalformed`.
    pub fn id_malformed() -> EwsError {
        EwsError::new("ErrorInvalidIdMalformed", "Id is malformed.")
    }

    /// `ErrorInvalidIdEmpty`.
    pub fn id_empty() -> EwsError {
        EwsError::new("ErrorInvalidIdEmpty", "Id must be non-empty.")
    }

    /// `ErrorServerBusy` with the back-off Exchange suggests, as a response message.
    pub fn server_busy(throttled: &Throttled) -> EwsError {
        EwsError {
            code: "ErrorServerBusy",
            text: busy_text(throttled),
            values: vec![(
                "BackOffMilliseconds",
                back_off_ms(throttled.back_off).to_string(),
            )],
        }
    }
}

/// A SOAP fault: the whole request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapFault {
    /// The EWS error code, used as `faultcode` and `ResponseCode`.
    pub code: &'static str,
    /// The `faultstring` and detail `Message`.
    pub text: String,
    /// `BackOffMilliseconds`, for `ErrorServerBusy`.
    pub back_off: Option<Duration>,
}

impl SoapFault {
    /// A fault with a code and text.
    pub fn new(code: &'static str, text: impl Into<String>) -> SoapFault {
        SoapFault {
            code,
            text: text.into(),
            back_off: None,
        }
    }

    /// `ErrorSchemaValidation`, for requests Exchange's schema check would refuse.
    pub fn schema(problem: impl std::fmt::Display) -> SoapFault {
        SoapFault::new(
            "ErrorSchemaValidation",
            format!("The request failed schema validation: {problem}"),
        )
    }

    /// `ErrorServerBusy` for a throttled request.
    pub fn server_busy(throttled: &Throttled) -> SoapFault {
        SoapFault {
            code: "ErrorServerBusy",
            text: "The server cannot service this request right now. Try again later.".into(),
            back_off: Some(throttled.back_off),
        }
    }

    /// Writes the fault as a whole envelope.
    pub fn write(&self, writer: &mut XmlWriter) {
        writer.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        writer.open("s:Envelope", &[("xmlns:s", SOAP_NS)]);
        writer.open("s:Body", &[]);
        writer.open("s:Fault", &[]);
        writer.leaf_with(
            "faultcode",
            &[("xmlns:a", TYPES_NS)],
            &format!("a:{}", self.code),
        );
        writer.leaf_with("faultstring", &[("xml:lang", "en-US")], &self.text);
        writer.open("detail", &[]);
        writer.leaf_with("e:ResponseCode", &[("xmlns:e", ERRORS_NS)], self.code);
        writer.leaf_with("e:Message", &[("xmlns:e", ERRORS_NS)], &self.text);
        if let Some(back_off) = self.back_off {
            writer.open("t:MessageXml", &[("xmlns:t", TYPES_NS)]);
            writer.leaf_with(
                "t:Value",
                &[("Name", "BackOffMilliseconds")],
                &back_off_ms(back_off).to_string(),
            );
            writer.close("t:MessageXml");
        }
        writer.close("detail");
        writer.close("s:Fault");
        writer.close("s:Body");
        writer.close("s:Envelope");
    }
}

/// Writes the envelope start, header with `ServerVersionInfo`, and body start.
pub fn envelope_start(writer: &mut XmlWriter) {
    writer.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    writer.open("s:Envelope", &[("xmlns:s", SOAP_NS)]);
    writer.open("s:Header", &[]);
    // Exchange Online's form: the version attributes, then `h`, `xsd` and `xsi` (no default
    // namespace, unlike Exchange 2016 on premises).
    let mut attrs: Vec<(&str, &str)> = SERVER_VERSION.to_vec();
    attrs.push(("xmlns:h", TYPES_NS));
    attrs.push(("xmlns:xsd", XSD_NS));
    attrs.push(("xmlns:xsi", XSI_NS));
    writer.empty("h:ServerVersionInfo", &attrs);
    writer.close("s:Header");
    writer.open("s:Body", &[]);
}

/// Writes the body and envelope end.
pub fn envelope_end(writer: &mut XmlWriter) {
    writer.close("s:Body");
    writer.close("s:Envelope");
}

/// Opens `<m:{operation}Response>` with the namespaces, and its `ResponseMessages`.
pub fn response_start(writer: &mut XmlWriter, operation: &str) {
    writer.open(
        &format!("m:{operation}Response"),
        &[("xmlns:m", MESSAGES_NS), ("xmlns:t", TYPES_NS)],
    );
    writer.open("m:ResponseMessages", &[]);
}

/// Closes what [`response_start`] opened.
pub fn response_end(writer: &mut XmlWriter, operation: &str) {
    writer.close("m:ResponseMessages");
    writer.close(&format!("m:{operation}Response"));
}

/// Opens a successful response message; the caller writes its content and closes `element`.
pub fn success_start(writer: &mut XmlWriter, element: &str) {
    writer.open(element, &[("ResponseClass", "Success")]);
    writer.leaf("m:ResponseCode", "NoError");
}

/// Writes a whole error response message.
pub fn error_message(writer: &mut XmlWriter, element: &str, error: &EwsError) {
    writer.open(element, &[("ResponseClass", "Error")]);
    writer.leaf("m:MessageText", &error.text);
    writer.leaf("m:ResponseCode", error.code);
    writer.leaf("m:DescriptiveLinkKey", "0");
    if !error.values.is_empty() {
        writer.open("m:MessageXml", &[]);
        for (name, value) in &error.values {
            writer.leaf_with("t:Value", &[("Name", name)], value);
        }
        writer.close("m:MessageXml");
    }
    // ItemInfoResponseMessageType requires Items even on error; Exchange sends it empty.
    if matches!(
        element,
        "m:GetItemResponseMessage" | "m:CreateItemResponseMessage" | "m:UpdateItemResponseMessage"
    ) {
        writer.empty("m:Items", &[]);
    }
    writer.close(element);
}

/// The message text Exchange Online writes for a throttled request.
pub fn busy_text(throttled: &Throttled) -> String {
    format!(
        "The server cannot service this request right now. Try again later., This operation exceeds the throttling budget for policy part '{}', policy value '{}',  Budget type: 'Ews'.  Suggested backoff time {} ms.",
        throttled.policy.exchange_part(),
        throttled.policy_value,
        back_off_ms(throttled.back_off)
    )
}

/// A back-off in whole milliseconds, at least 1.
pub fn back_off_ms(back_off: Duration) -> u128 {
    back_off.as_millis().max(1)
}
