//! Per-plugin results of a hook run.

use std::time::Duration;

use serde::Serialize;

use crate::hooks::Hook;
use crate::validate::OutputProblem;

/// What one plugin did in one hook run.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T> {
    /// Manifest name.
    pub plugin: String,
    /// The id the plugin runs under (its name unless configured otherwise).
    pub id: String,
    /// Manifest version.
    pub version: semver::Version,
    /// Effective priority.
    pub priority: i32,
    /// Result.
    pub status: Status<T>,
}

/// How one plugin's hook call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Status<T> {
    /// The hook returned a value, which passed validation.
    Ok(T),
    /// The plugin does not implement the hook.
    Skipped,
    /// The call failed; the error names plugin, version, hook and cause.
    Failed(HookFailure),
    /// Not called: an earlier plugin failed under [`crate::FailurePolicy::Abort`].
    NotRun,
}

impl<T> Status<T> {
    /// The value, if the call succeeded.
    pub fn ok(&self) -> Option<&T> {
        match self {
            Status::Ok(value) => Some(value),
            _ => None,
        }
    }

    /// The failure, if the call failed.
    pub fn failure(&self) -> Option<&HookFailure> {
        match self {
            Status::Failed(failure) => Some(failure),
            _ => None,
        }
    }

    /// `ok`, `skipped`, `failed` or `not-run`.
    pub fn label(&self) -> &'static str {
        match self {
            Status::Ok(_) => "ok",
            Status::Skipped => "skipped",
            Status::Failed(_) => "failed",
            Status::NotRun => "not-run",
        }
    }

    /// Converts the value, keeping every other status.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Status<U> {
        match self {
            Status::Ok(value) => Status::Ok(f(value)),
            Status::Skipped => Status::Skipped,
            Status::Failed(failure) => Status::Failed(failure),
            Status::NotRun => Status::NotRun,
        }
    }
}

impl<T> Outcome<T> {
    /// Converts the value, keeping the rest.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        Outcome {
            plugin: self.plugin,
            id: self.id,
            version: self.version,
            priority: self.priority,
            status: self.status.map(f),
        }
    }
}

/// A failed hook call, naming plugin, version and hook.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("plugin `{plugin}` {version}, hook `{hook}`: {cause}")]
pub struct HookFailure {
    /// Manifest name.
    pub plugin: String,
    /// Manifest version.
    pub version: semver::Version,
    /// The hook that failed.
    pub hook: Hook,
    /// Why.
    pub cause: FailureCause,
}

/// Why a hook call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FailureCause {
    /// The plugin returned `hook-error::failed(message)`.
    #[error("the plugin reported: {0}")]
    Reported(String),
    /// The hook ran past its deadline.
    #[error("timed out after {} ms (the hook time limit; raise it with `Limits::hook_timeout` or `--timeout-ms`)", .limit.as_millis())]
    Timeout {
        /// The limit in force.
        limit: Duration,
    },
    /// Linear memory growth was refused.
    #[error(
        "exceeded the memory limit of {limit} bytes (all its memories together would have held {requested}; raise it with `Limits::memory_bytes` or `--memory-mib`)"
    )]
    MemoryLimit {
        /// The limit in force.
        limit: usize,
        /// What the guest asked for.
        requested: usize,
    },
    /// Table growth was refused.
    #[error(
        "exceeded the table limit of {limit} elements (asked for {requested}; raise it with `Limits::table_elements`)"
    )]
    TableLimit {
        /// The limit in force.
        limit: usize,
        /// What the guest asked for.
        requested: usize,
    },
    /// The result was larger than [`crate::Limits::max_output_bytes`].
    #[error("returned more than {limit} bytes (the output limit; raise it with `Limits::max_output_bytes`)")]
    OutputTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The guest trapped: a panic, an abort, a stack overflow, an out-of-bounds access.
    #[error("the plugin crashed: {message}{}", console_suffix(.console))]
    Trap {
        /// The trap, sanitised.
        message: String,
        /// The tail of what the guest wrote to stdout/stderr (a panic message lands here), sanitised.
        console: Option<String>,
    },
    /// The hook returned a value that breaks Paddock's output rules.
    #[error("returned an invalid value: {0}")]
    InvalidOutput(OutputProblem),
    /// The plugin could not be instantiated.
    #[error("could not be instantiated: {0}")]
    Instantiate(String),
    /// The host had no free instance slot for the call: the host's
    /// capacity, not the plugin, is at fault.
    #[error(
        "was not run: the host's instance pool is exhausted by other calls running at the same time ({0}); \
         this says nothing about the plugin: raise `HostConfig::instance_pool` or run fewer hook calls at once"
    )]
    HostCapacity(String),
}

fn console_suffix(console: &Option<String>) -> String {
    match console {
        Some(text) => format!("; plugin output: {text}"),
        None => String::new(),
    }
}

/// An outcome as the CLI prints it with `--format json`.
#[derive(Debug, Serialize)]
pub struct OutcomeRecord<'a, T: Serialize> {
    /// Manifest name.
    pub plugin: &'a str,
    /// Configured id.
    pub id: &'a str,
    /// Manifest version.
    pub version: String,
    /// Effective priority.
    pub priority: i32,
    /// `ok`, `skipped`, `failed` or `not-run`.
    pub status: &'static str,
    /// The value, for `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<&'a T>,
    /// The error, for `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl<T: Serialize> Outcome<T> {
    /// The JSON shape of this outcome.
    pub fn record(&self) -> OutcomeRecord<'_, T> {
        OutcomeRecord {
            plugin: &self.plugin,
            id: &self.id,
            version: self.version.to_string(),
            priority: self.priority,
            status: self.status.label(),
            value: self.status.ok(),
            error: self.status.failure().map(ToString::to_string),
        }
    }
}
