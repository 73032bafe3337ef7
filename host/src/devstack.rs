//! DevStack (seed 002), as Paddock runs it: a set's plugins contribute
//! settings, system packages and one bash fragment per mode and phase
//! (the hooks are in [`crate::hooks::devstack`]); this module merges and
//! names what they return.
//!
//! Settings precedence, highest first:
//!
//! 1. the user's own values (`local.conf`'s `[[local|localrc]]`, or
//!    `paddock devstack --set NAME=VALUE`): DevStack's `FOO=${FOO:-default}`
//!    idiom exists so that they win, and here they always do;
//! 2. `override-defaults`, sourced in run order before every component's
//!    defaults: a later plugin's assignment replaces an earlier one's;
//! 3. `settings` defaults, `FOO=${FOO:-default}` sourced in run order: the
//!    first plugin to set a variable keeps it, later ones see it set.
//!
//! Every variable set by more than one party is reported, with who set
//! what and what won.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::hooks;
use crate::hooks::devstack::{PluginSettings, StackPhase, SystemPackageLists};
use crate::outcome::{HookFailure, Outcome};
use crate::plugin_set::PluginSet;
use crate::validate::{OutputProblem, OutputRules};

/// A DevStack mode, with its phase for `stack`: what `plugin.sh MODE
/// [PHASE]` is sourced with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode", content = "phase")]
pub enum Mode {
    /// `stack.sh`, at one phase.
    Stack(StackPhase),
    /// `unstack.sh`.
    Unstack,
    /// `clean.sh`.
    Clean,
}

impl Mode {
    /// What names the mode's fragments: the phase for `stack`, else the mode.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Stack(phase) => phase.name(),
            Mode::Unstack => "unstack",
            Mode::Clean => "clean",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Stack(phase) => write!(f, "stack {phase}"),
            Mode::Unstack => f.write_str("unstack"),
            Mode::Clean => f.write_str("clean"),
        }
    }
}

/// One plugin's bash fragment for a mode or phase, kept as a file of its
/// own (never spliced into another script).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScriptFragment {
    /// The plugin id.
    pub plugin: String,
    /// `NN-<plugin-id>-<phase>.sh`: NN is the plugin's place in the run,
    /// so the names sort in the order the fragments run.
    pub file_name: String,
    /// The fragment as returned.
    pub content: String,
}

/// The fragments returned, in run order, named for `label` (a phase, or
/// `unstack`, `clean`); plugins that returned none, declined or failed
/// have none.
pub fn fragments_for(label: &str, outcomes: &[Outcome<Option<String>>]) -> Vec<ScriptFragment> {
    outcomes
        .iter()
        .enumerate()
        .filter_map(|(index, outcome)| {
            let content = outcome.status.ok()?.as_ref()?;
            Some(ScriptFragment {
                plugin: outcome.id.clone(),
                file_name: format!("{:02}-{}-{label}.sh", index + 1, outcome.id),
                content: content.clone(),
            })
        })
        .collect()
}

/// [`fragments_for`] the mode's label.
pub fn fragments(mode: Mode, outcomes: &[Outcome<Option<String>>]) -> Vec<ScriptFragment> {
    fragments_for(mode.label(), outcomes)
}

/// Most services one plugin may enable.
const MAX_SERVICES: usize = 256;

/// Most packages one plugin may list per family.
const MAX_PACKAGES: usize = 1_024;

/// Longest service or package name.
const MAX_NAME_BYTES: usize = 128;

/// Checks one plugin's settings: variable names and values as environment
/// variables (they are exported into the shell that runs every plugin),
/// each name in one list only, and service names as DevStack writes them.
pub fn check_settings(rules: &OutputRules, settings: &PluginSettings) -> Result<(), OutputProblem> {
    rules.check_env_vars(&settings.defaults)?;
    rules.check_env_vars(&settings.override_defaults)?;
    if let Some((name, _)) =
        settings.defaults.iter().find(|(name, _)| settings.override_defaults.iter().any(|(other, _)| other == name))
    {
        return Err(OutputProblem::Listing {
            what: "setting",
            name: crate::sanitize::for_terminal(name, 80),
            problem: "is both a default and an override-default; return it in one of the two",
        });
    }
    if settings.services.len() > MAX_SERVICES {
        return Err(too_many("service", settings.services.len()));
    }
    for service in &settings.services {
        let ok = service.len() <= MAX_NAME_BYTES
            && service.starts_with(|c: char| c.is_ascii_alphanumeric())
            && service.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if !ok {
            return Err(OutputProblem::Listing {
                what: "service",
                name: crate::sanitize::for_terminal(service, 80),
                problem: "must be letters, digits, `-` or `_`, starting with a letter or digit (like `n-cpu`)",
            });
        }
    }
    crate::hooks::racetrack::check_unique("service", settings.services.iter().cloned())
}

