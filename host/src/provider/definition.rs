//! A provider's definition (Digital Rebar `PluginProvider`) as Paddock's
//! own types, checked once when the provider is loaded: names, duplicate
//! actions and parameters, defaults of the declared type, selectors,
//! object types, shipped content.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::bindings::paddock::rebar::types as wit;
use super::selector::Selector;
use crate::bundle::BundleFile;
use crate::manifest::Manifest;

/// Most actions, config parameters, selectors, object types or content
/// files a definition may list, each.
pub const MAX_DEFINITION_ITEMS: usize = 256;

/// Longest name (command, object type, parameter) accepted.
pub const MAX_NAME_LEN: usize = 128;

/// Object types Digital Rebar itself manages: a provider acts on them but
/// cannot define them as its own.
const BUILT_IN_OBJECT_TYPES: &[&str] = &[
    "machines",
    "subnets",
    "reservations",
    "leases",
    "bootenvs",
    "templates",
    "tasks",
    "stages",
    "workflows",
    "profiles",
    "params",
    "users",
    "roles",
    "tenants",
    "jobs",
    "plugins",
    "plugin_providers",
    "contexts",
    "pools",
    "endpoints",
    "clusters",
    "resource_brokers",
    "work_orders",
    "blueprints",
    "triggers",
    "system",
];

/// The JSON type a parameter's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ParamType {
    /// A JSON string.
    String,
    /// A JSON number without a fraction.
    Integer,
    /// Any JSON number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// Any JSON value.
    Any,
}

impl ParamType {
    /// Whether `value` has this type.
    pub fn admits(self, value: &Value) -> bool {
        match self {
            ParamType::String => value.is_string(),
            ParamType::Integer => value.is_i64() || value.is_u64(),
            ParamType::Number => value.is_number(),
            ParamType::Boolean => value.is_boolean(),
            ParamType::Object => value.is_object(),
            ParamType::Array => value.is_array(),
            ParamType::Any => true,
        }
    }

    /// The name used in definitions and errors.
    pub fn name(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Integer => "integer",
            ParamType::Number => "number",
            ParamType::Boolean => "boolean",
            ParamType::Object => "object",
            ParamType::Array => "array",
            ParamType::Any => "any",
        }
    }
}

impl From<wit::ParamType> for ParamType {
    fn from(value: wit::ParamType) -> ParamType {
        match value {
            wit::ParamType::String => ParamType::String,
            wit::ParamType::Integer => ParamType::Integer,
            wit::ParamType::Number => ParamType::Number,
            wit::ParamType::Boolean => ParamType::Boolean,
            wit::ParamType::Object => ParamType::Object,
            wit::ParamType::Array => ParamType::Array,
            wit::ParamType::Any => ParamType::Any,
        }
    }
}

/// A parameter an action takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamSpec {
    /// Parameter name.
    pub name: String,
    /// The type its value must have.
    #[serde(rename = "type")]
    pub param_type: ParamType,
    /// What it is for.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// An action the provider handles: `command` on objects of `object_type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionSpec {
    /// The action's name.
    pub command: String,
    /// The type of object it applies to.
    pub object_type: String,
    /// Parameters every call must carry.
    pub required_params: Vec<ParamSpec>,
    /// Parameters a call may carry.
    pub optional_params: Vec<ParamSpec>,
}

impl ActionSpec {
    fn param(&self, name: &str) -> Option<(&ParamSpec, bool)> {
        self.required_params
            .iter()
            .map(|spec| (spec, true))
            .chain(self.optional_params.iter().map(|spec| (spec, false)))
            .find(|(spec, _)| spec.name == name)
    }
}

/// A parameter of the provider's configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigParam {
    /// Parameter name.
    pub name: String,
    /// The type its value must have.
    #[serde(rename = "type")]
    pub param_type: ParamType,
    /// The value used when the configuration lacks it; without one the
    /// parameter is required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// What it is for.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// A checked provider definition. Made only by the host from what a
/// provider's `define` returned, so every definition passed the checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderDefinition {
    name: String,
    version: String,
    actions: Vec<ActionSpec>,
    config_params: Vec<ConfigParam>,
    event_selectors: Vec<Selector>,
    object_types: Vec<String>,
    content: Vec<String>,
}

impl ProviderDefinition {
    /// The provider's name (its manifest's).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The provider's version (its manifest's).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The actions it handles.
    pub fn actions(&self) -> &[ActionSpec] {
        &self.actions
    }

    /// The parameters of its configuration.
    pub fn config_params(&self) -> &[ConfigParam] {
        &self.config_params
    }

    /// The events it receives.
    pub fn event_selectors(&self) -> &[Selector] {
        &self.event_selectors
    }

    /// The object types it defines, which the host stores for it.
    pub fn object_types(&self) -> &[String] {
        &self.object_types
    }

