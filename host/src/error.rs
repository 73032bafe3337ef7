//! Errors raised while building a host, loading bundles and assembling
//! plugin sets. Failures of individual hook calls are not errors of the run:
//! they are [`crate::HookFailure`]s inside the per-plugin outcomes.

use crate::bundle::BundleError;

/// Everything that can go wrong outside a hook call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The wasm engine or linker could not be set up.
    #[error("cannot start the WebAssembly engine: {0}")]
    Engine(String),
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
    /// A plugin-set file or a plugin's configuration is invalid.
    #[error("plugin set {origin}: {problem}")]
    PluginSet {
        /// The file or API call the configuration came from.
        origin: String,
        /// What is wrong and what to write instead.
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
    /// Building a plugin into a bundle failed (`paddock bundle`).
    #[error("cannot build plugin in {dir}: {problem}")]
    Build {
        /// The plugin directory.
        dir: String,
        /// What failed and what to do.
        problem: String,
    },
}
