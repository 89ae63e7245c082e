//! Fuzzing with proptest: the protocol decoder, the session CSV reader, the config and settings
//! loaders and the history import, on structure-aware hostile input (see docs/fuzzing.md).
//!
//! Each target has a CI-sized test (a few thousand cases, part of `cargo test`) and an ignored
//! dedicated one whose cases are its share of `SPINEWATCH_FUZZ_CASES` (default 10 M in all):
//!
//! ```text
//! SPINEWATCH_FUZZ_CASES=10000000 cargo test --release --test fuzz -- --ignored --nocapture
//! ```
//!
//! One test binary with a module per target, so the targets run side by side on the harness's
//! threads and the dedicated run is one command.

#[path = "fuzz/config.rs"]
mod config;
#[path = "fuzz/import.rs"]
mod import;
#[path = "fuzz/protocol.rs"]
mod protocol;
#[path = "fuzz/regressions.rs"]
mod regressions;
#[path = "fuzz/session.rs"]
mod session;
#[path = "fuzz/support.rs"]
mod support;

/// Every allocation is metered per thread, for the bounded-memory properties.
#[global_allocator]
static ALLOCATOR: support::Metered = support::Metered;
