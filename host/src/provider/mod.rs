//! Digital Rebar plugin providers (seed 003) as long-lived sandboxed
//! components. A provider is not a per-deployment hook: a
//! [`ProviderRuntime`] keeps one instance of it, and its state, across
//! `config`, `validate`, actions and events until `stop`.
//!
//! ```no_run
//! use paddock::Host;
//! use paddock::provider::{ActionRequest, ObjectStore, ProviderRuntime, ProviderSettings, StoreCaps};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let host = Host::new()?;
//! let store = ObjectStore::open("providers.sqlite3".as_ref(), StoreCaps::default())?;
//! let mut runtime = ProviderRuntime::new(&host, ProviderSettings { store: Some(store), ..Default::default() })?;
//! let name = runtime.load_file("incrementer.zip".as_ref(), None)?;
//! runtime.config(&name, &Default::default())?;
//! let request = ActionRequest::new("increment", "machines", "m1", serde_json::json!({"Name": "m1"}));
//! let result = runtime.action(&name, &request)?;
//! println!("{}", result.value);
//! runtime.shutdown(); // calls every provider's `stop`
//! # Ok(()) }
//! ```
//!
//! Here: [`definition`] checks what a provider says it is, [`selector`]
//! selects events, [`store`] keeps its objects, `instance` runs one
//! instance (deadlines, restarts after a trap, back-off), `runtime` routes
//! calls and events between providers, [`unpack`] publishes shipped files.

mod api;
mod bindings;
pub mod definition;
mod error;
mod instance;
mod runtime;
pub mod selector;
pub mod store;
pub mod unpack;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

pub use definition::{ActionSpec, ConfigParam, ParamSpec, ParamType, ProviderDefinition};
pub use error::{ProviderCall, ProviderError};
pub(crate) use instance::check_bundle;
pub use runtime::{Delivery, EventReport, Handled, ProviderRuntime, ProviderStatus};
pub use selector::Selector;
pub use store::{ObjectStore, StoreCaps, StoreError};

/// An event (Digital Rebar `models.Event`): `type.action.key` and the
/// object it is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    event_type: String,
    action: String,
    key: String,
    object: Value,
}

impl Event {
    /// An event; its type and action are words (lowercase letters, digits,
    /// `_`, `-`), its key is not empty.
    pub fn new(event_type: &str, action: &str, key: &str, object: Value) -> Result<Event, String> {
        definition::check_word("event type", event_type)?;
        definition::check_word("event action", action)?;
        if key.is_empty() || key.len() > store::MAX_KEY_BYTES || key.chars().any(char::is_control) {
            return Err(format!(
                "event key `{}` must be 1 to {} bytes without control characters",
                crate::sanitize::for_terminal(key, 200),
                store::MAX_KEY_BYTES
            ));
        }
        Ok(Event { event_type: event_type.to_string(), action: action.to_string(), key: key.to_string(), object })
    }

    /// The object type the event is about.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// What happened (`create`, `update`, ...).
    pub fn action(&self) -> &str {
        &self.action
    }

    /// The object's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The object.
    pub fn object(&self) -> &Value {
        &self.object
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.event_type, self.action, crate::sanitize::for_terminal(&self.key, 200))
    }
}

/// One action call (Digital Rebar `models.Action`).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    /// The action's command.
    pub command: String,
    /// The type of the object acted on.
    pub object_type: String,
    /// The key of the object acted on.
    pub object_key: String,
    /// The object acted on.
    pub object: Value,
    /// The action's parameters.
    pub params: BTreeMap<String, Value>,
}

impl ActionRequest {
    /// A request without parameters.
    pub fn new(command: &str, object_type: &str, object_key: &str, object: Value) -> ActionRequest {
        ActionRequest {
            command: command.to_string(),
            object_type: object_type.to_string(),
            object_key: object_key.to_string(),
            object,
            params: BTreeMap::new(),
        }
    }

    /// The request with parameter `name` set to `value`.
    pub fn with_param(mut self, name: &str, value: Value) -> ActionRequest {
        self.params.insert(name.to_string(), value);
        self
    }
}

/// A provider's configuration: parameter name to value.
pub type ProviderParams = BTreeMap<String, Value>;

/// When a failing provider is given up on for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Consecutive failures (traps, timeouts, failed restarts) after which
    /// the provider is marked failed and not called until its back-off ends.
    pub failures_before_backoff: u32,
    /// The first back-off; each further failure doubles it.
    pub backoff_base: Duration,
    /// The longest back-off.
    pub backoff_max: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            failures_before_backoff: 3,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
        }
    }
}

/// How far events may travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventLimits {
    /// Events one provider call may publish; the host refuses the rest.
    pub max_per_call: usize,
    /// How many providers deep an event may be answered by another event.
    pub max_depth: u32,
    /// Deliveries one top-level call or event may cause in all.
    pub max_deliveries: usize,
}

impl Default for EventLimits {
    fn default() -> Self {
        EventLimits { max_per_call: 64, max_depth: 8, max_deliveries: 1_024 }
    }
}

/// Where the runtime reads the time, so that back-off can be tested
/// without waiting.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Instant;
}

/// The system's monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// How a [`ProviderRuntime`] runs its providers.
#[derive(Clone)]
pub struct ProviderSettings {
    /// Where providers' objects are kept; without one, every object store
    /// call fails with a message saying so.
    pub store: Option<ObjectStore>,
    /// Restarts and back-off.
    pub restart: RestartPolicy,
    /// Event bounds.
    pub events: EventLimits,
    /// The clock back-off is measured on.
    pub clock: Arc<dyn Clock>,
}

impl Default for ProviderSettings {
    fn default() -> Self {
        ProviderSettings {
            store: None,
            restart: RestartPolicy::default(),
            events: EventLimits::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("store", &self.store)
            .field("restart", &self.restart)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}
