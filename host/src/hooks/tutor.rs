//! Tutor's hooks (seed 004): configuration, patches, initialisation jobs,
//! images and CLI commands. WIT: `paddock:tutor` (`wit/v0.2/deps/tutor.wit`).
//! What the host does with them (prefixing and storing configuration,
//! rendering the environment, listing jobs and images, parsing command
//! lines) is [`crate::tutor`]. Hook names carry `tutor-`: a hook's name is
//! unique across every tool.

use serde::{Deserialize, Serialize};
use wasmtime::component::{ComponentType, Lift, Lower};

use crate::hooks::wire::CheckContext;
use crate::hooks::{declare_hook, no_merge};
use crate::sanitize::for_terminal;
use crate::validate::OutputProblem;

declare_hook! {
    /// `tutor-config`: configuration the plugin adds (stored), defaults
    /// (not stored) and sets (Tutor `config`).
    TutorConfig {
        name: "tutor-config",
        input: (),
        output: ConfigDeclaration,
        exports: [v0_2("paddock:tutor/config@0.2.0", ConfigDeclaration)],
        check: check_config,
        describe: |config: &ConfigDeclaration| {
            let section = |label: &str, pairs: &[(String, String)]| {
                pairs.iter().map(|(key, value)| format!("{label} {key}={value}")).collect::<Vec<_>>()
            };
            [section("add", &config.add), section("default", &config.defaults), section("set", &config.set)].concat()
        },
        merge: no_merge,
    }
}

declare_hook! {
    /// `tutor-patches`: named snippets for `{{ patch("name") }}` (Tutor `patches`).
    TutorPatches {
        name: "tutor-patches",
        input: (),
        output: Vec<(String, String)>,
        exports: [v0_2("paddock:tutor/patches@0.2.0", Vec<(String, String)>)],
        check: check_patches,
        describe: |patches: &Vec<(String, String)>| {
            patches.iter().map(|(name, snippet)| format!("{name}: {} lines", snippet.lines().count())).collect()
        },
        merge: no_merge,
    }
}

declare_hook! {
    /// `tutor-init`: services to initialise, in order (Tutor `hooks["init"]`).
    TutorInit {
        name: "tutor-init",
        input: (),
        output: Vec<String>,
        exports: [v0_2("paddock:tutor/init@0.2.0", Vec<String>)],
        check: |_, services: Vec<String>| check_services(services),
        describe: |services: &Vec<String>| services.clone(),
        merge: no_merge,
    }
}

declare_hook! {
    /// `tutor-pre-init`: services to initialise before the `init` ones
    /// (Tutor `hooks["pre-init"]`).
    TutorPreInit {
        name: "tutor-pre-init",
        input: (),
        output: Vec<String>,
        exports: [v0_2("paddock:tutor/pre-init@0.2.0", Vec<String>)],
        check: |_, services: Vec<String>| check_services(services),
        describe: |services: &Vec<String>| services.clone(),
        merge: no_merge,
    }
}

declare_hook! {
    /// `tutor-build-image`: images the plugin builds, name and tag (Tutor
    /// `hooks["build-image"]`).
    TutorBuildImage {
        name: "tutor-build-image",
        input: (),
        output: Vec<(String, String)>,
        exports: [v0_2("paddock:tutor/build-image@0.2.0", Vec<(String, String)>)],
        check: |_, images: Vec<(String, String)>| check_images(images),
        describe: |images: &Vec<(String, String)>| describe_images(images),
        merge: no_merge,
    }
}

declare_hook! {
    /// `tutor-remote-image`: images pulled and pushed, name and tag (Tutor
    /// `hooks["remote-image"]`).
    TutorRemoteImage {
        name: "tutor-remote-image",
        input: (),
        output: Vec<(String, String)>,
        exports: [v0_2("paddock:tutor/remote-image@0.2.0", Vec<(String, String)>)],
        check: |_, images: Vec<(String, String)>| check_images(images),
        describe: |images: &Vec<(String, String)>| describe_images(images),
        merge: no_merge,
    }
}

declare_hook! {
    /// `tutor-commands`: the CLI commands the plugin adds (Tutor `command`).
    TutorCommands {
        name: "tutor-commands",
        input: (),
        output: Vec<CommandSpec>,
        exports: [v0_2(COMMAND, Vec<CommandSpec>)],
        check: check_commands,
        describe: |commands: &Vec<CommandSpec>| {
            commands.iter().map(|command| format!("{}: {}", command.name, command.help)).collect()
        },
        merge: no_merge,
    }
}

declare_hook! {
    /// `tutor-run-command`: runs one of the plugin's commands with a parsed
    /// command line ([`crate::tutor::commands::parse`]); the text to show.
    TutorRunCommand {
        name: "tutor-run-command",
        input: CommandCall,
        output: String,
        exports: [v0_2(COMMAND, String)],
        check: |ctx, output: String| ctx.rules.check_document("the command's output", &output).map(|()| output),
        describe: |output: &String| output.lines().map(str::to_string).collect(),
        merge: no_merge,
    }
}

