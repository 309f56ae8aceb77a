//! Turning API requests into domain values, refusing bad ones with the name of the field at
//! fault (`source.client_secret.client_id: required`).

use chrono::{DateTime, Utc};
use ferry_auth::ClientCertificate;
use ferry_core::mapping::RecipientMapping;
use ferry_core::model::{ApiSettings, Cloud, MailProtocol};
use ferry_core::model::{
    CredentialConfig, EndpointConfig, MailboxId, PassKind, ProjectId, ProjectOptions,
};
use ferry_core::wire::{cloud_from_proto, datetime, pass_kind_from_proto, protocol_from_proto};
use ferry_proto::v1;

use crate::error::CoordinatorError;

/// A project to create.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// Name.
    pub name: String,
    /// Source tenant.
    pub source: EndpointConfig,
    /// Destination tenant.
    pub destination: EndpointConfig,
    /// Options.
    pub options: ProjectOptions,
}

/// A pass to start.
#[derive(Debug, Clone)]
pub struct NewPass {
    /// Project.
    pub project: ProjectId,
    /// Kind.
    pub kind: PassKind,
    /// Mailboxes; all of the project's when empty.
    pub mailboxes: Vec<MailboxId>,
    /// Pre-stage cut-off.
    pub received_before: Option<DateTime<Utc>>,
}

fn required(field: &str, value: &str) -> Result<String, CoordinatorError> {
    let value = value.trim();
    if value.is_empty() {
        Err(CoordinatorError::invalid(field, "required"))
    } else {
        Ok(value.to_string())
    }
}

/// A project id from a request.
pub fn project_id(field: &str, value: &str) -> Result<ProjectId, CoordinatorError> {
    required(field, value).map(ProjectId)
}

/// A mailbox id from a request.
pub fn mailbox_id(field: &str, value: &str) -> Result<MailboxId, CoordinatorError> {
    required(field, value).map(MailboxId)
}

fn url(field: &str, value: &str, default: String) -> Result<String, CoordinatorError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(default);
    }
    let valid = (value.starts_with("https://") || value.starts_with("http://"))
        && value.len() > "https://".len()
        && !value.chars().any(char::is_whitespace);
    if valid {
        Ok(value.to_string())
    } else {
        Err(CoordinatorError::invalid(
            field,
            format!("{value:?} is not an http(s) URL"),
        ))
    }
}

/// An SMTP address from a request, trimmed.
pub fn address(field: &str, value: &str) -> Result<String, CoordinatorError> {
    let value = required(field, value)?;
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && value.len() <= 320
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if valid {
        Ok(value)
    } else {
        Err(CoordinatorError::invalid(
            field,
            format!("{value:?} is not an email address"),
        ))
    }
}

fn credentials(field: &str, endpoint: &v1::Endpoint) -> Result<CredentialConfig, CoordinatorError> {
    use v1::endpoint::Credentials;
    match &endpoint.credentials {
        None => Err(CoordinatorError::invalid(
            format!("{field}.credentials"),
            "required: client_secret, certificate or delegated_admin",
        )),
        Some(Credentials::ClientSecret(secret)) => Ok(CredentialConfig::ClientSecret {
            client_id: required(
                &format!("{field}.client_secret.client_id"),
                &secret.client_id,
            )?,
            client_secret: required(
                &format!("{field}.client_secret.client_secret"),
                &secret.client_secret,
            )?,
        }),
        Some(Credentials::Certificate(certificate)) => {
            let client_id = required(
                &format!("{field}.certificate.client_id"),
                &certificate.client_id,
            )?;
            let certificate_pem = required(
                &format!("{field}.certificate.certificate_pem"),
                &certificate.certificate_pem,
            )?;
            let private_key_pem = required(
                &format!("{field}.certificate.private_key_pem"),
                &certificate.private_key_pem,
            )?;
            if let Err(error) = ClientCertificate::from_pem(&certificate_pem, &private_key_pem) {
                return Err(CoordinatorError::invalid(
                    format!("{field}.certificate"),
                    error.to_string(),
                ));
            }
            Ok(CredentialConfig::Certificate {
                client_id,
                certificate_pem,
                private_key_pem,
            })
        }
        Some(Credentials::DelegatedAdmin(admin)) => Ok(CredentialConfig::DelegatedAdmin {
            client_id: required(
                &format!("{field}.delegated_admin.client_id"),
                &admin.client_id,
            )?,
            username: address(
                &format!("{field}.delegated_admin.username"),
                &admin.username,
            )?,
            password: required(
                &format!("{field}.delegated_admin.password"),
                &admin.password,
            )?,
        }),
    }
}

