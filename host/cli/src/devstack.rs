//! `paddock devstack stack|unstack|clean`: a DevStack mode (and its
//! phases) across a plugin set, as `stack.sh`, `unstack.sh` and `clean.sh`
//! would source the plugins: the merged settings with their conflict
//! report, the system packages for a distro, and each plugin's bash
//! fragment per phase, in run order. Nothing is run: `--out DIR` writes it
//! all for the operator (or a CI job) to source.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::ValueEnum;
use paddock::devstack::{self, Mode, PackageFamily, StackRun, UserSettings};
use paddock::hooks::devstack::StackPhase;
use paddock::sanitize::{for_terminal, multiline_for_terminal};
use paddock::{FailurePolicy, Host, HostConfig};

use crate::{Format, emit, out_dir, shown};

/// `paddock devstack`'s arguments.
#[derive(clap::Args)]
pub struct DevstackArgs {
    /// The mode: `stack` (every phase, or the one --phase names), `unstack` or `clean`.
    #[arg(value_enum)]
    pub mode: ModeArg,
    /// The one stack phase to run: pre-install, install, post-config, extra or test-config.
    #[arg(long, value_name = "PHASE", value_parser = parse_phase)]
    pub phase: Option<StackPhase>,
    /// The distro to list packages for (ubuntu, debian, fedora, centos, opensuse, ...,
    /// or a family: debs, rpms, rpms-suse) [default: every family].
    #[arg(long, value_name = "DISTRO", value_parser = parse_family)]
    pub distro: Option<PackageFamily>,
    /// A setting of your own, NAME=VALUE (local.conf's localrc); it wins over every plugin's. Repeatable.
    #[arg(long = "var", short = 'e', value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// A local.conf whose [[local|localrc]] section holds your settings
    /// (NAME=VALUE, enable_service, disable_service); --var wins over it.
    #[arg(long, value_name = "FILE")]
    pub local_conf: Option<PathBuf>,
    /// The plugins (a plugin-set file holds DevStack's enable_plugin lines).
    #[command(flatten)]
    pub plugins: crate::PluginArgs,
    /// Write settings.sh, the package lists and the fragments into this
    /// directory, atomically; it must be new or one paddock wrote.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// DevStack's modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// stack.sh.
    Stack,
    /// unstack.sh.
    Unstack,
    /// clean.sh.
    Clean,
}

fn parse_phase(text: &str) -> Result<StackPhase, String> {
    text.parse().map_err(|error: paddock::hooks::devstack::UnknownPhase| error.to_string())
}

fn parse_family(text: &str) -> Result<PackageFamily, String> {
    PackageFamily::for_distro(text).map_err(|error| error.to_string())
}

/// `paddock devstack`.
pub fn devstack(config: HostConfig, args: DevstackArgs) -> Result<ExitCode> {
    let modes: Vec<Mode> = match (args.mode, args.phase) {
        (ModeArg::Stack, Some(phase)) => vec![Mode::Stack(phase)],
        (ModeArg::Stack, None) => StackPhase::ALL.into_iter().map(Mode::Stack).collect(),
        (_, Some(_)) => return Err(anyhow!("--phase is for `stack`; unstack and clean have no phases")),
        (ModeArg::Unstack, None) => vec![Mode::Unstack],
        (ModeArg::Clean, None) => vec![Mode::Clean],
    };
    // Read before any plugin is loaded: bad settings fail at once.
    let mut user = UserSettings::default();
    if let Some(path) = &args.local_conf {
        let text = paddock::fsutil::read_text_capped(path, devstack::MAX_LOCAL_CONF_BYTES)
            .map_err(|problem| anyhow!("local.conf {}: {problem}", shown(path)))?;
        user.add_local_conf(&text, &shown(path))?;
    }
    for var in &args.vars {
        user.set(var, "--var")?;
    }
    let families = match args.distro {
        Some(family) => vec![family],
        None => PackageFamily::ALL.to_vec(),
    };
    if args.plugins.paths.is_empty() && args.plugins.set.is_none() {
        return Err(anyhow!(
            "no plugins given; pass --plugins PATH (a bundle or a directory of bundles) or --set FILE"
        ));
    }
    let host = Host::with_config(config)?;
    let set = args.plugins.load(&host, FailurePolicy::Continue)?;
    let run = devstack::run(&set, &modes, &user, &families);
    if let Some(out) = &args.out {
        out_dir::write(out, &files(&run)?)?;
        tracing::info!("wrote the settings, packages and fragments to {}", shown(out));
    }
    emit(&match args.format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&run)?),
        Format::Text => text(&set, &run),
    })?;
    for failure in &run.failures {
        eprintln!("error: {}", for_terminal(&failure.to_string(), 2_000));
    }
    Ok(if run.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The run as text: plugins in order, settings with the conflict report,
/// packages, then each phase's fragments.
fn text(set: &paddock::PluginSet, run: &StackRun) -> String {
    let mut out = String::from("Plugins in run order:\n");
    for (position, (plugin, id)) in set.plugins().enumerate() {
        let requires = plugin.manifest().requires();
        let requires = if requires.is_empty() { String::new() } else { format!(", requires {}", requires.join(", ")) };
        let _ = writeln!(
            out,
            "  {:02}  {id} ({} {}, priority {}{requires})",
            position + 1,
            plugin.name(),
            plugin.version(),
            plugin.manifest().priority()
        );
    }
    let _ = writeln!(
        out,
        "\n== Settings ({} variables, {} services) ==",
        run.settings.variables.len(),
        run.settings.services.len()
    );
    for line in run.settings.lines().iter().chain(&run.settings.notes()) {
        let _ = writeln!(out, "  {}", for_terminal(line, 2_000));
    }
    for merged in &run.packages {
        let _ = writeln!(out, "\n== System packages ({}, {}) ==", merged.family, merged.packages.len());
        for package in &merged.packages {
            let _ = writeln!(out, "  {}  # {}", package.name, package.plugins.join(", "));
        }
    }
    for mode in &run.modes {
        let _ = writeln!(out, "\n== {} ({} fragments) ==", mode.mode, mode.fragments.len());
        for fragment in &mode.fragments {
            let _ = writeln!(out, "--- {} ---", fragment.file_name);
            let _ = writeln!(out, "{}", multiline_for_terminal(fragment.content.trim_end(), 200_000));
        }
    }
    out
}

/// What `--out DIR` holds: `settings.sh`, `packages/<family>.txt` (one
/// package a line, as DevStack's `files/debs/NAME`), `<mode>/NN-<id>-<phase>.sh`
/// and `devstack.json` with all of it.
fn files(run: &StackRun) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = vec![("settings.sh".to_string(), run.settings.to_bash().into_bytes())];
    for merged in &run.packages {
        let list: String = merged.packages.iter().map(|package| format!("{}\n", package.name)).collect();
        files.push((format!("packages/{}.txt", merged.family), list.into_bytes()));
    }
    for mode in &run.modes {
        let folder = match mode.mode {
            Mode::Stack(_) => "stack",
            Mode::Unstack => "unstack",
            Mode::Clean => "clean",
        };
        for fragment in &mode.fragments {
            files.push((format!("{folder}/{}", fragment.file_name), fragment.content.clone().into_bytes()));
        }
    }
    files.push(("devstack.json".to_string(), serde_json::to_vec_pretty(run)?));
    Ok(files)
}
