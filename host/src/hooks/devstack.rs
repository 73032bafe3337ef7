//! DevStack's hooks (seed 002): the `plugin.sh` modes and phases, the
//! `settings` / `override-defaults` files and the system packages per
//! distro family. WIT: `paddock:devstack` (`wit/v0.2/deps/devstack.wit`).
//! What the host does with the values (merging settings, packages for a
//! distro, naming script fragments) is [`crate::devstack`].

use serde::{Deserialize, Serialize};
use wasmtime::component::{ComponentType, Lift, Lower};

use crate::devstack::{self as domain, Mode};
use crate::hooks::wire::CheckContext;
use crate::hooks::{MergeInputs, MergedView, declare_hook};
use crate::outcome::Outcome;
use crate::validate::OutputProblem;

declare_hook! {
    /// `stack`: `plugin.sh stack PHASE`, the bash fragment a plugin
    /// contributes at one phase of `stack.sh`, kept as
    /// `NN-<plugin-id>-<phase>.sh`.
    Stack {
        name: "stack",
        input: StackPhase,
        output: Option<String>,
        exports: [v0_2("paddock:devstack/stack@0.2.0", Option<String>)],
        check: check_fragment,
        describe: describe_fragment,
        merge: |outcomes: &[Outcome<Option<String>>], _: &MergeInputs<'_>| Some(Ok(fragments_view("stack", outcomes))),
    }
}

declare_hook! {
    /// `unstack`: `plugin.sh unstack`, the bash fragment `unstack.sh` runs
    /// before other services are shut down.
    Unstack {
        name: "unstack",
        input: (),
        output: Option<String>,
        exports: [v0_2("paddock:devstack/unstack@0.2.0", Option<String>)],
        check: check_fragment,
        describe: describe_fragment,
        merge: |outcomes: &[Outcome<Option<String>>], _: &MergeInputs<'_>| Some(Ok(fragments_view(Mode::Unstack.label(), outcomes))),
    }
}

declare_hook! {
    /// `clean`: `plugin.sh clean`, the bash fragment `clean.sh` runs
    /// before other services are cleaned.
    Clean {
        name: "clean",
        input: (),
        output: Option<String>,
        exports: [v0_2("paddock:devstack/clean@0.2.0", Option<String>)],
        check: check_fragment,
        describe: describe_fragment,
        merge: |outcomes: &[Outcome<Option<String>>], _: &MergeInputs<'_>| Some(Ok(fragments_view(Mode::Clean.label(), outcomes))),
    }
}

declare_hook! {
    /// `settings`: a plugin's `settings` and `override-defaults` files as
    /// values; merge them with [`crate::devstack::merge_settings`].
    Settings {
        name: "settings",
        input: (),
        output: PluginSettings,
        exports: [v0_2("paddock:devstack/settings@0.2.0", PluginSettings)],
        check: |ctx: &CheckContext<'_>, settings: PluginSettings| domain::check_settings(ctx.rules, &settings).map(|()| settings),
        describe: |settings: &PluginSettings| {
            settings.defaults.iter().map(|(name, value)| format!("{name}=${{{name}:-{value}}}"))
                .chain(settings.override_defaults.iter().map(|(name, value)| format!("override-defaults: {name}={value}")))
                .chain(settings.services.iter().map(|service| format!("enable_service {service}")))
                .collect()
        },
        merge: |outcomes: &[Outcome<PluginSettings>], _: &MergeInputs<'_>| {
            let merged = domain::merge_settings(outcomes, &domain::UserSettings::default());
            Some(Ok(MergedView {
                key: "settings",
                title: format!("Merged settings ({} variables, {} services)", merged.variables.len(), merged.services.len()),
                lines: merged.lines(),
                notes: merged.notes(),
                json: serde_json::to_value(&merged).unwrap_or_default(),
            }))
        },
    }
}

declare_hook! {
    /// `system-packages`: the packages a plugin needs per distro family
    /// (`files/debs/NAME`, `files/rpms/NAME`, `files/rpms-suse/NAME`);
    /// merge them for a distro with [`crate::devstack::merge_packages`].
    SystemPackages {
        name: "system-packages",
        input: (),
        output: SystemPackageLists,
        exports: [v0_2("paddock:devstack/system-packages@0.2.0", SystemPackageLists)],
        check: |_: &CheckContext<'_>, packages: SystemPackageLists| domain::check_packages(&packages).map(|()| packages),
        describe: |packages: &SystemPackageLists| {
            domain::PackageFamily::ALL
                .iter()
                .map(|family| format!("{}: {}", family.dir(), packages.of(*family).join(" ")))
                .collect()
        },
        merge: |outcomes: &[Outcome<SystemPackageLists>], _: &MergeInputs<'_>| {
            let merged: Vec<domain::MergedPackages> =
                domain::PackageFamily::ALL.iter().map(|family| domain::merge_packages(outcomes, *family)).collect();
            let lines = merged
                .iter()
                .map(|family| {
                    let packages: Vec<String> = family
                        .packages
                        .iter()
                        .map(|package| format!("{} ({})", package.name, package.plugins.join(", ")))
                        .collect();
                    format!("{}: {}", family.family, packages.join(" "))
                })
                .collect();
            Some(Ok(MergedView {
                key: "packages",
                title: "System packages per distro family".into(),
                lines,
                notes: Vec::new(),
                json: serde_json::to_value(&merged).unwrap_or_default(),
            }))
        },
    }
}

