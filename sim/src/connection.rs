//! The connection file: everything a client needs to reach the simulated tenants.
//!
//! Written at start-up (mode 0600: it holds secrets) so any client, ours or not, can connect.

use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::Directory;

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Base URL of the admin API.
    pub admin_url: String,
    /// The tenants.
    pub tenants: Vec<TenantConnection>,
}

/// How to connect to one tenant.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TenantConnection {
    /// Short name (`source`, `destination`).
    pub name: String,
    /// Directory id.
    pub tenant_id: String,
    /// Initial domain.
    pub domain: String,
    /// App registration with `full_access_as_app`.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// Token endpoint.
    pub token_url: String,
    /// EWS endpoint.
    pub ews_url: String,
    /// Microsoft Graph's base URL (`http://…/v1.0`); tokens for it use the scope
    /// `https://graph.microsoft.com/.default`.
    #[serde(default)]
    pub graph_url: String,
    /// Delegated admin (impersonation and full access).
    pub admin_upn: String,
    /// Its password.
    pub admin_password: String,
    /// Primary addresses of the tenant's mailboxes.
    pub mailboxes: Vec<String>,
}

impl std::fmt::Debug for TenantConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantConnection")
            .field("name", &self.name)
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("token_url", &self.token_url)
            .field("ews_url", &self.ews_url)
            .field("graph_url", &self.graph_url)
            .field("admin_upn", &self.admin_upn)
            .field("admin_password", &"<redacted>")
            .field("mailboxes", &self.mailboxes.len())
            .finish()
    }
}

impl ConnectionInfo {
    /// Describes the directory as served at `address`.
    pub fn new(directory: &Directory, address: SocketAddr) -> ConnectionInfo {
        let base = format!("http://{address}");
        ConnectionInfo {
            admin_url: format!("{base}/admin"),
            tenants: directory
                .tenants()
                .iter()
                .map(|tenant| {
                    let app = tenant.apps.first();
                    let admin = tenant.admins.first();
                    TenantConnection {
                        name: tenant.name.clone(),
                        tenant_id: tenant.tenant_id.to_string(),
                        domain: tenant.domain.clone(),
                        client_id: app.map(|app| app.client_id.to_string()).unwrap_or_default(),
                        client_secret: app
                            .map(|app| app.client_secret.expose().to_string())
                            .unwrap_or_default(),
                        token_url: format!("{base}/{}/oauth2/v2.0/token", tenant.tenant_id),
                        ews_url: format!("{base}/EWS/Exchange.asmx"),
                        graph_url: format!("{base}/v1.0"),
                        admin_upn: admin.map(|admin| admin.upn.clone()).unwrap_or_default(),
                        admin_password: admin
                            .map(|admin| admin.password.expose().to_string())
                            .unwrap_or_default(),
                        mailboxes: tenant
                            .mailboxes()
                            .iter()
                            .map(|mailbox| mailbox.primary_address.clone())
                            .collect(),
                    }
                })
                .collect(),
        }
    }

    /// The tenant with this name.
    pub fn tenant(&self, name: &str) -> Option<&TenantConnection> {
        self.tenants.iter().find(|tenant| tenant.name == name)
    }

    /// Writes the file readable by its owner only, replacing any previous one atomically.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let temporary = path.with_extension("tmp");
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&temporary)?;
            file.write_all(&json)?;
            file.sync_all()?;
        }
        std::fs::rename(&temporary, path)
    }

    /// Reads a connection file.
    pub fn read(path: &Path) -> std::io::Result<ConnectionInfo> {
        let text = std::fs::read(path)?;
        serde_json::from_slice(&text).map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AdminAccount, AppRegistration, Secret, Tenant};

    #[test]
    fn each_tenant_has_both_endpoints_and_debug_hides_secrets() {
        let tenant = Tenant::new(
            "source".into(),
            uuid::Uuid::from_u128(7),
            "contoso.example".into(),
            vec![AppRegistration {
                client_id: uuid::Uuid::from_u128(8),
                client_secret: Secret::new("app-secret"),
                full_access_as_app: true,
                graph_mailbox_access: true,
            }],
            vec![AdminAccount {
                upn: "admin@contoso.example".into(),
                password: Secret::new("admin-password"),
                can_impersonate: true,
                full_access: true,
            }],
            vec![],
        );
        let info = ConnectionInfo::new(
            &Directory::new(vec![tenant]),
            "127.0.0.1:7300".parse().expect("address"),
        );
        let tenant = info.tenant("source").expect("tenant");
        assert_eq!(tenant.ews_url, "http://127.0.0.1:7300/EWS/Exchange.asmx");
        assert_eq!(tenant.graph_url, "http://127.0.0.1:7300/v1.0");
        let debug = format!("{tenant:?}");
        assert!(debug.contains("graph_url"), "{debug}");
        assert!(!debug.contains("app-secret") && !debug.contains("admin-password"));
    }
}
