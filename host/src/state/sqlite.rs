//! The SQLite backend: one file at a path the embedder chooses, in WAL mode
//! so that readers (plan, history) never wait for an apply, with every apply
//! one `BEGIN IMMEDIATE` transaction so that a crash mid-apply leaves the
//! previous state.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params, params_from_iter};

use super::{
    ApplyTransaction, AuditEntry, AuditOutput, AuditRecord, HistoryQuery, PluginIdentity, PluginRecord, PluginStatus,
    PruneRule, RecordedOutput, SCHEMA_VERSION, StateError, StateStore, TargetState, Timestamp,
};

/// `PRAGMA application_id` of a Paddock state file ("PDKS"): tells Paddock's
/// files from every other SQLite database.
const APPLICATION_ID: i32 = 0x5044_4b53;

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Schema migrations, in order: entry `n` takes the schema from version `n`
/// to `n + 1`. Released entries never change; a new version appends one.
const MIGRATIONS: &[&str] = &[
    // 1: plugin sets, outputs, bundle bytes, the audit trail.
    "CREATE TABLE bundles (
         sha256 TEXT PRIMARY KEY,
         bytes BLOB NOT NULL,
         stored_at INTEGER NOT NULL
     );
     CREATE TABLE targets (
         name TEXT PRIMARY KEY,
         generation INTEGER NOT NULL,
         applied_at INTEGER NOT NULL,
         context TEXT NOT NULL
     );
     CREATE TABLE plugins (
         target TEXT NOT NULL,
         id TEXT NOT NULL,
         position INTEGER NOT NULL,
         name TEXT NOT NULL,
         version TEXT NOT NULL,
         priority INTEGER NOT NULL,
         bundle_sha256 TEXT NOT NULL REFERENCES bundles (sha256),
         component_sha256 TEXT NOT NULL,
         wit_packages TEXT NOT NULL,
         parameters TEXT NOT NULL,
         status TEXT NOT NULL,
         error TEXT,
         applied_at INTEGER NOT NULL,
         PRIMARY KEY (target, id)
     );
     CREATE TABLE outputs (
         target TEXT NOT NULL,
         plugin_id TEXT NOT NULL,
         ord INTEGER NOT NULL,
         hook TEXT NOT NULL,
         value TEXT NOT NULL,
         PRIMARY KEY (target, plugin_id, hook),
         FOREIGN KEY (target, plugin_id) REFERENCES plugins (target, id) ON DELETE CASCADE
     );
     CREATE TABLE audit (
         seq INTEGER PRIMARY KEY AUTOINCREMENT,
         time INTEGER NOT NULL,
         target TEXT NOT NULL,
         operation TEXT NOT NULL,
         plugin TEXT NOT NULL,
         plugin_id TEXT NOT NULL,
         version TEXT NOT NULL,
         bundle_sha256 TEXT NOT NULL,
         wit_package TEXT,
         hook TEXT NOT NULL,
         duration_us INTEGER NOT NULL,
         status TEXT NOT NULL,
         error TEXT,
         input_sha256 TEXT NOT NULL,
         output TEXT,
         output_sha256 TEXT,
         output_size INTEGER
     );
     CREATE INDEX audit_by_target_plugin_time ON audit (target, plugin, time);
     CREATE INDEX audit_by_target_id_time ON audit (target, plugin_id, time);
     CREATE INDEX audit_by_plugin_time ON audit (plugin, time);
     CREATE INDEX audit_by_id_time ON audit (plugin_id, time);
     CREATE INDEX audit_by_time ON audit (time);",
];

/// How a SQLite store waits and syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteOptions {
    /// How long an apply waits for another apply (in this or another
    /// process) to finish before giving up with [`StateError::Busy`].
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> SqliteOptions {
        // An apply runs hooks under the lock, each up to its time limit.
        SqliteOptions { busy_timeout: Duration::from_secs(600) }
    }
}

/// The state in one SQLite file.
pub struct SqliteStore {
    connection: Connection,
    path: PathBuf,
    options: SqliteOptions,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish()
    }
}

