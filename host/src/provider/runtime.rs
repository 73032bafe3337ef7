//! The providers an embedder runs, by name: loading (and checking each
//! definition), config, validate, actions, and event delivery between
//! providers, bounded in depth, per call and in all.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use wasmtime::component::Linker;

use super::api::ProviderState;
use super::bindings::paddock::rebar::types as wit;
use super::definition::{ActionProblem, ProviderDefinition};
use super::instance::{Aftermath, Instance, Reply, Request};
use super::{ActionRequest, Event, ProviderCall, ProviderError, ProviderParams, ProviderSettings};
use crate::bundle::Bundle;
use crate::call::MAX_GUEST_TEXT_CHARS;
use crate::engine::Host;

/// A call's result, with what the events it published did.
#[derive(Debug, Clone, PartialEq)]
pub struct Handled<T> {
    /// What the provider returned.
    pub value: T,
    /// Deliveries of the events the call published (and of their answers).
    pub events: EventReport,
}

/// One event delivered to one provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The provider it went to.
    pub provider: String,
    /// The event.
    pub event: Event,
    /// How its `publish` ended.
    pub result: Result<(), ProviderError>,
}

/// Where events went, in delivery order, and which were cut off.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventReport {
    /// Every delivery, in order.
    pub deliveries: Vec<Delivery>,
    /// Events not delivered, each with why (too deep, too many).
    pub cut_off: Vec<String>,
}

/// What an operator sees of a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderStatus {
    /// Instance name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Whether a config was accepted.
    pub configured: bool,
    /// Restarts after a trap or timeout.
    pub restarts: u32,
    /// Failures in a row.
    pub failures: u32,
    /// Time left of its back-off, when marked failed.
    pub backing_off_ms: Option<u128>,
    /// Whether it was stopped.
    pub stopped: bool,
}

struct Running {
    instance: Instance,
    definition: ProviderDefinition,
    bundle: Bundle,
    configured: bool,
}

struct Queued {
    event: Event,
    /// The provider that published it: never delivered back to it.
    origin: Option<usize>,
    depth: u32,
}

/// Providers running side by side, each one long-lived instance.
pub struct ProviderRuntime {
    host: Host,
    linker: Linker<ProviderState>,
    settings: ProviderSettings,
    providers: Vec<Running>,
}

