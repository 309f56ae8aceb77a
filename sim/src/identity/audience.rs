//! Which service a token is for, decided by the scope a client asks for: EWS
//! (`https://outlook.office365.com`) or Microsoft Graph (`https://graph.microsoft.com`).
//!
//! Entra ID issues a token for one resource; Exchange Online refuses a Graph token and Graph
//! refuses an EWS one, so a client that mixes them up fails here as it would against a real
//! tenant. A Graph app token carries the application roles the mailbox import/export API and
//! the users API's inbox rules, calendar permissions and mail folders need (when the app has
//! admin consent for them), as `full_access_as_app` is carried for EWS.

/// The service a token was issued for (its `aud` claim).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Exchange Web Services.
    Ews,
    /// Microsoft Graph.
    Graph,
}

/// The application roles a consented app's Graph token carries: everything the mailbox
/// import/export API and mailbox discovery need (deleting an item needs
/// `MailboxItem.ReadWrite.All`, the others do not grant it), and the users API's inbox rules,
/// calendar permissions and mail folders.
pub const GRAPH_APP_ROLES: [&str; 8] = [
    "Calendars.ReadWrite",
    "Mail.ReadBasic.All",
    "MailboxFolder.ReadWrite.All",
    "MailboxItem.ImportExport.All",
    "MailboxItem.Read.All",
    "MailboxItem.ReadWrite.All",
    "MailboxSettings.ReadWrite",
    "User.Read.All",
];

/// The delegated permissions a signed-in admin's Graph token carries (`scp`).
pub const GRAPH_DELEGATED_SCOPES: [&str; 8] = [
    "Calendars.ReadWrite",
    "Mail.ReadBasic",
    "MailboxFolder.ReadWrite",
    "MailboxItem.ImportExport",
    "MailboxItem.Read",
    "MailboxItem.ReadWrite",
    "MailboxSettings.ReadWrite",
    "User.Read.All",
];

/// The EWS delegated scope's permission name.
pub const EWS_DELEGATED_PERMISSION: &str = EWS_DELEGATED_SCOPE;

/// The EWS delegated scope.
const EWS_DELEGATED_SCOPE: &str = "EWS.AccessAsUser.All";

/// OpenID Connect scopes that name no resource; Entra ID accepts them beside a resource's scope.
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "offline_access", "email"];

/// Why a scope was refused: the AADSTS code and the description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeError {
    /// The AADSTS code.
    pub code: u32,
    /// The description (without the `AADSTSnnnn: ` prefix).
    pub description: String,
}

/// The two resources the simulator issues tokens for.
#[derive(Debug, Clone)]
pub struct Resources {
    ews: String,
    graph: String,
}

impl Resources {
    /// The resources, as configured (`identity.resource`, `identity.graph_resource`).
    pub fn new(ews: &str, graph: &str) -> Resources {
        Resources {
            ews: ews.trim_end_matches('/').to_ascii_lowercase(),
            graph: graph.trim_end_matches('/').to_ascii_lowercase(),
        }
    }

    /// The resource URI of an audience, as the token's `aud` claim names it.
    pub fn resource(&self, audience: Audience) -> &str {
        match audience {
            Audience::Ews => &self.ews,
            Audience::Graph => &self.graph,
        }
    }

    /// The audience of a client-credentials scope, which must be `<resource>/.default`.
    pub fn app_scope(&self, scope: &str) -> Result<Audience, ScopeError> {
        let scope = scope.trim().to_ascii_lowercase();
        let audience = if scope == format!("{}/.default", self.ews)
            || (self.ews == "https://outlook.office365.com"
                && scope == "https://outlook.office.com/.default")
        {
            Some(Audience::Ews)
        } else if scope == format!("{}/.default", self.graph) {
            Some(Audience::Graph)
        } else {
            None
        };
        audience.ok_or_else(|| ScopeError {
            code: 1002012,
            description: format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        })
    }

    /// The audience of a delegated (password) scope list and the scope granted. Every scope must
    /// name the same resource, as Entra ID issues a token for one resource only.
    pub fn delegated_scope(&self, scope: &str) -> Result<(Audience, String), ScopeError> {
        let invalid = || {
            ScopeError {
            code: 70011,
            description: format!(
                "The provided value for the input parameter 'scope' is not valid. The scope '{scope}' does not exist."
            ),
        }
        };
        let mut audiences = Vec::new();
        for requested in scope.split_whitespace() {
            let lower = requested.to_ascii_lowercase();
            if OIDC_SCOPES.contains(&lower.as_str()) {
                continue;
            }
            let audience = if let Some(name) = lower.strip_prefix(&format!("{}/", self.ews)) {
                (name == ".default" || name == EWS_DELEGATED_SCOPE.to_ascii_lowercase())
                    .then_some(Audience::Ews)
            } else if let Some(name) = lower.strip_prefix(&format!("{}/", self.graph)) {
                (name == ".default"
                    || GRAPH_DELEGATED_SCOPES
                        .iter()
                        .any(|known| known.eq_ignore_ascii_case(name)))
                .then_some(Audience::Graph)
            } else {
                None
            };
            let audience = audience.ok_or_else(invalid)?;
            if !audiences.contains(&audience) {
                audiences.push(audience);
            }
        }
        match audiences.as_slice() {
            [Audience::Ews] => Ok((Audience::Ews, format!("{}/{EWS_DELEGATED_SCOPE}", self.ews))),
            [Audience::Graph] => Ok((
                Audience::Graph,
                GRAPH_DELEGATED_SCOPES
                    .iter()
                    .map(|name| format!("{}/{name}", self.graph))
                    .collect::<Vec<_>>()
                    .join(" "),
            )),
            [] => Err(invalid()),
            _ => Err(ScopeError {
                code: 28000,
                description: "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ".to_string()
                    + scope
                    + " is not valid.",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resources() -> Resources {
        Resources::new(
            "https://outlook.office365.com",
            "https://graph.microsoft.com/",
        )
    }

    #[test]
    fn app_scopes_name_one_resource() {
        let resources = resources();
        assert_eq!(
            resources.app_scope("https://outlook.office365.com/.default"),
            Ok(Audience::Ews)
        );
        assert_eq!(
            resources.app_scope("https://Graph.Microsoft.com/.default"),
            Ok(Audience::Graph)
        );
        assert_eq!(
            resources
                .app_scope("https://graph.microsoft.com/User.Read.All")
                .expect_err("not .default")
                .code,
            1002012
        );
    }

    #[test]
    fn delegated_scopes_may_not_mix_resources() {
        let resources = resources();
        let (audience, granted) = resources
            .delegated_scope("https://graph.microsoft.com/.default offline_access")
            .expect("graph");
        assert_eq!(audience, Audience::Graph);
        assert!(granted.contains("https://graph.microsoft.com/MailboxItem.ImportExport"));
        assert_eq!(
            resources
                .delegated_scope("https://outlook.office365.com/EWS.AccessAsUser.All")
                .expect("ews")
                .0,
            Audience::Ews
        );
        let mixed = resources
            .delegated_scope(
                "https://outlook.office365.com/EWS.AccessAsUser.All https://graph.microsoft.com/.default",
            )
            .expect_err("two resources");
        assert_eq!(mixed.code, 28000);
        assert_eq!(
            resources
                .delegated_scope("https://graph.microsoft.com/Mail.Send")
                .expect_err("unknown")
                .code,
            70011
        );
    }
}
