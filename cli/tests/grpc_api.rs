//! The coordinator's gRPC API from the outside, as `grpcurl` and operators' tools use it: health,
//! reflection (services listed and a call built from the schema the server describes, with no
//! generated code), validation naming the bad field, and the whole flow of a migration.

mod common;

use std::time::Duration;

use bytes::{Buf, BufMut};
use ferry_cli::project_file::request_from_sim;
use ferry_cli::services::Services;
use ferry_core::model::MailProtocol;
use ferry_proto::v1;
use ferry_proto::v1::migration_service_client::MigrationServiceClient;
use futures_util::StreamExt;
use prost::Message;
use prost_types::FileDescriptorProto;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

/// Sends and receives raw protobuf bytes, as a client without generated code does.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Self::Error> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Self::Error> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

async fn reflect(channel: Channel, request: MessageRequest) -> MessageResponse {
    let mut client = ServerReflectionClient::new(channel);
    let outbound = futures_util::stream::iter([ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    }]);
    let mut replies = client
        .server_reflection_info(outbound)
        .await
        .expect("reflection")
        .into_inner();
    replies
        .next()
        .await
        .expect("a reply")
        .expect("a good reply")
        .message_response
        .expect("a response")
}

/// Encodes a message with one string field, by field number: what a dynamic client does.
fn encode_string_field(number: i32, value: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    prost::encoding::string::encode(number as u32, &value.to_string(), &mut bytes);
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operators_tools_drive_a_migration_over_grpc() {
    let services = Services::embedded();
    let environment = common::start(
        common::options(common::sim_config(3, 30), 2, "ferry"),
        services,
    )
    .await;
    let url = format!("http://{}", environment.grpc_address);
    let channel = Channel::from_shared(url.clone())
        .expect("url")
        .connect()
        .await
        .expect("connects");

    // Health, as Kubernetes probes and grpc_health_probe ask.
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let serving = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "ferry.v1.MigrationService".into(),
        })
        .await
        .expect("health")
        .into_inner();
    assert_eq!(
        serving.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    // Reflection lists the services.
    let MessageResponse::ListServicesResponse(listed) =
        reflect(channel.clone(), MessageRequest::ListServices(String::new())).await
    else {
        panic!("expected a service list");
    };
    let names: Vec<String> = listed
        .service
        .into_iter()
        .map(|service| service.name)
        .collect();
    assert!(
        names.contains(&"ferry.v1.MigrationService".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_string()),
        "{names:?}"
    );

    // The operator flow with the generated client.
    let mut client = MigrationServiceClient::new(channel.clone());
    let mut bad =
        request_from_sim(&environment.sim.connection, "bad", MailProtocol::Ews).expect("request");
    if let Some(source) = bad.source.as_mut() {
        source.tenant = String::new();
    }
    let refused = client
        .create_project(bad)
        .await
        .expect_err("a project without a tenant is refused");
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(
        refused.message().starts_with("source.tenant"),
        "the message names the field: {}",
        refused.message()
    );

    let project = client
        .create_project(
            request_from_sim(&environment.sim.connection, "over gRPC", MailProtocol::Ews)
                .expect("request"),
        )
        .await
        .expect("created")
        .into_inner();
    let secret = &environment.sim.connection.tenants[0].client_secret;
    assert!(
        !format!("{project:?}").contains(secret.as_str()),
        "replies never carry secrets"
    );
    let destination_domain = environment.sim.connection.tenants[1].mailboxes[0]
        .split('@')
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let mailboxes: Vec<v1::MailboxMapping> = environment.sim.connection.tenants[0]
        .mailboxes
        .iter()
        .map(|source| v1::MailboxMapping {
            source_address: source.clone(),
            destination_address: format!(
                "{}@{destination_domain}",
                source.split('@').next().unwrap_or_default()
            ),
        })
        .collect();
    let mut with_bad_row = mailboxes.clone();
    with_bad_row.push(v1::MailboxMapping {
        source_address: "not-an-address".into(),
        destination_address: "x@fabrikam.com".into(),
    });
    let refused = client
        .add_mailboxes(v1::AddMailboxesRequest {
            project_id: project.id.clone(),
            mailboxes: with_bad_row,
        })
        .await
        .expect_err("a bad row is refused");
    assert!(
        refused.message().starts_with("mailboxes[3].source_address"),
        "{}",
        refused.message()
    );
    let added = client
        .add_mailboxes(v1::AddMailboxesRequest {
            project_id: project.id.clone(),
            mailboxes,
        })
        .await
        .expect("added")
        .into_inner()
        .mailboxes;
    assert_eq!(added.len(), 3);
    let missing = client
        .get_project_status(v1::GetProjectStatusRequest {
            project_id: "no-such-project".into(),
            include_mailboxes: false,
        })
        .await
        .expect_err("unknown project");
    assert_eq!(missing.code(), tonic::Code::NotFound);

    client
        .start_pass(v1::StartPassRequest {
            project_id: project.id.clone(),
            kind: v1::PassKind::Full as i32,
            mailbox_ids: Vec::new(),
            received_before: None,
        })
        .await
        .expect("pass started");
    let mut watch = client
        .watch_project(v1::WatchProjectRequest {
            project_id: project.id.clone(),
            interval_ms: 200,
            include_mailboxes: true,
        })
        .await
        .expect("watch")
        .into_inner();
    let mut updates = 0;
    let mut last = None;
    while let Some(update) = tokio::time::timeout(Duration::from_secs(300), watch.next())
        .await
        .expect("updates keep coming")
    {
        updates += 1;
        last = Some(update.expect("an update"));
    }
    let last = last.expect("at least one update");
    assert!(
        last.pass_complete,
        "the stream ends when the pass completes"
    );
    assert!(updates >= 2, "progress was streamed ({updates} updates)");
    let copied = last
        .counters
        .as_ref()
        .map_or(0, |counters| counters.items_copied);
    assert!(copied > 0);

    let mailbox = client
        .get_mailbox_status(v1::GetMailboxStatusRequest {
            project_id: project.id.clone(),
            mailbox_id: added[0].id.clone(),
        })
        .await
        .expect("mailbox status")
        .into_inner();
    assert_eq!(mailbox.state, v1::MailboxState::Completed as i32);
    assert!(!mailbox.folders.is_empty(), "folder progress is reported");
    let errors = client
        .list_mailbox_errors(v1::ListMailboxErrorsRequest {
            project_id: project.id.clone(),
            mailbox_id: added[0].id.clone(),
            page_size: 10,
            page_token: String::new(),
        })
        .await
        .expect("errors")
        .into_inner();
    assert_eq!(errors.total, 0);

    // A call built only from what reflection says, as grpcurl makes it.
    let MessageResponse::FileDescriptorResponse(files) = reflect(
        channel.clone(),
        MessageRequest::FileContainingSymbol("ferry.v1.MigrationService".into()),
    )
    .await
    else {
        panic!("expected file descriptors");
    };
    let files: Vec<FileDescriptorProto> = files
        .file_descriptor_proto
        .iter()
        .map(|bytes| FileDescriptorProto::decode(bytes.as_slice()).expect("a file descriptor"))
        .collect();
    let file = files
        .iter()
        .find(|file| {
            file.service
                .iter()
                .any(|service| service.name() == "MigrationService")
        })
        .expect("the service's file");
    let method = file.service[0]
        .method
        .iter()
        .find(|method| method.name() == "GetProjectStatus")
        .expect("GetProjectStatus is described");
    let input = method.input_type().trim_start_matches(".ferry.v1.");
    let field = file
        .message_type
        .iter()
        .find(|message| message.name() == input)
        .and_then(|message| {
            message
                .field
                .iter()
                .find(|field| field.name() == "project_id")
        })
        .expect("the request's project_id field");
    let path = format!(
        "/{}.{}/{}",
        file.package(),
        file.service[0].name(),
        method.name()
    );
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.expect("ready");
    let reply = grpc
        .unary(
            tonic::Request::new(encode_string_field(field.number(), &project.id)),
            path.parse().expect("a path"),
            RawCodec,
        )
        .await
        .expect("the dynamic call succeeds")
        .into_inner();
    let status = v1::ProjectStatus::decode(reply.as_slice()).expect("a project status");
    assert_eq!(
        status.project.map(|project| project.name),
        Some("over gRPC".to_string())
    );
    assert!(status.pass_complete);

    environment.stop().await.expect("stop");
}