impl SqliteStore {
    /// Opens the state file at `path`, creating it when missing, with default options.
    pub fn open(path: &Path) -> Result<SqliteStore, StateError> {
        SqliteStore::open_with(path, SqliteOptions::default())
    }

    /// Opens the state file at `path`, creating it when missing. A file that
    /// is not a SQLite database, a database another program wrote, or one at
    /// a newer schema version is refused, and left exactly as it was.
    pub fn open_with(path: &Path, options: SqliteOptions) -> Result<SqliteStore, StateError> {
        let location = path.display().to_string();
        let not_a_database = |detail: String| StateError::NotADatabase { location: location.clone(), detail };
        // Checked before SQLite sees the file: SQLite reads a foreign file
        // lazily and could otherwise be asked to write to it.
        match std::fs::metadata(path) {
            Ok(metadata) if !metadata.is_file() => return Err(not_a_database("it is not a regular file".into())),
            Ok(metadata) if metadata.len() > 0 => {
                let mut header = [0u8; 16];
                let read = std::io::Read::read_exact(
                    &mut std::fs::File::open(path).map_err(|e| not_a_database(e.to_string()))?,
                    &mut header,
                );
                if read.is_err() || &header != SQLITE_HEADER {
                    return Err(not_a_database("it does not start with the SQLite header".into()));
                }
            }
            _ => {}
        }
        let connection = Connection::open(path).map_err(|error| sql_error(&location, error))?;
        let mut store = SqliteStore { connection, path: path.to_path_buf(), options };
        store.connection.busy_timeout(store.options.busy_timeout).map_err(|error| store.error(error))?;
        store.check_and_migrate()?;
        Ok(store)
    }

    fn error(&self, error: rusqlite::Error) -> StateError {
        sql_error(&self.location(), error)
    }

    fn check_and_migrate(&mut self) -> Result<(), StateError> {
        let location = self.location();
        let (application_id, version, objects) = header_of(&self.connection).map_err(|error| match error {
            StateError::Database { detail, .. } => StateError::NotADatabase { location: location.clone(), detail },
            other => other,
        })?;
        check_header(&location, application_id, version, objects)?;
        // Switching to WAL needs the file to itself, and SQLite answers busy
        // at once rather than waiting: another process opening the same new
        // file at the same moment is retried, as the busy timeout would.
        let started = std::time::Instant::now();
        let mode: String = loop {
            match self.connection.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0)) {
                Err(error)
                    if matches!(
                        error.sqlite_error_code(),
                        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                    ) && started.elapsed() < self.options.busy_timeout =>
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => break other.map_err(|error| busy_or(&location, self.options.busy_timeout, error))?,
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!("state {location}: SQLite refused WAL mode (kept {mode})");
        }
        self.connection.pragma_update(None, "synchronous", "FULL").map_err(|error| self.error(error))?;
        self.connection.pragma_update(None, "foreign_keys", true).map_err(|error| self.error(error))?;
        if version == SCHEMA_VERSION && application_id == APPLICATION_ID {
            return Ok(());
        }
        let busy = self.options.busy_timeout;
        let tx = rusqlite::Transaction::new(&mut self.connection, TransactionBehavior::Immediate)
            .map_err(|error| busy_or(&location, busy, error))?;
        // Read again under the lock: another process may have migrated meanwhile.
        let (application_id, version, objects) = header_of(&tx)?;
        check_header(&location, application_id, version, objects)?;
        for (from, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(migration).map_err(|error| sql_error(&location, error))?;
            tracing::debug!("state {location}: migrated the schema from version {from} to {}", from + 1);
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(|error| sql_error(&location, error))?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(|error| sql_error(&location, error))?;
        tx.commit().map_err(|error| sql_error(&location, error))
    }
}

fn header_of(connection: &Connection) -> Result<(i32, u32, i64), StateError> {
    let location = connection.path().unwrap_or_default().to_string();
    // One statement, so one read snapshot: read separately, another
    // process's first migration could commit between the reads and show its
    // tables without its application id.
    connection
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id()), \
                    (SELECT user_version FROM pragma_user_version()), \
                    (SELECT count(*) FROM sqlite_master)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .map_err(|error| sql_error(&location, error))
}

