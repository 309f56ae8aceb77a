//! The frame of every reply: the envelope, `ServerVersionInfo`, SOAP faults, and the response
//! messages, read one at a time.

use std::time::Duration;

use super::reader::{ReplyReader, Tag};
use super::tree::{read_element, Element};
use crate::types::ServerVersion;
use crate::EwsError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// Inside the `{Operation}Response` element, before `ResponseMessages`.
    InResponse,
    /// Inside `ResponseMessages`.
    InMessages,
    /// Past the last message.
    Done,
}

/// A reply whose envelope has been read up to its response element.
pub struct Reply {
    reader: ReplyReader,
    /// What the server said about itself.
    pub server_version: Option<ServerVersion>,
    /// The response element (`GetItemResponse`...), with its attributes.
    pub response: Tag,
    position: Position,
    binary_limit: usize,
}

impl Reply {
    /// Reads the envelope up to the response element. A SOAP fault becomes its classified error.
    pub async fn open(mut reader: ReplyReader, binary_limit: usize) -> Result<Reply, EwsError> {
        let envelope = reader
            .next_child()
            .await
            .map_err(|_| malformed("the reply is not XML"))?
            .ok_or_else(|| malformed("the reply has no envelope"))?;
        if envelope.name != "Envelope" {
            return Err(malformed(format!(
                "the reply's root is {}, not a SOAP Envelope",
                envelope.name
            )));
        }
        let mut server_version = None;
        loop {
            let Some(part) = reader.next_child().await? else {
                return Err(malformed("the envelope has no Body"));
            };
            match part.name.as_str() {
                "Header" => {
                    let header = read_element(&mut reader, part, 0).await?;
                    server_version = header.child("ServerVersionInfo").map(server_version_of);
                }
                "Body" => {
                    let Some(content) = reader.next_child().await? else {
                        return Err(malformed("the reply body is empty"));
                    };
                    if content.name == "Fault" {
                        let fault = read_element(&mut reader, content, 0).await?;
                        return Err(fault_error(&fault));
                    }
                    return Ok(Reply {
                        reader,
                        server_version,
                        response: content,
                        position: Position::InResponse,
                        binary_limit,
                    });
                }
                _ => reader.skip().await?,
            }
        }
    }

    /// The operation the reply answers (`GetItem` for `GetItemResponse`).
    pub fn operation(&self) -> &str {
        self.response
            .name
            .strip_suffix("Response")
            .unwrap_or(&self.response.name)
    }

    /// The next response message, or `None` after the last.
    pub async fn next_message(&mut self) -> Result<Option<Element>, EwsError> {
        loop {
            match self.position {
                Position::Done => return Ok(None),
                Position::InResponse => match self.reader.next_child().await? {
                    Some(tag) if tag.name == "ResponseMessages" => {
                        self.position = Position::InMessages
                    }
                    Some(_) => self.reader.skip().await?,
                    None => self.position = Position::Done,
                },
                Position::InMessages => match self.reader.next_child().await? {
                    Some(tag) => {
                        return read_element(&mut self.reader, tag, self.binary_limit)
                            .await
                            .map(Some)
                    }
                    None => self.position = Position::InResponse,
                },
            }
        }
    }

    /// The whole response element as one message (operations without `ResponseMessages`, such
    /// as `GetInboxRules`).
    pub async fn single_message(mut self) -> Result<Element, EwsError> {
        let tag = self.response.clone();
        read_element(&mut self.reader, tag, self.binary_limit).await
    }
}

/// The status part of a response message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `Success`, `Warning` or `Error`.
    pub class: String,
    /// `ResponseCode`.
    pub code: Option<String>,
    /// `MessageText`.
    pub text: String,
    /// `BackOffMilliseconds` from `MessageXml`.
    pub back_off: Option<Duration>,
}

impl Status {
    /// Reads the status of a message element.
    pub fn of(message: &Element) -> Status {
        Status {
            class: message
                .attr("ResponseClass")
                .unwrap_or("Success")
                .to_string(),
            code: message.child_text("ResponseCode").map(str::to_string),
            text: message
                .child_text("MessageText")
                .unwrap_or_default()
                .to_string(),
            back_off: back_off_of(message.child("MessageXml")),
        }
    }

    /// The error the message reports, if it failed.
    pub fn error(&self) -> Option<EwsError> {
        let failed =
            self.class == "Error" || self.code.as_deref().is_some_and(|code| code != "NoError");
        failed.then(|| {
            EwsError::from_response_code(
                self.code.as_deref().unwrap_or("ErrorUnknown"),
                &self.text,
                self.back_off,
            )
        })
    }

    /// `Ok(())` for success, the classified error otherwise.
    pub fn check(&self) -> Result<(), EwsError> {
        match self.error() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

fn back_off_of(message_xml: Option<&Element>) -> Option<Duration> {
    message_xml?
        .children_named("Value")
        .find(|value| value.attr("Name") == Some("BackOffMilliseconds"))
        .and_then(|value| value.text.trim().parse::<u64>().ok())
        .map(Duration::from_millis)
}

fn server_version_of(info: &Element) -> ServerVersion {
    let number = |name: &str| {
        info.attr(name)
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    ServerVersion {
        major: number("MajorVersion"),
        minor: number("MinorVersion"),
        major_build: number("MajorBuildNumber"),
        minor_build: number("MinorBuildNumber"),
        version: info.attr("Version").map(str::to_string),
    }
}

/// Classifies a SOAP fault by the EWS code in its detail (or its `faultcode`).
pub fn fault_error(fault: &Element) -> EwsError {
    let detail = fault.child("detail");
    let code = detail
        .and_then(|detail| detail.child_text("ResponseCode"))
        .filter(|code| !code.is_empty())
        .map(str::to_string)
        .or_else(|| {
            fault
                .child_text("faultcode")
                .map(|code| code.rsplit(':').next().unwrap_or(code).trim().to_string())
        })
        .unwrap_or_else(|| "ErrorUnknown".into());
    let message = detail
        .and_then(|detail| detail.child_text("Message"))
        .or_else(|| fault.child_text("faultstring"))
        .unwrap_or_default();
    let back_off = back_off_of(detail.and_then(|detail| detail.child("MessageXml")));
    match code.as_str() {
        // SOAP's own codes: the server failed (retry) or refused the request (do not).
        "Server" => EwsError::Transient {
            message: message.to_string(),
            retry_after: back_off,
        },
        _ => EwsError::from_response_code(&code, message, back_off),
    }
}

fn malformed(problem: impl Into<String>) -> EwsError {
    EwsError::MalformedReply(problem.into())
}
