//! Parameters from YAML, converted only where a `param-value` holds them
//! exactly. serde_yaml stays behind this module: the public way in is YAML
//! text, and what comes out is Paddock's own [`Parameters`].

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use crate::types::{ParamValue, Parameters};

/// Why parameters were refused; the message names the parameter and what
/// to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// The text is not YAML, or not a map of names to values.
    #[error("parameters are not valid: {0}; write one `name: value` per line")]
    Syntax(String),
    /// A parameter name that is not a plain string (a number, a list, a
    /// tagged value).
    #[error("parameter name `{name}` is not a plain string; parameter names must be plain strings (quote it)")]
    Name {
        /// The name as YAML, sanitised and shortened.
        name: String,
    },
    /// A value with no exact `param-value`.
    #[error(
        "parameter `{name}` must be a string, a 64-bit integer, a number, a boolean or a list of strings; \
         it {problem} (quote it to pass it as a string)"
    )]
    Value {
        /// The parameter, sanitised and shortened.
        name: String,
        /// What the value is instead, e.g. `is a map`.
        problem: String,
    },
}

/// Converts parameters written as YAML text, a map of names to values
/// (`greeting: Hello`, `replicas: 3`, `tags: [a, b]`), keeping their order,
/// exactly as a plugin-set file's `parameters:` are
/// ([`crate::PluginSetBuilder::add_set_file`]). Empty text is no parameters.
///
/// Only what has an exact `param-value` is accepted: a string, an integer
/// that fits an i64, a number written as a float, a boolean, a list of
/// strings. Everything else (nested maps, mixed lists, null, larger
/// integers, YAML tags such as `!!binary`) is refused naming the parameter,
/// rather than converted into something else.
pub fn parameters_from_yaml_str(text: &str) -> Result<Parameters, ParamsError> {
    let syntax = |problem: String| ParamsError::Syntax(crate::sanitize::for_terminal(&problem, 500));
    match parse_keeping_tags::<Value>(text).map_err(syntax)? {
        Value::Null => Ok(Vec::new()),
        Value::Mapping(mapping) => parameters_from_mapping(&mapping),
        Value::Tagged(tagged) => Err(syntax(format!("the whole text carries a YAML tag ({})", show(&tagged.tag)))),
        _ => Err(syntax("the text is a single value or a list, not a map of names to values".to_string())),
    }
}

/// [`parameters_from_yaml_str`] for a map already parsed with
/// [`parse_keeping_tags`] (a plugin-set file's entry).
pub(super) fn parameters_from_mapping(mapping: &serde_yaml::Mapping) -> Result<Parameters, ParamsError> {
    mapping
        .iter()
        .map(|(key, value)| {
            let Value::String(name) = key else {
                return Err(ParamsError::Name { name: show(serde_yaml::to_string(key).unwrap_or_default().trim()) });
            };
            let value = param_value(value).map_err(|problem| ParamsError::Value { name: show(name), problem })?;
            Ok((name.clone(), value))
        })
        .collect()
}

fn show(text: &(impl std::fmt::Display + ?Sized)) -> String {
    crate::sanitize::for_terminal(&text.to_string(), 80)
}

/// The exact `param-value` of `value`, or what it is instead.
fn param_value(value: &Value) -> Result<ParamValue, String> {
    let tagged = |tag: &serde_yaml::value::Tag| format!("carries a YAML tag ({})", show(tag));
    Ok(match value {
        Value::String(text) => ParamValue::Text(text.clone()),
        Value::Bool(flag) => ParamValue::Boolean(*flag),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(integer), _) => ParamValue::Integer(integer),
            (None, Some(float)) if n.is_f64() => ParamValue::Number(float),
            _ => return Err(format!("is {n}, outside the 64-bit integer range")),
        },
        Value::Sequence(items) => ParamValue::TextList(
            items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.clone()),
                    Value::Tagged(item) => Err(format!("is a list with an item that {}", tagged(&item.tag))),
                    _ => Err("is a list with an item that is not a string".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Value::Tagged(tagged_value) => return Err(tagged(&tagged_value.tag)),
        Value::Null => return Err("is empty (null)".to_string()),
        Value::Mapping(_) => return Err("is a map".to_string()),
    })
}

/// Parses YAML so that no tag on a value is lost. serde_yaml resolves
/// `!!str`, `!!int`, `!!float`, `!!bool` and `!!null` but reads a scalar
/// under any other `!!` tag (`!!binary`, `!!python/object:...`) as a plain
/// string, dropping the tag. Bound to the local handle, every `!!` tag
/// reaches [`param_value`] as a tagged value, which it refuses.
pub(super) fn parse_keeping_tags<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let is_document_start = |line: &str| line.starts_with('%') || line == "---" || line.starts_with("--- ");
    let opens_with_marker = text
        .lines()
        .find(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .is_some_and(is_document_start);
    let rebound = format!("%TAG !! !\n{}{text}", if opens_with_marker { "" } else { "---\n" });
    serde_yaml::from_str(&rebound).map_err(|rebound_error| {
        // Error positions must be those of the text as written.
        match serde_yaml::from_str::<T>(text) {
            Err(error) => error.to_string(),
            Ok(_) => rebound_error.to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_parameters_convert_like_a_set_file_s() {
        assert_eq!(
            parameters_from_yaml_str("greeting: Hello\nreplicas: 3\nratio: 0.5\nenabled: true\ntags: [a, b]\n"),
            Ok(vec![
                ("greeting".into(), ParamValue::Text("Hello".into())),
                ("replicas".into(), ParamValue::Integer(3)),
                ("ratio".into(), ParamValue::Number(0.5)),
                ("enabled".into(), ParamValue::Boolean(true)),
                ("tags".into(), ParamValue::TextList(vec!["a".into(), "b".into()])),
            ])
        );
        for empty in ["", "\n", "# nothing\n", "---\n", "{}"] {
            assert_eq!(parameters_from_yaml_str(empty), Ok(Vec::new()), "{empty:?}");
        }
        assert_eq!(
            parameters_from_yaml_str("blob: !!binary aGVsbG8=\n"),
            Err(ParamsError::Value { name: "blob".into(), problem: "carries a YAML tag (!binary)".into() })
        );
        assert_eq!(
            parameters_from_yaml_str("nested: {a: 1}\n").unwrap_err().to_string(),
            "parameter `nested` must be a string, a 64-bit integer, a number, a boolean or a list of strings; it is \
             a map (quote it to pass it as a string)"
        );
        assert_eq!(parameters_from_yaml_str("[a]: x\n"), Err(ParamsError::Name { name: "- a".into() }));
        for (text, expected) in [
            ("- a\n- b\n", "not a map of names to values"),
            ("just text", "not a map of names to values"),
            ("!!map {a: b}", "carries a YAML tag (!map)"),
            ("a: [\n", "at line 2 column 1"),
            ("a: 1\na: 2\n", "duplicate"),
        ] {
            let error = parameters_from_yaml_str(text).unwrap_err();
            assert!(matches!(error, ParamsError::Syntax(_)), "{text:?}: {error:?}");
            assert!(error.to_string().contains(expected), "{text:?}: {error}");
        }
        let hostile = parameters_from_yaml_str("\"\\e]0;pwned\\a\": [\n").unwrap_err().to_string();
        assert!(!hostile.chars().any(crate::sanitize::is_unsafe_for_terminal), "{hostile:?}");
    }
}