/// A tenant endpoint from a request; the cloud's URLs unless overridden.
pub fn endpoint(
    field: &str,
    endpoint: Option<&v1::Endpoint>,
) -> Result<EndpointConfig, CoordinatorError> {
    let endpoint = endpoint.ok_or_else(|| CoordinatorError::invalid(field, "required"))?;
    let cloud = match endpoint.cloud {
        0 => Cloud::Worldwide,
        value => cloud_from_proto(value).ok_or_else(|| {
            CoordinatorError::invalid(format!("{field}.cloud"), format!("unknown cloud {value}"))
        })?,
    };
    let tenant = required(&format!("{field}.tenant"), &endpoint.tenant)?;
    if tenant.contains(['/', '?', '#']) || tenant.chars().any(char::is_whitespace) {
        return Err(CoordinatorError::invalid(
            format!("{field}.tenant"),
            "a tenant id or domain has no spaces or slashes",
        ));
    }
    let protocol = match endpoint.api {
        0 => MailProtocol::Ews,
        value => protocol_from_proto(value).ok_or_else(|| {
            CoordinatorError::invalid(format!("{field}.api"), format!("unknown api {value}"))
        })?,
    };
    let api = match (protocol, ApiSettings::for_cloud(protocol, cloud)) {
        (_, ApiSettings::Ews { ews_url, resource }) => {
            if !endpoint.graph_url.trim().is_empty() {
                return Err(CoordinatorError::invalid(
                    format!("{field}.graph_url"),
                    "an EWS endpoint has no Graph URL (set api to graph to use Graph)",
                ));
            }
            ApiSettings::Ews {
                ews_url: url(&format!("{field}.ews_url"), &endpoint.ews_url, ews_url)?,
                resource: url(&format!("{field}.resource"), &endpoint.resource, resource)?,
            }
        }
        (
            _,
            ApiSettings::Graph {
                graph_url,
                resource,
            },
        ) => {
            if !cloud.has_graph_mailbox_import_export() {
                return Err(CoordinatorError::invalid(
                    format!("{field}.api"),
                    format!(
                        "Microsoft offers Graph's mailbox import/export API in the global cloud only; \
                         {} endpoints use EWS",
                        cloud_name(cloud)
                    ),
                ));
            }
            if !endpoint.ews_url.trim().is_empty() {
                return Err(CoordinatorError::invalid(
                    format!("{field}.ews_url"),
                    "a Graph endpoint has no EWS URL (set graph_url, or api to ews)",
                ));
            }
            ApiSettings::Graph {
                graph_url: url(
                    &format!("{field}.graph_url"),
                    &endpoint.graph_url,
                    graph_url,
                )?
                .trim_end_matches('/')
                .to_string(),
                resource: url(&format!("{field}.resource"), &endpoint.resource, resource)?,
            }
        }
    };
    Ok(EndpointConfig {
        cloud,
        token_url: url(
            &format!("{field}.token_url"),
            &endpoint.token_url,
            EndpointConfig::default_token_url(cloud, &tenant),
        )?,
        api,
        credentials: credentials(field, endpoint)?,
        tenant,
    })
}

fn cloud_name(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Worldwide => "worldwide",
        Cloud::UsGovernment => "US Government (GCC High)",
        Cloud::UsGovernmentDod => "US Government DoD",
        Cloud::China => "China (21Vianet)",
        Cloud::Germany => "Germany",
    }
}

/// The most recipient mapping expressions a project takes (single-address expressions beyond
/// the project's mailboxes; domains cover the rest).
const MAX_MAPPING_EXPRESSIONS: usize = 10_000;

