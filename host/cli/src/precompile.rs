//! `paddock precompile`: fill the cache ahead of time, with a progress
//! indicator, because a Python or JavaScript component takes seconds.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use paddock::Host;
use paddock::cache::CompileOrigin;

/// Compiles `bundles` (bundle files, not directories) into the host's cache.
pub fn run(host: &Host, bundles: &[PathBuf]) -> Result<ExitCode> {
    let progress = ProgressBar::new(bundles.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{spinner} [{pos}/{len}] {elapsed} compiling {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    progress.enable_steady_tick(Duration::from_millis(120));
    let mut failed = false;
    for bundle in bundles {
        progress.set_message(crate::shown(bundle));
        // Grants are not needed to compile: an operator may precompile
        // plugins before deciding what to grant them.
        let checked = host
            .read_bundle(bundle)
            .and_then(|read| Ok((host.check_bundle(&read, &bundle.display().to_string())?, read)));
        let line = match checked {
            Ok((check, read)) => {
                let manifest = read.manifest();
                let stats = check.load_stats;
                let how = match stats.origin {
                    CompileOrigin::FromCache => "already cached",
                    CompileOrigin::CompiledAndCached => "compiled and cached",
                    CompileOrigin::Compiled => "compiled, but the cache could not be written",
                    CompileOrigin::AlreadyLoaded => "same component as one above",
                };
                format!("{} {}: {how} in {} ms", manifest.name(), manifest.version(), stats.compile_time.as_millis())
            }
            Err(error) => {
                failed = true;
                format!("{}: {}", crate::shown(bundle), paddock::sanitize::for_terminal(&error.to_string(), 4_000))
            }
        };
        progress.suspend(|| crate::emit(&format!("{line}\n")))?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
