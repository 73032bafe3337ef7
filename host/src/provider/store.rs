//! The providers' object store (Digital Rebar's object types and
//! `ListObjects`): one SQLite file at a path the embedder chooses, every
//! object scoped by the provider's name, which the host supplies — a
//! provider names only the type and key, so it can never reach another
//! provider's objects. Size caps hold per provider.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior, params};
use serde_json::Value;

/// `PRAGMA application_id` of a provider object store ("PDKO").
const APPLICATION_ID: i32 = 0x5044_4b4f;

/// Longest object key accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 256;

/// Size caps of the store, per provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreCaps {
    /// Largest object, as JSON text, in bytes.
    pub max_object_bytes: usize,
    /// Most objects one provider may keep (all its types together).
    pub max_objects: u64,
    /// Most bytes of JSON one provider may keep.
    pub max_total_bytes: u64,
}

impl Default for StoreCaps {
    fn default() -> Self {
        StoreCaps { max_object_bytes: 64 * 1024, max_objects: 10_000, max_total_bytes: 16 * 1024 * 1024 }
    }
}

/// Why the object store refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file cannot be opened or is not a provider object store.
    #[error("provider object store {path}: {problem}")]
    Open {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// The object type is not one the provider defined.
    #[error("object type `{0}` is not one this provider defines; list it in its definition's `object-types`")]
    UnknownType(String),
    /// `create` of a key that already exists.
    #[error("an object `{0}` exists already; update it instead")]
    Exists(String),
    /// `update` of a key that does not exist.
    #[error("there is no object `{0}`; create it first")]
    NotFound(String),
    /// A key or value the store does not accept.
    #[error("{0}")]
    Invalid(String),
    /// A size cap would be exceeded.
    #[error("{0}")]
    TooLarge(String),
    /// The database failed, or the call's deadline passed while waiting.
    #[error("the object store is unavailable: {0}")]
    Unavailable(String),
}

/// A provider object store, shared by every provider of a runtime (and
/// cheap to clone). Each provider sees only its own objects.
#[derive(Clone)]
pub struct ObjectStore {
    connection: Arc<Mutex<Connection>>,
    caps: StoreCaps,
    path: PathBuf,
}

impl std::fmt::Debug for ObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStore").field("path", &self.path).field("caps", &self.caps).finish_non_exhaustive()
    }
}

