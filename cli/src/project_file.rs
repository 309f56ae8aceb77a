//! The project file `ferry project create --file` reads: two tenants and options, in JSON.
//! Secrets may sit in the file or, better, in environment variables or files it names.
//!
//! ```json
//! {
//!   "name": "Contoso to Fabrikam",
//!   "source": { "tenant": "contoso.com", "api": "ews", "client_id": "…",
//!               "client_secret_env": "SOURCE_SECRET" },
//!   "destination": { "tenant": "fabrikam.com", "cloud": "worldwide", "client_id": "…",
//!                    "certificate_file": "app.pem", "private_key_file": "app.key" },
//!   "options": { "requests_per_second": 20 }
//! }
//! ```

use ferry_core::model::MailProtocol;
use std::path::Path;

use anyhow::{bail, Context};
use ferry_proto::v1;
use serde::Deserialize;

/// One tenant in the file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    /// `worldwide` (default), `us_government`, `us_government_dod`, `china`, `germany`.
    #[serde(default)]
    pub cloud: Option<String>,
    /// Tenant id or domain.
    pub tenant: String,
    /// `ews` (default) or `graph`.
    #[serde(default)]
    pub api: Option<String>,
    /// Overrides.
    #[serde(default)]
    pub token_url: String,
    /// Overrides (EWS endpoints).
    #[serde(default)]
    pub ews_url: String,
    /// Overrides (Graph endpoints).
    #[serde(default)]
    pub graph_url: String,
    /// Overrides.
    #[serde(default)]
    pub resource: String,
    /// Application id.
    pub client_id: String,
    /// App-only secret, inline.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// App-only secret, from this environment variable.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// App-only certificate (PEM file).
    #[serde(default)]
    pub certificate_file: Option<String>,
    /// Its private key (PEM file).
    #[serde(default)]
    pub private_key_file: Option<String>,
    /// Delegated admin UPN.
    #[serde(default)]
    pub username: Option<String>,
    /// Delegated admin password, inline.
    #[serde(default)]
    pub password: Option<String>,
    /// Delegated admin password, from this environment variable.
    #[serde(default)]
    pub password_env: Option<String>,
}

/// Options in the file (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionsFile {
    batch_items: Option<u32>,
    batch_bytes: Option<u64>,
    unit_items: Option<u32>,
    requests_per_second: Option<f64>,
    #[serde(default)]
    skip_permissions: bool,
    #[serde(default)]
    skip_rules: bool,
    /// Recipient mapping expressions: `"@contoso.com->@fabrikam.com"`, `"a@x.com->b@y.com"`.
    #[serde(default)]
    recipient_mapping: Vec<String>,
    /// Bytes per destination mailbox per import window (Exchange Online: 150 MB per 300 s).
    import_bytes_per_window: Option<u64>,
    /// The import window, in seconds.
    import_window_secs: Option<u64>,
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// Project name.
    pub name: String,
    /// Source tenant.
    pub source: TenantFile,
    /// Destination tenant.
    pub destination: TenantFile,
    /// Options.
    #[serde(default)]
    pub options: OptionsFile,
}

fn cloud(name: Option<&str>) -> anyhow::Result<v1::Cloud> {
    Ok(match name.unwrap_or("worldwide") {
        "worldwide" => v1::Cloud::Worldwide,
        "us_government" => v1::Cloud::UsGovernment,
        "us_government_dod" => v1::Cloud::UsGovernmentDod,
        "china" => v1::Cloud::China,
        "germany" => v1::Cloud::Germany,
        other => bail!("unknown cloud {other:?}"),
    })
}

/// The API's protocol for a file's `api` (none: the coordinator's default).
pub fn api(name: Option<&str>) -> anyhow::Result<v1::Api> {
    Ok(match name.map(str::to_ascii_lowercase).as_deref() {
        None => v1::Api::Unspecified,
        Some("ews") => v1::Api::Ews,
        Some("graph") => v1::Api::Graph,
        Some(other) => bail!("unknown api {other:?} (ews or graph)"),
    })
}

fn secret(
    inline: &Option<String>,
    env: &Option<String>,
    what: &str,
) -> anyhow::Result<Option<String>> {
    match (inline, env) {
        (Some(_), Some(_)) => bail!("give {what} inline or from an environment variable, not both"),
        (Some(value), None) => Ok(Some(value.clone())),
        (None, Some(variable)) => std::env::var(variable)
            .map(Some)
            .with_context(|| format!("{what}: environment variable {variable} is not set")),
        (None, None) => Ok(None),
    }
}