fn too_many(what: &'static str, count: usize) -> OutputProblem {
    OutputProblem::Listing { what, name: format!("{count} names"), problem: "are too many for one plugin; list fewer" }
}

/// Checks one plugin's package lists: each name valid for its family's
/// package manager (no option, no shell word, no version or path) and
/// listed once.
pub fn check_packages(packages: &SystemPackageLists) -> Result<(), OutputProblem> {
    for family in PackageFamily::ALL {
        let names = packages.of(family);
        if names.len() > MAX_PACKAGES {
            return Err(too_many(family.what(), names.len()));
        }
        for name in names {
            if let Some(problem) = family.name_problem(name) {
                return Err(OutputProblem::Listing {
                    what: family.what(),
                    name: crate::sanitize::for_terminal(name, 80),
                    problem,
                });
            }
        }
        crate::hooks::racetrack::check_unique(family.what(), names.iter().cloned())?;
    }
    Ok(())
}

/// A family of distros sharing a package list (DevStack's `files/debs`,
/// `files/rpms`, `files/rpms-suse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageFamily {
    /// Ubuntu, Debian, Linux Mint: apt.
    Debs,
    /// Red Hat, Fedora, CentOS, XenServer: yum / dnf.
    Rpms,
    /// SUSE Linux, openSUSE: zypper.
    RpmsSuse,
}

/// Distro names and the family each takes its packages from.
const DISTROS: &[(&str, PackageFamily)] = &[
    ("ubuntu", PackageFamily::Debs),
    ("debian", PackageFamily::Debs),
    ("mint", PackageFamily::Debs),
    ("linuxmint", PackageFamily::Debs),
    ("rhel", PackageFamily::Rpms),
    ("redhat", PackageFamily::Rpms),
    ("fedora", PackageFamily::Rpms),
    ("centos", PackageFamily::Rpms),
    ("rocky", PackageFamily::Rpms),
    ("xenserver", PackageFamily::Rpms),
    ("suse", PackageFamily::RpmsSuse),
    ("sles", PackageFamily::RpmsSuse),
    ("opensuse", PackageFamily::RpmsSuse),
    ("opensuse-leap", PackageFamily::RpmsSuse),
    ("opensuse-tumbleweed", PackageFamily::RpmsSuse),
];

/// A distro name that is not in Paddock's list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown distro `{given}`; name one of {}, or a family: debs, rpms, rpms-suse", DISTROS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", "))]
pub struct UnknownDistro {
    given: String,
}

impl PackageFamily {
    /// Every family, in DevStack's order.
    pub const ALL: [PackageFamily; 3] = [PackageFamily::Debs, PackageFamily::Rpms, PackageFamily::RpmsSuse];

    /// The family a distro (`ubuntu`, `fedora`, `opensuse`, ... or a
    /// family's own name) installs from; case-insensitive.
    pub fn for_distro(distro: &str) -> Result<PackageFamily, UnknownDistro> {
        let wanted = distro.trim().to_ascii_lowercase();
        PackageFamily::ALL
            .into_iter()
            .find(|family| family.dir() == wanted)
            .or_else(|| DISTROS.iter().find(|(name, _)| *name == wanted).map(|(_, family)| *family))
            .ok_or_else(|| UnknownDistro { given: crate::sanitize::for_terminal(distro, 60) })
    }

