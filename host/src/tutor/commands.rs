//! The CLI commands plugins add (Tutor `command`): a command line is parsed
//! against the command's declaration ([`CommandSpec`]) before the plugin is
//! called, so an unknown option, a missing argument, a bad number or a word
//! outside a choice is an error naming it, and the plugin never sees it.
//!
//! Syntax, as click's: positional arguments in order; `--name VALUE` or
//! `--name=VALUE` for an option; `--name` alone for a boolean option; `--`
//! ends the options.

use crate::hooks::tutor::{ArgumentValue, CommandCall, CommandSpec, ParameterSpec, ValueType};
use crate::hooks::{TutorCommands, TutorRunCommand};
use crate::outcome::Status;
use crate::plugin_set::PluginSet;
use crate::sanitize::for_terminal;

use super::TutorError;

/// Most words on one command line.
const MAX_ARGS: usize = 256;
/// Longest word on a command line.
const MAX_ARG_BYTES: usize = 64 * 1024;

/// Why a command was not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The set has no plugin of that id or name.
    #[error("no plugin `{given}` in the set; the plugins are: {known}")]
    UnknownPlugin {
        /// What was asked for, sanitised.
        given: String,
        /// The set's plugin ids.
        known: String,
    },
    /// The plugin declares no such command.
    #[error("plugin `{plugin}` {version} has no command `{command}`; its commands are: {known}")]
    UnknownCommand {
        /// Manifest name.
        plugin: String,
        /// Manifest version.
        version: String,
        /// What was asked for, sanitised.
        command: String,
        /// Its commands.
        known: String,
    },
    /// The command line does not fit the command's declaration.
    #[error("plugin `{plugin}` {version}, command `{command}`: {problem}; usage: {usage}")]
    BadArguments {
        /// Manifest name.
        plugin: String,
        /// Manifest version.
        version: String,
        /// The command.
        command: String,
        /// What is wrong.
        problem: String,
        /// The command's usage line.
        usage: String,
    },
}

/// `text` as a value of `kind`, or why not.
pub(crate) fn value_of(kind: &ValueType, text: &str) -> Result<ArgumentValue, String> {
    let shown = || for_terminal(text, 80);
    match kind {
        ValueType::Text => Ok(ArgumentValue::Text(text.to_string())),
        ValueType::Integer => {
            text.parse().map(ArgumentValue::Integer).map_err(|_| format!("`{}` is not a whole number", shown()))
        }
        ValueType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(ArgumentValue::Boolean(true)),
            "false" | "no" | "off" | "0" => Ok(ArgumentValue::Boolean(false)),
            _ => Err(format!("`{}` is not true or false", shown())),
        },
        ValueType::Choice(words) => match words.iter().find(|word| *word == text) {
            Some(word) => Ok(ArgumentValue::Text(word.clone())),
            None => Err(format!("`{}` is not one of {}", shown(), words.join(", "))),
        },
    }
}

fn placeholder(parameter: &ParameterSpec) -> String {
    match &parameter.kind {
        ValueType::Choice(words) => format!("[{}]", words.join("|")),
        ValueType::Integer => "N".to_string(),
        _ => parameter.name.to_ascii_uppercase().replace('-', "_"),
    }
}

/// `greet NAME [--times N] [--shout]`.
pub fn usage(command: &CommandSpec) -> String {
    let mut words = vec![command.name.clone()];
    for argument in &command.arguments {
        let word = placeholder(argument);
        words.push(if argument.required { word } else { format!("[{word}]") });
    }
    for option in &command.options {
        let word = match option.kind {
            ValueType::Boolean => format!("--{}", option.name),
            _ => format!("--{} {}", option.name, placeholder(option)),
        };
        words.push(if option.required { word } else { format!("[{word}]") });
    }
    words.join(" ")
}

/// A plugin's commands as help lines: each usage, its help, and each
/// parameter with its type and default (not yet sanitised).
pub fn help_lines(commands: &[CommandSpec]) -> Vec<String> {
    let mut lines = Vec::new();
    for command in commands {
        lines.push(format!("  {}", usage(command)));
        lines.push(format!("      {}", command.help));
        for parameter in command.arguments.iter().chain(&command.options) {
            let kind = match &parameter.kind {
                ValueType::Text => "text".to_string(),
                ValueType::Integer => "integer".to_string(),
                ValueType::Boolean => "boolean".to_string(),
                ValueType::Choice(words) => format!("one of {}", words.join(", ")),
            };
            let default = parameter.default.as_ref().map(|d| format!(", default {d}")).unwrap_or_default();
            let required = if parameter.required { ", required" } else { "" };
            let name = if command.options.contains(parameter) {
                format!("--{}", parameter.name)
            } else {
                placeholder(parameter)
            };
            lines.push(format!("      {name}  ({kind}{required}{default}) {}", parameter.help));
        }
    }
    lines
}