fn check_header(location: &str, application_id: i32, version: u32, objects: i64) -> Result<(), StateError> {
    let foreign = |detail: String| StateError::Foreign { location: location.to_string(), detail };
    match (application_id, version) {
        (APPLICATION_ID, found) if found > SCHEMA_VERSION => {
            Err(StateError::NewerSchema { location: location.to_string(), found, supported: SCHEMA_VERSION })
        }
        (APPLICATION_ID, _) => Ok(()),
        (0, 0) if objects == 0 => Ok(()),
        (0, _) => Err(foreign(format!("it holds {objects} tables or indexes and no Paddock application id"))),
        (other, _) => Err(foreign(format!("its application id is {other:#x}"))),
    }
}

fn sql_error(location: &str, error: rusqlite::Error) -> StateError {
    use rusqlite::ErrorCode;
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            StateError::NotADatabase { location: location.to_string(), detail: error.to_string() }
        }
        _ => StateError::Database { location: location.to_string(), detail: error.to_string() },
    }
}

fn busy_or(location: &str, waited: Duration, error: rusqlite::Error) -> StateError {
    use rusqlite::ErrorCode;
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StateError::Busy { location: location.to_string(), waited }
        }
        _ => sql_error(location, error),
    }
}

fn corrupt(location: &str, what: &str, detail: impl std::fmt::Display) -> StateError {
    StateError::Corrupt { location: location.to_string(), what: what.to_string(), detail: detail.to_string() }
}

fn json_of(location: &str, what: &str, text: &str) -> Result<serde_json::Value, StateError> {
    serde_json::from_str(text).map_err(|error| corrupt(location, what, error))
}

fn load(connection: &Connection, location: &str, target: &str) -> Result<Option<TargetState>, StateError> {
    let sql = |error| sql_error(location, error);
    let Some((generation, applied_at, context)) = connection
        .query_row("SELECT generation, applied_at, context FROM targets WHERE name = ?1", [target], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get::<_, String>(2)?))
        })
        .optional()
        .map_err(sql)?
    else {
        return Ok(None);
    };
    let mut statement = connection
        .prepare_cached(
            "SELECT id, name, version, priority, bundle_sha256, component_sha256, wit_packages, parameters, status, \
             error, applied_at FROM plugins WHERE target = ?1 ORDER BY position",
        )
        .map_err(sql)?;
    let rows = statement
        .query_map([target], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i32>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
                row.get::<_, String>(7)?,
                row.get::<_, String>(8)?,
                row.get::<_, Option<String>>(9)?,
                row.get::<_, i64>(10)?,
            ))
        })
        .map_err(sql)?;
    let mut plugins = Vec::new();
    for row in rows {
        let (id, name, version, priority, bundle_sha256, component_sha256, wit, parameters, status, error, at) =
            row.map_err(sql)?;
        let what = format!("plugin `{id}` of target `{target}`");
        plugins.push(PluginRecord {
            identity: PluginIdentity {
                name,
                version,
                priority,
                bundle_sha256,
                component_sha256,
                wit_packages: serde_json::from_str(&wit).map_err(|e| corrupt(location, &what, e))?,
                parameters: json_of(location, &what, &parameters)?,
            },
            status: status_of(location, &what, &status, error)?,
            applied_at: Timestamp::from_micros(at),
            outputs: Vec::new(),
            id,
        });
    }
    let mut statement = connection
        .prepare_cached("SELECT plugin_id, hook, value FROM outputs WHERE target = ?1 ORDER BY plugin_id, ord")
        .map_err(sql)?;
    let rows = statement
        .query_map([target], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)))
        .map_err(sql)?;
    for row in rows {
        let (plugin_id, hook, value) = row.map_err(sql)?;
        let value = json_of(location, &format!("output of `{plugin_id}` for {hook}"), &value)?;
        if let Some(plugin) = plugins.iter_mut().find(|plugin| plugin.id == plugin_id) {
            plugin.outputs.push(RecordedOutput { hook, value });
        }
    }
    Ok(Some(TargetState {
        target: target.to_string(),
        generation: u64::try_from(generation).unwrap_or_default(),
        applied_at: Timestamp::from_micros(applied_at),
        context: json_of(location, &format!("context of target `{target}`"), &context)?,
        plugins,
    }))
}

