//! What was applied where, and every hook invocation that produced it.
//!
//! A [`StateStore`] records, per target (an environment, a team, any name
//! the embedder gives, e.g. `team/data-science`), the plugin set last applied
//! to it: each plugin's name, version, id, bundle sha256, parameters and the
//! outputs it contributed per hook, with the bundle bytes kept in a
//! content-addressed table so that `destroy` can run after the bundle file is
//! gone. Beside it, an append-only audit trail holds one [`AuditRecord`] per
//! hook invocation.
//!
//! Two backends share the trait: [`SqliteStore`] (one file, WAL mode, the
//! default) and [`PostgresStore`] (for tools running on several machines);
//! [`open`] picks one from a path or a `postgres://` URL. [`plan`] compares a
//! desired set with the recorded one without writing anything; [`apply`]
//! runs the plan and records the result in one transaction.
//!
//! ```no_run
//! use paddock::state::{self, DesiredSet};
//! use paddock::{Deployment, Host, RunContext};
//!
//! # fn main() -> Result<(), paddock::state::StateError> {
//! let host = Host::new()?;
//! let mut store = state::open("paddock-state.db")?;
//! let desired = DesiredSet::builder(&host).add_set_file("team-plugins.yaml".as_ref())?.build()?;
//! let context = RunContext::from(Deployment { team: "data-science".into(), ..Default::default() });
//! let plan = state::plan(&mut *store, "team/data-science", &desired, &context)?;
//! if plan.has_changes() {
//!     let report = state::apply(&host, &mut *store, "team/data-science", &desired, &context)?;
//!     assert!(report.committed);
//! }
//! # Ok(()) }
//! ```

mod desired;
mod diff;
mod plan;
mod postgres;
mod query;
mod record;
mod sqlite;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

pub use desired::{DesiredPlugin, DesiredSet, DesiredSetBuilder};
pub use diff::{DiffLine, contribution_lines};
pub use plan::{Action, ApplyReport, DEPLOY_SIDE_HOOKS, HookPlan, Plan, PlannedPlugin, apply, plan};
pub use postgres::PostgresStore;
pub use query::{Provenance, Trace, explain};
pub use record::record_runs;
pub use sqlite::{SqliteOptions, SqliteStore};

/// The schema version this build writes. A store at a higher version was
/// written by a newer Paddock and is refused rather than downgraded.
pub const SCHEMA_VERSION: u32 = 1;

/// Audit records keep output JSON up to this many bytes; a larger output is
/// kept as its sha256 and size only, so one plugin cannot bloat the trail.
pub const AUDIT_OUTPUT_CAP: usize = 64 * 1024;

/// Why the state store could not do what was asked. Nothing is written
/// when one of these is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The file exists but is not a database (a corrupt or unrelated file).
    #[error(
        "state {location} is not a Paddock state database ({detail}); it was left as it is: \
         pass another --state path, or move the file away"
    )]
    NotADatabase {
        /// Where the store was looked for.
        location: String,
        /// What SQLite or the header check said.
        detail: String,
    },
    /// A database that some other program owns.
    #[error(
        "state {location} is a database, but not one Paddock wrote ({detail}); it was left as it is: \
         pass a new path or an empty database"
    )]
    Foreign {
        /// Where the store was looked for.
        location: String,
        /// What marks it as foreign.
        detail: String,
    },
    /// A store written by a newer Paddock, at a schema this build does not know.
    #[error(
        "state {location} has schema version {found}, newer than this Paddock's {supported}; it was left as it \
         is: upgrade Paddock to read it"
    )]
    NewerSchema {
        /// Where the store is.
        location: String,
        /// The version the store has.
        found: u32,
        /// The newest version this build knows, [`SCHEMA_VERSION`].
        supported: u32,
    },
    /// The database server could not be reached or refused the login.
    #[error("cannot reach the state database {location}: {detail}")]
    Unreachable {
        /// The URL, without its password.
        location: String,
        /// Why.
        detail: String,
    },
    /// Another apply held the target's lock for longer than the wait allowed.
    #[error("state {location} is locked by another apply (waited {} s); try again when it has finished", .waited.as_secs())]
    Busy {
        /// Where the store is.
        location: String,
        /// How long this apply waited.
        waited: Duration,
    },
    /// A query or write failed.
    #[error("state {location}: {detail}")]
    Database {
        /// Where the store is.
        location: String,
        /// What the database said.
        detail: String,
    },
    /// A recorded row that cannot be read back (edited by hand, or damaged).
    #[error("state {location}: recorded {what} cannot be read: {detail}")]
    Corrupt {
        /// Where the store is.
        location: String,
        /// Which record.
        what: String,
        /// Why it cannot be read.
        detail: String,
    },
    /// A recorded bundle is missing from the content-addressed table.
    #[error("state {location}: the bundle with sha256 {sha256} of plugin `{plugin}` is not recorded")]
    MissingBundle {
        /// Where the store is.
        location: String,
        /// The plugin id.
        plugin: String,
        /// The bundle's sha256.
        sha256: String,
    },
    /// Loading the desired plugins failed.
    #[error(transparent)]
    Plugins(#[from] crate::Error),
    /// A bundle file of the desired set cannot be read.
    #[error("bundle {path}: {problem}")]
    Bundle {
        /// The bundle path.
        path: String,
        /// Why it cannot be read.
        problem: crate::fsutil::ReadError,
    },
    /// An argument the store cannot use (an empty target name, a bad time).
    #[error("{0}")]
    Invalid(String),
}