impl std::fmt::Debug for ProviderRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderRuntime")
            .field("settings", &self.settings)
            .field("providers", &self.providers.iter().map(|p| p.instance.name()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ProviderRuntime {
    /// A runtime on `host`'s engine and limits.
    pub fn new(host: &Host, settings: ProviderSettings) -> Result<ProviderRuntime, ProviderError> {
        Ok(ProviderRuntime {
            host: host.clone(),
            linker: super::instance::linker(host)?,
            settings,
            providers: Vec::new(),
        })
    }

    /// Reads the bundle at `path` and loads it ([`ProviderRuntime::load`]).
    pub fn load_file(&mut self, path: &Path, name: Option<&str>) -> Result<String, ProviderError> {
        let bundle = self.host.read_bundle(path).map_err(|e| ProviderError::Host(e.to_string()))?;
        self.load(bundle, &path.display().to_string(), name)
    }

    /// Loads a provider bundle under `name` (default: its manifest's name;
    /// several instances of one provider need names of their own, and each
    /// has its own objects), instantiates it and checks its definition. It
    /// takes actions and events once [`ProviderRuntime::config`] accepted a
    /// config. Returns the name.
    pub fn load(&mut self, bundle: Bundle, source: &str, name: Option<&str>) -> Result<String, ProviderError> {
        let manifest = bundle.manifest();
        let name = name.unwrap_or(manifest.name()).to_string();
        let load_error = |problem: String| ProviderError::Load {
            provider: name.clone(),
            version: manifest.version().to_string(),
            origin: source.to_string(),
            problem,
        };
        crate::manifest::validate_name(&name).map_err(|e| load_error(format!("its name is not valid: {e}")))?;
        if !manifest.is_provider() {
            return Err(load_error(
                "its manifest does not say `provider: true`; a hook plugin runs in a plugin set".to_string(),
            ));
        }
        if self.position(&name).is_some() {
            return Err(ProviderError::Duplicate(name));
        }
        let mut instance = Instance::load(&self.host, &self.linker, &bundle, source, Arc::from(name.as_str()))?;
        let (reply, _) =
            instance.request(&self.host, &self.settings, Request::Define).map_err(|e| load_error(e.to_string()))?;
        let Reply::Definition(raw) = reply else {
            return Err(load_error("`define` returned no definition".to_string()));
        };
        let definition = ProviderDefinition::check(raw, manifest, bundle.files()).map_err(load_error)?;
        instance.set_object_types(definition.object_types());
        self.providers.push(Running { instance, definition, bundle, configured: false });
        Ok(name)
    }

    /// The definition of provider `name`.
    pub fn definition(&self, name: &str) -> Result<&ProviderDefinition, ProviderError> {
        Ok(&self.providers[self.find(name)?].definition)
    }

    /// The bundle provider `name` was loaded from.
    pub fn bundle(&self, name: &str) -> Result<&Bundle, ProviderError> {
        Ok(&self.providers[self.find(name)?].bundle)
    }

    /// The names of the providers, in load order.
    pub fn names(&self) -> Vec<String> {
        self.providers.iter().map(|p| p.instance.name().to_string()).collect()
    }

    /// Restarts, failures and back-off of provider `name`.
    pub fn status(&self, name: &str) -> Result<ProviderStatus, ProviderError> {
        let running = &self.providers[self.find(name)?];
        let instance = &running.instance;
        Ok(ProviderStatus {
            name: instance.name().to_string(),
            version: instance.version().to_string(),
            configured: running.configured,
            restarts: instance.restarts,
            failures: instance.failures,
            backing_off_ms: instance.backing_off(self.settings.clock.now()).map(|left| left.as_millis()),
            stopped: instance.stopped,
        })
    }

    /// Configures provider `name`: checks `params` against its definition
    /// (unknown, mistyped or missing parameters are refused, naming the
    /// parameter), fills in defaults, and calls its `config`. An accepted
    /// config is replayed after every restart.
    pub fn config(&mut self, name: &str, params: &ProviderParams) -> Result<Handled<()>, ProviderError> {
        let index = self.find(name)?;
        let running = &self.providers[index];
        let rejected = |param: Option<String>, message: String| ProviderError::ConfigRejected {
            provider: running.instance.name().to_string(),
            version: running.instance.version().to_string(),
            param,
            message,
        };
        let complete = running
            .definition
            .check_config(params)
            .map_err(|(param, problem)| rejected(Some(param.clone()), format!("`{param}` {problem}")))?;
        let params: Vec<wit::Param> =
            complete.iter().map(|(name, value)| wit::Param { name: name.clone(), value: value.to_string() }).collect();
        let (reply, aftermath) = self.request(index, Request::Config(params.clone()))?;
        let running = &mut self.providers[index];
        match reply {
            Reply::Done(Ok(())) => {
                running.instance.remember_config(params);
                running.configured = true;
                let events = self.route(index, aftermath, 1);
                Ok(Handled { value: (), events })
            }
            Reply::Done(Err(error)) => Err(ProviderError::ConfigRejected {
                provider: running.instance.name().to_string(),
                version: running.instance.version().to_string(),
                param: error.param.map(|param| crate::sanitize::for_terminal(&param, 200)),
                message: crate::sanitize::multiline_for_terminal(&error.message, MAX_GUEST_TEXT_CHARS),
            }),
            _ => Err(self.invalid(index, ProviderCall::Config, "it returned no config result".to_string())),
        }
    }

    /// Asks provider `name` whether it can run here.
    pub fn validate(&mut self, name: &str) -> Result<Handled<Value>, ProviderError> {
        let index = self.find(name)?;
        let (reply, aftermath) = self.request(index, Request::Validate)?;
        let value = self.json_reply(index, ProviderCall::Validate, reply)?;
        Ok(Handled { value, events: self.route(index, aftermath, 1) })
    }

    /// Runs an action. The host checks first that provider `name` lists
    /// the action for that object type and that every required parameter
    /// is there, each parameter of its declared type: a refused request
    /// never reaches the provider.
    pub fn action(&mut self, name: &str, request: &ActionRequest) -> Result<Handled<Value>, ProviderError> {
        let index = self.find(name)?;
        let running = &self.providers[index];
        let refused = |problem: String| ProviderError::ActionRefused {
            provider: running.instance.name().to_string(),
            version: running.instance.version().to_string(),
            command: crate::sanitize::for_terminal(&request.command, 200),
            object_type: crate::sanitize::for_terminal(&request.object_type, 200),
            problem,
        };
        running.definition.check_action(&request.command, &request.object_type, &request.params).map_err(
            |problem| {
                refused(match problem {
                    ActionProblem::UnknownAction { available } => format!(
                        "the provider has no such action; it offers: {}",
                        if available.is_empty() { "none".to_string() } else { available.join(", ") }
                    ),
                    ActionProblem::MissingParam { param, param_type } => {
                        format!("required parameter `{param}` ({}) is missing; send it", param_type.name())
                    }
                    ActionProblem::UnknownParam { param } => format!(
                        "parameter `{}` is not one the action takes; remove it",
                        crate::sanitize::for_terminal(&param, 200)
                    ),
                    ActionProblem::WrongType { param, expected } => {
                        format!("parameter `{param}` must be of type {}", expected.name())
                    }
                })
            },
        )?;
        self.require_configured(index)?;
        let wire = wit::ActionRequest {
            command: request.command.clone(),
            object_type: request.object_type.clone(),
            object_key: request.object_key.clone(),
            object: request.object.to_string(),
            params: request
                .params
                .iter()
                .map(|(name, value)| wit::Param { name: name.clone(), value: value.to_string() })
                .collect(),
        };
        let (reply, aftermath) = self.request(index, Request::Action(wire))?;
        let value = self.json_reply(index, ProviderCall::Action, reply)?;
        Ok(Handled { value, events: self.route(index, aftermath, 1) })
    }

    /// Publishes `event` to every configured provider whose selectors
    /// match, in load order, then the events they publish in answer, in
    /// order, never back to their publisher.
    pub fn publish(&mut self, event: Event) -> EventReport {
        let mut queue = VecDeque::from([Queued { event, origin: None, depth: 0 }]);
        self.deliver(&mut queue)
    }

    /// Stops provider `name`: calls its `stop` and drops the instance.
    pub fn stop(&mut self, name: &str) -> Result<(), ProviderError> {
        let index = self.find(name)?;
        let host = self.host.clone();
        self.providers[index].instance.stop(&host)
    }

    /// Stops every provider, in reverse load order; returns the failures.
    pub fn shutdown(&mut self) -> Vec<ProviderError> {
        let host = self.host.clone();
        self.providers
            .iter_mut()
            .rev()
            .filter(|p| !p.instance.stopped)
            .filter_map(|p| p.instance.stop(&host).err())
            .collect()
    }

    fn request(&mut self, index: usize, request: Request) -> Result<(Reply, Aftermath), ProviderError> {
        let host = self.host.clone();
        self.providers[index].instance.request(&host, &self.settings, request)
    }

    fn require_configured(&self, index: usize) -> Result<(), ProviderError> {
        let running = &self.providers[index];
        if running.configured {
            return Ok(());
        }
        Err(ProviderError::NotConfigured {
            provider: running.instance.name().to_string(),
            version: running.instance.version().to_string(),
        })
    }

    fn json_reply(&self, index: usize, call: ProviderCall, reply: Reply) -> Result<Value, ProviderError> {
        let instance = &self.providers[index].instance;
        match reply {
            Reply::Value(Ok(text)) => serde_json::from_str(&text)
                .map_err(|e| self.invalid(index, call, format!("its result is not JSON ({e})"))),
            Reply::Value(Err(error)) => Err(ProviderError::Reported {
                provider: instance.name().to_string(),
                version: instance.version().to_string(),
                call,
                message: crate::sanitize::multiline_for_terminal(&error.message, MAX_GUEST_TEXT_CHARS),
                param: error.param.map(|param| crate::sanitize::for_terminal(&param, 200)),
            }),
            _ => Err(self.invalid(index, call, "it returned no value".to_string())),
        }
    }

    fn invalid(&self, index: usize, call: ProviderCall, problem: String) -> ProviderError {
        let instance = &self.providers[index].instance;
        ProviderError::InvalidOutput {
            provider: instance.name().to_string(),
            version: instance.version().to_string(),
            call,
            problem,
        }
    }

    /// Delivers what a call of provider `origin` published, at `depth`.
    fn route(&mut self, origin: usize, aftermath: Aftermath, depth: u32) -> EventReport {
        let mut report = EventReport::default();
        self.note_refused(origin, aftermath.refused_events, &mut report);
        let mut queue: VecDeque<Queued> =
            aftermath.events.into_iter().map(|event| Queued { event, origin: Some(origin), depth }).collect();
        let delivered = self.deliver(&mut queue);
        report.deliveries.extend(delivered.deliveries);
        report.cut_off.extend(delivered.cut_off);
        report
    }

    fn note_refused(&self, origin: usize, refused: usize, report: &mut EventReport) {
        if refused > 0 {
            report.cut_off.push(format!(
                "provider `{}` published more than {} events in one call; the host refused {refused} of them",
                self.providers[origin].instance.name(),
                self.settings.events.max_per_call
            ));
        }
    }

    fn deliver(&mut self, queue: &mut VecDeque<Queued>) -> EventReport {
        let limits = self.settings.events;
        let mut report = EventReport::default();
        while let Some(queued) = queue.pop_front() {
            if queued.depth > limits.max_depth {
                report.cut_off.push(format!(
                    "event {} from provider `{}` was not delivered: events answered events {} deep, the most \
                     this host allows",
                    queued.event,
                    queued.origin.map_or("", |origin| self.providers[origin].instance.name()),
                    limits.max_depth
                ));
                continue;
            }
            for index in 0..self.providers.len() {
                let running = &self.providers[index];
                if Some(index) == queued.origin || !running.configured || !running.definition.selects(&queued.event) {
                    continue;
                }
                if report.deliveries.len() >= limits.max_deliveries {
                    report.cut_off.push(format!(
                        "event {} was not delivered to `{}`: this call caused {} deliveries, the most this host allows",
                        queued.event,
                        running.instance.name(),
                        limits.max_deliveries
                    ));
                    continue;
                }
                let wire = wit::Event {
                    type_: queued.event.event_type.clone(),
                    action: queued.event.action.clone(),
                    key: queued.event.key.clone(),
                    object: queued.event.object.to_string(),
                };
                let result = match self.request(index, Request::Publish(wire)) {
                    Ok((Reply::Done(Ok(())), aftermath)) => {
                        self.note_refused(index, aftermath.refused_events, &mut report);
                        queue.extend(aftermath.events.into_iter().map(|event| Queued {
                            event,
                            origin: Some(index),
                            depth: queued.depth + 1,
                        }));
                        Ok(())
                    }
                    Ok((Reply::Done(Err(error)), _)) => {
                        let instance = &self.providers[index].instance;
                        Err(ProviderError::Reported {
                            provider: instance.name().to_string(),
                            version: instance.version().to_string(),
                            call: ProviderCall::Publish,
                            message: crate::sanitize::multiline_for_terminal(&error.message, MAX_GUEST_TEXT_CHARS),
                            param: None,
                        })
                    }
                    Ok(_) => Err(self.invalid(index, ProviderCall::Publish, "it returned no result".to_string())),
                    Err(error) => Err(error),
                };
                report.deliveries.push(Delivery {
                    provider: self.providers[index].instance.name().to_string(),
                    event: queued.event.clone(),
                    result,
                });
            }
        }
        report
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.providers.iter().position(|p| p.instance.name() == name)
    }

    fn find(&self, name: &str) -> Result<usize, ProviderError> {
        self.position(name).ok_or_else(|| ProviderError::Unknown {
            name: crate::sanitize::for_terminal(name, 200),
            running: if self.providers.is_empty() { "none".to_string() } else { self.names().join(", ") },
        })
    }
}

impl Drop for ProviderRuntime {
    fn drop(&mut self) {
        // `stop` before the instance is dropped, as the seed promises.
        for error in self.shutdown() {
            tracing::warn!(target: "paddock::provider", "{error}");
        }
    }
}
