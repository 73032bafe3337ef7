//! A DevStack plugin that returns what its parameters say: the tests
//! bundle it under several names (with priorities and `requires:`) and
//! feed the host good and bad values through it.
//!
//! - `stack`: the `script` parameter if set, else `echo "<id> <phase>"`;
//! - `unstack` / `clean`: `echo "<id> unstack"` / `echo "<id> clean"`;
//! - `settings`: `defaults` and `override-defaults` (lists of `NAME=VALUE`)
//!   and `services` (a list);
//! - `system-packages`: `debs`, `rpms` and `rpms-suse` (lists).

use paddock_guest::common::{HookError, HookResult, PluginContext};
use paddock_guest::devstack::{PackageLists, PluginSettings, StackPhase};
use paddock_guest::{devstack, export_hooks};

struct Echo;

fn list(plugin: &PluginContext, name: &str) -> Vec<String> {
    plugin.text_list(name).map(<[String]>::to_vec).unwrap_or_default()
}

fn pairs(plugin: &PluginContext, name: &str) -> HookResult<Vec<(String, String)>> {
    list(plugin, name)
        .into_iter()
        .map(|item| {
            item.split_once('=')
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .ok_or_else(|| HookError::failed(format!("`{item}` in `{name}` is not NAME=VALUE")))
        })
        .collect()
}

fn phase_name(phase: StackPhase) -> &'static str {
    match phase {
        StackPhase::PreInstall => "pre-install",
        StackPhase::Install => "install",
        StackPhase::PostConfig => "post-config",
        StackPhase::Extra => "extra",
        StackPhase::TestConfig => "test-config",
    }
}

impl devstack::stack::Guest for Echo {
    fn stack(plugin: PluginContext, phase: StackPhase) -> HookResult<Option<String>> {
        Ok(Some(match plugin.text("script") {
            Some(script) => script.to_string(),
            None => format!("echo \"{} {}\"\n", plugin.plugin_id, phase_name(phase)),
        }))
    }
}

impl devstack::unstack::Guest for Echo {
    fn unstack(plugin: PluginContext) -> HookResult<Option<String>> {
        Ok(Some(format!("echo \"{} unstack\"\n", plugin.plugin_id)))
    }
}

impl devstack::clean::Guest for Echo {
    fn clean(plugin: PluginContext) -> HookResult<Option<String>> {
        Ok(Some(format!("echo \"{} clean\"\n", plugin.plugin_id)))
    }
}

impl devstack::settings::Guest for Echo {
    fn settings(plugin: PluginContext) -> HookResult<PluginSettings> {
        Ok(PluginSettings {
            defaults: pairs(&plugin, "defaults")?,
            services: list(&plugin, "services"),
            override_defaults: pairs(&plugin, "override-defaults")?,
        })
    }
}

impl devstack::system_packages::Guest for Echo {
    fn system_packages(plugin: PluginContext) -> HookResult<PackageLists> {
        Ok(PackageLists {
            debs: list(&plugin, "debs"),
            rpms: list(&plugin, "rpms"),
            rpms_suse: list(&plugin, "rpms-suse"),
        })
    }
}

export_hooks!(Echo: devstack::stack, devstack::unstack, devstack::clean, devstack::settings, devstack::system_packages);
