//! What can go wrong building a plugin into a bundle or scaffolding a new one.

use std::path::PathBuf;

/// Everything that can go wrong in `paddock bundle` and `paddock new`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Building the plugin failed: its manifest, its sources, the build
    /// tool, the component it produced, its shipped files or writing the
    /// bundle.
    #[error("cannot build plugin in {dir}: {problem}")]
    Plugin {
        /// The plugin directory.
        dir: String,
        /// What failed and what to do.
        problem: String,
    },
    /// The host refused the built component (or could not check it): it
    /// is not a Paddock plugin this host can load.
    #[error(transparent)]
    Load(#[from] paddock::Error),
    /// A new plugin's name breaks the plugin-name rules.
    #[error("plugin name {0}")]
    PluginName(String),
    /// A new plugin's directory exists already.
    #[error("{} already exists; pick another NAME or --dir, or remove it", .0.display())]
    AlreadyExists(PathBuf),
    /// A new Rust plugin points at the checkout's `guest-sdk/`, and no
    /// Paddock checkout is known (see [`crate::toolchain::checkout_root`]).
    #[error(
        "cannot find the Paddock checkout this binary was built from (it holds guest-sdk/); run the paddock \
         binary of a checkout, e.g. target/debug/paddock"
    )]
    NoCheckout,
    /// A path written into a new plugin's files is not UTF-8.
    #[error("{} is not valid UTF-8; move the checkout", .0.display())]
    NotUtf8(PathBuf),
    /// A new plugin's directory could not be created.
    #[error("cannot create {}", .path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A new plugin's file could not be written.
    #[error("cannot write {}", .path.display())]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
