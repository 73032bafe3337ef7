//! Errors raised while building a host, loading bundles and assembling
//! plugin sets. Failures of individual hook calls are not errors of the run:
//! they are [`crate::HookFailure`]s inside the per-plugin outcomes.

use crate::bundle::BundleError;
use crate::cache::CacheError;

/// Everything that can go wrong outside a hook call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The wasm engine or linker could not be set up.
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
    /// The configured compile cache cannot be trusted.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// A bundle file is unreadable or malformed.
    // The bundle error is part of the message, not a `source`, so that
    // printing the error chain does not repeat it.
    #[error("bundle {path}: {problem}")]
    Bundle {
        /// Bundle path.
        path: String,
        /// What is wrong with it.
        problem: BundleError,
    },
    /// A well-formed bundle whose component cannot be used.
    #[error("plugin `{plugin}` {version} ({origin}): {problem}")]
    Load {
        /// Manifest name.
        plugin: String,
        /// Manifest version.
        version: String,
        /// Where the bundle came from.
        origin: String,
        /// What is wrong and what to do.
        problem: String,
    },
    /// A plugin-set file is unreadable or invalid.
    #[error("plugin-set file {origin}: {problem}")]
    PluginSet {
        /// The plugin-set file.
        origin: String,
        /// What is wrong and what to write instead.
        problem: String,
    },
    /// A bundle path or directory of bundles cannot be read.
    #[error("cannot read bundles at {path}: {problem}")]
    PluginPath {
        /// The path given.
        path: String,
        /// Why it cannot be read.
        problem: std::io::Error,
    },
    /// A configured plugin id breaks the plugin-name rules.
    #[error("plugin id `{id}` ({origin}) {problem}; ids follow the plugin-name rules, e.g. `my-plugin-2`")]
    PluginId {
        /// The id, sanitised for display.
        id: String,
        /// Where it was configured: a plugin-set file entry or the bundle it was given for.
        origin: String,
        /// Which rule it breaks.
        problem: String,
    },
    /// Two plugins with one name in a set.
    #[error("two plugins are named `{name}` ({first} and {second}); a plugin set holds each plugin once — remove one")]
    DuplicatePlugin {
        /// The shared name.
        name: String,
        /// Where the first came from.
        first: String,
        /// Where the second came from.
        second: String,
    },
    /// A plugin requires (`requires:`, DevStack `plugin_requires`) one
    /// the set does not hold.
    #[error(
        "plugin `{plugin}` {version} ({origin}) requires `{required}`, which is not in the set; add `{required}` to \
         the set, or remove it from `{plugin}`'s `requires:`"
    )]
    MissingRequirement {
        /// The requiring plugin.
        plugin: String,
        /// Its version.
        version: String,
        /// Where it came from.
        origin: String,
        /// The plugin it requires.
        required: String,
    },
    /// The plugins' requirements form a cycle, so no order runs each after
    /// what it requires.
    #[error(
        "the requirements of plugins {} form a cycle ({}); remove one of these `requires:` entries",
        cycle[..cycle.len().saturating_sub(1)].iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", "),
        cycle.join(" -> ")
    )]
    RequirementCycle {
        /// The plugins on the cycle, each requiring the next, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// A plugin-set entry's bundle is not the one its `sha256:` pins.
    #[error(
        "{entry}: the bundle's SHA-256 is {actual}, but the entry pins {expected}; the bundle changed since it was \
         pinned — check it, then update `sha256:` (or restore the pinned bundle)"
    )]
    BundleDigest {
        /// The set-file entry, with its bundle path or URL.
        entry: String,
        /// The digest the entry pins.
        expected: String,
        /// The digest of the bundle found.
        actual: String,
    },
}