    /// The bundle files (under `files/`) it ships as content.
    pub fn content(&self) -> &[String] {
        &self.content
    }

    /// Whether any of its selectors selects `event`.
    pub fn selects(&self, event: &super::Event) -> bool {
        self.event_selectors.iter().any(|selector| selector.matches(event))
    }

    /// Checks what a provider's `define` returned against its manifest and
    /// bundle files. The error says which field is wrong and what to write.
    pub(crate) fn check(
        raw: wit::ProviderDefinition,
        manifest: &Manifest,
        files: &[BundleFile],
    ) -> Result<ProviderDefinition, String> {
        if raw.name != manifest.name() {
            return Err(format!(
                "its definition is named `{}` but its manifest `{}`; return the manifest's name from `define`",
                crate::sanitize::for_terminal(&raw.name, 200),
                manifest.name()
            ));
        }
        if raw.version != manifest.version().to_string() {
            return Err(format!(
                "its definition has version `{}` but its manifest {}; return the manifest's version from `define`",
                crate::sanitize::for_terminal(&raw.version, 200),
                manifest.version()
            ));
        }
        for (field, count) in [
            ("actions", raw.actions.len()),
            ("config-params", raw.config_params.len()),
            ("event-selectors", raw.event_selectors.len()),
            ("object-types", raw.object_types.len()),
            ("content", raw.content.len()),
        ] {
            if count > MAX_DEFINITION_ITEMS {
                return Err(format!(
                    "its definition lists {count} {field}; at most {MAX_DEFINITION_ITEMS} are accepted"
                ));
            }
        }
        let object_types = check_object_types(raw.object_types)?;
        let actions = check_actions(raw.actions)?;
        let config_params = check_config_params(raw.config_params)?;
        let event_selectors = raw
            .event_selectors
            .iter()
            .map(|text| Selector::parse(text).map_err(|problem| format!("its definition's event-selectors: {problem}")))
            .collect::<Result<Vec<_>, _>>()?;
        let shipped: BTreeSet<&str> = files.iter().map(|file| file.path.as_str()).collect();
        for path in &raw.content {
            if !shipped.contains(path.as_str()) {
                return Err(format!(
                    "its definition's content lists `{}`, which its bundle does not ship under `files/`; \
                     add the file to the plugin directory's `files/` or remove it from `content`",
                    crate::sanitize::for_terminal(path, 200)
                ));
            }
        }
        Ok(ProviderDefinition {
            name: raw.name,
            version: raw.version,
            actions,
            config_params,
            event_selectors,
            object_types,
            content: raw.content,
        })
    }

    /// The action `command` on `object_type`, after checking that `params`
    /// carries every required parameter, only parameters the action takes,
    /// each of its declared type.
    pub(crate) fn check_action(
        &self,
        command: &str,
        object_type: &str,
        params: &BTreeMap<String, Value>,
    ) -> Result<&ActionSpec, ActionProblem> {
        let Some(action) = self.actions.iter().find(|a| a.command == command && a.object_type == object_type) else {
            return Err(ActionProblem::UnknownAction {
                available: self.actions.iter().map(|a| format!("{} on {}", a.command, a.object_type)).collect(),
            });
        };
        for spec in &action.required_params {
            if !params.contains_key(&spec.name) {
                return Err(ActionProblem::MissingParam { param: spec.name.clone(), param_type: spec.param_type });
            }
        }
        for (name, value) in params {
            match action.param(name) {
                None => return Err(ActionProblem::UnknownParam { param: name.clone() }),
                Some((spec, _)) if !spec.param_type.admits(value) => {
                    return Err(ActionProblem::WrongType { param: name.clone(), expected: spec.param_type });
                }
                Some(_) => {}
            }
        }
        Ok(action)
    }

    /// `params` completed with the defaults, after checking every parameter
    /// is one the provider declared, of its type, and that none without a
    /// default is missing. The error names the parameter.
    pub(crate) fn check_config(
        &self,
        params: &BTreeMap<String, Value>,
    ) -> Result<BTreeMap<String, Value>, (String, String)> {
        for (name, value) in params {
            let Some(spec) = self.config_params.iter().find(|spec| &spec.name == name) else {
                return Err((
                    name.clone(),
                    format!(
                        "is not a parameter of this provider (it takes: {})",
                        list_or_none(self.config_params.iter().map(|spec| spec.name.as_str()))
                    ),
                ));
            };
            if !spec.param_type.admits(value) {
                return Err((name.clone(), format!("must be of type {}", spec.param_type.name())));
            }
        }
        let mut complete = params.clone();
        for spec in &self.config_params {
            if complete.contains_key(&spec.name) {
                continue;
            }
            match &spec.default {
                Some(default) => {
                    complete.insert(spec.name.clone(), default.clone());
                }
                None => return Err((spec.name.clone(), format!("is required (type {})", spec.param_type.name()))),
            }
        }
        Ok(complete)
    }
}

