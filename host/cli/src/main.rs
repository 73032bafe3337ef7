//! `paddock`: build, inspect, validate and run plugin bundles.

mod devstack;
mod jobs;
mod out_dir;
mod precompile;
mod provider;
mod report;
mod state;
mod tutor;

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};
use paddock::cache::{CompileCache, EntryKind};
use paddock::{FailurePolicy, Hook, Host, HostConfig, Limits, PluginSet, RunContext};
use paddock_build::{ComponentSource, Language, bundle_plugin_dir, scaffold};

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
        lang: Lang,
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
        /// Bundle zips or directories of bundles.
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
    Run(RunArgs),
    /// Define, validate and serve Digital Rebar providers (long-lived instances).
    Provider {
        #[command(subcommand)]
        command: provider::ProviderCommand,
    },
    /// Show a plugin's documentation (its markdown-docs hook), safe for a terminal.
    Docs {
        /// The bundle zip.
        bundle: PathBuf,
    },
    /// Render the Dockerfiles of a job from the job type a set of plugins provides.
    RenderJob(jobs::RenderJobArgs),
    /// Run a DevStack mode (stack, unstack, clean) across a plugin set:
    /// merged settings, system packages for a distro, ordered script fragments.
    Devstack(devstack::DevstackArgs),
    /// Show what applying a plugin set to a target would change (exit 0: no
    /// changes, 3: changes, 1: a plugin failed).
    Plan(state::PlanArgs),
    /// Apply a plugin set to a target and record it (exit 0: no changes,
    /// 3: changes applied, 1: a plugin failed).
    Apply(state::PlanArgs),
    /// Show the audit trail: every hook invocation, what it returned, from which bundle.
    History(state::HistoryArgs),
    /// Trace a Dockerfile line or env var of a target back to the plugin that contributed it.
    Explain(state::ExplainArgs),
    /// Manage the state store.
    State {
        #[command(subcommand)]
        command: state::StateCommand,
    },
    /// Tutor's configuration: store it and render the environment, print a value.
    Config {
        #[command(subcommand)]
        command: tutor::ConfigCommand,
    },
    /// Run the CLI commands Tutor plugins add.
    Plugins {
        #[command(subcommand)]
        command: tutor::PluginsCommand,
    },
    /// The images Tutor plugins build and pull.
    Images {
        #[command(subcommand)]
        command: tutor::ImagesCommand,
    },
    /// The services Tutor plugins initialise.
    Init {
        #[command(subcommand)]
        command: tutor::InitCommand,
    },
}

/// Where a command's plugins come from: bundles, directories of bundles,
/// a plugin-set file (for `render-job`, `devstack`).
#[derive(clap::Args)]
pub(crate) struct PluginArgs {
    /// Bundles or directories of bundles (loaded in file-name order).
    #[arg(long = "plugins", num_args = 1.., value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Plugin-set YAML: bundles (by path, or by file:// URL with sha256) with ids and parameters, in order.
    #[arg(long, value_name = "FILE")]
    pub set: Option<PathBuf>,
}

impl PluginArgs {
    /// Loads the set, the set file's plugins first.
    pub(crate) fn load(&self, host: &Host, policy: FailurePolicy) -> Result<PluginSet> {
        load_plugin_set(host, self.set.as_deref(), &self.paths, policy)
    }
}