    /// DevStack's directory for the family, under `files/`.
    pub fn dir(self) -> &'static str {
        match self {
            PackageFamily::Debs => "debs",
            PackageFamily::Rpms => "rpms",
            PackageFamily::RpmsSuse => "rpms-suse",
        }
    }

    fn what(self) -> &'static str {
        match self {
            PackageFamily::Debs => "deb package",
            PackageFamily::Rpms => "rpm package",
            PackageFamily::RpmsSuse => "rpm-suse package",
        }
    }

    /// What breaks the family's package-name rules: Debian policy 5.6.1
    /// (lowercase letters, digits, `+`, `-`, `.`; two or more characters,
    /// starting with a letter or digit), RPM's (letters, digits and
    /// `-._+`, starting with a letter or digit; DevStack lists plain
    /// names, so no `(`, `/` or space either).
    fn name_problem(self, name: &str) -> Option<&'static str> {
        let first = name.chars().next();
        match self {
            PackageFamily::Debs => {
                let ok = name.len() >= 2
                    && name.len() <= MAX_NAME_BYTES
                    && first.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.'));
                (!ok).then_some(
                    "is not a Debian package name: 2 or more lowercase letters, digits, `+`, `-` or `.`, starting with a \
                     letter or digit (Debian policy 5.6.1)",
                )
            }
            PackageFamily::Rpms | PackageFamily::RpmsSuse => {
                let ok = !name.is_empty()
                    && name.len() <= MAX_NAME_BYTES
                    && first.is_some_and(|c| c.is_ascii_alphanumeric())
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'+'));
                (!ok).then_some(
                    "is not an RPM package name: letters, digits, `-`, `.`, `_` or `+`, starting with a letter or digit",
                )
            }
        }
    }
}

impl fmt::Display for PackageFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.dir())
    }
}

impl FromStr for PackageFamily {
    type Err = UnknownDistro;
    fn from_str(s: &str) -> Result<PackageFamily, UnknownDistro> {
        PackageFamily::for_distro(s)
    }
}

/// A package and the plugins that asked for it, in run order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestedPackage {
    /// The package name.
    pub name: String,
    /// Ids of the plugins listing it.
    pub plugins: Vec<String>,
}

/// The packages to install for one family, merged across plugins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergedPackages {
    /// The family they are for.
    pub family: PackageFamily,
    /// Each package once, in order of first request.
    pub packages: Vec<RequestedPackage>,
}

/// Merges the packages every plugin that succeeded lists for `family`.
pub fn merge_packages(outcomes: &[Outcome<SystemPackageLists>], family: PackageFamily) -> MergedPackages {
    let mut packages: Vec<RequestedPackage> = Vec::new();
    for outcome in outcomes {
        for name in outcome.status.ok().map(|lists| lists.of(family)).unwrap_or_default() {
            match packages.iter_mut().find(|package| package.name == *name) {
                Some(package) => package.plugins.push(outcome.id.clone()),
                None => packages.push(RequestedPackage { name: name.clone(), plugins: vec![outcome.id.clone()] }),
            }
        }
    }
    MergedPackages { family, packages }
}

/// The user's own settings: what `local.conf`'s `[[local|localrc]]` holds
/// (`NAME=VALUE`, `enable_service`, `disable_service`), or `--set
/// NAME=VALUE`. They win over every plugin's. Built only by the methods
/// here, so every name and value has passed the environment-variable rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSettings {
    variables: Vec<(String, String)>,
    enabled: Vec<String>,
    disabled: Vec<String>,
}

/// A user setting Paddock refuses, and where it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {problem}")]
pub struct UserSettingsError {
    origin: String,
    problem: String,
}

/// Largest local.conf accepted.
pub const MAX_LOCAL_CONF_BYTES: u64 = 1024 * 1024;

impl UserSettings {
    /// The variables, in the order given (a later value for a name replaces
    /// the earlier one in place).
    pub fn variables(&self) -> &[(String, String)] {
        &self.variables
    }

    /// The services the user enables (`enable_service`), in order.
    pub fn enabled_services(&self) -> &[String] {
        &self.enabled
    }

    /// The services the user disables (`disable_service`), in order.
    pub fn disabled_services(&self) -> &[String] {
        &self.disabled
    }

