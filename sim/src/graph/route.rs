//! Which resource a `/v1.0/...` path names, and whether the method applies to it.
//!
//! Segments are percent-decoded (msgraph-sdk writes `MBX%3A…%40…` and `…%3D`), and OData's
//! key-in-parentheses form (`mailboxes('MBX:…')`, `folders('Inbox')`) is read like a path
//! segment. Functions may be written `delta`, `delta()` or `microsoft.graph.delta()`, actions
//! with or without the `microsoft.graph.` namespace. An unknown path is 404 and a known one
//! with another method 405 with `Allow`: Graph's documents are silent on both, so the codes
//! follow HTTP.

use axum::http::Method;

use super::error::GraphError;

/// A folder reached from the mailbox: `folders/{id}` then any `childFolders/{id}`, each a
/// child of the one before. Ids may be well-known names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderPath(pub Vec<String>);

/// A resource under `/v1.0/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `users/{id}/settings/exchange`.
    ExchangeSettings(String),
    /// Something under `admin/exchange/mailboxes/{id}/`.
    Mailbox(String, MailboxResource),
    /// Something of the users API under `users/{id | upn}/`.
    User(String, UserResource),
}

/// A resource of the users API, reached through a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserResource {
    /// `mailFolders/{id | well-known name}` (GET).
    MailFolder(String),
    /// `mailFolders/inbox/messageRules` (GET, POST).
    MessageRules,
    /// `mailFolders/inbox/messageRules/{id}` (GET, PATCH, DELETE).
    MessageRule(String),
    /// `calendar/calendarPermissions` (GET, POST).
    CalendarPermissions,
    /// `calendar/calendarPermissions/{id}` (GET, PATCH, DELETE).
    CalendarPermission(String),
    /// `translateExchangeIds` (POST).
    TranslateExchangeIds,
}

impl UserResource {
    /// The methods the resource takes.
    pub fn methods(&self) -> &'static [Method] {
        match self {
            UserResource::MailFolder(_) => &[Method::GET],
            UserResource::MessageRules | UserResource::CalendarPermissions => {
                &[Method::GET, Method::POST]
            }
            UserResource::MessageRule(_) | UserResource::CalendarPermission(_) => {
                &[Method::GET, Method::PATCH, Method::DELETE]
            }
            UserResource::TranslateExchangeIds => &[Method::POST],
        }
    }
}

/// A resource of one mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxResource {
    /// `folders`: every folder (GET), or a new top-level folder (POST).
    Folders,
    /// `folders/$count`.
    FolderCount,
    /// `folders/delta`.
    FolderDelta,
    /// A folder (GET, PATCH, DELETE).
    Folder(FolderPath),
    /// `…/$ref` of a folder (DELETE).
    FolderRef(FolderPath),
    /// `…/childFolders` (GET, POST).
    ChildFolders(FolderPath),
    /// `…/childFolders/$count`.
    ChildFolderCount(FolderPath),
    /// `…/childFolders/delta`.
    ChildFolderDelta(FolderPath),
    /// `…/items`.
    Items(FolderPath),
    /// `…/items/$count`.
    ItemCount(FolderPath),
    /// `…/items/delta`.
    ItemDelta(FolderPath),
    /// `…/items/{id}` (GET, DELETE).
    Item(FolderPath, String),
    /// `exportItems` (POST).
    ExportItems,
    /// `createImportSession` (POST).
    CreateImportSession,
}

impl MailboxResource {
    /// The methods the resource takes.
    pub fn methods(&self) -> &'static [Method] {
        match self {
            MailboxResource::Folders | MailboxResource::ChildFolders(_) => {
                &[Method::GET, Method::POST]
            }
            MailboxResource::Folder(_) => &[Method::GET, Method::PATCH, Method::DELETE],
            MailboxResource::FolderRef(_) => &[Method::DELETE],
            MailboxResource::Item(..) => &[Method::GET, Method::DELETE],
            MailboxResource::ExportItems | MailboxResource::CreateImportSession => &[Method::POST],
            _ => &[Method::GET],
        }
    }
}

/// Decodes `%XX` escapes; a malformed escape is kept as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let (high, low) = (bytes[index + 1], bytes[index + 2]);
            if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() {
                let digit = |byte: u8| (byte as char).to_digit(16).unwrap_or(0) as u8;
                decoded.push(digit(high) * 16 + digit(low));
                index += 3;
                continue;
            }
        }
        decoded.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// The path's segments after `/v1.0/`, decoded, with `name('key')` split into `name`, `key`.
pub fn segments(path: &str) -> Vec<String> {
    let mut segments = Vec::new();
    for raw in path.split('/').filter(|segment| !segment.is_empty()) {
        let segment = percent_decode(raw);
        match key_in_parentheses(&segment) {
            Some((name, key)) => {
                segments.push(name.to_string());
                segments.push(key);
            }
            None => segments.push(segment),
        }
    }
    segments
}