/// `paddock run`'s arguments.
#[derive(clap::Args)]
struct RunArgs {
    /// The hook to run, or `all` for every hook, in the order listed, in one session.
    #[arg(value_parser = HookArgParser)]
    hook: HookArg,
    /// Bundles or directories of bundles (loaded in file-name order).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    plugins: Vec<PathBuf>,
    /// Plugin-set YAML: bundles with ids and parameters, in order.
    #[arg(long, value_name = "FILE")]
    set: Option<PathBuf>,
    /// Deployment context YAML/JSON (environment, team, job_name, ...),
    /// like sample-plugins/context.yaml. Without it the hooks see an
    /// empty deployment.
    #[arg(long, value_name = "FILE")]
    context: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Stop at the first failing plugin instead of running the rest.
    #[arg(long)]
    fail_fast: bool,
    /// Time limit per hook call, in milliseconds (1 to 3600000).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_MS))]
    timeout_ms: Option<u64>,
    /// Memory limit per plugin instance, in MiB (2 to 4096).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(MIN_MEMORY_MIB..=MAX_MEMORY_MIB))]
    memory_mib: Option<u64>,
    /// Base image for the rendered Dockerfile, an image reference such
    /// as python:3.11 (default: the context's image_name).
    #[arg(long, value_name = "IMAGE")]
    base_image: Option<String>,
    /// Write the resources the hooks returned (Kubernetes manifests, Helm
    /// charts with values, CloudFormation templates with parameters) into
    /// this directory, atomically; it must be new or one paddock wrote.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// An Orbit-style environment file naming teams and their plugin-set
    /// files: the hooks run team by team, each with its team's context.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["plugins", "set"])]
    environment: Option<PathBuf>,
    /// Append every hook call to this state store's audit trail (a SQLite
    /// file or a postgres:// URL), under --target.
    #[arg(long, value_name = "PATH|URL", requires = "target", conflicts_with = "environment")]
    state: Option<String>,
    /// The target the audit records are filed under (with --state), e.g. `team/data-science`.
    #[arg(long, value_name = "TARGET", requires = "state")]
    target: Option<String>,
}

/// `paddock run`'s HOOK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HookArg {
    /// Every hook, in `Hook::ALL` order.
    All,
    /// One hook.
    One(Hook),
}

/// Parses HOOK by the library's rules (so `job_runtime_env_vars` works
/// too) with its error, and lists the hooks in `--help` from `Hook::ALL`,
/// so a hook added to the library shows up here without an edit.
#[derive(Clone)]
struct HookArgParser;

impl TypedValueParser for HookArgParser {
    type Value = HookArg;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<HookArg, clap::Error> {
        let invalid = |message: String| clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{message}\n"));
        let text = value.to_str().ok_or_else(|| invalid(format!("the hook {value:?} is not UTF-8 text")))?;
        if text == "all" {
            return Ok(HookArg::All);
        }
        text.parse::<Hook>().map(HookArg::One).map_err(|unknown| invalid(unknown.to_string()))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let hooks = Hook::ALL.iter().map(|hook| PossibleValue::new(hook.name()));
        Some(Box::new(hooks.chain([PossibleValue::new("all")])))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// The language of a new plugin (`paddock new --lang`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Lang {
    /// A Rust crate using the paddock-guest SDK.
    Rust,
    /// app.py using guest-sdk/python (built with componentize-py).
    Python,
    /// plugin.js using guest-sdk/js (built with componentize-js).
    #[value(alias = "javascript")]
    Js,
}

impl From<Lang> for Language {
    fn from(lang: Lang) -> Language {
        match lang {
            Lang::Rust => Language::Rust,
            Lang::Python => Language::Python,
            Lang::Js => Language::JavaScript,
        }
    }
}

fn main() -> ExitCode {
    if let Err(error) = clean_up_on_signals() {
        eprintln!("error: cannot install signal handlers: {error}");
        return ExitCode::from(2);
    }
    init_logging();
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            // Errors quote bundle content and file names; the library
            // sanitises what it knows comes from a bundle, this catches the rest.
            let message = paddock::sanitize::multiline_for_terminal(&format!("{error:#}"), 20_000);
            // Nothing is left to report a failure to when stderr is gone.
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Log lines go to stderr, coloured only for a terminal and unless
/// `NO_COLOR` is set to something (no-color.org): escape codes in a log
/// file or a CI capture are noise.
fn init_logging() {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PADDOCK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,paddock::plugin=info")),
        )
        .init();
}

/// Longest `--timeout-ms`: an hour. A hook still running after that is stuck.
const MAX_TIMEOUT_MS: u64 = 3_600_000;
/// Smallest `--memory-mib`: a Rust guest's memory starts at about 1.1 MiB,
/// so nothing loads below 2.
const MIN_MEMORY_MIB: u64 = 2;
/// Largest `--memory-mib`: a 32-bit wasm memory addresses 4 GiB, which is
/// what the host reserves per instance.
const MAX_MEMORY_MIB: u64 = 4096;

/// Why the compile cache is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CacheOff {
    /// `--no-cache` was passed.
    Flag,
    /// No `--cache-dir`, no `$PADDOCK_CACHE_DIR` and no platform cache
    /// directory (no `$XDG_CACHE_HOME` and no home directory).
    NoDirectory,
}

