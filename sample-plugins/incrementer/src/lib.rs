//! Digital Rebar's `incrementer` example provider, ported to Paddock.
//!
//! - `increment` on `machines`: adds a step (the action's
//!   `incrementer/step`, else the configured one) to a parameter of the
//!   machine (`incrementer/parameter`, else the configured one), kept in
//!   the host's object store as a `counters` object, and publishes
//!   `counters.update.<machine>/<parameter>` with the new value.
//! - `reset-count` on `machines`: removes that counter.
//! - `status` on `plugins`: what this instance has seen since it started.
//! - Events: counts `machines.update.*` events.

use std::sync::Mutex;

use paddock_guest::common::log;
use paddock_guest::rebar::{
    self, ActionRequest, ActionSpec, ConfigParam, Event, Json, Param, ParamSpec, ParamType, Provider,
    ProviderDefinition, ProviderError, events, objects,
};
use serde_json::{Value, json};

const STEP: &str = "incrementer/step";
const PARAMETER: &str = "incrementer/parameter";
const COUNTERS: &str = "counters";

/// What this instance keeps between calls: its config and what it saw.
struct State {
    step: i64,
    parameter: String,
    machine_updates: u64,
    increments: u64,
}

static STATE: Mutex<State> = Mutex::new(State { step: 1, parameter: String::new(), machine_updates: 0, increments: 0 });

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn error(message: impl Into<String>, param: Option<&str>) -> ProviderError {
    ProviderError { message: message.into(), param: param.map(str::to_string) }
}

fn spec(name: &str, param_type: ParamType, description: &str) -> ParamSpec {
    ParamSpec { name: name.into(), type_: param_type, description: description.into() }
}

fn parse(text: &str, param: &str) -> Result<Value, ProviderError> {
    serde_json::from_str(text).map_err(|e| error(format!("not JSON: {e}"), Some(param)))
}

struct Incrementer;

impl Provider for Incrementer {
    fn define() -> ProviderDefinition {
        ProviderDefinition {
            name: "incrementer".into(),
            version: "0.2.0".into(),
            actions: vec![
                ActionSpec {
                    command: "increment".into(),
                    object_type: "machines".into(),
                    required_params: vec![],
                    optional_params: vec![
                        spec(STEP, ParamType::Integer, "how much to add"),
                        spec(PARAMETER, ParamType::String, "the parameter to count in"),
                    ],
                },
                ActionSpec {
                    command: "reset-count".into(),
                    object_type: "machines".into(),
                    required_params: vec![spec(PARAMETER, ParamType::String, "the parameter to reset")],
                    optional_params: vec![],
                },
                ActionSpec {
                    command: "status".into(),
                    object_type: "plugins".into(),
                    required_params: vec![],
                    optional_params: vec![],
                },
            ],
            config_params: vec![
                ConfigParam {
                    name: STEP.into(),
                    type_: ParamType::Integer,
                    default: Some("1".into()),
                    description: "the step `increment` adds when the action names none".into(),
                },
                ConfigParam {
                    name: PARAMETER.into(),
                    type_: ParamType::String,
                    default: Some("\"incrementer/count\"".into()),
                    description: "the machine parameter `increment` counts in".into(),
                },
            ],
            event_selectors: vec!["machines.update.*".into()],
            object_types: vec![COUNTERS.into()],
            content: vec!["content/incrementer.yaml".into()],
        }
    }

    fn config(params: Vec<Param>) -> Result<(), ProviderError> {
        let step = rebar::param(&params, STEP).map(|text| parse(text, STEP)).transpose()?;
        let step = step.and_then(|value| value.as_i64()).unwrap_or(1);
        if step == 0 {
            return Err(error("must not be 0: increment would change nothing", Some(STEP)));
        }
        let parameter = match rebar::param(&params, PARAMETER).map(|text| parse(text, PARAMETER)).transpose()? {
            Some(Value::String(name)) if !name.is_empty() => name,
            Some(_) => return Err(error("must be a non-empty string", Some(PARAMETER))),
            None => "incrementer/count".to_string(),
        };
        log::info(&format!("configured: step {step}, counting in {parameter}"));
        let mut state = state();
        state.step = step;
        state.parameter = parameter;
        Ok(())
    }

    fn validate() -> Result<Json, ProviderError> {
        // Nothing outside the sandbox to look for: the store is the host's.
        Ok(json!({"store": "host", "counters": COUNTERS}).to_string())
    }

    fn action(request: ActionRequest) -> Result<Json, ProviderError> {
        match (request.command.as_str(), request.object_type.as_str()) {
            ("increment", "machines") => increment(&request),
            ("reset-count", "machines") => {
                let parameter = parameter_of(&request)?;
                let key = format!("{}/{parameter}", request.object_key);
                let removed = objects::delete(COUNTERS, &key).map_err(store_error)?;
                Ok(json!({"machine": request.object_key, "parameter": parameter, "removed": removed}).to_string())
            }
            ("status", "plugins") => {
                let state = state();
                Ok(json!({
                    "step": state.step,
                    "parameter": state.parameter,
                    "machine_updates": state.machine_updates,
                    "increments": state.increments,
                })
                .to_string())
            }
            (command, object_type) => Err(error(format!("no action `{command}` on `{object_type}`"), None)),
        }
    }

    fn publish(event: Event) -> Result<(), ProviderError> {
        if event.type_ == "machines" && event.action == "update" {
            state().machine_updates += 1;
        }
        Ok(())
    }

    fn stop() {
        log::info("stopping");
    }
}

fn parameter_of(request: &ActionRequest) -> Result<String, ProviderError> {
    match rebar::param(&request.params, PARAMETER).map(|text| parse(text, PARAMETER)).transpose()? {
        Some(Value::String(name)) => Ok(name),
        Some(_) => Err(error("must be a string", Some(PARAMETER))),
        None => Ok(state().parameter.clone()),
    }
}

fn increment(request: &ActionRequest) -> Result<Json, ProviderError> {
    let parameter = parameter_of(request)?;
    let step = match rebar::param(&request.params, STEP).map(|text| parse(text, STEP)).transpose()? {
        Some(value) => value.as_i64().ok_or_else(|| error("must be an integer", Some(STEP)))?,
        None => state().step,
    };
    let key = format!("{}/{parameter}", request.object_key);
    let value = match objects::get(COUNTERS, &key).map_err(store_error)? {
        Some(text) => {
            let current = parse(&text, "counter")?.get("value").and_then(Value::as_i64).unwrap_or(0);
            let value = current.saturating_add(step);
            objects::update(COUNTERS, &key, &json!({"value": value}).to_string()).map_err(store_error)?;
            value
        }
        None => {
            objects::create(COUNTERS, &key, &json!({"value": step}).to_string()).map_err(store_error)?;
            step
        }
    };
    state().increments += 1;
    let result = json!({"machine": request.object_key, "parameter": parameter, "value": value});
    if let Err(refused) = events::publish(COUNTERS, "update", &key, &result.to_string()) {
        log::warn(&format!("the host refused the counter event: {refused}"));
    }
    Ok(result.to_string())
}

fn store_error(error: rebar::StoreError) -> ProviderError {
    let message = match error {
        rebar::StoreError::UnknownType(m)
        | rebar::StoreError::Exists(m)
        | rebar::StoreError::NotFound(m)
        | rebar::StoreError::Invalid(m)
        | rebar::StoreError::TooLarge(m)
        | rebar::StoreError::Unavailable(m) => m,
    };
    ProviderError { message: format!("the object store refused: {message}"), param: None }
}

paddock_guest::export_provider!(Incrementer);
