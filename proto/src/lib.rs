//! Ferry's protobuf definitions: the operator gRPC API (`ferry.v1.MigrationService`) and the work
//! unit and unit result messages the coordinator and workers exchange over the broker. Generated
//! at build time from `ferry/v1/*.proto` without a system `protoc`.

#![allow(missing_docs, clippy::all, clippy::pedantic)]

/// `ferry.v1`.
pub mod v1 {
    tonic::include_proto!("ferry.v1");
}

/// The encoded descriptor set of every Ferry proto file, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/ferry_descriptor.bin"));