    /// Adds `NAME=VALUE`; `origin` names where it came from in errors.
    pub fn set(&mut self, assignment: &str, origin: &str) -> Result<(), UserSettingsError> {
        let error = |problem: String| UserSettingsError { origin: origin.to_string(), problem };
        let Some((name, value)) = assignment.split_once('=') else {
            return Err(error(format!("`{}` is not NAME=VALUE", crate::sanitize::for_terminal(assignment, 80))));
        };
        let value = unquote(value.trim());
        let pair = [(name.trim().to_string(), value)];
        OutputRules::default().check_env_vars(&pair).map_err(|problem| error(problem.to_string()))?;
        let [(name, value)] = pair;
        match self.variables.iter_mut().find(|(existing, _)| *existing == name) {
            Some(slot) => slot.1 = value,
            None => self.variables.push((name, value)),
        }
        Ok(())
    }

    /// Reads a `local.conf`: its `[[local|localrc]]` section (or, without
    /// section headers, the whole file, as a plain `localrc`) holding
    /// `NAME=VALUE`, `enable_service A B` and `disable_service A` lines,
    /// comments and blank lines. `enable_plugin` lines belong in the
    /// plugin-set file, and other sections (`[[post-config|FILE]]`) are
    /// not supported yet: both are errors naming the line.
    pub fn add_local_conf(&mut self, text: &str, origin: &str) -> Result<(), UserSettingsError> {
        let has_sections = text.lines().any(|line| line.trim_start().starts_with("[["));
        let mut in_localrc = !has_sections;
        for (number, raw) in text.lines().enumerate() {
            let at = format!("{origin} line {}", number + 1);
            let error = |problem: &str| UserSettingsError { origin: at.clone(), problem: problem.to_string() };
            let line = raw.trim();
            if let Some(header) = line.strip_prefix("[[").and_then(|rest| rest.strip_suffix("]]")) {
                if header.trim() != "local|localrc" {
                    return Err(error(
                        "only the [[local|localrc]] section is supported; set other files' options in a plugin",
                    ));
                }
                in_localrc = true;
                continue;
            }
            if line.is_empty() || line.starts_with('#') || !in_localrc {
                continue;
            }
            let mut words = line.split_whitespace();
            match words.next() {
                Some("enable_service") => {
                    for service in words {
                        self.disabled.retain(|disabled| disabled != service);
                        push_once(&mut self.enabled, service);
                    }
                }
                Some("disable_service") => {
                    for service in words {
                        self.enabled.retain(|enabled| enabled != service);
                        push_once(&mut self.disabled, service);
                    }
                }
                Some("enable_plugin") => {
                    return Err(error(
                        "enable_plugin belongs in the plugin-set file: an entry with `bundle: PATH` or `url: URL` \
                         and its `sha256:`",
                    ));
                }
                _ => {
                    let assignment = line.strip_prefix("export ").unwrap_or(line);
                    self.set(assignment, &at)?;
                }
            }
        }
        Ok(())
    }
}

fn push_once(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|existing| existing == item) {
        list.push(item.to_string());
    }
}

/// A value as bash would read a simple `NAME="value"` or `NAME='value'`.
fn unquote(value: &str) -> String {
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote).and_then(|rest| rest.strip_suffix(quote)) {
            return inner.to_string();
        }
    }
    value.to_string()
}

/// Which kind of setting a plugin made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettingKind {
    /// `FOO=${FOO:-default}` in `settings`.
    Default,
    /// An assignment in `override-defaults`.
    OverrideDefault,
}

impl fmt::Display for SettingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SettingKind::Default => "default",
            SettingKind::OverrideDefault => "override-default",
        })
    }
}

/// One plugin's value for a variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginSetting {
    /// The plugin id.
    pub plugin: String,
    /// How it set the variable.
    pub kind: SettingKind,
    /// The value it gave.
    pub value: String,
}

/// Who a merged variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "from")]
pub enum SettingSource {
    /// The user (local.conf, `--set`).
    User,
    /// A plugin.
    Plugin {
        /// The plugin id.
        plugin: String,
        /// How it set the variable.
        kind: SettingKind,
    },
}

