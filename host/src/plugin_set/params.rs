//! Parameters from YAML, converted only where a `param-value` holds them
//! exactly.

use crate::types::{ParamValue, Parameters};

/// Converts YAML parameters, keeping their order. Only what has an exact
/// `param-value` is accepted: a string, an integer that fits an i64, a
/// number written as a float, a boolean, a list of strings. Everything else
/// (nested maps, mixed lists, null, larger integers, YAML tags) is refused
/// naming the parameter, rather than converted into something else.
///
/// serde_yaml drops most `!!` tags while parsing; a plugin-set file read by
/// [`crate::PluginSetBuilder::add_set_file`] keeps them, so they are refused too.
pub fn parameters_from_yaml(mapping: &serde_yaml::Mapping) -> Result<Parameters, String> {
    mapping
        .iter()
        .map(|(key, value)| {
            let key = key.as_str().ok_or("parameter names must be plain strings")?;
            let value = param_value(value).map_err(|problem| {
                format!(
                    "parameter `{}` must be a string, a 64-bit integer, a number, a boolean or a list of strings; \
                     it {problem} (quote it to pass it as a string)",
                    crate::sanitize::for_terminal(key, 80)
                )
            })?;
            Ok((key.to_string(), value))
        })
        .collect()
}

/// The exact `param-value` of `value`, or what it is instead.
fn param_value(value: &serde_yaml::Value) -> Result<ParamValue, String> {
    use serde_yaml::Value;
    let tagged = |tag: &serde_yaml::value::Tag| {
        format!("carries a YAML tag ({})", crate::sanitize::for_terminal(&tag.to_string(), 80))
    };
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