impl TenantFile {
    /// The API's endpoint.
    pub fn endpoint(&self, base: &Path) -> anyhow::Result<v1::Endpoint> {
        use v1::endpoint::Credentials;
        let read = |file: &str| {
            let path = base.join(file);
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
        };
        let client_secret = secret(
            &self.client_secret,
            &self.client_secret_env,
            "client_secret",
        )?;
        let password = secret(&self.password, &self.password_env, "password")?;
        let credentials = match (client_secret, &self.certificate_file, &self.username) {
            (Some(client_secret), None, None) => Credentials::ClientSecret(v1::ClientSecretCredentials {
                client_id: self.client_id.clone(),
                client_secret,
            }),
            (None, Some(certificate), None) => {
                let key = self
                    .private_key_file
                    .as_deref()
                    .context("certificate_file needs private_key_file")?;
                Credentials::Certificate(v1::CertificateCredentials {
                    client_id: self.client_id.clone(),
                    certificate_pem: read(certificate)?,
                    private_key_pem: read(key)?,
                })
            }
            (None, None, Some(username)) => Credentials::DelegatedAdmin(v1::DelegatedAdminCredentials {
                client_id: self.client_id.clone(),
                username: username.clone(),
                password: password.context("username needs password or password_env")?,
            }),
            _ => bail!("give exactly one of: client_secret(_env); certificate_file and private_key_file; username and password(_env)"),
        };
        Ok(v1::Endpoint {
            cloud: cloud(self.cloud.as_deref())? as i32,
            tenant: self.tenant.clone(),
            api: api(self.api.as_deref())? as i32,
            token_url: self.token_url.clone(),
            ews_url: self.ews_url.clone(),
            graph_url: self.graph_url.clone(),
            resource: self.resource.clone(),
            credentials: Some(credentials),
        })
    }
}

impl ProjectFile {
    /// Reads a project file.
    pub fn read(path: &Path) -> anyhow::Result<ProjectFile> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid project file", path.display()))
    }

    /// The API request, with files it names read relative to `base`.
    pub fn request(&self, base: &Path) -> anyhow::Result<v1::CreateProjectRequest> {
        let options = &self.options;
        Ok(v1::CreateProjectRequest {
            name: self.name.clone(),
            source: Some(self.source.endpoint(base).context("source")?),
            destination: Some(self.destination.endpoint(base).context("destination")?),
            options: Some(v1::ProjectOptions {
                batch_items: options.batch_items.unwrap_or(0),
                batch_bytes: options.batch_bytes.unwrap_or(0),
                unit_items: options.unit_items.unwrap_or(0),
                requests_per_second: options.requests_per_second.unwrap_or(0.0),
                skip_permissions: options.skip_permissions,
                skip_rules: options.skip_rules,
                recipient_mapping: options.recipient_mapping.clone(),
                import_bytes_per_window: options.import_bytes_per_window.unwrap_or(0),
                import_window_secs: options.import_window_secs.unwrap_or(0),
            }),
        })
    }
}

/// A protocol named on the command line (`ews` or `graph`).
pub fn parse_protocol(name: &str) -> Result<MailProtocol, String> {
    MailProtocol::parse(name).ok_or_else(|| format!("unknown api {name:?} (ews or graph)"))
}

/// A project request for the two tenants of a `ferry sim` connection file (app-only secrets),
/// both endpoints over `api`.
pub fn request_from_sim(
    connection: &ferry_sim::ConnectionInfo,
    name: &str,
    api: MailProtocol,
) -> anyhow::Result<v1::CreateProjectRequest> {
    request_from_sim_over(connection, name, api, api)
}

/// [`request_from_sim`] with each endpoint over its own protocol.
pub fn request_from_sim_over(
    connection: &ferry_sim::ConnectionInfo,
    name: &str,
    source_api: MailProtocol,
    destination_api: MailProtocol,
) -> anyhow::Result<v1::CreateProjectRequest> {
    let tenant = |wanted: &str| {
        connection
            .tenants
            .iter()
            .find(|tenant| tenant.name == wanted)
            .with_context(|| format!("the connection file has no {wanted} tenant"))
    };
    // The simulator issues tokens for Exchange Online's and Graph's own resources, like the real
    // service, so only the URLs are overridden.
    let url = |wanted: bool, url: &str| {
        if wanted {
            url.to_string()
        } else {
            String::new()
        }
    };
    let endpoint = |tenant: &ferry_sim::TenantConnection, api: MailProtocol| {
        let speaks_ews = api == MailProtocol::Ews;
        v1::Endpoint {
            cloud: v1::Cloud::Worldwide as i32,
            tenant: tenant.domain.clone(),
            api: ferry_core::wire::protocol_to_proto(api) as i32,
            token_url: tenant.token_url.clone(),
            ews_url: url(speaks_ews, &tenant.ews_url),
            graph_url: url(!speaks_ews, &tenant.graph_url),
            resource: String::new(),
            credentials: Some(v1::endpoint::Credentials::ClientSecret(
                v1::ClientSecretCredentials {
                    client_id: tenant.client_id.clone(),
                    client_secret: tenant.client_secret.clone(),
                },
            )),
        }
    };
    Ok(v1::CreateProjectRequest {
        name: name.to_string(),
        source: Some(endpoint(tenant("source")?, source_api)),
        destination: Some(endpoint(tenant("destination")?, destination_api)),
        options: None,
    })
}