/// A point in time, microseconds since the Unix epoch (UTC). Stored as an
/// integer so that time ranges are index scans; shown as RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Timestamp(i64);

impl Timestamp {
    /// Now.
    pub fn now() -> Timestamp {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Timestamp(i64::try_from(since.as_micros()).unwrap_or(i64::MAX))
    }

    /// From microseconds since the Unix epoch.
    pub fn from_micros(micros: i64) -> Timestamp {
        Timestamp(micros)
    }

    /// Microseconds since the Unix epoch.
    pub fn micros(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 time, e.g. `2026-11-03T10:00:00Z` or
    /// `2026-11-03T11:00:00+01:00`.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, StateError> {
        let parsed =
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|error| {
                StateError::Invalid(format!("`{text}` is not an RFC 3339 time ({error}), e.g. 2026-11-03T10:00:00Z"))
            })?;
        let micros = parsed.unix_timestamp_nanos() / 1_000;
        i64::try_from(micros).map(Timestamp).map_err(|_| StateError::Invalid(format!("`{text}` is out of range")))
    }

    /// RFC 3339 in UTC with microseconds, e.g. `2026-11-03T10:00:00.000001Z`.
    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000;
        time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .and_then(|time| time.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_else(|| format!("@{}us", self.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl From<Timestamp> for String {
    fn from(time: Timestamp) -> String {
        time.to_rfc3339()
    }
}

impl TryFrom<String> for Timestamp {
    type Error = StateError;
    fn try_from(text: String) -> Result<Timestamp, StateError> {
        Timestamp::parse_rfc3339(&text)
    }
}

/// What identifies one configured plugin: when any of it changes, the plugin
/// is upgraded or reconfigured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginIdentity {
    /// Manifest name.
    pub name: String,
    /// Manifest version.
    pub version: String,
    /// Manifest priority.
    pub priority: i32,
    /// sha256 of the bundle archive: the key of its bytes in the store.
    pub bundle_sha256: String,
    /// sha256 of the component inside the bundle.
    pub component_sha256: String,
    /// The Paddock WIT packages the component targets, e.g. `paddock:plugin@0.1.0`.
    pub wit_packages: Vec<String>,
    /// The configured parameters as JSON: `[[name, value], ...]` in configured order.
    pub parameters: serde_json::Value,
}

/// Whether a plugin's last apply succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "error")]
pub enum PluginStatus {
    /// Every hook succeeded or was skipped.
    Applied,
    /// A hook failed under [`crate::FailurePolicy::Continue`]; the next plan
    /// retries the plugin.
    Failed(String),
}

/// One hook's output as recorded for a plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedOutput {
    /// The hook's name, e.g. `dockerfile-injection`.
    pub hook: String,
    /// The validated value the plugin returned, as JSON.
    pub value: serde_json::Value,
}

/// One plugin as recorded for a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginRecord {
    /// The id the plugin runs under.
    pub id: String,
    /// What was configured.
    #[serde(flatten)]
    pub identity: PluginIdentity,
    /// Whether its last apply succeeded.
    #[serde(flatten)]
    pub status: PluginStatus,
    /// When it was last applied.
    pub applied_at: Timestamp,
    /// What it contributed, per hook it implements (skipped hooks are absent).
    pub outputs: Vec<RecordedOutput>,
}

impl PluginRecord {
    /// The recorded output of `hook`, if any.
    pub fn output(&self, hook: &str) -> Option<&serde_json::Value> {
        self.outputs.iter().find(|output| output.hook == hook).map(|output| &output.value)
    }
}