/// Project options from a request; zero means the default.
pub fn options(options: Option<&v1::ProjectOptions>) -> Result<ProjectOptions, CoordinatorError> {
    let defaults = ProjectOptions::default();
    let Some(options) = options else {
        return Ok(defaults);
    };
    let batch_items = match options.batch_items {
        0 => defaults.batch_items,
        n if n <= 500 => n,
        n => {
            return Err(CoordinatorError::invalid(
                "options.batch_items",
                format!("{n} is over 500"),
            ))
        }
    };
    let batch_bytes = match options.batch_bytes {
        0 => defaults.batch_bytes,
        n if (1024..=1 << 30).contains(&n) => n,
        n => {
            return Err(CoordinatorError::invalid(
                "options.batch_bytes",
                format!("{n} is outside 1 KiB to 1 GiB"),
            ))
        }
    };
    let unit_items = match options.unit_items {
        0 => defaults.unit_items,
        n if n <= 1_000_000 => n,
        n => {
            return Err(CoordinatorError::invalid(
                "options.unit_items",
                format!("{n} is over 1000000"),
            ))
        }
    };
    let rate = options.requests_per_second;
    let requests_per_second = if rate == 0.0 {
        defaults.requests_per_second
    } else if rate.is_finite() && rate > 0.0 && rate <= 10_000.0 {
        rate
    } else {
        return Err(CoordinatorError::invalid(
            "options.requests_per_second",
            format!("{rate} is not a rate between 0 and 10000"),
        ));
    };
    let import_bytes_per_window = match options.import_bytes_per_window {
        0 => defaults.import_bytes_per_window,
        n if (1024 * 1024..=1 << 40).contains(&n) => n,
        n => {
            return Err(CoordinatorError::invalid(
                "options.import_bytes_per_window",
                format!("{n} is outside 1 MiB to 1 TiB"),
            ))
        }
    };
    let import_window_secs = match options.import_window_secs {
        0 => defaults.import_window_secs,
        n if n <= 86_400 => n,
        n => {
            return Err(CoordinatorError::invalid(
                "options.import_window_secs",
                format!("{n} is more than a day"),
            ))
        }
    };
    if options.recipient_mapping.len() > MAX_MAPPING_EXPRESSIONS {
        return Err(CoordinatorError::invalid(
            "options.recipient_mapping",
            format!(
                "{} expressions are more than the {MAX_MAPPING_EXPRESSIONS} a project takes",
                options.recipient_mapping.len()
            ),
        ));
    }
    if let Some((index, _)) = options
        .recipient_mapping
        .iter()
        .enumerate()
        .find(|(_, expression)| expression.len() > 600)
    {
        return Err(CoordinatorError::invalid(
            format!("options.recipient_mapping[{index}]"),
            "the expression is longer than 600 characters".to_string(),
        ));
    }
    RecipientMapping::parse(&options.recipient_mapping).map_err(|error| {
        CoordinatorError::invalid(
            format!("options.recipient_mapping[{}]", error.index),
            error.to_string(),
        )
    })?;
    Ok(ProjectOptions {
        batch_items,
        batch_bytes,
        unit_items,
        requests_per_second,
        skip_permissions: options.skip_permissions,
        skip_rules: options.skip_rules,
        recipient_mapping: options
            .recipient_mapping
            .iter()
            .map(|expression| expression.trim().to_string())
            .collect(),
        import_bytes_per_window,
        import_window_secs,
    })
}

/// A `CreateProject` request.
pub fn new_project(request: &v1::CreateProjectRequest) -> Result<NewProject, CoordinatorError> {
    let name = required("name", &request.name)?;
    if name.chars().count() > 200 {
        return Err(CoordinatorError::invalid(
            "name",
            "longer than 200 characters",
        ));
    }
    Ok(NewProject {
        name,
        source: endpoint("source", request.source.as_ref())?,
        destination: endpoint("destination", request.destination.as_ref())?,
        options: options(request.options.as_ref())?,
    })
}

/// The mappings of an `AddMailboxes` request, as (source, destination) addresses.
pub fn mailbox_mappings(
    request: &v1::AddMailboxesRequest,
) -> Result<Vec<(String, String)>, CoordinatorError> {
    if request.mailboxes.is_empty() {
        return Err(CoordinatorError::invalid(
            "mailboxes",
            "at least one mailbox is required",
        ));
    }
    let mut seen = std::collections::HashMap::new();
    let mut mappings = Vec::with_capacity(request.mailboxes.len());
    for (index, mapping) in request.mailboxes.iter().enumerate() {
        let source = address(
            &format!("mailboxes[{index}].source_address"),
            &mapping.source_address,
        )?;
        let destination = address(
            &format!("mailboxes[{index}].destination_address"),
            &mapping.destination_address,
        )?;
        if let Some(first) = seen.insert(source.to_lowercase(), index) {
            return Err(CoordinatorError::invalid(
                format!("mailboxes[{index}].source_address"),
                format!("{source} is also mailboxes[{first}]"),
            ));
        }
        mappings.push((source, destination));
    }
    Ok(mappings)
}

