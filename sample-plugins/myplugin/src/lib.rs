//! Tutor's `myplugin` example (seed 004), hook for hook: config `add`
//! (a secret generated once and stored), `defaults` and `set`; a patch
//! adding a Redis service to `local-docker-compose-services`; an `init`
//! service whose commands are the template `myplugin/hooks/myservice/init`;
//! an image built from `myplugin/build/myimage/Dockerfile` (and pulled and
//! pushed); and CLI commands. The templates ship under
//! `files/templates/myplugin/`.

use paddock_guest::common::{HookError, HookResult, PluginContext, log};
use paddock_guest::export_hooks;
use paddock_guest::tutor::{build_image, command, config, init, patches, remote_image};

use command::{ArgumentValue, CommandCall, CommandSpec, ParameterSpec, ValueType};

struct MyPlugin;

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect()
}

impl config::Guest for MyPlugin {
    fn tutor_config(_: PluginContext) -> HookResult<config::PluginConfig> {
        Ok(config::PluginConfig {
            add: pairs(&[("SECRET_KEY", "{{ 8|random_string }}")]),
            defaults: pairs(&[("DOCKER_IMAGE", "username/imagename:latest")]),
            set: pairs(&[("MASTER_PASSWORD", "h4cked")]),
        })
    }
}

impl patches::Guest for MyPlugin {
    fn tutor_patches(_: PluginContext) -> HookResult<Vec<(String, String)>> {
        Ok(pairs(&[
            ("local-docker-compose-services", "redis:\n  image: redis:latest"),
            ("local-docker-compose-jobs-services", "myservice-job:\n  image: {{ MYPLUGIN_DOCKER_IMAGE }}"),
        ]))
    }
}

impl init::Guest for MyPlugin {
    fn tutor_init(_: PluginContext) -> HookResult<Vec<String>> {
        Ok(vec!["myservice".to_string()])
    }
}

impl build_image::Guest for MyPlugin {
    fn tutor_build_image(_: PluginContext) -> HookResult<Vec<(String, String)>> {
        Ok(pairs(&[("myimage", "myimage:latest")]))
    }
}

impl remote_image::Guest for MyPlugin {
    fn tutor_remote_image(_: PluginContext) -> HookResult<Vec<(String, String)>> {
        Ok(pairs(&[("myimage", "myimage:latest")]))
    }
}

fn parameter(name: &str, help: &str, kind: ValueType, required: bool, default: Option<&str>) -> ParameterSpec {
    ParameterSpec { name: name.into(), help: help.into(), kind, required, default: default.map(Into::into) }
}

impl command::Guest for MyPlugin {
    fn tutor_commands(_: PluginContext) -> HookResult<Vec<CommandSpec>> {
        Ok(vec![
            CommandSpec {
                name: "hello".into(),
                help: "I'm a plugin command".into(),
                arguments: vec![],
                options: vec![],
            },
            CommandSpec {
                name: "greet".into(),
                help: "Greets someone, as often as asked".into(),
                arguments: vec![parameter("name", "who to greet", ValueType::Text, true, None)],
                options: vec![
                    parameter("times", "how many times (1 to 10)", ValueType::Integer, false, Some("1")),
                    parameter("shout", "in capitals", ValueType::Boolean, false, None),
                    parameter(
                        "tone",
                        "how it sounds",
                        ValueType::Choice(vec!["warm".into(), "dry".into()]),
                        false,
                        Some("warm"),
                    ),
                ],
            },
        ])
    }

    fn tutor_run_command(_: PluginContext, call: CommandCall) -> HookResult<String> {
        let argument = |name: &str| call.arguments.iter().find(|(key, _)| key == name).map(|(_, value)| value);
        match call.command.as_str() {
            "hello" => Ok("Hello from myplugin!".to_string()),
            "greet" => {
                let Some(ArgumentValue::Text(name)) = argument("name") else {
                    return Err(HookError::failed("greet needs a name"));
                };
                let times = match argument("times") {
                    Some(ArgumentValue::Integer(times @ 1..=10)) => *times as usize,
                    _ => return Err(HookError::failed("--times must be 1 to 10")),
                };
                let punctuation = match argument("tone") {
                    Some(ArgumentValue::Text(tone)) if tone == "dry" => ".",
                    _ => "!",
                };
                let mut line = format!("Hello, {name}{punctuation}");
                if let Some(ArgumentValue::Boolean(true)) = argument("shout") {
                    line = line.to_uppercase();
                }
                log::info(&format!("greeting {name} {times} times"));
                Ok(vec![line; times].join("\n"))
            }
            other => Err(HookError::failed(format!("no command `{other}`"))),
        }
    }
}

export_hooks!(
    MyPlugin: tutor::config,
    tutor::patches,
    tutor::init,
    tutor::build_image,
    tutor::remote_image,
    tutor::command
);
