//! DevStack's `template` plugin (seed 002) as a Paddock plugin.
//!
//! `devstack/settings` (`enable_service template`, with `TEMPLATE_DIR`
//! as a default the user may override) is the `settings` hook;
//! `install_package cowsay` is the `system-packages` hook (the same name
//! on every distro family); `plugin.sh stack PHASE` is the `stack` hook,
//! one bash fragment per phase, each guarded by `is_service_enabled
//! template` as the original is. `unstack` and `clean` are no-ops in the
//! original, so they contribute nothing.

use paddock_guest::common::{HookResult, PluginContext};
use paddock_guest::devstack::{PackageLists, PluginSettings, StackPhase};
use paddock_guest::{devstack, export_hooks};

struct Template;

impl devstack::settings::Guest for Template {
    fn settings(_: PluginContext) -> HookResult<PluginSettings> {
        Ok(PluginSettings::new().default_value("TEMPLATE_DIR", "/opt/stack/template").enable_service("template"))
    }
}

impl devstack::system_packages::Guest for Template {
    fn system_packages(_: PluginContext) -> HookResult<PackageLists> {
        Ok(PackageLists::everywhere(&["cowsay"]))
    }
}

/// The body of `plugin.sh` for one phase, as the template has it.
fn phase_body(phase: StackPhase) -> Option<&'static str> {
    match phase {
        // Set up system services.
        StackPhase::PreInstall => Some("echo_summary \"Configuring system services Template\"\ninstall_package cowsay"),
        // Perform installation of service source.
        StackPhase::Install => Some("echo_summary \"Installing Template\"\nmkdir -p \"$TEMPLATE_DIR\""),
        // Configure after the other layer 1 and 2 services have been configured.
        StackPhase::PostConfig => {
            Some("echo_summary \"Configuring Template\"\necho \"dir=$TEMPLATE_DIR\" > \"$TEMPLATE_DIR/template.conf\"")
        }
        // Initialize and start the template service.
        StackPhase::Extra => Some("echo_summary \"Initializing Template\"\ncowsay \"Template is up\""),
        StackPhase::TestConfig => None,
    }
}

impl devstack::stack::Guest for Template {
    fn stack(_: PluginContext, phase: StackPhase) -> HookResult<Option<String>> {
        Ok(phase_body(phase).map(|body| format!("if is_service_enabled template; then\n{}\nfi\n", indent(body))))
    }
}

fn indent(body: &str) -> String {
    body.lines().map(|line| format!("    {line}")).collect::<Vec<_>>().join("\n")
}

impl devstack::unstack::Guest for Template {
    fn unstack(_: PluginContext) -> HookResult<Option<String>> {
        Ok(None)
    }
}

impl devstack::clean::Guest for Template {
    fn clean(_: PluginContext) -> HookResult<Option<String>> {
        Ok(None)
    }
}

export_hooks!(Template: devstack::settings, devstack::system_packages, devstack::stack, devstack::unstack, devstack::clean);
