//! The PostgreSQL backend, for deployment tools running on several machines:
//! the same records as SQLite in `paddock_*` tables of the connection's
//! schema, with applies to one target serialised by a transaction-scoped
//! advisory lock (`pg_advisory_xact_lock`), so applies to other targets run
//! side by side.

use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Transaction};

use super::sqlite::{AUDIT_COLUMNS, AuditRow, Filter, FilterValue, status_columns, status_of};
use super::{
    ApplyTransaction, AuditEntry, AuditRecord, HistoryQuery, PluginIdentity, PluginRecord, PruneRule, RecordedOutput,
    SCHEMA_VERSION, StateError, StateStore, TargetState, Timestamp,
};

/// What `paddock_meta.application` holds in a Paddock database.
const APPLICATION: &str = "paddock-state";

/// The advisory lock taken while migrating, so two processes starting at
/// once do not both create the tables.
const MIGRATION_LOCK: i64 = 0x5044_4b53_4d49_4752;

/// Schema migrations, in order, as for SQLite: entry `n` takes the schema
/// from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: plugin sets, outputs, bundle bytes, the audit trail.
    "CREATE TABLE paddock_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE paddock_bundles (sha256 TEXT PRIMARY KEY, bytes BYTEA NOT NULL, stored_at BIGINT NOT NULL);
     CREATE TABLE paddock_targets (
         name TEXT PRIMARY KEY,
         generation BIGINT NOT NULL,
         applied_at BIGINT NOT NULL,
         context TEXT NOT NULL
     );
     CREATE TABLE paddock_plugins (
         target TEXT NOT NULL,
         id TEXT NOT NULL,
         position BIGINT NOT NULL,
         name TEXT NOT NULL,
         version TEXT NOT NULL,
         priority INTEGER NOT NULL,
         bundle_sha256 TEXT NOT NULL REFERENCES paddock_bundles (sha256),
         component_sha256 TEXT NOT NULL,
         wit_packages TEXT NOT NULL,
         parameters TEXT NOT NULL,
         status TEXT NOT NULL,
         error TEXT,
         applied_at BIGINT NOT NULL,
         PRIMARY KEY (target, id)
     );
     CREATE TABLE paddock_outputs (
         target TEXT NOT NULL,
         plugin_id TEXT NOT NULL,
         ord BIGINT NOT NULL,
         hook TEXT NOT NULL,
         value TEXT NOT NULL,
         PRIMARY KEY (target, plugin_id, hook),
         FOREIGN KEY (target, plugin_id) REFERENCES paddock_plugins (target, id) ON DELETE CASCADE
     );
     CREATE TABLE paddock_audit (
         seq BIGSERIAL PRIMARY KEY,
         time BIGINT NOT NULL,
         target TEXT NOT NULL,
         operation TEXT NOT NULL,
         plugin TEXT NOT NULL,
         plugin_id TEXT NOT NULL,
         version TEXT NOT NULL,
         bundle_sha256 TEXT NOT NULL,
         wit_package TEXT,
         hook TEXT NOT NULL,
         duration_us BIGINT NOT NULL,
         status TEXT NOT NULL,
         error TEXT,
         input_sha256 TEXT NOT NULL,
         output TEXT,
         output_sha256 TEXT,
         output_size BIGINT
     );
     CREATE INDEX paddock_audit_by_target_plugin_time ON paddock_audit (target, plugin, time);
     CREATE INDEX paddock_audit_by_target_id_time ON paddock_audit (target, plugin_id, time);
     CREATE INDEX paddock_audit_by_plugin_time ON paddock_audit (plugin, time);
     CREATE INDEX paddock_audit_by_id_time ON paddock_audit (plugin_id, time);
     CREATE INDEX paddock_audit_by_time ON paddock_audit (time);",
];

