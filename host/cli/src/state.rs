//! `paddock plan`, `apply`, `history`, `explain` and `state prune`: the
//! recorded state of each target and the audit trail (`paddock::state`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use paddock::sanitize::for_terminal;
use paddock::state::{
    self, Action, ApplyReport, DesiredSet, DiffLine, HistoryQuery, Plan, PlannedPlugin, PruneRule, StateStore,
    Timestamp, Trace,
};
use paddock::{FailurePolicy, Host, HostConfig, Limits, RunContext};

use super::{Format, MAX_MEMORY_MIB, MAX_TIMEOUT_MS, MIN_MEMORY_MIB, emit, with_spinner};

/// Exit status of `plan` and `apply` when there are changes (planned or
/// applied). 0 is "no changes", 1 "a plugin failed", 2 a usage, load or
/// state error, as for every command.
pub const EXIT_CHANGES: u8 = 3;

/// Where the state is when `--state` is not given.
const STATE_ENV: &str = "PADDOCK_STATE";

/// The retention cap (records), when not [`state::DEFAULT_RETENTION_CAP`].
const RETENTION_CAP_ENV: &str = "PADDOCK_AUDIT_CAP";

/// Says on stderr when the audit trail holds more records than the cap
/// (`$PADDOCK_AUDIT_CAP`, default one million); nothing is deleted until an
/// operator runs `paddock state prune`.
pub fn warn_over_retention_cap(store: &mut dyn StateStore) -> Result<()> {
    let cap = match std::env::var(RETENTION_CAP_ENV) {
        Ok(value) => value.trim().parse::<u64>().with_context(|| {
            format!(
                "{RETENTION_CAP_ENV} is `{}`; give a number of audit records",
                paddock::sanitize::for_terminal(&value, 40)
            )
        })?,
        Err(_) => state::DEFAULT_RETENTION_CAP,
    };
    if let Some(len) = state::over_retention_cap(store, cap)? {
        tracing::warn!(
            "the audit trail of {} holds {len} records, more than the retention cap of {cap} ({RETENTION_CAP_ENV}); \
             nothing is deleted until you run `paddock state prune --keep N` (or `--before TIME`)",
            store.location()
        );
    }
    Ok(())
}

/// `--state`, shared by every state command.
#[derive(clap::Args)]
pub struct StateArg {
    /// The state store: a SQLite file (created when missing) or a
    /// postgres:// URL [default: $PADDOCK_STATE].
    #[arg(long, value_name = "PATH|URL")]
    state: Option<String>,
}

impl StateArg {
    fn open(&self) -> Result<Box<dyn StateStore>> {
        let location = match &self.state {
            Some(location) => location.clone(),
            None => std::env::var(STATE_ENV).ok().filter(|value| !value.is_empty()).with_context(|| {
                format!("no state store given; pass --state PATH or a postgres:// URL, or set {STATE_ENV}")
            })?,
        };
        Ok(state::open(&location)?)
    }
}

/// `paddock plan`'s and `paddock apply`'s arguments.
#[derive(clap::Args)]
pub struct PlanArgs {
    #[command(flatten)]
    state: StateArg,
    /// The target the set is applied to, e.g. team/data-science.
    #[arg(long, value_name = "NAME")]
    target: String,
    /// Bundles or directories of bundles (loaded in file-name order).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    plugins: Vec<PathBuf>,
    /// Plugin-set YAML: bundles with ids and parameters, in order. An
    /// empty set (`plugins: []`) removes every recorded plugin.
    #[arg(long, value_name = "FILE")]
    set: Option<PathBuf>,
    /// Deployment context YAML/JSON (environment, team, job_name, ...).
    #[arg(long, value_name = "FILE")]
    context: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Stop at the first failing plugin; an apply then records nothing.
    #[arg(long)]
    fail_fast: bool,
    /// Time limit per hook call, in milliseconds (1 to 3600000).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=MAX_TIMEOUT_MS))]
    timeout_ms: Option<u64>,
    /// Memory limit per plugin instance, in MiB (2 to 4096).
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u64).range(MIN_MEMORY_MIB..=MAX_MEMORY_MIB))]
    memory_mib: Option<u64>,
}