/// Parses `args` against `command`, a command of plugin `plugin` at
/// `version` (for messages).
pub fn parse(plugin: &str, version: &str, command: &CommandSpec, args: &[String]) -> Result<CommandCall, CommandError> {
    let fail = |problem: String| CommandError::BadArguments {
        plugin: plugin.to_string(),
        version: version.to_string(),
        command: command.name.clone(),
        problem,
        usage: usage(command),
    };
    if args.len() > MAX_ARGS {
        return Err(fail(format!("{} words; the limit is {MAX_ARGS}", args.len())));
    }
    if let Some(long) = args.iter().find(|arg| arg.len() > MAX_ARG_BYTES) {
        return Err(fail(format!("a {}-byte word; the limit is {MAX_ARG_BYTES}", long.len())));
    }
    let mut positional: Vec<&str> = Vec::new();
    let mut options: Vec<(&ParameterSpec, ArgumentValue)> = Vec::new();
    let mut words = args.iter();
    let mut only_positional = false;
    while let Some(word) = words.next() {
        let Some(option) = word.strip_prefix("--").filter(|_| !only_positional) else {
            positional.push(word);
            continue;
        };
        if option.is_empty() {
            only_positional = true;
            continue;
        }
        let (name, inline) = match option.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (option, None),
        };
        let Some(spec) = command.options.iter().find(|spec| spec.name == name) else {
            let known: Vec<String> = command.options.iter().map(|spec| format!("--{}", spec.name)).collect();
            return Err(fail(format!(
                "unknown option `--{}`; the options are: {}",
                for_terminal(name, 80),
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )));
        };
        if options.iter().any(|(given, _)| given.name == spec.name) {
            return Err(fail(format!("option `--{name}` is given twice; give it once")));
        }
        let text = match (inline, &spec.kind) {
            (Some(text), _) => text,
            (None, ValueType::Boolean) => "true",
            (None, _) => words.next().ok_or_else(|| fail(format!("option `--{name}` needs a value")))?,
        };
        let value = value_of(&spec.kind, text).map_err(|problem| fail(format!("option `--{name}`: {problem}")))?;
        options.push((spec, value));
    }
    if positional.len() > command.arguments.len() {
        return Err(fail(format!(
            "unexpected argument `{}`; the command takes {} arguments",
            for_terminal(positional[command.arguments.len()], 80),
            command.arguments.len()
        )));
    }
    let mut arguments = Vec::new();
    for (index, spec) in command.arguments.iter().enumerate() {
        let value = match (positional.get(index), &spec.default) {
            (Some(text), _) => Some(
                value_of(&spec.kind, text).map_err(|problem| fail(format!("argument `{}`: {problem}", spec.name)))?,
            ),
            (None, Some(default)) => value_of(&spec.kind, default).ok(),
            (None, None) if spec.required => return Err(fail(format!("missing argument `{}`", placeholder(spec)))),
            (None, None) => None,
        };
        arguments.extend(value.map(|value| (spec.name.clone(), value)));
    }
    for spec in &command.options {
        let value = match (options.iter().find(|(given, _)| given.name == spec.name), &spec.default) {
            (Some((_, value)), _) => Some(value.clone()),
            (None, Some(default)) => value_of(&spec.kind, default).ok(),
            (None, None) if spec.required => return Err(fail(format!("missing option `--{}`", spec.name))),
            (None, None) => None,
        };
        arguments.extend(value.map(|value| (spec.name.clone(), value)));
    }
    Ok(CommandCall::parsed(command.name.clone(), arguments))
}

/// The plugin configured under `id` (or named `id`) in `set`.
fn find<'s>(set: &'s PluginSet, id: &str) -> Result<(&'s crate::Plugin, &'s str), CommandError> {
    set.plugins().find(|(plugin, plugin_id)| *plugin_id == id || plugin.name() == id).ok_or_else(|| {
        CommandError::UnknownPlugin {
            given: for_terminal(id, 80),
            known: set.plugins().map(|(_, id)| id.to_string()).collect::<Vec<_>>().join(", "),
        }
    })
}