fn check_fragment(ctx: &CheckContext<'_>, script: Option<String>) -> Result<Option<String>, OutputProblem> {
    match script {
        Some(text) => ctx.rules.check_script(&text).map(|()| Some(text)),
        None => Ok(None),
    }
}

fn describe_fragment(script: &Option<String>) -> Vec<String> {
    match script {
        Some(text) => text.lines().map(str::to_string).collect(),
        None => vec!["nothing at this point".to_string()],
    }
}

fn fragments_view(label: &str, outcomes: &[Outcome<Option<String>>]) -> MergedView {
    let fragments = domain::fragments_for(label, outcomes);
    let mut lines = Vec::new();
    for fragment in &fragments {
        lines.push(format!("--- {} ---", fragment.file_name));
        lines.extend(fragment.content.lines().map(str::to_string));
    }
    MergedView {
        key: "fragments",
        title: format!("DevStack {label} fragments ({})", fragments.len()),
        lines,
        notes: Vec::new(),
        json: serde_json::to_value(&fragments).unwrap_or_default(),
    }
}

/// A phase of `stack.sh` at which `plugin.sh stack PHASE` runs, in the
/// order they come ([`StackPhase::ALL`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ComponentType, Lift, Lower,
)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "kebab-case")]
pub enum StackPhase {
    /// After system (OS) setup, before project source is installed.
    #[component(name = "pre-install")]
    PreInstall,
    /// After the layer 1 and 2 projects and their dependencies are installed.
    #[component(name = "install")]
    Install,
    /// After the layer 1 and 2 services are configured.
    #[component(name = "post-config")]
    PostConfig,
    /// Near the end, after the layer 1 and 2 services are started.
    #[component(name = "extra")]
    Extra,
    /// At the end: tempest or other test environments.
    #[component(name = "test-config")]
    TestConfig,
}

impl StackPhase {
    /// Every phase, in `stack.sh` order.
    pub const ALL: [StackPhase; 5] = [
        StackPhase::PreInstall,
        StackPhase::Install,
        StackPhase::PostConfig,
        StackPhase::Extra,
        StackPhase::TestConfig,
    ];

    /// The phase as DevStack names it, e.g. `post-config`.
    pub fn name(self) -> &'static str {
        match self {
            StackPhase::PreInstall => "pre-install",
            StackPhase::Install => "install",
            StackPhase::PostConfig => "post-config",
            StackPhase::Extra => "extra",
            StackPhase::TestConfig => "test-config",
        }
    }
}

impl std::fmt::Display for StackPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A phase name that is not one of [`StackPhase::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stack phase `{given}`; the phases are pre-install, install, post-config, extra, test-config")]
pub struct UnknownPhase {
    given: String,
}

impl std::str::FromStr for StackPhase {
    type Err = UnknownPhase;
    fn from_str(s: &str) -> Result<StackPhase, UnknownPhase> {
        StackPhase::ALL
            .into_iter()
            .find(|phase| phase.name() == s.replace('_', "-"))
            .ok_or_else(|| UnknownPhase { given: crate::sanitize::for_terminal(s, 60) })
    }
}

/// What one plugin's `settings` and `override-defaults` declare.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct PluginSettings {
    /// Globals with defaults the user may override (`FOO=${FOO:-default}`).
    pub defaults: Vec<(String, String)>,
    /// Services the plugin enables (`enable_service NAME`).
    pub services: Vec<String>,
    /// Variables overriding other components' defaults (`override-defaults`).
    #[component(name = "override-defaults")]
    pub override_defaults: Vec<(String, String)>,
}

/// The system packages one plugin needs, per distro family.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ComponentType, Lift, Lower)]
#[component(record)]
pub struct SystemPackageLists {
    /// Ubuntu, Debian, Linux Mint (`files/debs/NAME`).
    pub debs: Vec<String>,
    /// Red Hat, Fedora, CentOS, XenServer (`files/rpms/NAME`).
    pub rpms: Vec<String>,
    /// SUSE Linux, openSUSE (`files/rpms-suse/NAME`).
    #[component(name = "rpms-suse")]
    pub rpms_suse: Vec<String>,
}

impl SystemPackageLists {
    /// The packages for one family.
    pub fn of(&self, family: domain::PackageFamily) -> &[String] {
        match family {
            domain::PackageFamily::Debs => &self.debs,
            domain::PackageFamily::Rpms => &self.rpms,
            domain::PackageFamily::RpmsSuse => &self.rpms_suse,
        }
    }
}
