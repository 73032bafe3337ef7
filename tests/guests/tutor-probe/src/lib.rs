//! Test-only Tutor plugin: declares what its parameters say, so one
//! component plays every plugin a test needs. `add:KEY`, `default:KEY` and
//! `set:KEY` (text) are its config, `patch:NAME` (text) its patches,
//! `pre-init` and `init` (text lists) its services, `build:IMAGE` and
//! `remote:IMAGE` (text, the tag) its images. Templates come with the
//! bundle the test writes.

use paddock_guest::common::{HookResult, PluginContext};
use paddock_guest::export_hooks;
use paddock_guest::tutor::{build_image, config, init, patches, pre_init, remote_image};

struct Probe;

/// The text parameters named `PREFIX:REST`, as (REST, value), in order.
fn prefixed(plugin: &PluginContext, prefix: &str) -> Vec<(String, String)> {
    plugin
        .parameters
        .iter()
        .filter_map(|(name, _)| {
            let rest = name.strip_prefix(prefix)?.strip_prefix(':')?;
            Some((rest.to_string(), plugin.text(name)?.to_string()))
        })
        .collect()
}

fn list(plugin: &PluginContext, name: &str) -> Vec<String> {
    plugin.text_list(name).map(<[String]>::to_vec).unwrap_or_default()
}

impl config::Guest for Probe {
    fn tutor_config(plugin: PluginContext) -> HookResult<config::PluginConfig> {
        Ok(config::PluginConfig {
            add: prefixed(&plugin, "add"),
            defaults: prefixed(&plugin, "default"),
            set: prefixed(&plugin, "set"),
        })
    }
}

impl patches::Guest for Probe {
    fn tutor_patches(plugin: PluginContext) -> HookResult<Vec<(String, String)>> {
        Ok(prefixed(&plugin, "patch"))
    }
}

impl pre_init::Guest for Probe {
    fn tutor_pre_init(plugin: PluginContext) -> HookResult<Vec<String>> {
        Ok(list(&plugin, "pre-init"))
    }
}

impl init::Guest for Probe {
    fn tutor_init(plugin: PluginContext) -> HookResult<Vec<String>> {
        Ok(list(&plugin, "init"))
    }
}

impl build_image::Guest for Probe {
    fn tutor_build_image(plugin: PluginContext) -> HookResult<Vec<(String, String)>> {
        Ok(prefixed(&plugin, "build"))
    }
}

impl remote_image::Guest for Probe {
    fn tutor_remote_image(plugin: PluginContext) -> HookResult<Vec<(String, String)>> {
        Ok(prefixed(&plugin, "remote"))
    }
}

export_hooks!(
    Probe: tutor::config,
    tutor::patches,
    tutor::pre_init,
    tutor::init,
    tutor::build_image,
    tutor::remote_image
);