pub(super) fn status_of(
    location: &str,
    what: &str,
    status: &str,
    error: Option<String>,
) -> Result<PluginStatus, StateError> {
    match status {
        "applied" => Ok(PluginStatus::Applied),
        "failed" => Ok(PluginStatus::Failed(error.unwrap_or_default())),
        other => Err(corrupt(location, what, format!("unknown status `{other}`"))),
    }
}

pub(super) fn status_columns(status: &PluginStatus) -> (&'static str, Option<&str>) {
    match status {
        PluginStatus::Applied => ("applied", None),
        PluginStatus::Failed(error) => ("failed", Some(error.as_str())),
    }
}

fn bundle(connection: &Connection, location: &str, sha256: &str) -> Result<Option<Vec<u8>>, StateError> {
    connection
        .query_row("SELECT bytes FROM bundles WHERE sha256 = ?1", [sha256], |row| row.get(0))
        .optional()
        .map_err(|error| sql_error(location, error))
}

fn append_audit(connection: &Connection, location: &str, records: &[AuditRecord]) -> Result<(), StateError> {
    let sql = |error| sql_error(location, error);
    let mut statement = connection
        .prepare_cached(
            "INSERT INTO audit (time, target, operation, plugin, plugin_id, version, bundle_sha256, wit_package, \
             hook, duration_us, status, error, input_sha256, output, output_sha256, output_size) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )
        .map_err(sql)?;
    for record in records {
        let output = record.output.as_ref();
        statement
            .execute(params![
                record.time.micros(),
                record.target,
                record.operation,
                record.plugin,
                record.plugin_id,
                record.version,
                record.bundle_sha256,
                record.wit_package,
                record.hook,
                i64::try_from(record.duration_us).unwrap_or(i64::MAX),
                record.status,
                record.error,
                record.input_sha256,
                output.and_then(|output| output.value.as_ref()).map(serde_json::Value::to_string),
                output.map(|output| output.sha256.as_str()),
                output.map(|output| i64::try_from(output.size).unwrap_or(i64::MAX)),
            ])
            .map_err(sql)?;
    }
    Ok(())
}

/// A WHERE clause and its parameters, built from the conditions that are set.
#[derive(Default)]
pub(super) struct Filter {
    pub(super) clauses: Vec<String>,
    pub(super) values: Vec<FilterValue>,
}

/// A parameter of a [`Filter`].
#[derive(Debug, Clone)]
pub(super) enum FilterValue {
    Text(String),
    Integer(i64),
}

impl rusqlite::ToSql for FilterValue {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            FilterValue::Text(text) => text.to_sql(),
            FilterValue::Integer(integer) => integer.to_sql(),
        }
    }
}

impl Filter {
    /// Adds a condition; `?` in `clause` is replaced by the placeholder
    /// `placeholder(n)` of each value, in order.
    pub(super) fn add(&mut self, clause: &str, values: Vec<FilterValue>, placeholder: &dyn Fn(usize) -> String) {
        let mut pieces = clause.split('?');
        let mut text = pieces.next().unwrap_or_default().to_string();
        for (piece, value) in pieces.zip(values) {
            self.values.push(value);
            text.push_str(&placeholder(self.values.len()));
            text.push_str(piece);
        }
        self.clauses.push(text);
    }

    pub(super) fn where_clause(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }

    /// The conditions of a history query.
    pub(super) fn history(query: &HistoryQuery, table: &str, placeholder: &dyn Fn(usize) -> String) -> Filter {
        let text = |value: &String| FilterValue::Text(value.clone());
        let mut clauses: Vec<(&str, FilterValue)> = Vec::new();
        if let Some(target) = &query.target {
            clauses.push(("target = ?", text(target)));
        }
        if let Some(since) = query.since {
            clauses.push(("time >= ?", FilterValue::Integer(since.micros())));
        }
        if let Some(hook) = &query.hook {
            clauses.push(("hook = ?", text(hook)));
        }
        let mut filter = Filter::default();
        let Some(plugin) = &query.plugin else {
            for (clause, value) in clauses {
                filter.add(clause, vec![value], placeholder);
            }
            return filter;
        };
        // A plugin matches by name or by id. Written as `plugin = ? OR
        // plugin_id = ?`, neither index serves the newest-first scan, and
        // every matching record is read and sorted; two index scans, each
        // cut at the limit, read at most twice the limit (UNION drops the
        // records found by both, the usual case of an id equal to the name).
        let scope: String = clauses.iter().map(|(clause, _)| format!(" AND {clause}")).collect();
        let limit = query.limit.map(|limit| format!(" LIMIT {limit}")).unwrap_or_default();
        let branch = |alias: &str, matches: &str| {
            format!(
                "SELECT seq FROM (SELECT seq FROM {table} WHERE {matches}{scope} ORDER BY time DESC, seq DESC{limit}) AS {alias}"
            )
        };
        let clause = format!("seq IN ({} UNION {})", branch("by_name", "plugin = ?"), branch("by_id", "plugin_id = ?"));
        let scope_values: Vec<FilterValue> = clauses.into_iter().map(|(_, value)| value).collect();
        let mut values = vec![text(plugin)];
        values.extend(scope_values.iter().cloned());
        values.push(text(plugin));
        values.extend(scope_values);
        filter.add(&clause, values, placeholder);
        filter
    }
}

pub(super) const AUDIT_COLUMNS: &str = "seq, time, target, operation, plugin, plugin_id, version, bundle_sha256, \
    wit_package, hook, duration_us, status, error, input_sha256, output, output_sha256, output_size";

/// An audit row, column by column as [`AUDIT_COLUMNS`] lists them.
pub(super) struct AuditRow {
    pub(super) seq: i64,
    pub(super) time: i64,
    pub(super) texts: [String; 6],
    pub(super) wit_package: Option<String>,
    pub(super) hook: String,
    pub(super) duration_us: i64,
    pub(super) status: String,
    pub(super) error: Option<String>,
    pub(super) input_sha256: String,
    pub(super) output: Option<String>,
    pub(super) output_sha256: Option<String>,
    pub(super) output_size: Option<i64>,
}

impl AuditRow {
    pub(super) fn into_entry(self, location: &str) -> Result<AuditEntry, StateError> {
        let [target, operation, plugin, plugin_id, version, bundle_sha256] = self.texts;
        let output = match self.output_sha256 {
            Some(sha256) => Some(AuditOutput {
                value: match self.output {
                    Some(text) => Some(json_of(location, &format!("audit record {}", self.seq), &text)?),
                    None => None,
                },
                sha256,
                size: u64::try_from(self.output_size.unwrap_or_default()).unwrap_or_default(),
            }),
            None => None,
        };
        Ok(AuditEntry {
            seq: self.seq,
            record: AuditRecord {
                time: Timestamp::from_micros(self.time),
                target,
                operation,
                plugin,
                plugin_id,
                version,
                bundle_sha256,
                wit_package: self.wit_package,
                hook: self.hook,
                duration_us: u64::try_from(self.duration_us).unwrap_or_default(),
                status: self.status,
                error: self.error,
                input_sha256: self.input_sha256,
                output,
            },
        })
    }
}