/// The interface of a plugin's commands.
const COMMAND: &str = "paddock:tutor/command@0.2.0";

/// Most entries in one list a Tutor hook returns.
const MAX_ENTRIES: usize = 1_024;
/// Longest config value, patch name's snippet aside.
const MAX_VALUE_BYTES: usize = 64 * 1024;

/// What a plugin's `tutor-config` declares: keys and values, each list in
/// order. Values may be templates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ConfigDeclaration {
    /// Stored in the user's configuration once rendered; prefixed.
    pub add: Vec<(String, String)>,
    /// Not stored unless the user overrides them; prefixed.
    pub defaults: Vec<(String, String)>,
    /// Overrides of existing keys; not prefixed.
    pub set: Vec<(String, String)>,
}

/// What a command parameter takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(variant)]
#[serde(rename_all = "kebab-case")]
pub enum ValueType {
    /// Any text.
    #[component(name = "text")]
    Text,
    /// A signed 64-bit whole number.
    #[component(name = "integer")]
    Integer,
    /// `true` or `false`; as an option, a flag without a value.
    #[component(name = "boolean")]
    Boolean,
    /// One of these words.
    #[component(name = "choice")]
    Choice(Vec<String>),
}

/// A positional argument or an option of a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct ParameterSpec {
    /// Lowercase letters, digits and `-`.
    pub name: String,
    /// One line of help.
    pub help: String,
    /// What it takes.
    pub kind: ValueType,
    /// Whether the command line must give it.
    pub required: bool,
    /// Its value when not given, as written on a command line.
    pub default: Option<String>,
}

/// A command a plugin adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct CommandSpec {
    /// Lowercase letters, digits and `-`.
    pub name: String,
    /// What it does.
    pub help: String,
    /// Positional arguments, in order.
    pub arguments: Vec<ParameterSpec>,
    /// Options (`--name VALUE`, or `--name` for a boolean).
    pub options: Vec<ParameterSpec>,
}

/// A parsed command-line value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(variant)]
#[serde(untagged)]
pub enum ArgumentValue {
    /// Text, or one word of a choice.
    #[component(name = "text")]
    Text(String),
    /// A whole number.
    #[component(name = "integer")]
    Integer(i64),
    /// A boolean.
    #[component(name = "boolean")]
    Boolean(bool),
}

/// A command line parsed against the command's [`CommandSpec`] by
/// [`crate::tutor::commands::parse`], or read from a context file's
/// `command_call:` section (then passed as written).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ComponentType, Lift, Lower)]
#[component(record)]
#[serde(deny_unknown_fields)]
pub struct CommandCall {
    command: String,
    arguments: Vec<(String, ArgumentValue)>,
}

impl CommandCall {
    /// A call whose arguments were checked against the command's spec.
    pub(crate) fn parsed(command: String, arguments: Vec<(String, ArgumentValue)>) -> CommandCall {
        CommandCall { command, arguments }
    }

    /// The command's name.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Every argument and option given or defaulted, in declaration order.
    pub fn arguments(&self) -> &[(String, ArgumentValue)] {
        &self.arguments
    }
}

fn listing(what: &'static str, name: &str, problem: &'static str) -> OutputProblem {
    OutputProblem::Listing { what, name: for_terminal(name, 80), problem }
}

/// A config key: what templates can name as a variable.
pub(crate) fn is_config_key(key: &str) -> bool {
    (1..=128).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_uppercase())
        && key.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// A name of a patch, service, image, command or parameter: `lower` for
/// lowercase only (commands and their parameters), else also `_` and `.`.
fn check_word(what: &'static str, name: &str, lower: bool) -> Result<(), OutputProblem> {
    let allowed =
        |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (!lower && matches!(b, b'_' | b'.'));
    if (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.bytes().all(allowed)
    {
        return Ok(());
    }
    Err(listing(
        what,
        name,
        if lower {
            "must be 1-64 lowercase letters, digits or `-`, starting with a letter or digit"
        } else {
            "must be 1-64 lowercase letters, digits, `-`, `_` or `.`, starting with a letter or digit"
        },
    ))
}

fn check_count(what: &'static str, count: usize) -> Result<(), OutputProblem> {
    if count > MAX_ENTRIES {
        return Err(listing(what, &count.to_string(), "entries are more than the limit of 1024"));
    }
    Ok(())
}

fn check_unique<'a>(what: &'static str, names: impl Iterator<Item = &'a str>) -> Result<(), OutputProblem> {
    let mut seen = std::collections::BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            return Err(listing(what, name, "is listed twice; list each once"));
        }
    }
    Ok(())
}