/// Why an action request was refused before the provider saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ActionProblem {
    UnknownAction { available: Vec<String> },
    MissingParam { param: String, param_type: ParamType },
    UnknownParam { param: String },
    WrongType { param: String, expected: ParamType },
}

fn list_or_none<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    if items.is_empty() { "none".to_string() } else { items.join(", ") }
}

/// A command, object type or event part: lowercase ASCII letters, digits,
/// `_` and `-`, starting with a letter or digit.
pub(crate) fn check_word(what: &str, word: &str) -> Result<(), String> {
    let shown = crate::sanitize::for_terminal(word, 200);
    if word.is_empty() || word.len() > MAX_NAME_LEN {
        return Err(format!("{what} `{shown}` must be 1 to {MAX_NAME_LEN} characters"));
    }
    let valid = word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && word.starts_with(|c: char| c.is_ascii_alphanumeric());
    if !valid {
        return Err(format!(
            "{what} `{shown}` may hold only lowercase letters, digits, `_` and `-`, starting with a letter or \
             digit, e.g. `machines`"
        ));
    }
    Ok(())
}

/// A parameter name: ASCII letters, digits, `_`, `-`, `.` and `/` (Digital
/// Rebar's `incrementer/step`), starting with a letter or digit.
fn check_param_name(what: &str, name: &str) -> Result<(), String> {
    let shown = crate::sanitize::for_terminal(name, 200);
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{what} `{shown}` must be 1 to {MAX_NAME_LEN} ASCII letters, digits, `_`, `-`, `.` or `/`, \
             starting with a letter or digit, e.g. `incrementer/step`"
        ))
    }
}

fn check_object_types(types: Vec<String>) -> Result<Vec<String>, String> {
    let mut seen = BTreeSet::new();
    for object_type in &types {
        check_word("its definition's object type", object_type)?;
        if BUILT_IN_OBJECT_TYPES.contains(&object_type.as_str()) {
            return Err(format!(
                "its definition defines object type `{object_type}`, which Digital Rebar itself manages; \
                 name its own type differently, e.g. `{object_type}-notes`"
            ));
        }
        if !seen.insert(object_type.as_str()) {
            return Err(format!("its definition defines object type `{object_type}` twice; list it once"));
        }
    }
    Ok(types)
}

fn check_actions(raw: Vec<wit::ActionSpec>) -> Result<Vec<ActionSpec>, String> {
    let mut seen = BTreeSet::new();
    let mut actions = Vec::with_capacity(raw.len());
    for action in raw {
        check_word("its definition's action command", &action.command)?;
        check_word(&format!("the object type of action `{}`", action.command), &action.object_type)?;
        if !seen.insert((action.command.clone(), action.object_type.clone())) {
            return Err(format!(
                "its definition lists action `{}` on `{}` twice; list each action once",
                action.command, action.object_type
            ));
        }
        let what = format!("action `{}` on `{}`", action.command, action.object_type);
        let mut names = BTreeSet::new();
        let mut specs = |params: Vec<wit::ParamSpec>| -> Result<Vec<ParamSpec>, String> {
            params
                .into_iter()
                .map(|param| {
                    check_param_name(&format!("{what}: parameter"), &param.name)?;
                    if !names.insert(param.name.clone()) {
                        return Err(format!("{what} lists parameter `{}` twice; list each parameter once", param.name));
                    }
                    Ok(ParamSpec { name: param.name, param_type: param.type_.into(), description: param.description })
                })
                .collect()
        };
        let required_params = specs(action.required_params)?;
        let optional_params = specs(action.optional_params)?;
        actions.push(ActionSpec {
            command: action.command,
            object_type: action.object_type,
            required_params,
            optional_params,
        });
    }
    Ok(actions)
}

fn check_config_params(raw: Vec<wit::ConfigParam>) -> Result<Vec<ConfigParam>, String> {
    let mut seen = BTreeSet::new();
    raw.into_iter()
        .map(|param| {
            check_param_name("its definition's config parameter", &param.name)?;
            if !seen.insert(param.name.clone()) {
                return Err(format!("its definition lists config parameter `{}` twice; list it once", param.name));
            }
            let param_type = ParamType::from(param.type_);
            let default = match param.default {
                None => None,
                Some(text) => {
                    let value: Value = serde_json::from_str(&text).map_err(|e| {
                        format!(
                            "the default of config parameter `{}` is not JSON ({e}); write e.g. `1` or `\"text\"`",
                            param.name
                        )
                    })?;
                    if !param_type.admits(&value) {
                        return Err(format!(
                            "the default of config parameter `{}` is not of its type {}; make them agree",
                            param.name,
                            param_type.name()
                        ));
                    }
                    Some(value)
                }
            };
            Ok(ConfigParam { name: param.name, param_type, default, description: param.description })
        })
        .collect()
}