impl fmt::Display for SettingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingSource::User => f.write_str("the user"),
            SettingSource::Plugin { plugin, kind } => write!(f, "{plugin} ({kind})"),
        }
    }
}

/// A variable after merging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergedVariable {
    /// The name.
    pub name: String,
    /// The value in force.
    pub value: String,
    /// Who it comes from.
    pub source: SettingSource,
    /// Every plugin that set it, in run order.
    pub set_by: Vec<PluginSetting>,
}

impl MergedVariable {
    /// Whether more than one party set it: a plugin's value was replaced
    /// or ignored.
    pub fn is_conflict(&self) -> bool {
        self.set_by.len() + usize::from(self.source == SettingSource::User) > 1
    }
}

/// A service enabled after merging, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnabledService {
    /// The service name.
    pub name: String,
    /// Plugin ids enabling it in run order, then `user` if local.conf did.
    pub enabled_by: Vec<String>,
}

/// Every plugin's settings merged with the user's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MergedSettings {
    /// Variables in order of first appearance (plugins in run order, then
    /// the user's own).
    pub variables: Vec<MergedVariable>,
    /// Services enabled, in order of first appearance.
    pub services: Vec<EnabledService>,
    /// Services a plugin enabled that the user disabled (`disable_service`).
    pub disabled: Vec<String>,
}

/// Merges the settings of every plugin that succeeded, in run order, with
/// the user's (see the module docs for who wins).
pub fn merge_settings(outcomes: &[Outcome<PluginSettings>], user: &UserSettings) -> MergedSettings {
    let mut merged = MergedSettings::default();
    for outcome in outcomes {
        let Some(settings) = outcome.status.ok() else { continue };
        let made = settings
            .override_defaults
            .iter()
            .map(|pair| (pair, SettingKind::OverrideDefault))
            .chain(settings.defaults.iter().map(|pair| (pair, SettingKind::Default)));
        for ((name, value), kind) in made {
            let setting = PluginSetting { plugin: outcome.id.clone(), kind, value: value.clone() };
            let source = SettingSource::Plugin { plugin: outcome.id.clone(), kind };
            match merged.variables.iter_mut().find(|variable| variable.name == *name) {
                Some(variable) => {
                    // Already set: an override-default replaces the value
                    // (a plain assignment), a default leaves it (`${X:-d}`).
                    if kind == SettingKind::OverrideDefault {
                        variable.value = value.clone();
                        variable.source = source;
                    }
                    variable.set_by.push(setting);
                }
                None => merged.variables.push(MergedVariable {
                    name: name.clone(),
                    value: value.clone(),
                    source,
                    set_by: vec![setting],
                }),
            }
        }
        for service in &settings.services {
            match merged.services.iter_mut().find(|enabled| enabled.name == *service) {
                Some(enabled) => enabled.enabled_by.push(outcome.id.clone()),
                None => {
                    merged.services.push(EnabledService { name: service.clone(), enabled_by: vec![outcome.id.clone()] })
                }
            }
        }
    }
    for (name, value) in &user.variables {
        match merged.variables.iter_mut().find(|variable| variable.name == *name) {
            Some(variable) => {
                variable.value = value.clone();
                variable.source = SettingSource::User;
            }
            None => merged.variables.push(MergedVariable {
                name: name.clone(),
                value: value.clone(),
                source: SettingSource::User,
                set_by: Vec::new(),
            }),
        }
    }
    for service in &user.enabled {
        match merged.services.iter_mut().find(|enabled| enabled.name == *service) {
            Some(enabled) => enabled.enabled_by.push("user".to_string()),
            None => {
                merged.services.push(EnabledService { name: service.clone(), enabled_by: vec!["user".to_string()] })
            }
        }
    }
    merged.disabled = user.disabled.clone();
    merged.services.retain(|service| !user.disabled.contains(&service.name));
    merged
}

impl MergedSettings {
    /// The settings as lines for a terminal: each variable with where its
    /// value comes from, then the services (not yet sanitised).
    pub fn lines(&self) -> Vec<String> {
        self.variables
            .iter()
            .map(|variable| format!("{}={}  # {}", variable.name, variable.value, variable.source))
            .chain(
                self.services
                    .iter()
                    .map(|service| format!("enable_service {}  # {}", service.name, service.enabled_by.join(", "))),
            )
            .chain(self.disabled.iter().map(|service| format!("disable_service {service}  # user")))
            .collect()
    }