impl std::fmt::Display for CacheOff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CacheOff::Flag => f.write_str("--no-cache was passed"),
            CacheOff::NoDirectory => write!(
                f,
                "no cache directory could be determined (no ${} and no $XDG_CACHE_HOME or home directory); \
                 set {} or pass --cache-dir DIR",
                paddock::cache::CACHE_DIR_ENV,
                paddock::cache::CACHE_DIR_ENV
            ),
        }
    }
}

/// The compile cache to use, given `--no-cache`, `--cache-dir` and the
/// default directory (`paddock::cache::default_dir`), or why there is none.
fn compile_cache(
    no_cache: bool,
    cache_dir: Option<PathBuf>,
    default_dir: Option<PathBuf>,
) -> Result<CompileCache, CacheOff> {
    match (no_cache, cache_dir.or(default_dir)) {
        (true, _) => Err(CacheOff::Flag),
        (false, Some(dir)) => Ok(CompileCache::new(dir)),
        (false, None) => Err(CacheOff::NoDirectory),
    }
}

/// Writes results to stdout. A reader that goes away early (`paddock run
/// ... | head -1`) ends the output quietly, and the exit status stays the
/// command's own; any other failure to write (a full disk) is an error.
fn emit(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(error).context("cannot write the output to stdout"))
        }
        _ => Ok(()),
    }
}

/// A path for display: a file name can hold anything, escape codes included.
fn shown(path: &Path) -> String {
    paddock::sanitize::for_terminal(&path.display().to_string(), 1_000)
}

/// The bundle files at `paths` (files as given, directories expanded to
/// their `*.zip` files); finding none at all is an error naming every path.
fn bundles_at(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut bundles = Vec::new();
    for path in paths {
        bundles.extend(paddock::plugin_set::bundle_files(path)?);
    }
    if bundles.is_empty() {
        bail!("{}", no_bundles_found(paths.iter().map(|path| shown(path))));
    }
    Ok(bundles)
}

fn no_bundles_found(looked_at: impl Iterator<Item = String>) -> String {
    format!(
        "no plugin bundles found in {}; pass bundle zips, directories holding *.zip bundles, \
         or a plugin-set file that lists some",
        looked_at.collect::<Vec<_>>().join(", ")
    )
}

fn run(cli: Cli) -> Result<ExitCode> {
    let mut grants = paddock::Grants { bundle_files: cli.grant_bundle_files, ..paddock::Grants::default() };
    for name in &cli.grant_env {
        let value = std::env::var(name)
            .with_context(|| format!("cannot grant `{name}`: it is not set (as UTF-8) in paddock's environment"))?;
        grants.env.insert(name.clone(), value);
    }
    let cache = compile_cache(cli.no_cache, cli.cache_dir, paddock::cache::default_dir());
    // `paddock cache` says so itself, and `paddock new` compiles nothing.
    let uses_cache = !matches!(cli.command, Command::New { .. } | Command::Cache { .. });
    if let Err(off @ CacheOff::NoDirectory) = cache
        && uses_cache
    {
        tracing::warn!("the compile cache is off: {off}");
    }
    let config = HostConfig { grants, cache: cache.clone().ok(), ..HostConfig::default() };
    match cli.command {
        Command::New { name, lang, dir } => new(&name, lang, &dir),
        Command::Bundle { plugin_dir, out, wasm, target_dir } => bundle(config, &plugin_dir, out, wasm, target_dir),
        Command::Inspect { bundle, format } => inspect(config, &bundle, format),
        Command::Cache { clear } => cache_command(cache, clear),
        Command::Precompile { bundles } => precompile_command(config, cache, &bundles),
        Command::Validate { bundles } => validate(config, &bundles),
        Command::Run(args) => run_hooks(config, args),
        Command::Provider { command } => provider::run(config, command),
        Command::Docs { bundle } => jobs::docs(config, &bundle),
        Command::RenderJob(args) => jobs::render_job(config, args),
        Command::Devstack(args) => devstack::devstack(config, args),
        Command::Plan(args) => state::plan_or_apply(config, args, false),
        Command::Apply(args) => state::plan_or_apply(config, args, true),
        Command::History(args) => state::history(args),
        Command::Explain(args) => state::explain(args),
        Command::State { command } => state::state_command(command),
        Command::Config { command } => tutor::config(config, command),
        Command::Plugins { command } => tutor::plugins(config, command),
        Command::Images { command } => tutor::images(config, command),
        Command::Init { command } => tutor::init(config, command),
    }
}

