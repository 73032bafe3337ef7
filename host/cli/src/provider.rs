//! `paddock provider`: define, validate and serve Digital Rebar providers.
//! `serve` drives them the way dr-provision would, without a network
//! listener: newline-delimited JSON requests on stdin, one JSON result per
//! line on stdout.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use paddock::provider::{
    ActionRequest, Event, EventReport, ObjectStore, ProviderDefinition, ProviderRuntime, ProviderSettings, StoreCaps,
};
use paddock::{Host, HostConfig};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Format;

/// Longest request line `serve` reads; a longer one is refused and skipped.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

#[derive(Subcommand)]
pub(crate) enum ProviderCommand {
    /// Print a provider's definition: actions, config, events, object types, content.
    Define {
        /// The provider bundle zip.
        bundle: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Configure a provider (with its defaults, or --config) and ask it whether it can run here.
    Validate {
        /// The provider bundle zip.
        bundle: PathBuf,
        /// Its configuration, a JSON object of parameter values.
        #[arg(long, value_name = "JSON")]
        config: Option<String>,
    },
    /// Run providers and answer newline-delimited JSON requests on stdin, one JSON line each.
    ///
    /// Requests: {"op":"config","provider":P,"params":{..}},
    /// {"op":"validate","provider":P}, {"op":"action","provider":P,"command":C,
    /// "object_type":T,"key":K,"object":{..},"params":{..}},
    /// {"op":"event","type":T,"action":A,"key":K,"object":{..}},
    /// {"op":"status","provider":P}, {"op":"stop","provider":P} (without
    /// provider: stop all and exit). End of input stops every provider.
    Serve(ServeArgs),
}

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Provider bundle zips.
    #[arg(required = true)]
    bundles: Vec<PathBuf>,
    /// SQLite file holding the providers' objects (created if missing).
    #[arg(long, value_name = "FILE")]
    store: Option<PathBuf>,
    /// Static file space: each provider's files are published read-only into DIR/<provider>/.
    #[arg(long, value_name = "DIR")]
    filespace: Option<PathBuf>,
}