fn key_in_parentheses(segment: &str) -> Option<(&str, String)> {
    let open = segment.find("('")?;
    let key = segment[open + 2..].strip_suffix("')")?;
    let name = &segment[..open];
    (!name.is_empty() && name.chars().all(|ch| ch.is_ascii_alphanumeric()))
        .then(|| (name, key.replace("''", "'")))
}

fn is_function(segment: &str, name: &str) -> bool {
    let segment = segment.strip_prefix("microsoft.graph.").unwrap_or(segment);
    let segment = segment.strip_suffix("()").unwrap_or(segment);
    segment == name
}

/// Parses the segments after `/v1.0/` and checks the method.
pub fn parse(method: &Method, segments: &[String]) -> Result<Resource, GraphError> {
    let words: Vec<&str> = segments.iter().map(String::as_str).collect();
    let not_found = || {
        GraphError::new(
            404,
            "ResourceNotFound",
            format!(
                "Resource not found for the segment '{}'.",
                segments.last().map(String::as_str).unwrap_or("v1.0")
            ),
        )
    };
    let lower: Vec<String> = words.iter().map(|word| word.to_ascii_lowercase()).collect();
    let resource = match lower
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["users", _, "settings", "exchange"] => {
            if *method != Method::GET {
                return Err(not_allowed(method, &[Method::GET]));
            }
            return Ok(Resource::ExchangeSettings(words[1].to_string()));
        }
        ["users", _, rest @ ..] if !rest.is_empty() => {
            let resource = user_resource(&words[2..], rest).ok_or_else(not_found)?;
            if !resource.methods().contains(method) {
                return Err(not_allowed(method, resource.methods()));
            }
            return Ok(Resource::User(words[1].to_string(), resource));
        }
        ["admin", "exchange", "mailboxes", _, ..] => {
            mailbox_resource(&words[4..], &lower[4..]).ok_or_else(not_found)?
        }
        _ => return Err(not_found()),
    };
    if !resource.methods().contains(method) {
        return Err(not_allowed(method, resource.methods()));
    }
    Ok(Resource::Mailbox(words[3].to_string(), resource))
}

/// The users API's resources; `messageRules` live on the Inbox only (`inbox`, any case).
fn user_resource(words: &[&str], lower: &[&str]) -> Option<UserResource> {
    Some(match lower {
        [function] if is_function(function, "translateexchangeids") => {
            UserResource::TranslateExchangeIds
        }
        ["mailfolders", _] => UserResource::MailFolder(words[1].to_string()),
        ["mailfolders", "inbox", "messagerules"] => UserResource::MessageRules,
        ["mailfolders", "inbox", "messagerules", _] => {
            UserResource::MessageRule(words[3].to_string())
        }
        ["calendar", "calendarpermissions"] => UserResource::CalendarPermissions,
        ["calendar", "calendarpermissions", _] => {
            UserResource::CalendarPermission(words[2].to_string())
        }
        _ => return None,
    })
}

fn mailbox_resource(words: &[&str], lower: &[String]) -> Option<MailboxResource> {
    let first = lower.first()?.as_str();
    if words.len() == 1 {
        if is_function(first, "exportitems") {
            return Some(MailboxResource::ExportItems);
        }
        if is_function(first, "createimportsession") {
            return Some(MailboxResource::CreateImportSession);
        }
    }
    if first != "folders" {
        return None;
    }
    match lower.get(1).map(String::as_str) {
        None => return Some(MailboxResource::Folders),
        Some("$count") if words.len() == 2 => return Some(MailboxResource::FolderCount),
        Some(word) if words.len() == 2 && is_function(word, "delta") => {
            return Some(MailboxResource::FolderDelta)
        }
        _ => {}
    }
    let mut path = vec![words[1].to_string()];
    let mut index = 2;
    while lower.get(index).map(String::as_str) == Some("childfolders") && index + 1 < words.len() {
        let next = &lower[index + 1];
        if next == "$count" || is_function(next, "delta") {
            break;
        }
        path.push(words[index + 1].to_string());
        index += 2;
    }
    let path = FolderPath(path);
    let rest: Vec<&str> = lower[index..].iter().map(String::as_str).collect();
    Some(match rest.as_slice() {
        [] => MailboxResource::Folder(path),
        ["$ref"] => MailboxResource::FolderRef(path),
        ["childfolders"] => MailboxResource::ChildFolders(path),
        ["childfolders", "$count"] => MailboxResource::ChildFolderCount(path),
        ["childfolders", word] if is_function(word, "delta") => {
            MailboxResource::ChildFolderDelta(path)
        }
        ["items"] => MailboxResource::Items(path),
        ["items", "$count"] => MailboxResource::ItemCount(path),
        ["items", word] if is_function(word, "delta") => MailboxResource::ItemDelta(path),
        ["items", _] => MailboxResource::Item(path, words[index + 1].to_string()),
        _ => return None,
    })
}