    /// The conflict report: one line per variable more than one party set,
    /// saying who set what and what won (not yet sanitised).
    pub fn notes(&self) -> Vec<String> {
        self.variables
            .iter()
            .filter(|variable| variable.is_conflict())
            .map(|variable| {
                let mut setters: Vec<String> = variable
                    .set_by
                    .iter()
                    .map(|set| format!("{} ({} `{}`)", set.plugin, set.kind, set.value))
                    .collect();
                if variable.source == SettingSource::User {
                    setters.push(format!("the user (`{}`)", variable.value));
                }
                let why = match &variable.source {
                    SettingSource::User => "the user's value overrides every plugin's",
                    SettingSource::Plugin { kind: SettingKind::OverrideDefault, .. } => {
                        "the last override-default in run order wins"
                    }
                    SettingSource::Plugin { kind: SettingKind::Default, .. } => {
                        "the first default in run order wins, as `${NAME:-default}` does"
                    }
                };
                format!(
                    "conflict: {} set by {}; kept {}'s `{}` ({why})",
                    variable.name,
                    setters.join(", "),
                    variable.source,
                    variable.value
                )
            })
            .collect()
    }

    /// The merged settings as a bash file to source before the fragments:
    /// every value single-quoted, so no value runs as code.
    pub fn to_bash(&self) -> String {
        let mut text = String::from("# Merged DevStack settings, written by paddock.\n");
        for variable in &self.variables {
            text.push_str(&format!("export {}={}\n", variable.name, shell_quote(&variable.value)));
        }
        for service in &self.services {
            text.push_str(&format!("enable_service {}\n", service.name));
        }
        for service in &self.disabled {
            text.push_str(&format!("disable_service {service}\n"));
        }
        text
    }
}

/// What a DevStack run across a set produced: the merged settings, the
/// packages for the families asked for, and the fragments of each mode,
/// in the order the modes were asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackRun {
    /// Every plugin's settings merged with the user's.
    pub settings: MergedSettings,
    /// The packages to install, per family asked for.
    pub packages: Vec<MergedPackages>,
    /// Each mode asked for, with its fragments in run order.
    pub modes: Vec<ModeFragments>,
    /// Every plugin call that failed (naming plugin, version and hook);
    /// the other plugins still ran.
    #[serde(skip)]
    pub failures: Vec<HookFailure>,
}

/// The fragments of one mode (or phase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeFragments {
    /// The mode and its phase.
    #[serde(flatten)]
    pub mode: Mode,
    /// Its fragments, in run order.
    pub fragments: Vec<ScriptFragment>,
}

/// Runs `settings`, `system-packages` and each of `modes` across the set,
/// in one session (each plugin keeps a warm instance), plugins in the
/// set's order at every phase.
pub fn run(set: &PluginSet, modes: &[Mode], user: &UserSettings, families: &[PackageFamily]) -> StackRun {
    let mut session = set.session();
    let mut failures = Vec::new();
    let settings = session.call::<hooks::Settings>(&());
    failures.extend(failures_of(&settings));
    let packages = session.call::<hooks::SystemPackages>(&());
    failures.extend(failures_of(&packages));
    let mut fragments = Vec::new();
    for &mode in modes {
        let outcomes = match mode {
            Mode::Stack(phase) => session.call::<hooks::Stack>(&phase),
            Mode::Unstack => session.call::<hooks::Unstack>(&()),
            Mode::Clean => session.call::<hooks::Clean>(&()),
        };
        failures.extend(failures_of(&outcomes));
        fragments.push(ModeFragments { mode, fragments: self::fragments(mode, &outcomes) });
    }
    StackRun {
        settings: merge_settings(&settings, user),
        packages: families.iter().map(|&family| merge_packages(&packages, family)).collect(),
        modes: fragments,
        failures,
    }
}

fn failures_of<T>(outcomes: &[Outcome<T>]) -> impl Iterator<Item = HookFailure> + '_ {
    outcomes.iter().filter_map(|outcome| outcome.status.failure().cloned())
}