pub(crate) fn run(config: HostConfig, command: ProviderCommand) -> Result<ExitCode> {
    let host = Host::with_config(config)?;
    match command {
        ProviderCommand::Define { bundle, format } => {
            let definition = definition_of(&host, &bundle)?;
            crate::emit(&match format {
                Format::Json => format!("{}\n", serde_json::to_string_pretty(&definition)?),
                Format::Text => definition_text(&definition),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        ProviderCommand::Validate { bundle, config } => {
            let params = match config {
                Some(text) => serde_json::from_str(&text).context("--config must be a JSON object of parameters")?,
                None => BTreeMap::new(),
            };
            let mut runtime = ProviderRuntime::new(&host, ProviderSettings::default())?;
            let name = runtime.load_file(&bundle, None)?;
            runtime.config(&name, &params)?;
            let result = runtime.validate(&name)?;
            crate::emit(&format!("{name}: ok: {}\n", result.value))?;
            Ok(ExitCode::SUCCESS)
        }
        ProviderCommand::Serve(args) => serve(&host, args),
    }
}

/// The definition of the provider in `bundle`, for `define` and `inspect`.
pub(crate) fn definition_of(host: &Host, bundle: &Path) -> Result<ProviderDefinition> {
    let mut runtime = ProviderRuntime::new(host, ProviderSettings::default())?;
    let name = runtime.load_file(bundle, None)?;
    Ok(runtime.definition(&name)?.clone())
}

/// A definition for a terminal.
pub(crate) fn definition_text(definition: &ProviderDefinition) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "provider:    {} {}", definition.name(), definition.version());
    let _ = writeln!(out, "actions:");
    for action in definition.actions() {
        let params = |specs: &[paddock::provider::ParamSpec]| {
            specs.iter().map(|p| format!("{}: {}", p.name, p.param_type.name())).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(
            out,
            "  {} on {} (required: {}; optional: {})",
            action.command,
            action.object_type,
            or_none(params(&action.required_params)),
            or_none(params(&action.optional_params))
        );
    }
    let _ = writeln!(out, "config:");
    for param in definition.config_params() {
        let default = param.default.as_ref().map_or("required".to_string(), |value| format!("default {value}"));
        let _ = writeln!(out, "  {}: {} ({default})", param.name, param.param_type.name());
    }
    let selectors: Vec<String> = definition.event_selectors().iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "events:      {}", or_none(selectors.join(", ")));
    let _ = writeln!(out, "objects:     {}", or_none(definition.object_types().join(", ")));
    let _ = writeln!(out, "content:     {}", or_none(definition.content().join(", ")));
    out
}

fn or_none(text: String) -> String {
    if text.is_empty() { "none".to_string() } else { text }
}

/// One request line of `serve`.
#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
enum Request {
    Config {
        provider: String,
        #[serde(default)]
        params: BTreeMap<String, Value>,
    },
    Validate {
        provider: String,
    },
    Action {
        provider: String,
        command: String,
        object_type: String,
        key: String,
        #[serde(default)]
        object: Value,
        #[serde(default)]
        params: BTreeMap<String, Value>,
    },
    Event {
        #[serde(rename = "type")]
        event_type: String,
        action: String,
        key: String,
        #[serde(default)]
        object: Value,
    },
    Status {
        provider: String,
    },
    Stop {
        provider: Option<String>,
    },
}

fn serve(host: &Host, args: ServeArgs) -> Result<ExitCode> {
    let store = args.store.as_deref().map(|path| ObjectStore::open(path, StoreCaps::default())).transpose()?;
    let mut runtime = ProviderRuntime::new(host, ProviderSettings { store, ..ProviderSettings::default() })?;
    let mut names = Vec::new();
    for bundle in &args.bundles {
        let name = runtime.load_file(bundle, None)?;
        if let Some(filespace) = &args.filespace {
            paddock::provider::unpack::unpack(&runtime, &name, filespace)?;
        }
        names.push(name);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // Digital Rebar's `READY!`: every provider is loaded and defined.
    writeln!(out, "{}", json!({"ready": true, "providers": names}))?;
    out.flush()?;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut input).take(MAX_REQUEST_BYTES as u64 + 1).read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        let response = if line.len() > MAX_REQUEST_BYTES && !line.ends_with(b"\n") {
            skip_line(&mut input)?;
            json!({"ok": false, "error": format!("the request is longer than {MAX_REQUEST_BYTES} bytes; send a shorter one")})
        } else if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        } else {
            match serde_json::from_slice::<Request>(&line) {
                Err(error) => json!({"ok": false, "error": format!("not a request: {error}")}),
                Ok(Request::Stop { provider: None }) => {
                    let failures: Vec<String> = runtime.shutdown().iter().map(ToString::to_string).collect();
                    writeln!(out, "{}", json!({"ok": failures.is_empty(), "stopped": names, "errors": failures}))?;
                    out.flush()?;
                    return Ok(ExitCode::SUCCESS);
                }
                Ok(request) => answer(&mut runtime, request),
            }
        };
        writeln!(out, "{response}")?;
        out.flush()?;
    }
    for error in runtime.shutdown() {
        tracing::warn!("{error}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads and drops the rest of an overlong line, a bounded chunk at a time.
fn skip_line(input: &mut impl BufRead) -> Result<()> {
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(());
        }
        match buffer.iter().position(|&b| b == b'\n') {
            Some(end) => {
                input.consume(end + 1);
                return Ok(());
            }
            None => {
                let all = buffer.len();
                input.consume(all);
            }
        }
    }
}

fn answer(runtime: &mut ProviderRuntime, request: Request) -> Value {
    let result = match request {
        Request::Config { provider, params } => {
            runtime.config(&provider, &params).map(|handled| (Value::Null, handled.events))
        }
        Request::Validate { provider } => runtime.validate(&provider).map(|handled| (handled.value, handled.events)),
        Request::Action { provider, command, object_type, key, object, params } => {
            let request = ActionRequest { command, object_type, object_key: key, object, params };
            runtime.action(&provider, &request).map(|handled| (handled.value, handled.events))
        }
        Request::Event { event_type, action, key, object } => match Event::new(&event_type, &action, &key, object) {
            Ok(event) => Ok((Value::Null, runtime.publish(event))),
            Err(problem) => return json!({"ok": false, "error": problem}),
        },
        Request::Status { provider } => runtime
            .status(&provider)
            .map(|status| (serde_json::to_value(status).unwrap_or(Value::Null), EventReport::default())),
        Request::Stop { provider: Some(provider) } => {
            runtime.stop(&provider).map(|()| (Value::Null, EventReport::default()))
        }
        Request::Stop { provider: None } => Ok((Value::Null, EventReport::default())),
    };
    match result {
        Ok((value, events)) => {
            json!({"ok": true, "result": value, "events": deliveries(&events), "cut_off": events.cut_off})
        }
        Err(error) => json!({"ok": false, "error": error.to_string()}),
    }
}

fn deliveries(report: &EventReport) -> Vec<Value> {
    report
        .deliveries
        .iter()
        .map(|delivery| match &delivery.result {
            Ok(()) => json!({"provider": delivery.provider, "event": delivery.event.to_string(), "ok": true}),
            Err(error) => json!({
                "provider": delivery.provider,
                "event": delivery.event.to_string(),
                "ok": false,
                "error": error.to_string(),
            }),
        })
        .collect()
}
