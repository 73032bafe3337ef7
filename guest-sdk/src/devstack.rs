//! DevStack's hooks (`paddock:devstack@0.2.0`, seed 002): implement a
//! module's `Guest` trait for your plugin type and name the module in
//! [`crate::export_hooks!`]. `stack` takes the [`StackPhase`]; `stack`,
//! `unstack` and `clean` return the plugin's bash fragment for that point,
//! if any. `define_plugin` is the manifest's `name`, `plugin_requires` its
//! `requires:` list.

use crate::common::hook_bindings;

pub use crate::common::__bindings::paddock::devstack::contract::{PackageLists, PluginSettings, StackPhase};

impl PluginSettings {
    /// No settings.
    pub fn new() -> PluginSettings {
        PluginSettings { defaults: Vec::new(), services: Vec::new(), override_defaults: Vec::new() }
    }

    /// `NAME=${NAME:-value}`: a default the user may override.
    pub fn default_value(mut self, name: impl Into<String>, value: impl Into<String>) -> PluginSettings {
        self.defaults.push((name.into(), value.into()));
        self
    }

    /// `enable_service NAME`.
    pub fn enable_service(mut self, name: impl Into<String>) -> PluginSettings {
        self.services.push(name.into());
        self
    }

    /// An `override-defaults` assignment, sourced before other components' defaults.
    pub fn override_default(mut self, name: impl Into<String>, value: impl Into<String>) -> PluginSettings {
        self.override_defaults.push((name.into(), value.into()));
        self
    }
}

impl Default for PluginSettings {
    fn default() -> PluginSettings {
        PluginSettings::new()
    }
}

impl PackageLists {
    /// The same packages for every distro family (`install_package NAME`
    /// where the name is the same everywhere).
    pub fn everywhere(names: &[&str]) -> PackageLists {
        let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
        PackageLists { debs: names.clone(), rpms: names.clone(), rpms_suse: names }
    }
}

hook_bindings! {
    /// `stack`: `plugin.sh stack PHASE`, the bash fragment for one phase of `stack.sh`.
    stack in devstack,
    "package paddock:guest-devstack-stack; world devstack-stack { import paddock:common/logging@0.2.0; export paddock:devstack/stack@0.2.0; }",
    uses ["paddock:devstack/contract@0.2.0": crate::common::__bindings::paddock::devstack::contract]
}

hook_bindings! {
    /// `unstack`: `plugin.sh unstack`, the bash fragment for `unstack.sh`.
    unstack in devstack,
    "package paddock:guest-devstack-unstack; world devstack-unstack { import paddock:common/logging@0.2.0; export paddock:devstack/unstack@0.2.0; }"
}

hook_bindings! {
    /// `clean`: `plugin.sh clean`, the bash fragment for `clean.sh`.
    clean in devstack,
    "package paddock:guest-devstack-clean; world devstack-clean { import paddock:common/logging@0.2.0; export paddock:devstack/clean@0.2.0; }"
}

hook_bindings! {
    /// `settings`: the plugin's `settings` and `override-defaults` files.
    settings in devstack,
    "package paddock:guest-devstack-settings; world devstack-settings { import paddock:common/logging@0.2.0; export paddock:devstack/settings@0.2.0; }",
    uses ["paddock:devstack/contract@0.2.0": crate::common::__bindings::paddock::devstack::contract]
}

hook_bindings! {
    /// `system-packages`: the packages the plugin needs per distro family.
    system_packages in devstack,
    "package paddock:guest-devstack-system-packages; world devstack-system-packages { import paddock:common/logging@0.2.0; export paddock:devstack/system-packages@0.2.0; }",
    uses ["paddock:devstack/contract@0.2.0": crate::common::__bindings::paddock::devstack::contract]
}
