//! `paddock`: build, inspect, validate and run plugin bundles.

mod precompile;
mod report;
mod scaffold;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use paddock::cache::CompileCache;
use paddock::packaging::{ComponentSource, bundle_plugin_dir};
use paddock::{Deployment, FailurePolicy, Hook, Host, HostConfig, Limits, PluginSet};

/// Paddock: WebAssembly-sandboxed plugins for deployment tools.
#[derive(Parser)]
#[command(name = "paddock", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Directory of precompiled components [default: $PADDOCK_CACHE_DIR or the platform cache dir].
    #[arg(long, global = true, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Let plugins that declare `capabilities: {env: [NAME]}` read NAME, with
    /// its value from paddock's own environment. Repeatable.
    #[arg(long, global = true, value_name = "NAME")]
    grant_env: Vec<String>,
    /// Let plugins that declare `capabilities: {bundle-files: true}` read the
    /// files shipped under `files/` in their own bundle, read-only, at /bundle.
    #[arg(long, global = true)]
    grant_bundle_files: bool,
    /// Compile every component on load; neither read nor write the cache.
    #[arg(long, global = true, conflicts_with = "cache_dir")]
    no_cache: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Build a plugin directory into a bundle zip.
    ///
    /// Builds the plugin in PLUGIN_DIR from source: a Rust crate (Cargo.toml)
    /// for wasm32-wasip2 in release, a Python plugin (app.py) with
    /// componentize-py, or a JavaScript plugin (plugin.js) with
    /// componentize-js (install those two with
    /// `bash scripts/install-guest-toolchains.sh`). Checks the component
    /// exports the Paddock hooks and needs only what the host provides, and
    /// writes plugin-manifest.yaml plus the component.
    Bundle {
        /// Directory holding plugin-manifest.yaml and Cargo.toml, app.py or plugin.js.
        #[arg(default_value = ".")]
        plugin_dir: PathBuf,
        /// Output file [default: PLUGIN_DIR/NAME-VERSION.zip].
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Use this prebuilt component instead of building the crate.
        #[arg(long, value_name = "FILE")]
        wasm: Option<PathBuf>,
        /// Cargo target directory for the build (Rust plugins).
        #[arg(long, value_name = "DIR")]
        target_dir: Option<PathBuf>,
    },
    /// Create a plugin directory that `paddock bundle` builds without edits.
    New {
        /// Plugin name: lowercase letters, digits and single '-'.
        name: String,
        /// Source language.
        #[arg(long, value_enum)]
        lang: scaffold::Lang,
        /// Parent directory of the new plugin directory.
        #[arg(long, value_name = "PARENT", default_value = ".")]
        dir: PathBuf,
    },
    /// Show a bundle's manifest, hash, size and exported interfaces.
    Inspect {
        /// The bundle zip.
        bundle: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Check that bundles can be loaded; prints one line per bundle.
    Validate {
        /// Bundle zips.
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
    },
    /// Show the precompiled-component cache, or clear it.
    Cache {
        /// Remove every cached component.
        #[arg(long)]
        clear: bool,
    },
    /// Compile bundles into the cache ahead of time.
    Precompile {
        /// Bundle zips or directories of bundles.
        #[arg(required = true)]
        bundles: Vec<PathBuf>,
    },
    /// Run a hook (or `all`) across plugins in priority order.
    Run {
        /// deploy, destroy, dockerfile-injection, bootstrap-injection,
        /// job-runtime-env-vars, or `all`.
        hook: String,
        /// Bundles or directories of bundles (loaded in file-name order).
        #[arg(long, num_args = 1.., value_name = "PATH")]
        plugins: Vec<PathBuf>,
        /// Plugin-set YAML: bundles with ids and parameters, in order.
        #[arg(long, value_name = "FILE")]
        set: Option<PathBuf>,
        /// Deployment context YAML/JSON (environment, team, job_name, ...).
        #[arg(long, value_name = "FILE")]
        context: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Stop at the first failing plugin instead of running the rest.
        #[arg(long)]
        fail_fast: bool,
        /// Time limit per hook call, in milliseconds.
        #[arg(long, value_name = "MS")]
        timeout_ms: Option<u64>,
        /// Memory limit per plugin instance, in MiB.
        #[arg(long, value_name = "MIB")]
        memory_mib: Option<usize>,
        /// Base image for the rendered Dockerfile (default: the context's image_name).
        #[arg(long, value_name = "IMAGE")]
        base_image: Option<String>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PADDOCK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,paddock::plugin=info")),
        )
        .init();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let mut grants = paddock::Grants { bundle_files: cli.grant_bundle_files, ..paddock::Grants::default() };
    for name in &cli.grant_env {
        let value = std::env::var(name)
            .with_context(|| format!("cannot grant `{name}`: it is not set (as UTF-8) in paddock's environment"))?;
        grants.env.insert(name.clone(), value);
    }
    let config = HostConfig {
        grants,
        cache: match (cli.no_cache, cli.cache_dir) {
            (true, _) => None,
            (false, Some(dir)) => Some(CompileCache::new(dir)),
            (false, None) => HostConfig::default().cache,
        },
        ..HostConfig::default()
    };
    match cli.command {
        Command::New { name, lang, dir } => {
            let (created, files) = scaffold::create(&name, lang, &dir)?;
            println!("created {}:", created.display());
            for file in files {
                println!("  {}", file.display());
            }
            println!("build it with: paddock bundle {}", created.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Bundle { plugin_dir, out, wasm, target_dir } => {
            let host = Host::with_config(config)?;
            let source = match wasm {
                Some(path) => ComponentSource::Prebuilt(path),
                None => ComponentSource::Source { language: None, target_dir },
            };
            let summary = bundle_plugin_dir(&host, &plugin_dir, &source, out.as_deref())?;
            println!(
                "bundled {} {} -> {} (component {} bytes, sha256 {})",
                summary.manifest.name,
                summary.manifest.version,
                summary.path.display(),
                summary.component_size,
                summary.component_sha256
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { bundle, format } => {
            // Inspecting grants nothing, so it works before the operator
            // has decided what to grant.
            let host = Host::with_config(config)?;
            let read = host.read_bundle(&bundle)?;
            let check = host.check_bundle(&read, &bundle.display().to_string())?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&report::inspect_json(&read, &check))?),
                Format::Text => print!("{}", report::inspect_text(&read, &check)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Cache { clear } => {
            let Some(cache) = config.cache else {
                bail!("caching is off (--no-cache); nothing to show");
            };
            if clear {
                let removed = cache.clear().with_context(|| format!("cannot clear {}", cache.dir().display()))?;
                println!("removed {removed} cached components from {}", cache.dir().display());
            } else {
                let entries = cache.entries().with_context(|| format!("cannot read {}", cache.dir().display()))?;
                let total: u64 = entries.iter().map(|e| e.size).sum();
                println!("cache: {}", cache.dir().display());
                println!("{} components, {total} bytes", entries.len());
                for entry in entries {
                    println!("  {:>10}  {}", entry.size, entry.path.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Precompile { bundles } => {
            let host = Host::with_config(config)?;
            if host.cache().is_none() {
                bail!("precompiling needs the cache; drop --no-cache");
            }
            precompile::run(&host, &bundles)
        }
        Command::Validate { bundles } => {
            let host = Host::with_config(config)?;
            let mut all_valid = true;
            for path in &bundles {
                match with_spinner(&format!("loading {}", path.display()), || host.load_file(path)) {
                    Ok(plugin) => println!("ok      {} ({} {})", path.display(), plugin.name(), plugin.version()),
                    Err(error) => {
                        all_valid = false;
                        println!("invalid {}: {error}", path.display());
                    }
                }
            }
            Ok(if all_valid { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Run { hook, plugins, set, context, format, fail_fast, timeout_ms, memory_mib, base_image } => {
            let hooks = if hook == "all" { Hook::ALL.to_vec() } else { vec![hook.parse::<Hook>()?] };
            if plugins.is_empty() && set.is_none() {
                bail!("no plugins given; pass --plugins PATH (a bundle or a directory of bundles) or --set FILE");
            }
            let mut limits = Limits::default();
            if let Some(ms) = timeout_ms {
                limits.hook_timeout = Duration::from_millis(ms);
            }
            if let Some(mib) = memory_mib {
                limits.memory_bytes = mib.saturating_mul(1024 * 1024);
            }
            let host = Host::with_config(HostConfig { limits, ..config })?;
            let plugin_set = with_spinner("loading plugins", || -> Result<PluginSet, paddock::Error> {
                let mut builder = PluginSet::builder(&host).failure_policy(if fail_fast {
                    FailurePolicy::Abort
                } else {
                    FailurePolicy::Continue
                });
                if let Some(set) = &set {
                    builder = builder.add_set_file(set)?;
                }
                for path in &plugins {
                    builder = builder.add_path(path)?;
                }
                builder.build()
            })?;
            let deployment = match &context {
                Some(path) => read_context(path)?,
                None => Deployment::default(),
            };
            let base_image = base_image.unwrap_or_else(|| deployment.image_name.clone());
            let runs = report::run_hooks(&plugin_set, &hooks, &deployment);
            match format {
                Format::Json => println!("{}", report::runs_json(&runs, hook == "all")?),
                Format::Text => print!("{}", report::runs_text(&plugin_set, &runs, &base_image)),
            }
            Ok(if report::all_succeeded(&runs) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

/// Runs `work` under a spinner on stderr, drawn only on a terminal: a load
/// that compiles a Python or JavaScript component takes seconds (or run
/// `paddock precompile` first).
fn with_spinner<T>(message: &str, work: impl FnOnce() -> T) -> T {
    let spinner = indicatif::ProgressBar::new_spinner().with_message(message.to_string());
    spinner.enable_steady_tick(Duration::from_millis(120));
    let result = work();
    spinner.finish_and_clear();
    result
}

fn read_context(path: &Path) -> Result<Deployment> {
    let size = std::fs::metadata(path).with_context(|| format!("cannot read context {}", path.display()))?.len();
    if size > 1024 * 1024 {
        bail!("context {} is {size} bytes; the limit is 1 MiB", path.display());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read context {}", path.display()))?;
    serde_yaml::from_str(&text).with_context(|| {
        format!(
            "context {} is not valid (fields: environment, team, job_name, job_version, image_name, deployer)",
            path.display()
        )
    })
}
