//! # Paddock host
//!
//! Load WebAssembly plugin bundles and run deployment hooks on them, each
//! call in a fresh sandbox with no filesystem, network, environment or
//! inherited stdio, under a time and memory limit.
//!
//! ```no_run
//! use paddock::{Deployment, Host, PluginSet, hooks};
//!
//! # fn main() -> Result<(), paddock::Error> {
//! let host = Host::new()?;
//! let plugins = PluginSet::builder(&host)
//!     .add_path("plugins/".as_ref())?          // every *.zip, by file name
//!     .build()?;                                // sorted by priority, ties kept
//! let deployment = Deployment { team: "data".into(), image_name: "jupyter:1".into(), ..Default::default() };
//! let (mut lines, mut failures) = (Vec::new(), Vec::new());
//! for outcome in plugins.call::<hooks::DockerfileInjection>(&deployment) {
//!     match outcome.status {
//!         paddock::Status::Ok(plugin_lines) => lines.extend(plugin_lines),
//!         paddock::Status::Failed(failure) => failures.push(failure), // names plugin, hook and cause
//!         paddock::Status::Skipped | paddock::Status::NotRun => {}
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The layout follows the data flow: [`bundle`] reads archives, [`manifest`]
//! validates metadata, [`engine`] compiles and links, [`grants`] decides what
//! each plugin may see, [`sandbox`] sets up each call's store, [`hooks`]
//! declares every hook once (its export, types, rules and merge), `call`
//! calls exports and lifts results, [`plugin_set`] orders plugins and runs
//! hooks across them, [`validate`] checks outputs,
//! [`merge`] combines them, [`devstack`] merges DevStack's settings,
//! packages and script fragments, [`tutor`] renders a Tutor environment
//! from its hooks, [`provider`] runs Digital Rebar providers as long-lived
//! instances, and [`state`] records what was applied to each
//! target (plan, apply, the audit trail) in SQLite or PostgreSQL.
//!
//! This crate is the runtime alone: it spawns no processes and prints
//! nothing (diagnostics go through `tracing`). Building plugins into bundles
//! is the `paddock-build` crate; the `paddock` CLI is `paddock-cli`.

#![deny(missing_docs)]

mod bindings;
pub mod bundle;
pub mod cache;
mod call;
pub mod devstack;
pub mod engine;
mod error;
pub mod fsutil;
pub mod grants;
pub mod hooks;
pub mod jobtypes;
pub mod manifest;
pub mod merge;
mod outcome;
mod plugin;
pub mod plugin_set;
pub mod provider;
pub mod resources;
pub mod sandbox;
pub mod sanitize;
pub mod state;
pub mod templates;
pub mod tutor;
mod types;
pub mod validate;

pub use bundle::{Bundle, BundleError, BundleFile, BundleLimits};
pub use engine::{HOOKS_INTERFACE, Host, HostConfig, PoolSize, SocketImports};
pub use error::Error;
pub use grants::Grants;
pub use hooks::{Hook, HookDecl, HookInput, HookRun, Location, MissingInput, RunContext, UnknownHook};
pub use manifest::{Capabilities, Manifest, ManifestError};
pub use outcome::{FailureCause, HookFailure, Outcome, OutcomeRecord, Status};
pub use plugin::{ComponentCheck, ExportedInterface, LoadStats, Plugin};
pub use plugin_set::{FailurePolicy, ParamsError, PluginConfig, PluginSet, PluginSetBuilder, Session};
pub use sandbox::Limits;
pub use types::{ActionReport, Deployment, ParamValue, Parameters};
pub use validate::{OutputProblem, OutputRules};