fn not_allowed(method: &Method, allowed: &[Method]) -> GraphError {
    let names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    GraphError::new(
        405,
        "MethodNotAllowed",
        format!(
            "The HTTP method '{method}' is not allowed on this resource; it takes {}.",
            names.join(", ")
        ),
    )
    .with_header("allow", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(method: Method, path: &str) -> Result<Resource, GraphError> {
        parse(&method, &segments(path))
    }

    #[test]
    fn reads_every_form_of_the_paths() {
        let mailbox = |resource| Ok(Resource::Mailbox("MBX:e0643f21@a7809c93".into(), resource));
        let path = |ids: &[&str]| FolderPath(ids.iter().map(|id| id.to_string()).collect());
        assert_eq!(
            route(
                Method::GET,
                "admin/exchange/mailboxes/MBX%3Ae0643f21%40a7809c93/folders"
            ),
            mailbox(MailboxResource::Folders)
        );
        assert_eq!(
            route(
                Method::GET,
                "admin/exchange/mailboxes('MBX:e0643f21@a7809c93')/folders('Inbox')/items"
            ),
            mailbox(MailboxResource::Items(path(&["Inbox"])))
        );
        assert_eq!(
            route(
                Method::GET,
                "admin/exchange/mailboxes/MBX:e0643f21@a7809c93/folders/delta()"
            ),
            mailbox(MailboxResource::FolderDelta)
        );
        assert_eq!(
            route(Method::DELETE, "admin/exchange/mailboxes/MBX:e0643f21@a7809c93/folders/inbox/childFolders/AQ%3D%3D/$ref"),
            mailbox(MailboxResource::FolderRef(path(&["inbox", "AQ=="])))
        );
        assert_eq!(
            route(Method::GET, "admin/exchange/mailboxes/MBX:e0643f21@a7809c93/folders/a/childFolders/b/items/microsoft.graph.delta()"),
            mailbox(MailboxResource::ItemDelta(path(&["a", "b"])))
        );
        assert_eq!(
            route(
                Method::DELETE,
                "admin/exchange/mailboxes/MBX:e0643f21@a7809c93/folders/a/items/x-y_z="
            ),
            mailbox(MailboxResource::Item(path(&["a"]), "x-y_z=".into()))
        );
        assert_eq!(
            route(
                Method::POST,
                "admin/exchange/mailboxes/MBX:e0643f21@a7809c93/microsoft.graph.exportItems"
            ),
            mailbox(MailboxResource::ExportItems)
        );
        let user = |resource| Ok(Resource::User("megan@contoso.com".into(), resource));
        assert_eq!(
            route(
                Method::POST,
                "users/megan%40contoso.com/mailFolders('Inbox')/messageRules"
            ),
            user(UserResource::MessageRules)
        );
        assert_eq!(
            route(
                Method::PATCH,
                "users/megan@contoso.com/mailFolders/inbox/messageRules/AQAAAA%3D%3D"
            ),
            user(UserResource::MessageRule("AQAAAA==".into()))
        );
        assert_eq!(
            route(
                Method::DELETE,
                "users/megan@contoso.com/calendar/calendarPermissions/RGVmYXVsdA%3D%3D"
            ),
            user(UserResource::CalendarPermission("RGVmYXVsdA==".into()))
        );
        assert_eq!(
            route(
                Method::POST,
                "users/megan@contoso.com/microsoft.graph.translateExchangeIds"
            ),
            user(UserResource::TranslateExchangeIds)
        );
        assert_eq!(
            route(Method::GET, "users/megan@contoso.com/mailFolders/AAMkAG-_="),
            user(UserResource::MailFolder("AAMkAG-_=".into()))
        );
        assert!(route(Method::GET, "users/megan@contoso.com/translateExchangeIds").is_err());
        assert!(route(
            Method::GET,
            "users/megan@contoso.com/mailFolders/drafts/messageRules"
        )
        .is_err());
        assert_eq!(
            route(Method::GET, "users/megan%40contoso.com/settings/exchange"),
            Ok(Resource::ExchangeSettings("megan@contoso.com".into()))
        );
    }

    #[test]
    fn unknown_paths_and_methods_are_refused() {
        let error =
            route(Method::GET, "admin/exchange/mailboxes/MBX:a@b/calendars").expect_err("unknown");
        assert_eq!((error.status, error.code), (404, "ResourceNotFound"));
        let error =
            route(Method::PUT, "admin/exchange/mailboxes/MBX:a@b/folders").expect_err("method");
        assert_eq!(error.status, 405);
        assert!(error
            .headers
            .iter()
            .any(|(name, value)| *name == "allow" && value == "GET, POST"));
        assert!(route(Method::GET, "me/messages").is_err());
    }
}