/// `paddock history`'s arguments.
#[derive(clap::Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    state: StateArg,
    /// Only this target.
    #[arg(long, value_name = "NAME")]
    target: Option<String>,
    /// Only this plugin, by name or id.
    #[arg(long, value_name = "NAME")]
    plugin: Option<String>,
    /// Only this hook.
    #[arg(long, value_name = "HOOK")]
    hook: Option<String>,
    /// Only invocations at or after this RFC 3339 time, e.g. 2026-11-03T00:00:00Z.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// At most this many records, the newest.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// `paddock explain`'s arguments.
#[derive(clap::Args)]
#[group(id = "what", required = true, multiple = false, args = ["dockerfile_line", "env"])]
pub struct ExplainArgs {
    #[command(flatten)]
    state: StateArg,
    /// The target.
    #[arg(long, value_name = "NAME")]
    target: String,
    /// A line of the rendered Dockerfile.
    #[arg(long, value_name = "TEXT")]
    dockerfile_line: Option<String>,
    /// An environment variable of the job, by name.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// `paddock state ...`.
#[derive(clap::Subcommand)]
pub enum StateCommand {
    /// Remove old audit records (nothing else ever removes one), and bundle
    /// bytes no recorded plugin uses any more.
    #[command(group = clap::ArgGroup::new("rule").required(true).multiple(true).args(["keep", "before"]))]
    Prune {
        #[command(flatten)]
        state: StateArg,
        /// Keep the newest N records.
        #[arg(long, value_name = "N")]
        keep: Option<u64>,
        /// Remove records older than this RFC 3339 time.
        #[arg(long, value_name = "TIME")]
        before: Option<String>,
        /// Only records of this target.
        #[arg(long, value_name = "NAME")]
        target: Option<String>,
    },
}

/// `paddock plan` (`apply: false`) and `paddock apply`.
pub fn plan_or_apply(config: HostConfig, args: PlanArgs, apply: bool) -> Result<ExitCode> {
    let PlanArgs { state, target, plugins, set, context, format, fail_fast, timeout_ms, memory_mib } = args;
    if plugins.is_empty() && set.is_none() {
        bail!("no plugins given; pass --plugins PATH or --set FILE (a set with `plugins: []` removes every plugin)");
    }
    let context: RunContext = match &context {
        Some(path) => super::read_context(path)?,
        None => {
            tracing::warn!("no --context given: the hooks see an empty deployment; pass --context FILE");
            RunContext::default()
        }
    };
    let mut limits = Limits::default();
    if let Some(ms) = timeout_ms {
        limits.hook_timeout = Duration::from_millis(ms);
    }
    if let Some(mib) = memory_mib {
        limits.memory_bytes = usize::try_from(mib << 20).context("--memory-mib is too large for this platform")?;
    }
    let mut store = state.open()?;
    let host = Host::with_config(HostConfig { limits, ..config })?;
    let desired = with_spinner("loading plugins", || -> Result<DesiredSet, state::StateError> {
        let policy = if fail_fast { FailurePolicy::Abort } else { FailurePolicy::Continue };
        let mut builder = DesiredSet::builder(&host).failure_policy(policy);
        if let Some(set) = &set {
            builder = builder.add_set_file(set)?;
        }
        for path in &plugins {
            builder = builder.add_path(path)?;
        }
        builder.build()
    })?;
    if apply {
        let report = state::apply(&host, &mut *store, &target, &desired, &context)?;
        warn_over_retention_cap(&mut *store)?;
        emit(&match format {
            Format::Json => format!("{}\n", serde_json::to_string_pretty(&report)?),
            Format::Text => apply_text(&report),
        })?;
        Ok(exit_code(&report.plan))
    } else {
        let plan = state::plan(&mut *store, &target, &desired, &context)?;
        emit(&match format {
            Format::Json => format!("{}\n", serde_json::to_string_pretty(&plan)?),
            Format::Text => plan_text(&plan, "Plan"),
        })?;
        Ok(exit_code(&plan))
    }
}

fn exit_code(plan: &Plan) -> ExitCode {
    if plan.failed() {
        ExitCode::FAILURE
    } else if plan.has_changes() {
        ExitCode::from(EXIT_CHANGES)
    } else {
        ExitCode::SUCCESS
    }
}

fn marker(action: Action) -> char {
    match action {
        Action::Add => '+',
        Action::Remove => '-',
        Action::Unchanged => '=',
        _ => '~',
    }
}

fn short(sha256: &str) -> &str {
    sha256.get(..12).unwrap_or(sha256)
}

fn plugin_heading(plugin: &PlannedPlugin) -> String {
    let version = match (&plugin.recorded, &plugin.desired) {
        (Some(old), Some(new)) if old.version != new.version || old.bundle_sha256 != new.bundle_sha256 => format!(
            "{} {} (bundle {}) -> {} (bundle {})",
            new.name,
            old.version,
            short(&old.bundle_sha256),
            new.version,
            short(&new.bundle_sha256)
        ),
        (_, Some(identity)) | (Some(identity), None) => {
            format!("{} {}, bundle {}", identity.name, identity.version, short(&identity.bundle_sha256))
        }
        (None, None) => String::new(),
    };
    format!("{} {} ({version}): {}", marker(plugin.action), plugin.id, plugin.action)
}

/// A readable diff: per plugin its action, then per hook whose output
/// changes the lines removed and added.
fn plan_text(plan: &Plan, title: &str) -> String {
    let mut out = String::new();
    let generation = plan.generation.map_or("nothing recorded yet".to_string(), |g| format!("recorded generation {g}"));
    let _ = writeln!(out, "{title} for target {} ({generation}):", for_terminal(&plan.target, 256));
    for plugin in &plan.plugins {
        let _ = writeln!(out, "  {}", for_terminal(&plugin_heading(plugin), 2_000));
        if let (Some(old), Some(new)) = (&plugin.recorded, &plugin.desired)
            && old.parameters != new.parameters
        {
            let _ = writeln!(
                out,
                "      parameters: {} -> {}",
                for_terminal(&old.parameters.to_string(), 2_000),
                for_terminal(&new.parameters.to_string(), 2_000)
            );
        }
        if let Some(error) = &plugin.error {
            let _ = writeln!(out, "      failed: {}", for_terminal(error, 4_000));
        }
        for hook in &plugin.hooks {
            match hook.status.as_str() {
                "failed" => {
                    let error = hook.error.as_deref().unwrap_or_default();
                    let _ = writeln!(out, "      {}: failed: {}", hook.hook, for_terminal(error, 4_000));
                }
                _ if hook.hook == "destroy" => {
                    let _ = writeln!(out, "      destroy: {}", hook.status);
                    for line in hook.after.as_ref().map(state::contribution_lines).unwrap_or_default() {
                        let _ = writeln!(out, "        | {}", for_terminal(&line, 2_000));
                    }
                }
                _ if hook.changed() => {
                    let _ = writeln!(out, "      {}:", hook.hook);
                    for line in hook.diff() {
                        let (sign, text) = match &line {
                            DiffLine::Same(text) => (' ', text),
                            DiffLine::Removed(text) => ('-', text),
                            DiffLine::Added(text) => ('+', text),
                        };
                        let _ = writeln!(out, "        {sign} {}", for_terminal(text, 2_000));
                    }
                }
                _ => {}
            }
        }
    }
    let count = |action: Action| plan.plugins.iter().filter(|plugin| plugin.action == action).count();
    let _ = writeln!(
        out,
        "{title}: {} to add, {} to upgrade, {} to reconfigure, {} to retry, {} to refresh, {} to remove, {} unchanged{}.",
        count(Action::Add),
        count(Action::Upgrade),
        count(Action::Reconfigure),
        count(Action::Retry),
        count(Action::Refresh),
        count(Action::Remove),
        count(Action::Unchanged),
        if plan.order_changed { "; the execution order changes" } else { "" }
    );
    if plan.failed() {
        let _ = writeln!(out, "{title}: a plugin failed (see above).");
    }
    out
}

fn apply_text(report: &ApplyReport) -> String {
    let mut out = plan_text(&report.plan, "Apply");
    let _ = writeln!(
        out,
        "{}",
        match (report.aborted, report.committed, report.generation) {
            (true, _, _) => "Aborted: a plugin failed under --fail-fast; the recorded state was left as it was.".into(),
            (false, true, Some(generation)) => format!("Recorded as generation {generation}."),
            _ => "Nothing to change; the recorded state was left as it was.".to_string(),
        }
    );
    out
}

/// `paddock history`.
pub fn history(args: HistoryArgs) -> Result<ExitCode> {
    let since = args.since.as_deref().map(Timestamp::parse_rfc3339).transpose().context("--since")?;
    let mut store = args.state.open()?;
    let entries = store.history(&HistoryQuery {
        target: args.target,
        plugin: args.plugin,
        since,
        hook: args.hook,
        limit: args.limit,
    })?;
    if args.format == Format::Json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&entries)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    for entry in &entries {
        let record = &entry.record;
        let _ = writeln!(
            out,
            "#{} {} {} {} ({} {}, bundle {}) {} {} in {:.1} ms{}",
            entry.seq,
            record.time,
            for_terminal(&record.target, 256),
            record.plugin_id,
            record.plugin,
            record.version,
            short(&record.bundle_sha256),
            record.hook,
            record.status,
            record.duration_us as f64 / 1_000.0,
            record.wit_package.as_ref().map(|package| format!(" via {package}")).unwrap_or_default(),
        );
        if let Some(error) = &record.error {
            let _ = writeln!(out, "    {}", for_terminal(error, 4_000));
        }
        if let Some(output) = record.output.as_ref() {
            match &output.value {
                Some(value) => {
                    for line in state::contribution_lines(value) {
                        let _ = writeln!(out, "    | {}", for_terminal(&line, 2_000));
                    }
                }
                None => {
                    let _ = writeln!(
                        out,
                        "    (output of {} bytes, sha256 {}, above the audit cap)",
                        output.size, output.sha256
                    );
                }
            }
        }
    }
    let _ = writeln!(out, "{} records.", entries.len());
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// `paddock explain`.
pub fn explain(args: ExplainArgs) -> Result<ExitCode> {
    let trace = match (args.dockerfile_line, args.env) {
        (Some(line), _) => Trace::DockerfileLine(line),
        (None, Some(name)) => Trace::Env(name),
        (None, None) => bail!("pass --dockerfile-line TEXT or --env NAME"),
    };
    let mut store = args.state.open()?;
    let found = state::explain(&mut *store, &args.target, &trace)?;
    if args.format == Format::Json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&found)?))?;
    } else {
        let mut out = String::new();
        for provenance in &found {
            let _ = writeln!(
                out,
                "{} from {} ({} {}, bundle sha256 {}), hook {}, applied {}{}",
                for_terminal(&provenance.contribution, 2_000),
                provenance.plugin_id,
                provenance.plugin,
                provenance.version,
                provenance.bundle_sha256,
                provenance.hook,
                provenance.applied_at,
                if provenance.effective { "" } else { " (overridden by a later plugin)" }
            );
            if let Some(invocation) = &provenance.invocation {
                let record = &invocation.record;
                let _ = writeln!(
                    out,
                    "  invocation #{} at {} ({}, {:.1} ms{}, inputs sha256 {})",
                    invocation.seq,
                    record.time,
                    record.operation,
                    record.duration_us as f64 / 1_000.0,
                    record.wit_package.as_ref().map(|package| format!(", via {package}")).unwrap_or_default(),
                    record.input_sha256
                );
            }
        }
        emit(&out)?;
    }
    if found.is_empty() {
        let what = match &trace {
            Trace::DockerfileLine(line) => format!("Dockerfile line `{}`", for_terminal(line, 500)),
            Trace::Env(name) => format!("env var `{}`", for_terminal(name, 200)),
            _ => "that".to_string(),
        };
        eprintln!("no recorded plugin of target {} contributed the {what}", for_terminal(&args.target, 256));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `paddock state ...`.
pub fn state_command(command: StateCommand) -> Result<ExitCode> {
    match command {
        StateCommand::Prune { state, keep, before, target } => {
            let before = before.as_deref().map(Timestamp::parse_rfc3339).transpose().context("--before")?;
            let mut store = state.open()?;
            let removed = store.prune(&PruneRule { keep_last: keep, before, target })?;
            emit(&format!("removed {removed} audit records from {}\n", for_terminal(&store.location(), 1_000)))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
