//! The operator subcommands: `ferry project`, `ferry mailbox`, `ferry pass`, `ferry status`,
//! `ferry errors`, all over the coordinator's gRPC API.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use ferry_proto::v1;
use ferry_proto::v1::migration_service_client::MigrationServiceClient;
use futures_util::StreamExt;
use tonic::transport::Channel;

use crate::mailbox_csv::read_mappings;
use crate::progress::ProgressView;
use crate::project_file::{request_from_sim, ProjectFile};
use crate::render;

/// How replies are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// For people.
    Text,
    /// One JSON document (with `--watch`, one per line).
    Json,
}

/// Where the API is and how to print.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// The coordinator's gRPC address.
    #[arg(
        long,
        env = "FERRY_SERVER",
        default_value = "http://127.0.0.1:50051",
        global = true
    )]
    pub server: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text", global = true)]
    pub output: Output,
}

/// `ferry project ...`.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project from a project file, or from a `ferry sim` connection file.
    Create {
        /// A project file (see `docs/operations.md`).
        #[arg(long, conflicts_with = "from_sim")]
        file: Option<PathBuf>,
        /// A `ferry sim` connection file: source and destination tenants of the simulator.
        #[arg(long)]
        from_sim: Option<PathBuf>,
        /// The name, with `--from-sim`.
        #[arg(long, default_value = "Simulated migration")]
        name: String,
        /// The protocol both endpoints speak, with `--from-sim`: `ews` or `graph` (a project
        /// file names it per endpoint).
        #[arg(long, default_value = "ews", value_parser = crate::project_file::parse_protocol, conflicts_with = "file")]
        api: ferry_core::model::MailProtocol,
        /// Map recipients, e.g. `@contoso.com->@fabrikam.com` (repeatable); added to the
        /// project file's `recipient_mapping`.
        #[arg(long = "recipient-mapping", value_name = "EXPRESSION")]
        recipient_mapping: Vec<String>,
    },
    /// List projects.
    List,
}

/// `ferry mailbox ...`.
#[derive(Debug, Subcommand)]
pub enum MailboxCommand {
    /// Add one mailbox, or every line of a CSV file (`source,destination`).
    Add {
        /// The project.
        #[arg(long)]
        project: String,
        /// Source address.
        #[arg(long, requires = "destination", conflicts_with = "csv")]
        source: Option<String>,
        /// Destination address.
        #[arg(long, requires = "source")]
        destination: Option<String>,
        /// A CSV of `source,destination` lines.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// List a project's mailboxes with their state.
    List {
        /// The project.
        #[arg(long)]
        project: String,
    },
}

/// `ferry pass ...`.
#[derive(Debug, Subcommand)]
pub enum PassCommand {
    /// Start a pass: full (everything not yet migrated), or pre-stage (items received before a
    /// date).
    Start {
        /// The project.
        #[arg(long)]
        project: String,
        /// Pre-stage: only items received before this time (RFC 3339, or a date).
        #[arg(long)]
        pre_stage_before: Option<String>,
        /// Only these mailboxes (ids); all by default.
        #[arg(long = "mailbox")]
        mailboxes: Vec<String>,
    },
}

/// Flags of `ferry status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The project.
    #[arg(long)]
    project: String,
    /// Follow progress until the pass completes.
    #[arg(long)]
    watch: bool,
    /// Include every mailbox.
    #[arg(long)]
    mailboxes: bool,
    /// One mailbox, with its folders.
    #[arg(long, conflicts_with = "watch")]
    mailbox: Option<String>,
}

/// Flags of `ferry errors`.
#[derive(Debug, Args)]
pub struct ErrorsArgs {
    /// The project.
    #[arg(long)]
    project: String,
    /// The mailbox.
    #[arg(long)]
    mailbox: String,
}