impl StateStore for SqliteStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn schema_version(&mut self) -> Result<u32, StateError> {
        self.connection.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(|error| self.error(error))
    }

    fn targets(&mut self) -> Result<Vec<String>, StateError> {
        let location = self.location();
        let mut statement =
            self.connection.prepare("SELECT name FROM targets ORDER BY name").map_err(|e| sql_error(&location, e))?;
        let names = statement.query_map([], |row| row.get(0)).map_err(|e| sql_error(&location, e))?;
        names.collect::<Result<_, _>>().map_err(|e| sql_error(&location, e))
    }

    fn load(&mut self, target: &str) -> Result<Option<TargetState>, StateError> {
        load(&self.connection, &self.location(), target)
    }

    fn bundle(&mut self, sha256: &str) -> Result<Option<Vec<u8>>, StateError> {
        bundle(&self.connection, &self.location(), sha256)
    }

    fn begin_apply(&mut self, target: &str) -> Result<Box<dyn ApplyTransaction + '_>, StateError> {
        super::check_target(target)?;
        let location = self.location();
        let waited = self.options.busy_timeout;
        let tx = rusqlite::Transaction::new(&mut self.connection, TransactionBehavior::Immediate)
            .map_err(|error| busy_or(&location, waited, error))?;
        Ok(Box::new(SqliteApply { tx, target: target.to_string(), location }))
    }

    fn append_audit(&mut self, records: &[AuditRecord]) -> Result<(), StateError> {
        let location = self.location();
        let waited = self.options.busy_timeout;
        let tx = rusqlite::Transaction::new(&mut self.connection, TransactionBehavior::Immediate)
            .map_err(|error| busy_or(&location, waited, error))?;
        append_audit(&tx, &location, records)?;
        tx.commit().map_err(|error| sql_error(&location, error))
    }

    fn audit_len(&mut self) -> Result<u64, StateError> {
        let count: i64 =
            self.connection.query_row("SELECT COUNT(*) FROM audit", [], |row| row.get(0)).map_err(|e| self.error(e))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn history(&mut self, query: &HistoryQuery) -> Result<Vec<AuditEntry>, StateError> {
        let location = self.location();
        let sql = |error| sql_error(&location, error);
        let filter = Filter::history(query, "audit", &|n| format!("?{n}"));
        let limit = query.limit.map(|limit| format!(" LIMIT {limit}")).unwrap_or_default();
        let text =
            format!("SELECT {AUDIT_COLUMNS} FROM audit{} ORDER BY time DESC, seq DESC{limit}", filter.where_clause());
        let mut statement = self.connection.prepare_cached(&text).map_err(sql)?;
        let rows = statement
            .query_map(params_from_iter(filter.values.iter()), |row| {
                Ok(AuditRow {
                    seq: row.get(0)?,
                    time: row.get(1)?,
                    texts: [row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?],
                    wit_package: row.get(8)?,
                    hook: row.get(9)?,
                    duration_us: row.get(10)?,
                    status: row.get(11)?,
                    error: row.get(12)?,
                    input_sha256: row.get(13)?,
                    output: row.get(14)?,
                    output_sha256: row.get(15)?,
                    output_size: row.get(16)?,
                })
            })
            .map_err(sql)?;
        let mut entries = Vec::new();
        for row in rows {
            entries.push(row.map_err(sql)?.into_entry(&location)?);
        }
        entries.reverse();
        Ok(entries)
    }

    fn prune(&mut self, rule: &PruneRule) -> Result<u64, StateError> {
        if rule.keep_last.is_none() && rule.before.is_none() {
            return Ok(0);
        }
        let location = self.location();
        let sql = |error| sql_error(&location, error);
        let waited = self.options.busy_timeout;
        let tx = rusqlite::Transaction::new(&mut self.connection, TransactionBehavior::Immediate)
            .map_err(|error| busy_or(&location, waited, error))?;
        let placeholder = |n: usize| format!("?{n}");
        let mut filter = Filter::default();
        if let Some(target) = &rule.target {
            filter.add("target = ?", vec![FilterValue::Text(target.clone())], &placeholder);
        }
        let scope = filter.where_clause();
        let scope_values = filter.values.clone();
        if let Some(keep) = rule.keep_last {
            // The oldest record kept; everything before it goes.
            let oldest_kept: Option<i64> = tx
                .query_row(
                    &format!(
                        "SELECT seq FROM audit{scope} ORDER BY seq DESC LIMIT 1 OFFSET {}",
                        keep.saturating_sub(1)
                    ),
                    params_from_iter(scope_values.iter()),
                    |row| row.get(0),
                )
                .optional()
                .map_err(sql)?;
            let bound = match (keep, oldest_kept) {
                (0, _) => i64::MAX,
                (_, Some(seq)) => seq,
                (_, None) => i64::MIN,
            };
            filter.add("seq < ?", vec![FilterValue::Integer(bound)], &placeholder);
        }
        if let Some(before) = rule.before {
            filter.add("time < ?", vec![FilterValue::Integer(before.micros())], &placeholder);
        }
        let removed = tx
            .execute(&format!("DELETE FROM audit{}", filter.where_clause()), params_from_iter(filter.values.iter()))
            .map_err(sql)?;
        tx.execute("DELETE FROM bundles WHERE sha256 NOT IN (SELECT bundle_sha256 FROM plugins)", []).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(removed as u64)
    }
}

