//! A provider that misbehaves on request, for the tests. Actions on
//! `machines`: `count` (an in-memory counter: shows whether the instance,
//! and its state, survived), `crash` (panics), `spin` (loops past the
//! deadline), `flood` (publishes more events than the host accepts),
//! `emit` (publishes one event, `type`/`action`/`key` from its params),
//! `peek` (reads a `notes` object: shows store isolation), `note` (writes
//! one, `size` bytes). Events: it records every one it receives (`seen`)
//! and answers a `ping` with another `ping` (two probes ping-pong).
//! Config `fail` (boolean) makes `config` trap, `reject` makes it refuse.

use std::hint::black_box;
use std::sync::Mutex;

use paddock_guest::rebar::{
    self, ActionRequest, ActionSpec, ConfigParam, Event, Json, Param, ParamSpec, ParamType, Provider,
    ProviderDefinition, ProviderError, events, objects,
};
use serde_json::{Value, json};

static COUNT: Mutex<u64> = Mutex::new(0);
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn error(message: impl Into<String>, param: Option<&str>) -> ProviderError {
    ProviderError { message: message.into(), param: param.map(str::to_string) }
}

fn text_param(request: &ActionRequest, name: &str) -> String {
    rebar::param(&request.params, name)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn action(command: &str, optional: &[(&str, ParamType)]) -> ActionSpec {
    ActionSpec {
        command: command.into(),
        object_type: "machines".into(),
        required_params: vec![],
        optional_params: optional
            .iter()
            .map(|(name, param_type)| ParamSpec {
                name: (*name).into(),
                type_: *param_type,
                description: String::new(),
            })
            .collect(),
    }
}

struct Probe;

impl Provider for Probe {
    fn define() -> ProviderDefinition {
        let mut note = action("note", &[("key", ParamType::String), ("size", ParamType::Integer)]);
        note.required_params =
            vec![ParamSpec { name: "key".into(), type_: ParamType::String, description: String::new() }];
        note.optional_params.retain(|param| param.name == "size");
        ProviderDefinition {
            name: "provider-probe".into(),
            version: "0.0.1".into(),
            actions: vec![
                action("count", &[]),
                action("crash", &[]),
                action("spin", &[]),
                action("flood", &[]),
                action(
                    "emit",
                    &[("type", ParamType::String), ("action", ParamType::String), ("key", ParamType::String)],
                ),
                action("peek", &[("key", ParamType::String)]),
                note,
                action("seen", &[]),
            ],
            config_params: vec![
                ConfigParam {
                    name: "fail".into(),
                    type_: ParamType::Boolean,
                    default: Some("false".into()),
                    description: String::new(),
                },
                ConfigParam {
                    name: "reject".into(),
                    type_: ParamType::Boolean,
                    default: Some("false".into()),
                    description: String::new(),
                },
            ],
            event_selectors: vec!["machines.*.*".into(), "ping.*.*".into()],
            object_types: vec!["notes".into()],
            content: vec![],
        }
    }

    fn config(params: Vec<Param>) -> Result<(), ProviderError> {
        if rebar::param(&params, "fail") == Some("true") {
            panic!("config was told to fail");
        }
        if rebar::param(&params, "reject") == Some("true") {
            return Err(error("refusing to run with reject set", Some("reject")));
        }
        Ok(())
    }

    fn validate() -> Result<Json, ProviderError> {
        Ok(json!({"ok": true}).to_string())
    }

    fn action(request: ActionRequest) -> Result<Json, ProviderError> {
        match request.command.as_str() {
            "count" => {
                let mut count = COUNT.lock().unwrap();
                *count += 1;
                Ok(count.to_string())
            }
            "crash" => panic!("crashing on request"),
            "spin" => loop {
                black_box(0);
            },
            "flood" => {
                let mut refused = 0;
                for n in 0..10_000 {
                    if events::publish("machines", "update", &format!("flood-{n}"), "{}").is_err() {
                        refused += 1;
                    }
                }
                Ok(refused.to_string())
            }
            "emit" => {
                events::publish(
                    &text_param(&request, "type"),
                    &text_param(&request, "action"),
                    &text_param(&request, "key"),
                    "{}",
                )
                .map_err(|e| error(e, None))?;
                Ok("null".into())
            }
            "peek" => {
                let found =
                    objects::get("notes", &text_param(&request, "key")).map_err(|e| error(format!("{e:?}"), None))?;
                Ok(json!(found).to_string())
            }
            "note" => {
                let size = rebar::param(&request.params, "size").and_then(|text| text.parse().ok()).unwrap_or(2);
                let body = json!("x".repeat(size.max(2) - 2)).to_string();
                match objects::create("notes", &text_param(&request, "key"), &body) {
                    Ok(()) => Ok("true".into()),
                    Err(e) => Err(error(format!("{e:?}"), None)),
                }
            }
            "seen" => Ok(json!(*SEEN.lock().unwrap()).to_string()),
            other => Err(error(format!("no action {other}"), None)),
        }
    }

    fn publish(event: Event) -> Result<(), ProviderError> {
        SEEN.lock().unwrap().push(format!("{}.{}.{}", event.type_, event.action, event.key));
        if event.type_ == "ping" {
            let _ = events::publish("ping", "echo", &format!("{}+", event.key), "{}");
        }
        Ok(())
    }

    fn stop() {
        // Leaves a trace the tests can read after the instance is gone.
        let _ = objects::create("notes", "stopped", "true");
    }
}

paddock_guest::export_provider!(Probe);
