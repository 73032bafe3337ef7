//! Paddock's integration tests, as one test binary: each module below is one
//! area, in the file of the same name beside this one. One binary links
//! wasmtime once and builds the guests once per run (see `support`). It is
//! a target of the CLI package (`host/cli/Cargo.toml`), so that it can run
//! the `paddock` binary.
//!
//! Run one area with a filter: `cargo test --test integration sandbox::`.

mod support;

mod bundles;
mod cache;
mod cli;
mod contract;
mod devstack;
mod fuzz;
mod orbit;
mod polyglot;
mod racetrack;
mod rebar;
mod samples;
mod sandbox;
mod state;
mod tutor;
mod versions;