impl ObjectStore {
    /// Opens (creating if needed) the store at `path`. Refuses a SQLite file
    /// that some other program made.
    pub fn open(path: &Path, caps: StoreCaps) -> Result<ObjectStore, StoreError> {
        let open_error = |problem: String| StoreError::Open { path: path.display().to_string(), problem };
        let connection = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
        connection.busy_timeout(Duration::from_secs(5)).map_err(|e| open_error(e.to_string()))?;
        let (application_id, tables): (i32, i64) = connection
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id), \
                        (SELECT count(*) FROM sqlite_schema WHERE type = 'table')",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(|e| open_error(format!("it is not a SQLite database ({e})")))?;
        if application_id != APPLICATION_ID && (application_id != 0 || tables != 0) {
            return Err(open_error(
                "it is a SQLite database that Paddock did not make; choose another path for the provider store"
                    .to_string(),
            ));
        }
        connection
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL;
                 BEGIN IMMEDIATE;
                 CREATE TABLE IF NOT EXISTS provider_objects (
                     provider TEXT NOT NULL,
                     type TEXT NOT NULL,
                     key TEXT NOT NULL,
                     value TEXT NOT NULL,
                     PRIMARY KEY (provider, type, key)
                 ) WITHOUT ROWID;
                 PRAGMA application_id = {APPLICATION_ID};
                 COMMIT;"
            ))
            .map_err(|e| open_error(e.to_string()))?;
        Ok(ObjectStore { connection: Arc::new(Mutex::new(connection)), caps, path: path.to_path_buf() })
    }

    /// The caps in force.
    pub fn caps(&self) -> StoreCaps {
        self.caps
    }

    /// The objects `provider` keeps of `object_type` whose key starts with
    /// `prefix`, by key: what an embedder (or an operator) reads.
    pub fn list(&self, provider: &str, object_type: &str, prefix: &str) -> Result<Vec<(String, Value)>, StoreError> {
        let rows = self.list_text(provider, object_type, prefix, None)?;
        // Only valid JSON is ever written.
        Ok(rows.into_iter().map(|(key, text)| (key, serde_json::from_str(&text).unwrap_or(Value::Null))).collect())
    }

    /// One object of `provider`, if it exists.
    pub fn get(&self, provider: &str, object_type: &str, key: &str) -> Result<Option<Value>, StoreError> {
        Ok(self
            .get_text(provider, object_type, key, None)?
            .map(|text| serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    pub(crate) fn get_text(
        &self,
        provider: &str,
        object_type: &str,
        key: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<String>, StoreError> {
        self.with_connection(deadline, |connection| {
            connection
                .prepare_cached("SELECT value FROM provider_objects WHERE provider = ?1 AND type = ?2 AND key = ?3")?
                .query_row(params![provider, object_type, key], |row| row.get(0))
                .optional()
        })
    }

    pub(crate) fn list_text(
        &self,
        provider: &str,
        object_type: &str,
        prefix: &str,
        deadline: Option<Instant>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.with_connection(deadline, |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT key, value FROM provider_objects WHERE provider = ?1 AND type = ?2 AND substr(key, 1, length(?3)) = ?3 ORDER BY key",
            )?;
            let rows = statement
                .query_map(params![provider, object_type, prefix], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Writes `text` (checked to be JSON, within the caps) under `key`:
    /// `create` refuses an existing key, an update a missing one.
    pub(crate) fn put(
        &self,
        provider: &str,
        object_type: &str,
        key: &str,
        text: &str,
        create: bool,
        deadline: Option<Instant>,
    ) -> Result<(), StoreError> {
        check_key(key)?;
        if text.len() > self.caps.max_object_bytes {
            return Err(StoreError::TooLarge(format!(
                "object `{}` is {} bytes; the limit is {} bytes per object",
                shown(key),
                text.len(),
                self.caps.max_object_bytes
            )));
        }
        serde_json::from_str::<serde::de::IgnoredAny>(text)
            .map_err(|e| StoreError::Invalid(format!("object `{}` is not JSON: {e}", shown(key))))?;
        let caps = self.caps;
        let mut outcome = Ok(());
        self.with_connection(deadline, |connection| {
            let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<i64> = transaction
                .query_row(
                    "SELECT length(CAST(value AS BLOB)) FROM provider_objects WHERE provider = ?1 AND type = ?2 AND key = ?3",
                    params![provider, object_type, key],
                    |row| row.get(0),
                )
                .optional()?;
            let (count, total): (i64, i64) = transaction.query_row(
                "SELECT count(*), coalesce(sum(length(CAST(value AS BLOB))), 0) FROM provider_objects WHERE provider = ?1",
                params![provider],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let count = u64::try_from(count).unwrap_or(0);
            let total = u64::try_from(total).unwrap_or(0);
            let new_total = total - existing.map_or(0, |old| u64::try_from(old).unwrap_or(0)) + text.len() as u64;
            outcome = match (existing, create) {
                (Some(_), true) => Err(StoreError::Exists(shown(key))),
                (None, false) => Err(StoreError::NotFound(shown(key))),
                (None, true) if count >= caps.max_objects => Err(StoreError::TooLarge(format!(
                    "the provider keeps {count} objects already; the limit is {}",
                    caps.max_objects
                ))),
                _ if new_total > caps.max_total_bytes => Err(StoreError::TooLarge(format!(
                    "the provider's objects would take {new_total} bytes; the limit is {} bytes",
                    caps.max_total_bytes
                ))),
                _ => Ok(()),
            };
            if outcome.is_ok() {
                transaction.execute(
                    "INSERT INTO provider_objects (provider, type, key, value) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (provider, type, key) DO UPDATE SET value = excluded.value",
                    params![provider, object_type, key, text],
                )?;
                transaction.commit()?;
            }
            Ok(())
        })?;
        outcome
    }

    /// Removes one object; whether there was one.
    pub(crate) fn delete(
        &self,
        provider: &str,
        object_type: &str,
        key: &str,
        deadline: Option<Instant>,
    ) -> Result<bool, StoreError> {
        self.with_connection(deadline, |connection| {
            let removed = connection.execute(
                "DELETE FROM provider_objects WHERE provider = ?1 AND type = ?2 AND key = ?3",
                params![provider, object_type, key],
            )?;
            Ok(removed > 0)
        })
    }

    /// Runs `work` on the connection, waiting for a lock held by another
    /// process no longer than `deadline` (the guest call's).
    fn with_connection<T>(
        &self,
        deadline: Option<Instant>,
        work: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        // Only a connection is kept; a panicking holder breaks nothing.
        let mut connection = self.connection.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let wait = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(StoreError::Unavailable("the call's deadline has passed".to_string()));
                }
                left
            }
            None => Duration::from_secs(5),
        };
        connection.busy_timeout(wait).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        work(&mut connection).map_err(|e| StoreError::Unavailable(e.to_string()))
    }
}

fn check_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES || key.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "object key `{}` must be 1 to {MAX_KEY_BYTES} bytes without control characters",
            shown(key)
        )));
    }
    Ok(())
}

fn shown(key: &str) -> String {
    crate::sanitize::for_terminal(key, 200)
}
