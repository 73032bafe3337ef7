//! Which imports the host provides: WASI 0.2 and Paddock's own packages.

use super::{Host, SocketImports};

/// Packages whose interfaces the linker provides, with the version prefix
/// it accepts. `wasi:sockets` is subject to [`SocketImports`].
const PROVIDED_PACKAGES: &[(&str, &str)] = &[
    ("wasi:cli", "0.2."),
    ("wasi:clocks", "0.2."),
    ("wasi:filesystem", "0.2."),
    ("wasi:io", "0.2."),
    ("wasi:random", "0.2."),
    ("wasi:sockets", "0.2."),
    ("paddock:plugin", "0.1."),
    ("paddock:common", "0.2."),
    ("paddock:orbit", "0.2."),
    ("paddock:racetrack", "0.2."),
    ("paddock:devstack", "0.2."),
];

/// Packages only Digital Rebar providers ([`crate::provider`]) may import:
/// their scoped object store and events. A hook plugin importing them is
/// refused at load.
const PROVIDER_PACKAGES: &[(&str, &str)] = &[("paddock:rebar", "0.2.")];

impl Host {
    /// Whether the import `name` (`package/interface@version`) comes from a
    /// package this host links.
    pub(super) fn provides(&self, name: &str) -> bool {
        matches_package(self.provided_packages(), name)
    }

    /// Whether a provider may import `name`: what every plugin may, plus
    /// [`PROVIDER_PACKAGES`].
    fn provides_to_providers(&self, name: &str) -> bool {
        self.provides(name) || matches_package(PROVIDER_PACKAGES.iter().copied(), name)
    }

    /// The packages providers may import, for error messages.
    fn provider_packages(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.provided_packages().chain(PROVIDER_PACKAGES.iter().copied())
    }

    /// Refuses `imports` naming what this host does not provide to a hook
    /// plugin (or to a provider), listing them all at once so the author
    /// can fix them in one go (the linker reports only the first).
    pub(crate) fn check_imports(&self, imports: &[&str], provider: bool) -> Result<(), String> {
        let provided = |name: &str| if provider { self.provides_to_providers(name) } else { self.provides(name) };
        let unprovided: Vec<String> = imports
            .iter()
            .filter(|name| !provided(name))
            .map(|name| crate::sanitize::for_terminal(name, 200))
            .collect();
        if unprovided.is_empty() {
            return Ok(());
        }
        let packages: Vec<String> = if provider {
            self.provider_packages().map(|(package, version)| format!("{package}@{version}x")).collect()
        } else {
            self.provided_packages().map(|(package, version)| format!("{package}@{version}x")).collect()
        };
        Err(format!(
            "the component imports interfaces this host does not provide: {}; {} may import only {}",
            unprovided.join(", "),
            if provider { "providers" } else { "plugins" },
            packages.join(", ")
        ))
    }

    /// The packages plugins may import, with the version prefix accepted.
    pub(super) fn provided_packages(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        PROVIDED_PACKAGES.iter().copied().filter(|(package, _)| {
            *package != "wasi:sockets" || self.inner.config.socket_imports == SocketImports::DenyAtRunTime
        })
    }
}

/// Whether `name` (`package/interface@version`) is in one of `packages`.
fn matches_package<'a>(mut packages: impl Iterator<Item = (&'a str, &'a str)>, name: &str) -> bool {
    let Some((package, rest)) = name.split_once('/') else {
        return false;
    };
    let version = rest.split_once('@').map(|(_, v)| v).unwrap_or("");
    packages.any(|(provided, major_minor)| package == provided && version.starts_with(major_minor))
}