/// The state in a PostgreSQL database.
pub struct PostgresStore {
    client: Client,
    location: String,
    lock_wait: Duration,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("location", &self.location).finish()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host/db`, without TLS),
    /// creates the tables in an empty database, and refuses a database whose
    /// Paddock tables another program or a newer Paddock wrote.
    pub fn connect(url: &str) -> Result<PostgresStore, StateError> {
        let location = redacted(url);
        let client = Client::connect(url, NoTls)
            .map_err(|error| StateError::Unreachable { location: location.clone(), detail: chain(&error) })?;
        PostgresStore::from_client(client, location)
    }

    /// Uses a client the embedder connected (with TLS, say); `location`
    /// names the database in messages and must not hold a password.
    pub fn from_client(client: Client, location: String) -> Result<PostgresStore, StateError> {
        let mut store = PostgresStore { client, location, lock_wait: Duration::from_secs(600) };
        store.check_and_migrate()?;
        Ok(store)
    }

    /// Sets how long an apply waits for another apply to the same target
    /// before giving up with [`StateError::Busy`] (default 600 s).
    pub fn set_lock_wait(&mut self, wait: Duration) {
        self.lock_wait = wait;
    }

    fn error(&self, error: postgres::Error) -> StateError {
        pg_error(&self.location, error)
    }

    fn check_and_migrate(&mut self) -> Result<(), StateError> {
        let location = self.location.clone();
        let version = schema_of(&mut self.client, &location)?;
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        let mut tx = self.client.transaction().map_err(|error| pg_error(&location, error))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(|error| pg_error(&location, error))?;
        let version = schema_of(&mut tx, &location)?;
        for (from, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(migration).map_err(|error| pg_error(&location, error))?;
            tracing::debug!("state {location}: migrated the schema from version {from} to {}", from + 1);
        }
        tx.execute(
            "INSERT INTO paddock_meta (key, value) VALUES ('application', $1), ('schema_version', $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&APPLICATION, &SCHEMA_VERSION.to_string()],
        )
        .map_err(|error| pg_error(&location, error))?;
        tx.commit().map_err(|error| pg_error(&location, error))
    }
}

/// The schema version of the Paddock tables (0 when there are none), or why
/// they are not Paddock's to use.
fn schema_of(client: &mut impl postgres::GenericClient, location: &str) -> Result<u32, StateError> {
    let foreign = |detail: String| StateError::Foreign { location: location.to_string(), detail };
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name LIKE 'paddock\\_%'",
            &[],
        )
        .map_err(|error| pg_error(location, error))?
        .get(0);
    let has_meta = client
        .query_one("SELECT to_regclass('paddock_meta') IS NOT NULL", &[])
        .map_err(|error| pg_error(location, error))?
        .get::<_, bool>(0);
    if !has_meta {
        return if tables == 0 {
            Ok(0)
        } else {
            Err(foreign(format!("it has {tables} paddock_* tables but no paddock_meta")))
        };
    }
    let rows = client
        .query("SELECT key, value FROM paddock_meta WHERE key IN ('application', 'schema_version')", &[])
        .map_err(|error| pg_error(location, error))?;
    let value = |key: &str| rows.iter().find(|row| row.get::<_, &str>(0) == key).map(|row| row.get::<_, String>(1));
    if value("application").as_deref() != Some(APPLICATION) {
        return Err(foreign(format!("paddock_meta.application is {:?}, not {APPLICATION:?}", value("application"))));
    }
    let found = value("schema_version")
        .and_then(|text| text.parse::<u32>().ok())
        .ok_or_else(|| foreign("paddock_meta has no numeric schema_version".to_string()))?;
    if found > SCHEMA_VERSION {
        return Err(StateError::NewerSchema { location: location.to_string(), found, supported: SCHEMA_VERSION });
    }
    Ok(found)
}

/// An error with its causes: the connection errors of the `postgres` crate
/// put the useful part (`Connection refused`) in the source.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn pg_error(location: &str, error: postgres::Error) -> StateError {
    if error.is_closed() {
        return StateError::Unreachable { location: location.to_string(), detail: chain(&error) };
    }
    StateError::Database { location: location.to_string(), detail: chain(&error) }
}

/// `url` with its password (in the user part or a `password=` parameter)
/// replaced by `***`, for messages.
fn redacted(url: &str) -> String {
    let url = match url.split_once('?') {
        Some((base, query)) => {
            let parameters: Vec<String> = query
                .split('&')
                .map(|pair| if pair.starts_with("password=") { "password=***".to_string() } else { pair.to_string() })
                .collect();
            format!("{base}?{}", parameters.join("&"))
        }
        None => url.to_string(),
    };
    let url = url.as_str();
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

fn corrupt(location: &str, what: &str, detail: impl std::fmt::Display) -> StateError {
    StateError::Corrupt { location: location.to_string(), what: what.to_string(), detail: detail.to_string() }
}

fn json_of(location: &str, what: &str, text: &str) -> Result<serde_json::Value, StateError> {
    serde_json::from_str(text).map_err(|error| corrupt(location, what, error))
}

fn refs(values: &[FilterValue]) -> Vec<&(dyn ToSql + Sync)> {
    values
        .iter()
        .map(|value| match value {
            FilterValue::Text(text) => text as &(dyn ToSql + Sync),
            FilterValue::Integer(integer) => integer as &(dyn ToSql + Sync),
        })
        .collect()
}

fn load(
    client: &mut impl postgres::GenericClient,
    location: &str,
    target: &str,
) -> Result<Option<TargetState>, StateError> {
    let sql = |error| pg_error(location, error);
    let Some(row) = client
        .query_opt("SELECT generation, applied_at, context FROM paddock_targets WHERE name = $1", &[&target])
        .map_err(sql)?
    else {
        return Ok(None);
    };
    let (generation, applied_at, context): (i64, i64, String) = (row.get(0), row.get(1), row.get(2));
    let mut plugins = Vec::new();
    for row in client
        .query(
            "SELECT id, name, version, priority, bundle_sha256, component_sha256, wit_packages, parameters, status, \
             error, applied_at FROM paddock_plugins WHERE target = $1 ORDER BY position",
            &[&target],
        )
        .map_err(sql)?
    {
        let id: String = row.get(0);
        let what = format!("plugin `{id}` of target `{target}`");
        let wit: String = row.get(6);
        let parameters: String = row.get(7);
        let status: String = row.get(8);
        plugins.push(PluginRecord {
            identity: PluginIdentity {
                name: row.get(1),
                version: row.get(2),
                priority: row.get(3),
                bundle_sha256: row.get(4),
                component_sha256: row.get(5),
                wit_packages: serde_json::from_str(&wit).map_err(|e| corrupt(location, &what, e))?,
                parameters: json_of(location, &what, &parameters)?,
            },
            status: status_of(location, &what, &status, row.get(9))?,
            applied_at: Timestamp::from_micros(row.get(10)),
            outputs: Vec::new(),
            id,
        });
    }
    for row in client
        .query(
            "SELECT plugin_id, hook, value FROM paddock_outputs WHERE target = $1 ORDER BY plugin_id, ord",
            &[&target],
        )
        .map_err(sql)?
    {
        let (plugin_id, hook, value): (String, String, String) = (row.get(0), row.get(1), row.get(2));
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

fn bundle(
    client: &mut impl postgres::GenericClient,
    location: &str,
    sha256: &str,
) -> Result<Option<Vec<u8>>, StateError> {
    client
        .query_opt("SELECT bytes FROM paddock_bundles WHERE sha256 = $1", &[&sha256])
        .map(|row| row.map(|row| row.get(0)))
        .map_err(|error| pg_error(location, error))
}

fn append_audit(
    client: &mut impl postgres::GenericClient,
    location: &str,
    records: &[AuditRecord],
) -> Result<(), StateError> {
    let sql = |error| pg_error(location, error);
    let statement = client
        .prepare(
            "INSERT INTO paddock_audit (time, target, operation, plugin, plugin_id, version, bundle_sha256, \
             wit_package, hook, duration_us, status, error, input_sha256, output, output_sha256, output_size) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .map_err(sql)?;
    for record in records {
        let output = record.output.as_ref();
        let value = output.and_then(|output| output.value.as_ref()).map(serde_json::Value::to_string);
        let sha256 = output.map(|output| output.sha256.clone());
        let size = output.map(|output| i64::try_from(output.size).unwrap_or(i64::MAX));
        let duration = i64::try_from(record.duration_us).unwrap_or(i64::MAX);
        client
            .execute(
                &statement,
                &[
                    &record.time.micros(),
                    &record.target,
                    &record.operation,
                    &record.plugin,
                    &record.plugin_id,
                    &record.version,
                    &record.bundle_sha256,
                    &record.wit_package,
                    &record.hook,
                    &duration,
                    &record.status,
                    &record.error,
                    &record.input_sha256,
                    &value,
                    &sha256,
                    &size,
                ],
            )
            .map_err(sql)?;
    }
    Ok(())
}

impl StateStore for PostgresStore {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn schema_version(&mut self) -> Result<u32, StateError> {
        let location = self.location.clone();
        schema_of(&mut self.client, &location)
    }

    fn targets(&mut self) -> Result<Vec<String>, StateError> {
        let rows = self.client.query("SELECT name FROM paddock_targets ORDER BY name", &[]);
        Ok(rows.map_err(|error| self.error(error))?.iter().map(|row| row.get(0)).collect())
    }

    fn load(&mut self, target: &str) -> Result<Option<TargetState>, StateError> {
        let location = self.location.clone();
        load(&mut self.client, &location, target)
    }

    fn bundle(&mut self, sha256: &str) -> Result<Option<Vec<u8>>, StateError> {
        let location = self.location.clone();
        bundle(&mut self.client, &location, sha256)
    }

    fn begin_apply(&mut self, target: &str) -> Result<Box<dyn ApplyTransaction + '_>, StateError> {
        super::check_target(target)?;
        let location = self.location.clone();
        let waited = self.lock_wait;
        let mut tx = self.client.transaction().map_err(|error| pg_error(&location, error))?;
        tx.batch_execute(&format!("SET LOCAL lock_timeout = {}", waited.as_millis()))
            .map_err(|error| pg_error(&location, error))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&super::lock_key(target)]).map_err(|error| {
            if error.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) {
                StateError::Busy { location: location.clone(), waited }
            } else {
                pg_error(&location, error)
            }
        })?;
        Ok(Box::new(PostgresApply { tx, target: target.to_string(), location }))
    }

    fn append_audit(&mut self, records: &[AuditRecord]) -> Result<(), StateError> {
        let location = self.location.clone();
        let mut tx = self.client.transaction().map_err(|error| pg_error(&location, error))?;
        append_audit(&mut tx, &location, records)?;
        tx.commit().map_err(|error| pg_error(&location, error))
    }

    fn audit_len(&mut self) -> Result<u64, StateError> {
        let row =
            self.client.query_one("SELECT COUNT(*) FROM paddock_audit", &[]).map_err(|error| self.error(error))?;
        Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
    }

    fn history(&mut self, query: &HistoryQuery) -> Result<Vec<AuditEntry>, StateError> {
        let location = self.location.clone();
        let filter = Filter::history(query, "paddock_audit", &|n| format!("${n}"));
        let limit = query.limit.map(|limit| format!(" LIMIT {limit}")).unwrap_or_default();
        let text = format!(
            "SELECT {AUDIT_COLUMNS} FROM paddock_audit{} ORDER BY time DESC, seq DESC{limit}",
            filter.where_clause()
        );
        let rows = self.client.query(&text, &refs(&filter.values)).map_err(|error| pg_error(&location, error))?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows.iter().rev() {
            entries.push(
                AuditRow {
                    seq: row.get(0),
                    time: row.get(1),
                    texts: [row.get(2), row.get(3), row.get(4), row.get(5), row.get(6), row.get(7)],
                    wit_package: row.get(8),
                    hook: row.get(9),
                    duration_us: row.get(10),
                    status: row.get(11),
                    error: row.get(12),
                    input_sha256: row.get(13),
                    output: row.get(14),
                    output_sha256: row.get(15),
                    output_size: row.get(16),
                }
                .into_entry(&location)?,
            );
        }
        Ok(entries)
    }

    fn prune(&mut self, rule: &PruneRule) -> Result<u64, StateError> {
        if rule.keep_last.is_none() && rule.before.is_none() {
            return Ok(0);
        }
        let location = self.location.clone();
        let sql = |error| pg_error(&location, error);
        let mut tx = self.client.transaction().map_err(sql)?;
        let placeholder = |n: usize| format!("${n}");
        let mut filter = Filter::default();
        if let Some(target) = &rule.target {
            filter.add("target = ?", vec![FilterValue::Text(target.clone())], &placeholder);
        }
        let scope = filter.where_clause();
        if let Some(keep) = rule.keep_last {
            let oldest_kept = tx
                .query_opt(
                    &format!(
                        "SELECT seq FROM paddock_audit{scope} ORDER BY seq DESC LIMIT 1 OFFSET {}",
                        keep.saturating_sub(1)
                    ),
                    &refs(&filter.values),
                )
                .map_err(sql)?
                .map(|row| row.get::<_, i64>(0));
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
            .execute(&format!("DELETE FROM paddock_audit{}", filter.where_clause()), &refs(&filter.values))
            .map_err(sql)?;
        tx.execute("DELETE FROM paddock_bundles WHERE sha256 NOT IN (SELECT bundle_sha256 FROM paddock_plugins)", &[])
            .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(removed)
    }
}

/// One apply's transaction on PostgreSQL, holding the target's advisory
/// lock until it commits or rolls back.
struct PostgresApply<'a> {
    tx: Transaction<'a>,
    target: String,
    location: String,
}

impl ApplyTransaction for PostgresApply<'_> {
    fn load(&mut self) -> Result<Option<TargetState>, StateError> {
        load(&mut self.tx, &self.location, &self.target)
    }

    fn bundle(&mut self, sha256: &str) -> Result<Option<Vec<u8>>, StateError> {
        bundle(&mut self.tx, &self.location, sha256)
    }

    fn put_bundle(&mut self, sha256: &str, bytes: &[u8]) -> Result<(), StateError> {
        self.tx
            .execute(
                "INSERT INTO paddock_bundles (sha256, bytes, stored_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (sha256) DO NOTHING",
                &[&sha256, &bytes, &Timestamp::now().micros()],
            )
            .map(drop)
            .map_err(|error| pg_error(&self.location, error))
    }

    fn put_plugin(&mut self, position: usize, plugin: &PluginRecord) -> Result<(), StateError> {
        let location = self.location.clone();
        let sql = |error| pg_error(&location, error);
        let identity = &plugin.identity;
        let (status, error) = status_columns(&plugin.status);
        self.tx
            .execute("DELETE FROM paddock_plugins WHERE target = $1 AND id = $2", &[&self.target, &plugin.id])
            .map_err(sql)?;
        self.tx
            .execute(
                "INSERT INTO paddock_plugins (target, id, position, name, version, priority, bundle_sha256, \
                 component_sha256, wit_packages, parameters, status, error, applied_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    &self.target,
                    &plugin.id,
                    &(position as i64),
                    &identity.name,
                    &identity.version,
                    &identity.priority,
                    &identity.bundle_sha256,
                    &identity.component_sha256,
                    &serde_json::Value::from(identity.wit_packages.clone()).to_string(),
                    &identity.parameters.to_string(),
                    &status,
                    &error,
                    &plugin.applied_at.micros(),
                ],
            )
            .map_err(sql)?;
        for (ord, output) in plugin.outputs.iter().enumerate() {
            self.tx
                .execute(
                    "INSERT INTO paddock_outputs (target, plugin_id, ord, hook, value) VALUES ($1, $2, $3, $4, $5)",
                    &[&self.target, &plugin.id, &(ord as i64), &output.hook, &output.value.to_string()],
                )
                .map_err(sql)?;
        }
        Ok(())
    }

    fn set_position(&mut self, id: &str, position: usize) -> Result<(), StateError> {
        self.tx
            .execute(
                "UPDATE paddock_plugins SET position = $1 WHERE target = $2 AND id = $3",
                &[&(position as i64), &self.target, &id],
            )
            .map(drop)
            .map_err(|error| pg_error(&self.location, error))
    }

    fn remove_plugin(&mut self, id: &str) -> Result<(), StateError> {
        self.tx
            .execute("DELETE FROM paddock_plugins WHERE target = $1 AND id = $2", &[&self.target, &id])
            .map(drop)
            .map_err(|error| pg_error(&self.location, error))
    }

    fn append_audit(&mut self, records: &[AuditRecord]) -> Result<(), StateError> {
        append_audit(&mut self.tx, &self.location, records)
    }

    fn finish(&mut self, context: &serde_json::Value, at: Timestamp) -> Result<u64, StateError> {
        let row = self
            .tx
            .query_one(
                "INSERT INTO paddock_targets (name, generation, applied_at, context) VALUES ($1, 1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET generation = paddock_targets.generation + 1, \
                 applied_at = excluded.applied_at, context = excluded.context RETURNING generation",
                &[&self.target, &at.micros(), &context.to_string()],
            )
            .map_err(|error| pg_error(&self.location, error))?;
        Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or_default())
    }

    fn commit(self: Box<Self>) -> Result<(), StateError> {
        let location = self.location.clone();
        self.tx.commit().map_err(|error| pg_error(&location, error))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(super::redacted("postgres://u:secret@db:5432/paddock"), "postgres://u:***@db:5432/paddock");
        assert_eq!(super::redacted("postgres://u@db/p"), "postgres://u@db/p");
        assert_eq!(super::redacted("postgresql://db/p?user=u"), "postgresql://db/p?user=u");
        assert_eq!(super::redacted("postgresql://db/p?user=u&password=x"), "postgresql://db/p?user=u&password=***");
    }
}