/// Everything recorded for one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetState {
    /// The target's name.
    pub target: String,
    /// How many applies have been committed to it.
    pub generation: u64,
    /// When the last apply was committed.
    pub applied_at: Timestamp,
    /// The deployment context of the last apply, as JSON.
    pub context: serde_json::Value,
    /// The plugins in execution order.
    pub plugins: Vec<PluginRecord>,
}

impl TargetState {
    /// The recorded plugin with `id`.
    pub fn plugin(&self, id: &str) -> Option<&PluginRecord> {
        self.plugins.iter().find(|plugin| plugin.id == id)
    }
}

/// The output of an audited invocation: the JSON itself up to
/// [`AUDIT_OUTPUT_CAP`], its digest always.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditOutput {
    /// The output JSON, absent above the cap (and for a failed or skipped call).
    pub value: Option<serde_json::Value>,
    /// sha256 of the compact JSON text.
    pub sha256: String,
    /// Length of the compact JSON text in bytes.
    pub size: u64,
}

impl AuditOutput {
    /// The audit form of `value`.
    pub fn of(value: &serde_json::Value) -> AuditOutput {
        let text = value.to_string();
        AuditOutput {
            sha256: sha256_hex(text.as_bytes()),
            size: text.len() as u64,
            value: (text.len() <= AUDIT_OUTPUT_CAP).then(|| value.clone()),
        }
    }
}

/// One hook invocation, as appended to the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When the call started.
    pub time: Timestamp,
    /// The target it ran for.
    pub target: String,
    /// What ran it: `apply` (deploy-side hooks and destroy of removed plugins).
    pub operation: String,
    /// Manifest name.
    pub plugin: String,
    /// The id the plugin ran under.
    pub plugin_id: String,
    /// Manifest version.
    pub version: String,
    /// sha256 of the bundle archive.
    pub bundle_sha256: String,
    /// The WIT package the called export belongs to, e.g. `paddock:orbit@0.2.0`
    /// (absent when the plugin does not implement the hook).
    pub wit_package: Option<String>,
    /// The hook.
    pub hook: String,
    /// How long the call took, in microseconds.
    pub duration_us: u64,
    /// `ok`, `skipped`, `failed` or `not-run`.
    pub status: String,
    /// The failure, for `failed`.
    pub error: Option<String>,
    /// sha256 of the inputs (hook, plugin id, parameters, deployment) as JSON.
    pub input_sha256: String,
    /// The validated output, for `ok`.
    pub output: Option<AuditOutput>,
}

/// An audit record with its place in the trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the trail: increases with every append.
    pub seq: i64,
    /// The record.
    #[serde(flatten)]
    pub record: AuditRecord,
}

/// Which audit records [`StateStore::history`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Only this target.
    pub target: Option<String>,
    /// Only this plugin, by manifest name or id.
    pub plugin: Option<String>,
    /// Only records at or after this time.
    pub since: Option<Timestamp>,
    /// Only this hook.
    pub hook: Option<String>,
    /// At most this many, the newest (default: all).
    pub limit: Option<u64>,
}

/// Which audit records [`StateStore::prune`] removes: records matching
/// every given condition. Nothing else ever removes an audit record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneRule {
    /// Keep the newest `n` records (of the target, if one is given).
    pub keep_last: Option<u64>,
    /// Remove records older than this.
    pub before: Option<Timestamp>,
    /// Only records of this target.
    pub target: Option<String>,
}

/// A place that records applied plugin sets and the audit trail. Both
/// backends implement it; [`open`] picks one.
///
/// Reads see only committed applies. Writes to a target happen only inside
/// an [`ApplyTransaction`], which holds the target's lock until it is
/// committed or dropped (dropping rolls back).
pub trait StateStore: Send {
    /// Where the store is, for messages (a path, or a URL without its password).
    fn location(&self) -> String;

    /// The schema version of the store.
    fn schema_version(&mut self) -> Result<u32, StateError>;

    /// The targets that have a recorded state, sorted.
    fn targets(&mut self) -> Result<Vec<String>, StateError>;

    /// What is recorded for `target`, or `None` if nothing was ever applied.
    fn load(&mut self, target: &str) -> Result<Option<TargetState>, StateError>;

    /// The bundle bytes recorded under `sha256`.
    fn bundle(&mut self, sha256: &str) -> Result<Option<Vec<u8>>, StateError>;