fn check_config(ctx: &CheckContext<'_>, config: ConfigDeclaration) -> Result<ConfigDeclaration, OutputProblem> {
    for (section, pairs) in
        [("config add", &config.add), ("config default", &config.defaults), ("config set", &config.set)]
    {
        check_count(section, pairs.len())?;
        for (key, value) in pairs {
            if !is_config_key(key) {
                return Err(listing(
                    section,
                    key,
                    "must be an UPPER_SNAKE key: 1-128 uppercase letters, digits or `_`, starting with a letter",
                ));
            }
            if value.len() > MAX_VALUE_BYTES {
                return Err(listing(section, key, "has a value larger than the limit of 65536 bytes"));
            }
            ctx.rules.check_document(&format!("the value of {section} `{key}`"), value)?;
        }
        check_unique(section, pairs.iter().map(|(key, _)| key.as_str()))?;
    }
    let added: Vec<&str> = config.add.iter().map(|(key, _)| key.as_str()).collect();
    if let Some((key, _)) = config.defaults.iter().find(|(key, _)| added.contains(&key.as_str())) {
        return Err(listing("config key", key, "is both added and defaulted; declare it in one of the two"));
    }
    Ok(config)
}

fn check_patches(
    ctx: &CheckContext<'_>,
    patches: Vec<(String, String)>,
) -> Result<Vec<(String, String)>, OutputProblem> {
    check_count("patch", patches.len())?;
    for (name, snippet) in &patches {
        check_word("patch", name, false)?;
        ctx.rules.check_document(&format!("patch `{name}`"), snippet)?;
    }
    check_unique("patch", patches.iter().map(|(name, _)| name.as_str()))?;
    Ok(patches)
}

fn check_services(services: Vec<String>) -> Result<Vec<String>, OutputProblem> {
    check_count("service", services.len())?;
    for service in &services {
        check_word("service", service, false)?;
    }
    check_unique("service", services.iter().map(String::as_str))?;
    Ok(services)
}

fn check_images(images: Vec<(String, String)>) -> Result<Vec<(String, String)>, OutputProblem> {
    check_count("image", images.len())?;
    for (name, tag) in &images {
        check_word("image", name, false)?;
        if crate::validate::check_image_reference(tag).is_err() {
            return Err(listing(
                "image",
                name,
                "has a tag that is not an image reference; write [REGISTRY[:PORT]/]NAME[:TAG], e.g. `myimage:latest`",
            ));
        }
    }
    check_unique("image", images.iter().map(|(name, _)| name.as_str()))?;
    Ok(images)
}

fn describe_images(images: &[(String, String)]) -> Vec<String> {
    images.iter().map(|(name, tag)| format!("{name} -> {tag}")).collect()
}

fn check_commands(ctx: &CheckContext<'_>, commands: Vec<CommandSpec>) -> Result<Vec<CommandSpec>, OutputProblem> {
    check_count("command", commands.len())?;
    for command in &commands {
        check_word("command", &command.name, true)?;
        ctx.rules.check_document(&format!("the help of command `{}`", command.name), &command.help)?;
        check_count("command parameter", command.arguments.len() + command.options.len())?;
        let mut optional_seen = false;
        for argument in &command.arguments {
            check_parameter(ctx, argument)?;
            let optional = !argument.required || argument.default.is_some();
            if optional_seen && !optional {
                return Err(listing(
                    "command argument",
                    &argument.name,
                    "is required but follows an optional argument; put required arguments first",
                ));
            }
            optional_seen |= optional;
        }
        for option in &command.options {
            check_parameter(ctx, option)?;
            if option.name == "help" {
                return Err(listing("command option", &option.name, "is the host's own `--help`; choose another name"));
            }
        }
        let names = command.arguments.iter().chain(&command.options).map(|parameter| parameter.name.as_str());
        check_unique("command parameter", names)?;
    }
    check_unique("command", commands.iter().map(|command| command.name.as_str()))?;
    Ok(commands)
}

fn check_parameter(ctx: &CheckContext<'_>, parameter: &ParameterSpec) -> Result<(), OutputProblem> {
    check_word("command parameter", &parameter.name, true)?;
    ctx.rules.check_document(&format!("the help of parameter `{}`", parameter.name), &parameter.help)?;
    if let ValueType::Choice(words) = &parameter.kind {
        if words.is_empty() {
            return Err(listing("command parameter", &parameter.name, "is a choice of no words; list at least one"));
        }
        for word in words {
            check_word("choice", word, false)?;
        }
        check_unique("choice", words.iter().map(String::as_str))?;
    }
    if parameter.required && parameter.default.is_some() {
        return Err(listing(
            "command parameter",
            &parameter.name,
            "is required and has a default; drop one of the two",
        ));
    }
    if let Some(default) = &parameter.default
        && crate::tutor::commands::value_of(&parameter.kind, default).is_err()
    {
        return Err(listing("command parameter", &parameter.name, "has a default its type does not accept"));
    }
    Ok(())
}