/// The commands the plugin `id` of `set` adds (none when it does not
/// implement `tutor-commands`), with its name and version.
pub fn commands_of(set: &PluginSet, id: &str) -> Result<(String, String, Vec<CommandSpec>), TutorError> {
    let (plugin, id) = find(set, id)?;
    let identity = (plugin.name().to_string(), plugin.version().to_string());
    match set.call_one::<TutorCommands>(id, &()).map(|outcome| outcome.status) {
        Some(Status::Ok(commands)) => Ok((identity.0, identity.1, commands)),
        Some(Status::Failed(failure)) => Err(failure.into()),
        _ => Ok((identity.0, identity.1, Vec::new())),
    }
}

/// Runs `command` of the plugin `id` of `set` with the command line
/// `args`, parsed first: the text it returns.
pub fn run(set: &PluginSet, id: &str, command: &str, args: &[String]) -> Result<String, TutorError> {
    let (name, version, commands) = commands_of(set, id)?;
    let Some(spec) = commands.iter().find(|spec| spec.name == command) else {
        let known: Vec<&str> = commands.iter().map(|spec| spec.name.as_str()).collect();
        return Err(CommandError::UnknownCommand {
            plugin: name,
            version,
            command: for_terminal(command, 80),
            known: if known.is_empty() { "none".to_string() } else { known.join(", ") },
        }
        .into());
    };
    let call = parse(&name, &version, spec, args)?;
    let (_, id) = find(set, id)?;
    match set.call_one::<TutorRunCommand>(id, &call).map(|outcome| outcome.status) {
        Some(Status::Ok(output)) => Ok(output),
        Some(Status::Failed(failure)) => Err(failure.into()),
        _ => Err(TutorError::Plugin {
            plugin: name,
            version,
            problem: format!(
                "declares command `{command}` but does not implement tutor-run-command; export paddock:tutor/command"
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameter(name: &str, kind: ValueType, required: bool, default: Option<&str>) -> ParameterSpec {
        ParameterSpec { name: name.into(), help: String::new(), kind, required, default: default.map(Into::into) }
    }

    fn greet() -> CommandSpec {
        CommandSpec {
            name: "greet".into(),
            help: "Greets".into(),
            arguments: vec![parameter("name", ValueType::Text, true, None)],
            options: vec![
                parameter("times", ValueType::Integer, false, Some("1")),
                parameter("shout", ValueType::Boolean, false, None),
                parameter("tone", ValueType::Choice(vec!["warm".into(), "dry".into()]), false, None),
            ],
        }
    }

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn a_command_line_parses_into_typed_values_in_declaration_order() {
        let call = parse("p", "1.0.0", &greet(), &words("--shout bob --tone=dry")).unwrap();
        assert_eq!(call.command(), "greet");
        assert_eq!(
            call.arguments(),
            [
                ("name".to_string(), ArgumentValue::Text("bob".into())),
                ("times".to_string(), ArgumentValue::Integer(1)),
                ("shout".to_string(), ArgumentValue::Boolean(true)),
                ("tone".to_string(), ArgumentValue::Text("dry".into())),
            ]
        );
        let call = parse("p", "1.0.0", &greet(), &words("--times 3 -- --bob")).unwrap();
        assert_eq!(call.arguments()[0], ("name".to_string(), ArgumentValue::Text("--bob".into())));
        assert_eq!(call.arguments()[1], ("times".to_string(), ArgumentValue::Integer(3)));
    }

    #[test]
    fn a_bad_command_line_is_an_error_naming_what_is_wrong() {
        let error = |line: &str| parse("p", "1.0.0", &greet(), &words(line)).unwrap_err().to_string();
        assert!(error("bob --loud").contains("unknown option `--loud`; the options are: --times, --shout, --tone"));
        assert!(error("--times 2").contains("missing argument `NAME`"));
        assert!(error("bob --times two").contains("option `--times`: `two` is not a whole number"));
        assert!(error("bob --tone hot").contains("`hot` is not one of warm, dry"));
        assert!(error("bob alice").contains("unexpected argument `alice`"));
        assert!(error("bob --times").contains("option `--times` needs a value"));
        assert!(error("bob --shout --shout").contains("given twice"));
        assert!(error("bob --loud").contains("usage: greet NAME [--times N] [--shout] [--tone [warm|dry]]"));
    }
}