    /// Starts an apply to `target`: waits for the target's lock (another
    /// apply to it holds it until it ends) and opens the transaction every
    /// write of the apply goes into.
    fn begin_apply(&mut self, target: &str) -> Result<Box<dyn ApplyTransaction + '_>, StateError>;

    /// Appends audit records in one transaction, outside any apply.
    fn append_audit(&mut self, records: &[AuditRecord]) -> Result<(), StateError>;

    /// Audit records matching `query`, oldest first.
    fn history(&mut self, query: &HistoryQuery) -> Result<Vec<AuditEntry>, StateError>;

    /// How many audit records the trail holds: for the retention cap, which
    /// warns and never deletes (see [`over_retention_cap`]).
    fn audit_len(&mut self) -> Result<u64, StateError>;

    /// Removes the audit records `rule` selects, and bundle bytes that no
    /// recorded plugin refers to any more; returns how many audit records
    /// were removed. A rule with neither `keep_last` nor `before` removes nothing.
    fn prune(&mut self, rule: &PruneRule) -> Result<u64, StateError>;
}

/// The writes of one apply, in one database transaction: all of them are
/// committed together by [`ApplyTransaction::commit`], or none (dropping the
/// transaction, an error, or the process dying rolls every one back).
pub trait ApplyTransaction {
    /// What is recorded for the target, read under the lock.
    fn load(&mut self) -> Result<Option<TargetState>, StateError>;

    /// The bundle bytes recorded under `sha256`.
    fn bundle(&mut self, sha256: &str) -> Result<Option<Vec<u8>>, StateError>;

    /// Records bundle bytes under their sha256 (kept once, however many
    /// plugins use them).
    fn put_bundle(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), StateError>;

    /// Records `plugin` (its identity, status and outputs) at `position` in
    /// the target's execution order, replacing what was recorded for its id.
    fn put_plugin(&mut self, position: usize, plugin: &PluginRecord) -> Result<(), StateError>;

    /// Sets the position of an already recorded plugin.
    fn set_position(&mut self, id: &str, position: usize) -> Result<(), StateError>;

    /// Removes the plugin with `id` and its outputs from the target.
    fn remove_plugin(&mut self, id: &str) -> Result<(), StateError>;

    /// Appends audit records.
    fn append_audit(&mut self, records: &[AuditRecord]) -> Result<(), StateError>;

    /// Records the context and time of this apply and bumps the target's
    /// generation; returns the new generation.
    fn finish(&mut self, context: &serde_json::Value, at: Timestamp) -> Result<u64, StateError>;

    /// Commits every write of the apply at once and releases the lock.
    fn commit(self: Box<Self>) -> Result<(), StateError>;
}

/// The audit records a trail may hold before operators are told to prune.
pub const DEFAULT_RETENTION_CAP: u64 = 1_000_000;

/// The retention check: `Some(len)` when the trail holds more than `cap`
/// records. Nothing is ever deleted but by an explicit
/// [`StateStore::prune`] (`paddock state prune`); this only says it is due.
pub fn over_retention_cap(store: &mut dyn StateStore, cap: u64) -> Result<Option<u64>, StateError> {
    let len = store.audit_len()?;
    Ok((len > cap).then_some(len))
}

/// Opens the store at `location`: a `postgres://` or `postgresql://` URL
/// connects to PostgreSQL (without TLS; for TLS build the client yourself
/// and use [`PostgresStore::from_client`]), anything else is a SQLite file
/// path (an optional `sqlite:` prefix is dropped), created when missing.
pub fn open(location: &str) -> Result<Box<dyn StateStore>, StateError> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        Ok(Box::new(PostgresStore::connect(location)?))
    } else {
        let path = location.strip_prefix("sqlite:").unwrap_or(location);
        Ok(Box::new(SqliteStore::open(path.as_ref())?))
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Target names are shown and used as keys: printable, bounded.
pub(crate) fn check_target(target: &str) -> Result<(), StateError> {
    if target.is_empty() || target.len() > 256 || target.chars().any(char::is_control) {
        return Err(StateError::Invalid(format!(
            "target `{}` must be 1 to 256 printable characters, e.g. team/data-science",
            crate::sanitize::for_terminal(target, 80)
        )));
    }
    Ok(())
}

/// The lock key of a target: applies to different targets do not wait for
/// each other on PostgreSQL.
pub(crate) fn lock_key(target: &str) -> i64 {
    let digest = Sha256::digest(format!("paddock-target:{target}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}