/// A gRPC failure as a message naming its code.
fn failed(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

async fn connect(args: &ClientArgs) -> anyhow::Result<MigrationServiceClient<Channel>> {
    MigrationServiceClient::connect(args.server.clone())
        .await
        .with_context(|| format!("connecting to the coordinator at {}", args.server))
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Runs `ferry project ...`.
pub async fn project(args: &ClientArgs, command: ProjectCommand) -> anyhow::Result<()> {
    let mut client = connect(args).await?;
    match command {
        ProjectCommand::Create {
            file,
            from_sim,
            name,
            api,
            recipient_mapping,
        } => {
            let mut request = match (file, from_sim) {
                (Some(file), None) => {
                    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
                    ProjectFile::read(&file)?.request(&base)?
                }
                (None, Some(connection)) => {
                    let text = std::fs::read_to_string(&connection)
                        .with_context(|| format!("reading {}", connection.display()))?;
                    let info: ferry_sim::ConnectionInfo = serde_json::from_str(&text)
                        .with_context(|| {
                            format!(
                                "{} is not a ferry sim connection file",
                                connection.display()
                            )
                        })?;
                    request_from_sim(&info, &name, api)?
                }
                _ => anyhow::bail!("give --file or --from-sim"),
            };
            if !recipient_mapping.is_empty() {
                request
                    .options
                    .get_or_insert_with(Default::default)
                    .recipient_mapping
                    .extend(recipient_mapping);
            }
            let project = client
                .create_project(request)
                .await
                .map_err(failed)?
                .into_inner();
            match args.output {
                Output::Json => print_json(&render::project_json(&project)),
                Output::Text => println!("Created project {} ({})", project.name, project.id),
            }
        }
        ProjectCommand::List => {
            let projects = client
                .list_projects(v1::ListProjectsRequest {})
                .await
                .map_err(failed)?
                .into_inner()
                .projects;
            match args.output {
                Output::Json => print_json(&serde_json::Value::Array(
                    projects.iter().map(render::project_json).collect(),
                )),
                Output::Text => {
                    for project in projects {
                        let tenant = |endpoint: &Option<v1::EndpointSummary>| {
                            endpoint
                                .as_ref()
                                .map(|endpoint| endpoint.tenant.clone())
                                .unwrap_or_default()
                        };
                        println!(
                            "{}  {}  {} -> {}",
                            project.id,
                            project.name,
                            tenant(&project.source),
                            tenant(&project.destination)
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// Runs `ferry mailbox ...`.
pub async fn mailbox(args: &ClientArgs, command: MailboxCommand) -> anyhow::Result<()> {
    let mut client = connect(args).await?;
    match command {
        MailboxCommand::Add {
            project,
            source,
            destination,
            csv,
        } => {
            let mut problems = Vec::new();
            let mappings: Vec<v1::MailboxMapping> = match (source, destination, csv) {
                (Some(source), Some(destination), None) => vec![v1::MailboxMapping {
                    source_address: source,
                    destination_address: destination,
                }],
                (None, None, Some(path)) => {
                    let file = std::fs::File::open(&path)
                        .with_context(|| format!("opening {}", path.display()))?;
                    let read = read_mappings(file);
                    problems = read.problems;
                    read.mappings
                        .into_iter()
                        .map(|mapping| v1::MailboxMapping {
                            source_address: mapping.source,
                            destination_address: mapping.destination,
                        })
                        .collect()
                }
                _ => anyhow::bail!("give --source and --destination, or --csv"),
            };
            for problem in &problems {
                eprintln!("skipped {problem}");
            }
            if mappings.is_empty() {
                anyhow::bail!("no valid mailbox to add");
            }
            let added = client
                .add_mailboxes(v1::AddMailboxesRequest {
                    project_id: project,
                    mailboxes: mappings,
                })
                .await
                .map_err(failed)?
                .into_inner()
                .mailboxes;
            match args.output {
                Output::Json => print_json(&serde_json::json!({
                    "mailboxes": added.iter().map(|mailbox| serde_json::json!({
                        "id": mailbox.id,
                        "source_address": mailbox.source_address,
                        "destination_address": mailbox.destination_address,
                    })).collect::<Vec<_>>(),
                    "skipped": problems,
                })),
                Output::Text => {
                    for mailbox in &added {
                        println!(
                            "{}  {} -> {}",
                            mailbox.id, mailbox.source_address, mailbox.destination_address
                        );
                    }
                    println!(
                        "{} mailboxes added, {} lines skipped",
                        added.len(),
                        problems.len()
                    );
                }
            }
            if !problems.is_empty() {
                anyhow::bail!("{} lines were skipped", problems.len());
            }
        }
        MailboxCommand::List { project } => {
            let mailboxes = client
                .list_mailboxes(v1::ListMailboxesRequest {
                    project_id: project,
                })
                .await
                .map_err(failed)?
                .into_inner()
                .mailboxes;
            match args.output {
                Output::Json => print_json(&serde_json::Value::Array(
                    mailboxes.iter().map(render::mailbox_status_json).collect(),
                )),
                Output::Text => {
                    for status in mailboxes {
                        let mailbox = status.mailbox.clone().unwrap_or_default();
                        println!(
                            "{}  {:<40} -> {:<40} {}",
                            mailbox.id,
                            mailbox.source_address,
                            mailbox.destination_address,
                            render::state_name(status.state)
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// Reads a time given as RFC 3339 or as a date (midnight UTC).
fn parse_time(text: &str) -> anyhow::Result<prost_types::Timestamp> {
    let time = chrono::DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&chrono::Utc))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|date| date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        })
        .with_context(|| format!("{text:?} is not a date (2026-01-31) or an RFC 3339 time"))?;
    Ok(ferry_core::wire::timestamp(time))
}

/// Runs `ferry pass ...`.
pub async fn pass(args: &ClientArgs, command: PassCommand) -> anyhow::Result<()> {
    let mut client = connect(args).await?;
    let PassCommand::Start {
        project,
        pre_stage_before,
        mailboxes,
    } = command;
    let (kind, received_before) = match pre_stage_before {
        Some(text) => (v1::PassKind::PreStage, Some(parse_time(&text)?)),
        None => (v1::PassKind::Full, None),
    };
    let pass = client
        .start_pass(v1::StartPassRequest {
            project_id: project,
            kind: kind as i32,
            mailbox_ids: mailboxes,
            received_before,
        })
        .await
        .map_err(failed)?
        .into_inner();
    match args.output {
        Output::Json => print_json(&render::pass_json(&pass)),
        Output::Text => println!(
            "Started pass {} over {} mailboxes",
            pass.id,
            pass.mailbox_ids.len()
        ),
    }
    Ok(())
}

/// Runs `ferry status`.
pub async fn status(args: &ClientArgs, status: StatusArgs) -> anyhow::Result<()> {
    let mut client = connect(args).await?;
    if let Some(mailbox) = status.mailbox {
        let reply = client
            .get_mailbox_status(v1::GetMailboxStatusRequest {
                project_id: status.project,
                mailbox_id: mailbox,
            })
            .await
            .map_err(failed)?
            .into_inner();
        // One mailbox with its folders reads well enough as indented JSON in either format.
        print_json(&render::mailbox_status_json(&reply));
        return Ok(());
    }
    if !status.watch {
        let reply = client
            .get_project_status(v1::GetProjectStatusRequest {
                project_id: status.project,
                include_mailboxes: status.mailboxes,
            })
            .await
            .map_err(failed)?
            .into_inner();
        match args.output {
            Output::Json => print_json(&render::project_status_json(&reply)),
            Output::Text => print!("{}", render::project_status_text(&reply)),
        }
        return Ok(());
    }
    let mut stream = client
        .watch_project(v1::WatchProjectRequest {
            project_id: status.project,
            interval_ms: 500,
            include_mailboxes: true,
        })
        .await
        .map_err(failed)?
        .into_inner();
    let mut view = match args.output {
        Output::Text => ProgressView::new(),
        Output::Json => ProgressView::hidden(),
    };
    let mut last = None;
    while let Some(update) = stream.next().await {
        let update = update.map_err(failed)?;
        match args.output {
            Output::Json => println!("{}", render::project_status_json(&update)),
            Output::Text => view.update(&update),
        }
        last = Some(update);
    }
    view.finish();
    if let (Output::Text, Some(last)) = (args.output, last) {
        print!("{}", render::project_status_text(&last));
    }
    Ok(())
}

/// Runs `ferry errors`: every error of a mailbox, page by page.
pub async fn errors(args: &ClientArgs, errors: ErrorsArgs) -> anyhow::Result<()> {
    let mut client = connect(args).await?;
    let mut token = String::new();
    let mut all = Vec::new();
    loop {
        let page = client
            .list_mailbox_errors(v1::ListMailboxErrorsRequest {
                project_id: errors.project.clone(),
                mailbox_id: errors.mailbox.clone(),
                page_size: 1000,
                page_token: token,
            })
            .await
            .map_err(failed)?
            .into_inner();
        all.extend(page.errors);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    match args.output {
        Output::Json => print_json(&serde_json::Value::Array(
            all.iter().map(render::error_json).collect(),
        )),
        Output::Text => {
            for error in &all {
                println!(
                    "{:<28} {:<30} {} ({})",
                    error.code, error.folder_path, error.message, error.subject
                );
            }
            println!("{} errors", all.len());
        }
    }
    Ok(())
}