/// A `StartPass` request.
pub fn new_pass(request: &v1::StartPassRequest) -> Result<NewPass, CoordinatorError> {
    let project = project_id("project_id", &request.project_id)?;
    let kind = pass_kind_from_proto(request.kind).ok_or_else(|| {
        CoordinatorError::invalid("kind", "PASS_KIND_FULL or PASS_KIND_PRE_STAGE is required")
    })?;
    let received_before = match (&request.received_before, kind) {
        (Some(timestamp), _) => Some(
            datetime(timestamp)
                .ok_or_else(|| CoordinatorError::invalid("received_before", "not a valid time"))?,
        ),
        (None, PassKind::PreStage) => {
            return Err(CoordinatorError::invalid(
                "received_before",
                "required for a pre-stage pass",
            ))
        }
        (None, PassKind::Full) => None,
    };
    let mailboxes = request
        .mailbox_ids
        .iter()
        .enumerate()
        .map(|(index, id)| mailbox_id(&format!("mailbox_ids[{index}]"), id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NewPass {
        project,
        kind,
        mailboxes,
        received_before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(error: CoordinatorError) -> String {
        match error {
            CoordinatorError::InvalidArgument { field, .. } => field,
            other => panic!("expected an invalid argument, got {other}"),
        }
    }

    fn valid_endpoint() -> v1::Endpoint {
        v1::Endpoint {
            tenant: "contoso.com".into(),
            credentials: Some(v1::endpoint::Credentials::ClientSecret(
                v1::ClientSecretCredentials {
                    client_id: "app".into(),
                    client_secret: "s3cret".into(),
                },
            )),
            ..v1::Endpoint::default()
        }
    }

    fn valid_project() -> v1::CreateProjectRequest {
        v1::CreateProjectRequest {
            name: "Merger".into(),
            source: Some(valid_endpoint()),
            destination: Some(valid_endpoint()),
            options: None,
        }
    }

    #[test]
    fn a_valid_project_gets_the_clouds_urls_and_default_options() {
        let project = new_project(&valid_project()).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            project.source.api,
            ApiSettings::Ews {
                ews_url: "https://outlook.office365.com/EWS/Exchange.asmx".into(),
                resource: "https://outlook.office365.com".into(),
            },
            "EWS unless the endpoint names its api"
        );
        assert!(project.source.token_url.contains("contoso.com"));
        assert_eq!(project.options, ProjectOptions::default());
    }

    #[test]
    fn graph_endpoints_get_graphs_urls_in_the_global_cloud_only() {
        let mut request = valid_project();
        if let Some(source) = request.source.as_mut() {
            source.api = v1::Api::Graph as i32;
        }
        let project = new_project(&request).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            project.source.api,
            ApiSettings::Graph {
                graph_url: "https://graph.microsoft.com/v1.0".into(),
                resource: "https://graph.microsoft.com".into(),
            }
        );
        assert_eq!(project.destination.protocol(), MailProtocol::Ews);
        if let Some(source) = request.source.as_mut() {
            source.cloud = v1::Cloud::UsGovernment as i32;
        }
        assert_eq!(
            new_project(&request).map(|_| ()).map_err(field_of),
            Err("source.api".into()),
            "national clouds have no Graph import/export API"
        );
        if let Some(source) = request.source.as_mut() {
            source.cloud = v1::Cloud::Worldwide as i32;
            source.ews_url = "https://outlook.office365.com/EWS/Exchange.asmx".into();
        }
        assert_eq!(
            new_project(&request).map(|_| ()).map_err(field_of),
            Err("source.ews_url".into()),
            "a Graph endpoint with an EWS URL is a mistake worth naming"
        );
        if let Some(source) = request.source.as_mut() {
            source.ews_url.clear();
            source.api = 9;
        }
        assert_eq!(
            new_project(&request).map(|_| ()).map_err(field_of),
            Err("source.api".into())
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let mut request = valid_project();
        request.name = "  ".into();
        assert_eq!(
            new_project(&request).map(|_| ()).map_err(field_of),
            Err("name".into())
        );

        let mut request = valid_project();
        request.destination = None;
        assert_eq!(
            new_project(&request).map(|_| ()).map_err(field_of),
            Err("destination".into())
        );

        let mut request = valid_project();
        if let Some(source) = request.source.as_mut() {
            source.credentials = Some(v1::endpoint::Credentials::ClientSecret(
                v1::ClientSecretCredentials {
                    client_id: String::new(),
                    client_secret: "x".into(),
                },
            ));
        }
        assert_eq!(
            new_project(&request).map(|_| ()).map_err(field_of),
            Err("source.client_secret.client_id".into())
        );

        let mut request = valid_project();
        if let Some(source) = request.source.as_mut() {
            source.ews_url = "ftp://nope".into();
        }
        assert_eq!(
            new_project(&request).map(|_| ()).map_err(field_of),
            Err("source.ews_url".into())
        );

        let mut request = valid_project();
        request.options = Some(v1::ProjectOptions {
            requests_per_second: -1.0,
            ..v1::ProjectOptions::default()
        });
        assert_eq!(
            new_project(&request).map(|_| ()).map_err(field_of),
            Err("options.requests_per_second".into())
        );

        let mut request = valid_project();
        request.options = Some(v1::ProjectOptions {
            import_bytes_per_window: 5,
            ..v1::ProjectOptions::default()
        });
        assert_eq!(
            new_project(&request).map(|_| ()).map_err(field_of),
            Err("options.import_bytes_per_window".into()),
            "a window of 5 bytes could never take an item"
        );
        let mut request = valid_project();
        request.options = Some(v1::ProjectOptions {
            import_window_secs: 100_000,
            ..v1::ProjectOptions::default()
        });
        assert_eq!(
            new_project(&request).map(|_| ()).map_err(field_of),
            Err("options.import_window_secs".into())
        );
        let defaults = new_project(&valid_project()).expect("valid").options;
        assert_eq!(
            (
                defaults.import_bytes_per_window,
                defaults.import_window_secs
            ),
            (150 * 1024 * 1024, 300),
            "0 means Exchange Online's 150 MB per 5 minutes"
        );
    }

    #[test]
    fn recipient_mappings_are_checked_and_a_bad_one_named() {
        let with = |expressions: &[&str]| {
            let mut request = valid_project();
            request.options = Some(v1::ProjectOptions {
                recipient_mapping: expressions.iter().map(|e| e.to_string()).collect(),
                ..v1::ProjectOptions::default()
            });
            new_project(&request)
        };
        let project = with(&[
            " @contoso.com->@fabrikam.com ",
            "boss@contoso.com->ceo@fabrikam.com",
        ])
        .expect("valid");
        assert_eq!(
            project.options.recipient_mapping,
            vec![
                "@contoso.com->@fabrikam.com",
                "boss@contoso.com->ceo@fabrikam.com"
            ]
        );
        assert_eq!(
            with(&["@contoso.com->@fabrikam.com", "@legacy.com->@other.com"])
                .map(|_| ())
                .map_err(field_of),
            Err("options.recipient_mapping[1]".into())
        );
        let error = with(&["contoso.com fabrikam.com"])
            .map(|_| ())
            .expect_err("refused");
        assert!(
            error.to_string().contains("contoso.com fabrikam.com"),
            "{error}"
        );
    }

    #[test]
    fn mailbox_mappings_name_the_bad_row() {
        let mapping = |source: &str, destination: &str| v1::MailboxMapping {
            source_address: source.into(),
            destination_address: destination.into(),
        };
        let request = v1::AddMailboxesRequest {
            project_id: "p".into(),
            mailboxes: vec![
                mapping("ann@contoso.com", "ann@fabrikam.com"),
                mapping("bob@contoso.com", "bob at fabrikam"),
            ],
        };
        assert_eq!(
            mailbox_mappings(&request).map(|_| ()).map_err(field_of),
            Err("mailboxes[1].destination_address".into())
        );
        let request = v1::AddMailboxesRequest {
            project_id: "p".into(),
            mailboxes: vec![
                mapping("ann@contoso.com", "a@fabrikam.com"),
                mapping("ANN@contoso.com", "b@fabrikam.com"),
            ],
        };
        assert_eq!(
            mailbox_mappings(&request).map(|_| ()).map_err(field_of),
            Err("mailboxes[1].source_address".into())
        );
    }

    #[test]
    fn pre_stage_passes_need_a_cut_off() {
        let request = v1::StartPassRequest {
            project_id: "p".into(),
            kind: v1::PassKind::PreStage as i32,
            ..v1::StartPassRequest::default()
        };
        assert_eq!(
            new_pass(&request).map(|_| ()).map_err(field_of),
            Err("received_before".into())
        );
        let request = v1::StartPassRequest {
            project_id: "p".into(),
            ..v1::StartPassRequest::default()
        };
        assert_eq!(
            new_pass(&request).map(|_| ()).map_err(field_of),
            Err("kind".into())
        );
    }
}
