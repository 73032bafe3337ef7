//! What can go wrong with a provider. Every message names the provider
//! (the instance's name), its version and the call.

use std::fmt;
use std::time::Duration;

use super::store::StoreError;
use crate::outcome::FailureCause;

/// A call into a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderCall {
    /// `define`.
    Define,
    /// `config`.
    Config,
    /// `validate`.
    Validate,
    /// `action`.
    Action,
    /// `publish` (an event).
    Publish,
    /// `stop`.
    Stop,
}

impl ProviderCall {
    /// The WIT function's name.
    pub fn name(self) -> &'static str {
        match self {
            ProviderCall::Define => "define",
            ProviderCall::Config => "config",
            ProviderCall::Validate => "validate",
            ProviderCall::Action => "action",
            ProviderCall::Publish => "publish",
            ProviderCall::Stop => "stop",
        }
    }
}

impl fmt::Display for ProviderCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that can go wrong loading or calling a provider.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The bundle cannot be used as a provider.
    #[error("provider `{provider}` {version} ({origin}): {problem}")]
    Load {
        /// Manifest name.
        provider: String,
        /// Manifest version.
        version: String,
        /// Where the bundle came from.
        origin: String,
        /// What is wrong and what to do.
        problem: String,
    },
    /// The bundle could not be read, or the engine refused it.
    #[error("{0}")]
    Host(String),
    /// Two providers under one name in a runtime.
    #[error("a provider named `{0}` runs already; give the second one another name")]
    Duplicate(String),
    /// No provider of that name runs here.
    #[error("no provider named `{name}` runs here (running: {running})")]
    Unknown {
        /// The name asked for, sanitised.
        name: String,
        /// The providers that do run.
        running: String,
    },
    /// An action or event before the first accepted `config`.
    #[error("provider `{provider}` {version}: not configured yet; send its config first")]
    NotConfigured {
        /// Instance name.
        provider: String,
        /// Its version.
        version: String,
    },
    /// The configuration was refused, by the host's check of the
    /// definition or by the provider; names the parameter when known.
    #[error("provider `{provider}` {version}: config rejected{}: {message}", param_suffix(.param))]
    ConfigRejected {
        /// Instance name.
        provider: String,
        /// Its version.
        version: String,
        /// The parameter at fault.
        param: Option<String>,
        /// Why.
        message: String,
    },
    /// Refused before the provider ran: no such action, a required
    /// parameter missing, a parameter unknown or of the wrong type.
    #[error("provider `{provider}` {version}: action `{command}` on `{object_type}` refused: {problem}")]
    ActionRefused {
        /// Instance name.
        provider: String,
        /// Its version.
        version: String,
        /// The command asked for.
        command: String,
        /// The object type asked for.
        object_type: String,
        /// What is wrong and what to send instead.
        problem: String,
    },
    /// The provider returned an error.
    #[error("provider `{provider}` {version}: {call} failed: {message}{}", param_suffix(.param))]
    Reported {
        /// Instance name.
        provider: String,
        /// Its version.
        version: String,
        /// The call.
        call: ProviderCall,
        /// What it said.
        message: String,
        /// The parameter it named.
        param: Option<String>,
    },
    /// The provider returned a value that is not what the WIT promises
    /// (not JSON).
    #[error("provider `{provider}` {version}: {call} returned an invalid value: {problem}")]
    InvalidOutput {
        /// Instance name.
        provider: String,
        /// Its version.
        version: String,
        /// The call.
        call: ProviderCall,
        /// What is wrong.
        problem: String,
    },
    /// The instance trapped or timed out: it was dropped, and restarted
    /// from its last config unless it is now backing off.
    #[error("provider `{provider}` {version}: {call} {cause}; {after}")]
    Crashed {
        /// Instance name.
        provider: String,
        /// Its version.
        version: String,
        /// The call.
        call: ProviderCall,
        /// Why (boxed: it is large, and rare).
        cause: Box<FailureCause>,
        /// Restarts so far.
        restarts: u32,
        /// What happened next, for the message.
        after: String,
    },
    /// The provider failed too often in a row and is not called until its
    /// back-off ends.
    #[error(
        "provider `{provider}` {version}: marked failed after {failures} failures in a row; not called for \
         another {} ms (back-off)", .retry_in.as_millis()
    )]
    BackingOff {
        /// Instance name.
        provider: String,
        /// Its version.
        version: String,
        /// Consecutive failures.
        failures: u32,
        /// Until the next attempt.
        retry_in: Duration,
    },
    /// The provider was stopped.
    #[error("provider `{provider}` {version}: stopped; start it again to call it")]
    Stopped {
        /// Instance name.
        provider: String,
        /// Its version.
        version: String,
    },
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Publishing the provider's files failed.
    #[error("provider `{provider}`: cannot unpack its files into {path}: {problem}")]
    Unpack {
        /// Instance name.
        provider: String,
        /// The target directory.
        path: String,
        /// Why.
        problem: String,
    },
}

fn param_suffix(param: &Option<String>) -> String {
    match param {
        Some(param) => format!(" (parameter `{param}`)"),
        None => String::new(),
    }
}
