//! Fuzzes the EWS reply parser: any bytes must give a result or an error, never a panic, a hang
//! or unbounded memory.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let _ = runtime.block_on(ferry_ews::reply::any::parse_reply(bytes::Bytes::copy_from_slice(data)));
});