/// `word` as one single-quoted bash word.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Status;

    fn outcome<T>(id: &str, value: T) -> Outcome<T> {
        Outcome {
            plugin: id.into(),
            id: id.into(),
            version: semver::Version::new(1, 0, 0),
            priority: 0,
            status: Status::Ok(value),
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn first_default_wins_override_defaults_beat_defaults_and_the_user_beats_all() {
        let outcomes = [
            outcome("a", PluginSettings { defaults: pairs(&[("X", "a"), ("Y", "a")]), ..Default::default() }),
            outcome(
                "b",
                PluginSettings {
                    defaults: pairs(&[("X", "b")]),
                    override_defaults: pairs(&[("Y", "b")]),
                    services: vec!["svc".into()],
                },
            ),
            outcome("c", PluginSettings { defaults: pairs(&[("Y", "c"), ("Z", "c")]), ..Default::default() }),
        ];
        let mut user = UserSettings::default();
        user.set("Z=mine", "--set").unwrap();
        user.set("W='quoted value'", "--set").unwrap();
        let merged = merge_settings(&outcomes, &user);
        let values: Vec<(&str, &str)> = merged.variables.iter().map(|v| (v.name.as_str(), v.value.as_str())).collect();
        assert_eq!(values, [("X", "a"), ("Y", "b"), ("Z", "mine"), ("W", "quoted value")]);
        let notes = merged.notes();
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(notes[0].contains("kept a (default)'s `a`"), "{}", notes[0]);
        assert!(notes[1].contains("kept b (override-default)'s `b`"), "{}", notes[1]);
        assert!(notes[2].contains("c (default `c`), the user (`mine`)"), "{}", notes[2]);
        assert!(merged.to_bash().contains("export W='quoted value'\nenable_service svc\n"));
    }

    #[test]
    fn local_conf_and_bad_user_settings() {
        let mut user = UserSettings::default();
        user.add_local_conf(
            "[[local|localrc]]\n# me\nADMIN_PASSWORD=secret\nexport X=\"1\"\nenable_service a b\ndisable_service b\n",
            "local.conf",
        )
        .unwrap();
        assert_eq!(user.variables(), pairs(&[("ADMIN_PASSWORD", "secret"), ("X", "1")]));
        assert_eq!(
            (user.enabled_services(), user.disabled_services()),
            (&["a".to_string()][..], &["b".to_string()][..])
        );
        let error = UserSettings::default().add_local_conf("enable_plugin x git://x\n", "local.conf").unwrap_err();
        assert!(error.to_string().starts_with("local.conf line 1: enable_plugin belongs"), "{error}");
        let error = UserSettings::default().set("1X=2", "--set").unwrap_err();
        assert!(error.to_string().contains("must match"), "{error}");
        let error = UserSettings::default().set("LD_PRELOAD=x", "--set").unwrap_err();
        assert!(error.to_string().contains("deny-list"), "{error}");
    }

    #[test]
    fn distros_map_to_their_family_and_names_follow_its_rules() {
        assert_eq!(PackageFamily::for_distro("Ubuntu"), Ok(PackageFamily::Debs));
        assert_eq!(PackageFamily::for_distro("centos"), Ok(PackageFamily::Rpms));
        assert_eq!(PackageFamily::for_distro("opensuse-leap"), Ok(PackageFamily::RpmsSuse));
        assert_eq!(PackageFamily::for_distro("rpms-suse"), Ok(PackageFamily::RpmsSuse));
        assert!(PackageFamily::for_distro("beos").unwrap_err().to_string().contains("unknown distro `beos`"));
        assert_eq!(PackageFamily::Debs.name_problem("libssl-dev"), None);
        assert_eq!(PackageFamily::Rpms.name_problem("python3-PyYAML"), None);
        for bad in ["Cowsay", "-y", "a", "cowsay;reboot", "x y"] {
            assert!(PackageFamily::Debs.name_problem(bad).is_some(), "{bad}");
        }
        for bad in ["-y", "foo>=1", "a/b", ""] {
            assert!(PackageFamily::Rpms.name_problem(bad).is_some(), "{bad}");
        }
    }
}
