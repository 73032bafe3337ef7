//! `paddock precompile`: fill the cache ahead of time, with a progress
//! indicator, because a Python or JavaScript component takes seconds.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use paddock::Host;
use paddock::cache::CompileOrigin;

pub fn run(host: &Host, paths: &[PathBuf]) -> Result<ExitCode> {
    let mut bundles = Vec::new();
    for path in paths {
        bundles.extend(paddock::plugin_set::bundle_files(path)?);
    }
    let progress = ProgressBar::new(bundles.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed} compiling {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    progress.enable_steady_tick(Duration::from_millis(120));
    let mut failed = false;
    for bundle in &bundles {
        progress.set_message(bundle.display().to_string());
        // Grants are not needed to compile: an operator may precompile
        // plugins before deciding what to grant them.
        let checked = host
            .read_bundle(bundle)
            .and_then(|read| Ok((host.check_bundle(&read, &bundle.display().to_string())?, read.manifest)));
        let line = match checked {
            Ok((check, manifest)) => {
                let stats = check.load_stats;
                let how = match stats.origin {
                    CompileOrigin::FromCache => "already cached",
                    CompileOrigin::CompiledAndCached => "compiled and cached",
                    CompileOrigin::Compiled => "compiled, but the cache could not be written",
                    CompileOrigin::AlreadyLoaded => "same component as one above",
                };
                format!("{} {}: {how} in {} ms", manifest.name, manifest.version, stats.compile_time.as_millis())
            }
            Err(error) => {
                failed = true;
                format!("{}: {error}", bundle.display())
            }
        };
        progress.suspend(|| println!("{line}"));
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