/// `paddock new`.
fn new(name: &str, lang: Lang, dir: &Path) -> Result<ExitCode> {
    let (created, files) = scaffold::create(name, lang.into(), dir)?;
    let mut text = format!("created {}:\n", created.display());
    for file in files {
        text.push_str(&format!("  {}\n", file.display()));
    }
    text.push_str(&format!("build it with: paddock bundle {}\n", created.display()));
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `paddock bundle`.
fn bundle(
    config: HostConfig,
    plugin_dir: &Path,
    out: Option<PathBuf>,
    wasm: Option<PathBuf>,
    target_dir: Option<PathBuf>,
) -> Result<ExitCode> {
    let host = Host::with_config(config)?;
    let source = match wasm {
        Some(path) => ComponentSource::Prebuilt(path),
        None => ComponentSource::Source { language: None, target_dir },
    };
    let summary = bundle_plugin_dir(&host, plugin_dir, &source, out.as_deref())?;
    emit(&format!(
        "bundled {} {} -> {} (component {} bytes, sha256 {})\n",
        summary.manifest.name(),
        summary.manifest.version(),
        shown(&summary.path),
        summary.component_size,
        summary.component_sha256
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `paddock inspect`.
fn inspect(config: HostConfig, bundle: &Path, format: Format) -> Result<ExitCode> {
    // Inspecting grants nothing, so it works before the operator
    // has decided what to grant.
    let host = Host::with_config(config)?;
    let read = host.read_bundle(bundle)?;
    let check = host.check_bundle(&read, &bundle.display().to_string())?;
    let definition = read.manifest().is_provider().then(|| provider::definition_of(&host, bundle)).transpose()?;
    emit(&match format {
        Format::Json => {
            let mut json = serde_json::to_value(report::inspect_json(&read, &check))?;
            if let (Some(definition), Some(object)) = (&definition, json.as_object_mut()) {
                object.insert("provider".to_string(), serde_json::to_value(definition)?);
            }
            format!("{}\n", serde_json::to_string_pretty(&json)?)
        }
        Format::Text => {
            report::inspect_text(&read, &check)
                + &definition.as_ref().map(provider::definition_text).unwrap_or_default()
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `paddock cache`.
fn cache_command(cache: Result<CompileCache, CacheOff>, clear: bool) -> Result<ExitCode> {
    let cache = cache.map_err(|off| anyhow::anyhow!("caching is off: {off}; nothing to show"))?;
    if clear {
        let removed = cache.clear().with_context(|| format!("cannot clear {}", shown(cache.dir())))?;
        let components = removed.iter().filter(|entry| entry.kind == EntryKind::Component).count();
        emit(&format!(
            "removed {components} cached components and {} stale partial files from {}\n",
            removed.len() - components,
            shown(cache.dir())
        ))?;
    } else {
        let entries = cache.entries().with_context(|| format!("cannot read {}", shown(cache.dir())))?;
        let total: u64 = entries.iter().map(|e| e.size).sum();
        let components = entries.iter().filter(|entry| entry.kind == EntryKind::Component).count();
        let mut text = format!(
            "cache: {}\n{components} components, {} partial files, {total} bytes\n",
            shown(cache.dir()),
            entries.len() - components
        );
        for entry in entries {
            let note = match entry.kind {
                EntryKind::StalePartial => "  (partial, left by a process that is gone)",
                EntryKind::LivePartial => "  (partial, being written)",
                _ => "",
            };
            text.push_str(&format!("  {:>10}  {}{note}\n", entry.size, shown(&entry.path)));
        }
        emit(&text)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `paddock precompile`.
fn precompile_command(
    config: HostConfig,
    cache: Result<CompileCache, CacheOff>,
    bundles: &[PathBuf],
) -> Result<ExitCode> {
    if let Err(off) = cache {
        bail!("precompiling needs the compile cache, which is off: {off}");
    }
    let bundles = bundles_at(bundles)?;
    precompile::run(&Host::with_config(config)?, &bundles)
}

/// `paddock validate`.
fn validate(config: HostConfig, bundles: &[PathBuf]) -> Result<ExitCode> {
    let bundles = bundles_at(bundles)?;
    let host = Host::with_config(config)?;
    let mut all_valid = true;
    for path in &bundles {
        let loaded = with_spinner(&format!("loading {}", shown(path)), || {
            // A provider is checked by defining it: its definition too must pass.
            if host.read_bundle(path)?.manifest().is_provider() {
                let definition = provider::definition_of(&host, path)?;
                return Ok((definition.name().to_string(), definition.version().to_string()));
            }
            check_job_types(&host, host.load_file(path)?)
        });
        let line = match loaded {
            Ok((name, version)) => format!("ok      {} ({name} {version})", shown(path)),
            Err(error) => {
                all_valid = false;
                let error = paddock::sanitize::for_terminal(&error.to_string(), 4_000);
                format!("invalid {}: {error}", shown(path))
            }
        };
        emit(&format!("{line}\n"))?;
    }
    Ok(if all_valid { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A job-type plugin's listing is static data naming files in its bundle
/// (Racetrack reads it at start-up): validating the plugin lists its job
/// types, so a file it names but does not ship is caught before any job
/// needs it. Returns the plugin's name and version.
fn check_job_types(host: &Host, plugin: paddock::Plugin) -> Result<(String, String)> {
    let identity = (plugin.name().to_string(), plugin.version().to_string());
    if plugin.implements(Hook::JobTypes) {
        let set = PluginSet::builder(host).add(plugin, paddock::PluginConfig::default())?.build()?;
        if let Some(failure) = set.call::<paddock::hooks::JobTypes>(&()).remove(0).status.failure() {
            bail!("{failure}");
        }
    }
    Ok(identity)
}

/// `paddock run`.
fn run_hooks(config: HostConfig, args: RunArgs) -> Result<ExitCode> {
    let RunArgs {
        hook,
        plugins,
        set,
        context,
        format,
        fail_fast,
        timeout_ms,
        memory_mib,
        base_image,
        out,
        environment,
        state,
        target,
    } = args;
    // Opened before anything runs: an unreachable store fails at once.
    let mut audit = state.as_deref().map(paddock::state::open).transpose()?;
    let hooks = match hook {
        HookArg::All => Hook::ALL.to_vec(),
        HookArg::One(hook) => vec![hook],
    };
    if plugins.is_empty() && set.is_none() && environment.is_none() {
        bail!(
            "no plugins given; pass --plugins PATH (a bundle or a directory of bundles), --set FILE, or --environment FILE"
        );
    }
    // Read before any plugin is loaded: a bad context fails at once.
    let deployment = context.as_deref().map(read_context).transpose()?;
    if let Some(image) = &base_image {
        paddock::validate::check_image_reference(image).map_err(|problem| anyhow::anyhow!("--base-image {problem}"))?;
    }
    let base_image = base_image
        .or_else(|| deployment.as_ref().map(|context| context.deployment.image_name.clone()))
        .unwrap_or_default();
    // No implicit `FROM scratch`: RUN lines on an empty image are
    // never what was meant, so scratch must be asked for by name.
    if hooks.contains(&Hook::DockerfileInjection) && base_image.is_empty() {
        bail!(
            "dockerfile-injection renders a Dockerfile, which needs a base image: pass --base-image IMAGE \
             or a --context whose image_name is one (see sample-plugins/context.yaml)"
        );
    }
    let mut limits = Limits::default();
    if let Some(ms) = timeout_ms {
        limits.hook_timeout = Duration::from_millis(ms);
    }
    if let Some(mib) = memory_mib {
        limits.memory_bytes = usize::try_from(mib << 20).context("--memory-mib is too large for this platform")?;
    }
    let host = Host::with_config(HostConfig { limits, ..config })?;
    let policy = if fail_fast { FailurePolicy::Abort } else { FailurePolicy::Continue };
    if let Some(environment) = &environment {
        let hooks = TeamHooks { hooks: &hooks, all: hook == HookArg::All, policy };
        return run_environment(&host, environment, &hooks, deployment, format, out.as_deref());
    }
    let plugin_set = load_plugin_set(&host, set.as_deref(), &plugins, policy)?;
    let context = deployment.unwrap_or_else(|| {
        tracing::warn!(
            "no --context given: the hooks see an empty deployment (every field empty); \
             pass --context FILE, e.g. sample-plugins/context.yaml"
        );
        RunContext::default()
    });
    let (runs, missing) = report::run_hooks(&plugin_set, &hooks, &context);
    if hook != HookArg::All
        && let Some(missing) = missing.first()
    {
        bail!("{missing}");
    }
    for missing in &missing {
        tracing::info!("not run: {missing}");
    }
    if let Some(out) = &out {
        out_dir::write(out, &out_dir::resource_files(&plugin_set, &runs)?)?;
        tracing::info!("wrote the resources to {}", shown(out));
    }
    if let (Some(store), Some(target)) = (audit.as_deref_mut(), target.as_deref()) {
        let recorded = paddock::state::record_runs(store, target, "run", &plugin_set, &runs, &context)?;
        tracing::info!("recorded {recorded} hook calls in the audit trail of `{target}`");
        state::warn_over_retention_cap(store)?;
    }
    emit(&match format {
        Format::Json => format!("{}\n", report::runs_json(&runs, hook == HookArg::All, &base_image)?),
        Format::Text => report::runs_text(&plugin_set, &runs, &base_image)?,
    })?;
    Ok(if report::all_succeeded(&runs) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Loads the plugins of a set file and of bundle paths, in that order.
pub(crate) fn load_plugin_set(
    host: &Host,
    set: Option<&Path>,
    plugins: &[PathBuf],
    policy: FailurePolicy,
) -> Result<PluginSet> {
    let plugin_set = with_spinner("loading plugins", || -> Result<PluginSet, paddock::Error> {
        let mut builder = PluginSet::builder(host).failure_policy(policy);
        if let Some(set) = set {
            builder = builder.add_set_file(set)?;
        }
        for path in plugins {
            builder = builder.add_path(path)?;
        }
        builder.build()
    })?;
    if plugin_set.is_empty() {
        let set_file = set.iter().map(|path| format!("plugin-set file {}", shown(path)));
        bail!("{}", no_bundles_found(set_file.chain(plugins.iter().map(|path| shown(path)))));
    }
    Ok(plugin_set)
}

/// `paddock run --environment FILE`: each team's plugin set with the team's
/// context (Orbit registers plugins per team from `<team>-plugins.yaml`).
fn run_environment(
    host: &Host,
    path: &Path,
    run: &TeamHooks<'_>,
    context: Option<RunContext>,
    format: Format,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let TeamHooks { hooks, all, policy } = *run;
    let environment = paddock::plugin_set::Environment::read_file(path)?;
    let base = context.unwrap_or_default();
    let mut text = String::new();
    let mut json = Vec::new();
    let mut files = Vec::new();
    let mut succeeded = true;
    for team in environment.teams() {
        let plugin_set = load_plugin_set(host, Some(team.plugins()), &[], policy)?;
        let context = environment.context_for(team, &base);
        let (runs, missing) = report::run_hooks(&plugin_set, hooks, &context);
        if !all && let Some(missing) = missing.first() {
            bail!("{missing}");
        }
        if out.is_some() {
            let team_files = out_dir::resource_files(&plugin_set, &runs)?;
            files.extend(team_files.into_iter().map(|(path, bytes)| (format!("{}/{path}", team.name()), bytes)));
        }
        succeeded &= report::all_succeeded(&runs);
        match format {
            Format::Json => {
                let runs: serde_json::Value =
                    serde_json::from_str(&report::runs_json(&runs, all, &context.deployment.image_name)?)?;
                json.push(serde_json::json!({ "team": team.name(), "runs": runs }));
            }
            Format::Text => {
                text.push_str(&format!("=== team {} ===\n", paddock::sanitize::for_terminal(team.name(), 80)));
                text.push_str(&report::runs_text(&plugin_set, &runs, &context.deployment.image_name)?);
            }
        }
    }
    if let Some(out) = out {
        out_dir::write(out, &files)?;
    }
    emit(&match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&json)?),
        Format::Text => text,
    })?;
    Ok(if succeeded { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Which hooks run for each team of an environment, and how.
#[derive(Clone, Copy)]
struct TeamHooks<'a> {
    hooks: &'a [Hook],
    all: bool,
    policy: FailurePolicy,
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

/// Largest deployment context accepted.
const MAX_CONTEXT_BYTES: u64 = 1024 * 1024;

fn read_context(path: &Path) -> Result<RunContext> {
    let text = paddock::fsutil::read_text_capped(path, MAX_CONTEXT_BYTES)
        .map_err(|problem| anyhow::anyhow!("context {}: {problem}", shown(path)))?;
    let context: RunContext = serde_yaml::from_str(&text).with_context(|| {
        format!(
            "context {} is not valid (fields: environment, team, job_name, job_version, image_name, deployer; \
             sections job_deployed, job_deleted, job_on_target, observed_job for the Racetrack job hooks, \
             command_call for tutor-run-command)",
            shown(path)
        )
    })?;
    if !context.deployment.image_name.is_empty() {
        paddock::validate::check_image_reference(&context.deployment.image_name)
            .map_err(|problem| anyhow::anyhow!("context {} field `image_name`: {problem}", shown(path)))?;
    }
    Ok(context)
}

/// On SIGINT, SIGTERM or SIGHUP, removes the partial files paddock is
/// writing (a bundle, a cache entry) and exits as the signal would have;
/// without this they stay behind. SIGXFSZ is caught too, so that a write
/// past the file-size limit fails with an error (and its partial file is
/// removed) instead of killing the process.
fn clean_up_on_signals() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGXFSZ};
    signal_hook::flag::register(SIGXFSZ, std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)))?;
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new().name("paddock-signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            paddock::fsutil::remove_partial_files();
            std::process::exit(128 + signal);
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn run_takes_and_lists_every_hook_of_the_library_and_all() {
        let help = Cli::command().find_subcommand_mut("run").expect("run").render_long_help().to_string();
        for hook in Hook::ALL {
            assert!(help.contains(hook.name()), "{hook} missing from: {help}");
        }
        assert!(help.contains(", all]"), "{help}");
        let hook = |name: &str| match Cli::try_parse_from(["paddock", "run", name]).map(|cli| cli.command) {
            Ok(Command::Run(args)) => Ok(args.hook),
            Ok(_) => unreachable!("parsed as another command"),
            Err(error) => Err(error.to_string()),
        };
        assert_eq!(hook("all"), Ok(HookArg::All));
        for &each in Hook::ALL {
            assert_eq!(hook(each.name()), Ok(HookArg::One(each)));
        }
        assert_eq!(hook("job_runtime_env_vars"), Ok(HookArg::One(Hook::JobRuntimeEnvVars)));
        let error = hook("deploi").unwrap_err();
        assert!(error.starts_with("error: unknown hook `deploi`; the hooks are: dockerfile-injection, "), "{error}");
    }

    #[test]
    fn the_cache_being_off_says_why() {
        let default = Some(PathBuf::from("/home/u/.cache/paddock"));
        let dir = |cache: Result<CompileCache, CacheOff>| cache.map(|cache| cache.dir().to_path_buf());
        assert_eq!(dir(compile_cache(false, None, default.clone())), Ok(default.clone().unwrap()));
        assert_eq!(dir(compile_cache(false, Some("/elsewhere".into()), default.clone())), Ok("/elsewhere".into()));
        assert_eq!(compile_cache(true, None, default).err(), Some(CacheOff::Flag));
        let off = compile_cache(false, None, None).err();
        assert_eq!(off, Some(CacheOff::NoDirectory));
        let message = off.unwrap().to_string();
        assert!(message.contains("no cache directory could be determined"), "{message}");
        assert!(message.contains("set PADDOCK_CACHE_DIR"), "{message}");
        assert!(!message.contains("--no-cache"), "{message}");
    }
}
