//! What a provider's instance may call: its scoped object store and the
//! event bus. The scope (the provider's name) and its object types come
//! from the host, never from the guest.

use std::sync::Arc;
use std::time::Instant;

use wasmtime_wasi::{WasiCtxView, WasiView};

use super::Event;
use super::bindings::paddock::rebar::{events, objects, types};
use super::store::{ObjectStore, StoreError};
use crate::sandbox::SandboxState;

/// Store data of a provider instance: the sandbox every plugin gets, plus
/// what its host interfaces need.
pub(crate) struct ProviderState {
    pub(crate) sandbox: SandboxState,
    scope: Arc<str>,
    /// The object types of its definition; empty until it is defined.
    pub(crate) object_types: Arc<[String]>,
    store: Option<ObjectStore>,
    /// Events published during the current call, delivered once it returns.
    pub(crate) outbox: Vec<Event>,
    max_outbox: usize,
    /// Events refused during the current call for exceeding `max_outbox`.
    pub(crate) refused_events: usize,
    /// The current call's deadline: host calls give up there.
    pub(crate) deadline: Instant,
}

impl ProviderState {
    pub(crate) fn new(
        sandbox: SandboxState,
        scope: Arc<str>,
        store: Option<ObjectStore>,
        max_outbox: usize,
    ) -> ProviderState {
        ProviderState {
            sandbox,
            scope,
            object_types: Arc::from(Vec::new()),
            store,
            outbox: Vec::new(),
            max_outbox,
            refused_events: 0,
            deadline: Instant::now(),
        }
    }

    fn store_for(&self, object_type: &str) -> Result<&ObjectStore, types::StoreError> {
        if !self.object_types.iter().any(|known| known == object_type) {
            return Err(wire(StoreError::UnknownType(crate::sanitize::for_terminal(object_type, 200))));
        }
        self.store.as_ref().ok_or_else(|| {
            types::StoreError::Unavailable(
                "this host runs providers without an object store; the embedder sets one (CLI `--store FILE`)"
                    .to_string(),
            )
        })
    }
}

fn wire(error: StoreError) -> types::StoreError {
    let message = error.to_string();
    match error {
        StoreError::UnknownType(_) => types::StoreError::UnknownType(message),
        StoreError::Exists(_) => types::StoreError::Exists(message),
        StoreError::NotFound(_) => types::StoreError::NotFound(message),
        StoreError::Invalid(_) => types::StoreError::Invalid(message),
        StoreError::TooLarge(_) => types::StoreError::TooLarge(message),
        _ => types::StoreError::Unavailable(message),
    }
}

impl WasiView for ProviderState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.sandbox.ctx()
    }
}

impl types::Host for ProviderState {}

impl objects::Host for ProviderState {
    fn create(&mut self, object_type: String, key: String, object: String) -> Result<(), types::StoreError> {
        let deadline = Some(self.deadline);
        self.store_for(&object_type)?.put(&self.scope, &object_type, &key, &object, true, deadline).map_err(wire)
    }

    fn get(&mut self, object_type: String, key: String) -> Result<Option<String>, types::StoreError> {
        let deadline = Some(self.deadline);
        self.store_for(&object_type)?.get_text(&self.scope, &object_type, &key, deadline).map_err(wire)
    }

    fn list(&mut self, object_type: String, prefix: String) -> Result<Vec<types::StoredObject>, types::StoreError> {
        let deadline = Some(self.deadline);
        let rows =
            self.store_for(&object_type)?.list_text(&self.scope, &object_type, &prefix, deadline).map_err(wire)?;
        Ok(rows.into_iter().map(|(key, object)| types::StoredObject { key, object }).collect())
    }

    fn update(&mut self, object_type: String, key: String, object: String) -> Result<(), types::StoreError> {
        let deadline = Some(self.deadline);
        self.store_for(&object_type)?.put(&self.scope, &object_type, &key, &object, false, deadline).map_err(wire)
    }

    fn delete(&mut self, object_type: String, key: String) -> Result<bool, types::StoreError> {
        let deadline = Some(self.deadline);
        self.store_for(&object_type)?.delete(&self.scope, &object_type, &key, deadline).map_err(wire)
    }
}

impl events::Host for ProviderState {
    fn publish(&mut self, event_type: String, action: String, key: String, object: String) -> Result<(), String> {
        if self.outbox.len() >= self.max_outbox {
            self.refused_events += 1;
            return Err(format!(
                "this call has published {} events, the most the host accepts per call; publish fewer",
                self.max_outbox
            ));
        }
        let object = serde_json::from_str(&object).map_err(|e| format!("the event's object is not JSON: {e}"))?;
        let event = Event::new(&event_type, &action, &key, object)?;
        self.outbox.push(event);
        Ok(())
    }
}
