//! Turning a plugin directory into a bundle (`paddock bundle`): build the
//! Rust crate for `wasm32-wasip2` in release, check that the component really
//! is a Paddock plugin this host can load, write the zip.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::bundle::Bundle;
use crate::engine::Host;
use crate::error::Error;
use crate::manifest::{MANIFEST_FILE, Manifest};

/// The target guests are built for.
pub const GUEST_TARGET: &str = "wasm32-wasip2";

/// Where the component comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentSource {
    /// Build the Rust crate in the plugin directory, optionally into a given
    /// cargo target directory.
    Cargo {
        /// `--target-dir` for cargo; cargo's default when `None`.
        target_dir: Option<PathBuf>,
    },
    /// Use an already built component file.
    Prebuilt(PathBuf),
}

/// What `bundle_plugin_dir` produced.
#[derive(Debug, Clone)]
pub struct BundleSummary {
    /// The manifest written into the bundle.
    pub manifest: Manifest,
    /// Where the bundle was written.
    pub path: PathBuf,
    /// Component size in bytes.
    pub component_size: usize,
    /// Lowercase hex sha256 of the component.
    pub component_sha256: String,
}

/// Builds the plugin in `dir` (which holds `plugin-manifest.yaml`) and writes
/// its bundle to `out`, or to `<dir>/<name>-<version>.zip` when `out` is None.
/// The component is loaded by `host` before anything is written, so a bundle
/// that is written is one this host can run.
pub fn bundle_plugin_dir(
    host: &Host,
    dir: &Path,
    source: &ComponentSource,
    out: Option<&Path>,
) -> Result<BundleSummary, Error> {
    let build_error = |problem: String| Error::Build { dir: dir.display().to_string(), problem };
    let manifest_path = dir.join(MANIFEST_FILE);
    let manifest_bytes = std::fs::read(&manifest_path)
        .map_err(|e| build_error(format!("cannot read {}: {e}; create it (see the README's manifest reference)", manifest_path.display())))?;
    let manifest = Manifest::parse(&manifest_bytes).map_err(|e| build_error(e.to_string()))?;

    let component_path = match source {
        ComponentSource::Prebuilt(path) => path.clone(),
        ComponentSource::Cargo { target_dir } => cargo_build(dir, target_dir.as_deref()).map_err(build_error)?,
    };
    let component = std::fs::read(&component_path)
        .map_err(|e| build_error(format!("cannot read component {}: {e}", component_path.display())))?;
    crate::bundle::check_component_preamble(&component_path.display().to_string(), &component)
        .map_err(|e| build_error(e.to_string()))?;

    let component_size = component.len();
    let component_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&component));
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join(format!("{}-{}.zip", manifest.name, manifest.version)));
    // Verify by loading exactly what will be shipped, before writing anything.
    let bundle = Bundle {
        manifest: manifest.clone(),
        component: component.clone(),
        component_sha256: component_sha256.clone(),
        archive_size: 0,
    };
    host.load_bundle(bundle, &component_path.display().to_string())?;
    Bundle::write(&manifest, &component, &out).map_err(|e| build_error(e.to_string()))?;
    Ok(BundleSummary { manifest, path: out, component_size, component_sha256 })
}

/// Runs `cargo build --release --target wasm32-wasip2` for the crate in
/// `dir` and returns the path of the `.wasm` artifact it produced.
fn cargo_build(dir: &Path, target_dir: Option<&Path>) -> Result<PathBuf, String> {
    // cargo runs in the plugin directory (so its rust-toolchain.toml applies):
    // every path handed to it must be absolute.
    let absolute = |path: &Path| std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()));
    let dir = &absolute(dir)?;
    let cargo_toml = dir.join("Cargo.toml");
    if !cargo_toml.is_file() {
        return Err(format!(
            "no Cargo.toml in {}; `paddock bundle` builds Rust plugin crates, or pass a built component with --wasm",
            dir.display()
        ));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--release", "--target", GUEST_TARGET, "--message-format=json-render-diagnostics"])
        .arg("--manifest-path")
        .arg(&cargo_toml)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(target_dir) = target_dir {
        command.arg("--target-dir").arg(absolute(target_dir)?);
    }
    let mut child = command.spawn().map_err(|e| format!("cannot run cargo: {e}; install Rust with rustup"))?;
    let wanted_manifest = std::fs::canonicalize(&cargo_toml).unwrap_or(cargo_toml);
    let mut artifact = None;
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(path) = wasm_artifact(&line, &wanted_manifest) {
                artifact = Some(path);
            }
        }
    }
    let status = child.wait().map_err(|e| format!("cargo did not finish: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo build --release --target {GUEST_TARGET}` failed (see its output above); if the target is missing run `rustup target add {GUEST_TARGET}`"
        ));
    }
    artifact.ok_or_else(|| {
        "cargo built no .wasm for this crate; set `[lib] crate-type = [\"cdylib\"]` in its Cargo.toml".to_string()
    })
}

/// The `.wasm` file of a `compiler-artifact` message for the crate at `manifest`.
fn wasm_artifact(line: &str, manifest: &Path) -> Option<PathBuf> {
    let message: serde_json::Value = serde_json::from_str(line).ok()?;
    if message.get("reason")?.as_str()? != "compiler-artifact" {
        return None;
    }
    let from = PathBuf::from(message.get("manifest_path")?.as_str()?);
    if std::fs::canonicalize(&from).unwrap_or(from) != manifest {
        return None;
    }
    message
        .get("filenames")?
        .as_array()?
        .iter()
        .filter_map(|f| f.as_str())
        .find(|f| f.ends_with(".wasm"))
        .map(PathBuf::from)
}
