//! The gRPC API (`ferry.v1.MigrationService`), with the standard health service and server
//! reflection so `grpcurl` and other generic tools work without the proto files.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use ferry_proto::v1;
use ferry_proto::v1::migration_service_server::{MigrationService, MigrationServiceServer};
use futures_util::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::coordinator::Coordinator;
use crate::requests;
use crate::status::{mailbox_message, pass_message, project_message};

/// The most errors one `ListMailboxErrors` page returns.
const MAX_ERROR_PAGE: u32 = 1000;
/// Errors per page when the request does not say.
const DEFAULT_ERROR_PAGE: u32 = 100;

/// The API over a coordinator.
#[derive(Debug, Clone)]
pub struct Api {
    coordinator: Arc<Coordinator>,
}

impl Api {
    /// The API of `coordinator`.
    pub fn new(coordinator: Arc<Coordinator>) -> Api {
        Api { coordinator }
    }
}

type StatusStream = Pin<Box<dyn Stream<Item = Result<v1::ProjectStatus, Status>> + Send>>;

#[tonic::async_trait]
impl MigrationService for Api {
    async fn create_project(
        &self,
        request: Request<v1::CreateProjectRequest>,
    ) -> Result<Response<v1::Project>, Status> {
        let new = requests::new_project(request.get_ref())?;
        let project = self.coordinator.create_project(new).await?;
        Ok(Response::new(project_message(&project)))
    }

    async fn list_projects(
        &self,
        _: Request<v1::ListProjectsRequest>,
    ) -> Result<Response<v1::ListProjectsResponse>, Status> {
        let projects = self.coordinator.projects().await?;
        Ok(Response::new(v1::ListProjectsResponse {
            projects: projects.iter().map(project_message).collect(),
        }))
    }

    async fn add_mailboxes(
        &self,
        request: Request<v1::AddMailboxesRequest>,
    ) -> Result<Response<v1::AddMailboxesResponse>, Status> {
        let request = request.get_ref();
        let project = requests::project_id("project_id", &request.project_id)?;
        let mappings = requests::mailbox_mappings(request)?;
        let mailboxes = self.coordinator.add_mailboxes(&project, mappings).await?;
        Ok(Response::new(v1::AddMailboxesResponse {
            mailboxes: mailboxes.iter().map(mailbox_message).collect(),
        }))
    }

    async fn list_mailboxes(
        &self,
        request: Request<v1::ListMailboxesRequest>,
    ) -> Result<Response<v1::ListMailboxesResponse>, Status> {
        let project = requests::project_id("project_id", &request.get_ref().project_id)?;
        let mailboxes = self.coordinator.list_mailbox_statuses(&project).await?;
        Ok(Response::new(v1::ListMailboxesResponse { mailboxes }))
    }

    async fn start_pass(
        &self,
        request: Request<v1::StartPassRequest>,
    ) -> Result<Response<v1::Pass>, Status> {
        let new = requests::new_pass(request.get_ref())?;
        let pass = self.coordinator.start_pass(new).await?;
        Ok(Response::new(pass_message(&pass)))
    }

    async fn get_project_status(
        &self,
        request: Request<v1::GetProjectStatusRequest>,
    ) -> Result<Response<v1::ProjectStatus>, Status> {
        let request = request.get_ref();
        let project = requests::project_id("project_id", &request.project_id)?;
        let status = self
            .coordinator
            .get_project_status(&project, request.include_mailboxes)
            .await?;
        Ok(Response::new(status))
    }

    async fn get_mailbox_status(
        &self,
        request: Request<v1::GetMailboxStatusRequest>,
    ) -> Result<Response<v1::MailboxStatus>, Status> {
        let request = request.get_ref();
        let project = requests::project_id("project_id", &request.project_id)?;
        let mailbox = requests::mailbox_id("mailbox_id", &request.mailbox_id)?;
        Ok(Response::new(
            self.coordinator
                .get_mailbox_status(&project, &mailbox)
                .await?,
        ))
    }

    type WatchProjectStream = StatusStream;

    async fn watch_project(
        &self,
        request: Request<v1::WatchProjectRequest>,
    ) -> Result<Response<StatusStream>, Status> {
        let request = request.into_inner();
        let project = requests::project_id("project_id", &request.project_id)?;
        let interval = match request.interval_ms {
            0 => Duration::from_secs(1),
            ms if ms < 100 => return Err(Status::invalid_argument("interval_ms: at least 100")),
            ms => Duration::from_millis(u64::from(ms)),
        };
        // Fail now, not in the stream, if the project does not exist.
        let first = self
            .coordinator
            .get_project_status(&project, request.include_mailboxes)
            .await?;
        let coordinator = self.coordinator.clone();
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let mut last: Option<v1::ProjectStatus> = None;
            let mut status = Ok(first);
            loop {
                match status {
                    Ok(current) => {
                        let complete = current.pass_complete;
                        if last.as_ref() != Some(&current) {
                            if sender.send(Ok(current.clone())).await.is_err() {
                                return;
                            }
                            last = Some(current);
                        }
                        if complete {
                            return;
                        }
                    }
                    Err(error) => {
                        let _ = sender.send(Err(Status::from(error))).await;
                        return;
                    }
                }
                tokio::select! {
                    _ = sender.closed() => return,
                    _ = tokio::time::sleep(interval) => {}
                }
                status = coordinator
                    .get_project_status(&project, request.include_mailboxes)
                    .await;
            }
        });
        let stream = tokio_stream::wrappers::ReceiverStream::new(receiver);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn list_mailbox_errors(
        &self,
        request: Request<v1::ListMailboxErrorsRequest>,
    ) -> Result<Response<v1::ListMailboxErrorsResponse>, Status> {
        let request = request.get_ref();
        let project = requests::project_id("project_id", &request.project_id)?;
        let mailbox = requests::mailbox_id("mailbox_id", &request.mailbox_id)?;
        let limit = match request.page_size {
            0 => DEFAULT_ERROR_PAGE,
            size => size.min(MAX_ERROR_PAGE),
        };
        let offset: u64 = if request.page_token.is_empty() {
            0
        } else {
            request.page_token.parse().map_err(|_| {
                Status::invalid_argument("page_token: not a token from an earlier page")
            })?
        };
        let (errors, total) = self
            .coordinator
            .mailbox_errors(&project, &mailbox, offset, u64::from(limit))
            .await?;
        let next = offset + errors.len() as u64;
        Ok(Response::new(v1::ListMailboxErrorsResponse {
            errors: errors
                .iter()
                .map(ferry_core::wire::item_error_to_proto)
                .collect(),
            next_page_token: if next < total {
                next.to_string()
            } else {
                String::new()
            },
            total,
        }))
    }
}

/// Serves the API, health and reflection on `listener` until `shutdown`.
pub async fn serve(
    coordinator: Arc<Coordinator>,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> Result<(), tonic::transport::Error> {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<MigrationServiceServer<Api>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(ferry_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|error| {
            tracing::error!(%error, "reflection descriptors are invalid");
            error
        });
    let mut router = tonic::transport::Server::builder()
        .add_service(health)
        .add_service(MigrationServiceServer::new(Api::new(coordinator)));
    if let Ok(reflection) = reflection {
        router = router.add_service(reflection);
    }
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    router
        .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
        .await
}

/// Binds `address` for [`serve`], returning the listener and the address it got.
pub async fn bind(address: SocketAddr) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(address).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}