/// One apply's transaction on SQLite: `BEGIN IMMEDIATE` takes the database's
/// write lock at once, so a second apply waits before it reads the state.
struct SqliteApply<'a> {
    tx: rusqlite::Transaction<'a>,
    target: String,
    location: String,
}

impl ApplyTransaction for SqliteApply<'_> {
    fn load(&mut self) -> Result<Option<TargetState>, StateError> {
        load(&self.tx, &self.location, &self.target)
    }

    fn bundle(&mut self, sha256: &str) -> Result<Option<Vec<u8>>, StateError> {
        bundle(&self.tx, &self.location, sha256)
    }

    fn put_bundle(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), StateError> {
        self.tx
            .execute(
                "INSERT INTO bundles (sha256, bytes, stored_at) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING",
                params![sha256, bytes, Timestamp::now().micros()],
            )
            .map(drop)
            .map_err(|error| sql_error(&self.location, error))
    }

    fn put_plugin(&mut self, position: usize, plugin: &PluginRecord) -> Result<(), StateError> {
        let sql = |error| sql_error(&self.location, error);
        let identity = &plugin.identity;
        let (status, error) = status_columns(&plugin.status);
        self.tx
            .execute("DELETE FROM plugins WHERE target = ?1 AND id = ?2", params![self.target, plugin.id])
            .map_err(sql)?;
        self.tx
            .prepare_cached(
                "INSERT INTO plugins (target, id, position, name, version, priority, bundle_sha256, component_sha256, \
                 wit_packages, parameters, status, error, applied_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    self.target,
                    plugin.id,
                    position as i64,
                    identity.name,
                    identity.version,
                    identity.priority,
                    identity.bundle_sha256,
                    identity.component_sha256,
                    serde_json::Value::from(identity.wit_packages.clone()).to_string(),
                    identity.parameters.to_string(),
                    status,
                    error,
                    plugin.applied_at.micros(),
                ])
            })
            .map_err(sql)?;
        let mut statement = self
            .tx
            .prepare_cached("INSERT INTO outputs (target, plugin_id, ord, hook, value) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(sql)?;
        for (ord, output) in plugin.outputs.iter().enumerate() {
            statement
                .execute(params![self.target, plugin.id, ord as i64, output.hook, output.value.to_string()])
                .map_err(sql)?;
        }
        Ok(())
    }

    fn set_position(&mut self, id: &str, position: usize) -> Result<(), StateError> {
        self.tx
            .execute(
                "UPDATE plugins SET position = ?1 WHERE target = ?2 AND id = ?3",
                params![position as i64, self.target, id],
            )
            .map(drop)
            .map_err(|error| sql_error(&self.location, error))
    }

    fn remove_plugin(&mut self, id: &str) -> Result<(), StateError> {
        self.tx
            .execute("DELETE FROM plugins WHERE target = ?1 AND id = ?2", params![self.target, id])
            .map(drop)
            .map_err(|error| sql_error(&self.location, error))
    }

    fn append_audit(&mut self, records: &[AuditRecord]) -> Result<(), StateError> {
        append_audit(&self.tx, &self.location, records)
    }

    fn finish(&mut self, context: &serde_json::Value, at: Timestamp) -> Result<u64, StateError> {
        let generation: i64 = self
            .tx
            .query_row(
                "INSERT INTO targets (name, generation, applied_at, context) VALUES (?1, 1, ?2, ?3) \
                 ON CONFLICT (name) DO UPDATE SET generation = generation + 1, applied_at = excluded.applied_at, \
                 context = excluded.context RETURNING generation",
                params![self.target, at.micros(), context.to_string()],
                |row| row.get(0),
            )
            .map_err(|error| sql_error(&self.location, error))?;
        Ok(u64::try_from(generation).unwrap_or_default())
    }

    fn commit(self: Box<Self>) -> Result<(), StateError> {
        let location = self.location.clone();
        self.tx.commit().map_err(|error| sql_error(&location, error))
    }
}
