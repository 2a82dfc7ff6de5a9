//! The on-disk share store (redb): secrets with their permissions,
//! programs, job results, and seen request nonces.
//!
//! Every write is one redb transaction (fsync on commit), so a node that is
//! killed keeps everything it acknowledged.

use std::path::Path;

use borsh::{BorshDeserialize, BorshSerialize};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::error::{BlindError, Result};
use crate::types::{
    JobId, JobRecord, MAX_MESSAGE_BYTES, Permissions, ProgramKey, ProgramRecord, SecretId,
    SecretRecord, SharedValue, decode_bounded,
};

const SECRETS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("secrets");
const PROGRAMS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("programs");
const JOBS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("jobs");
/// (user ‖ nonce) → timestamp ms.
const NONCES: TableDefinition<'_, &[u8], u64> = TableDefinition::new("nonces");

/// The share store of one node.
pub struct Store {
    db: Database,
}

fn enc<T: BorshSerialize>(v: &T) -> Vec<u8> {
    borsh::to_vec(v).unwrap_or_default()
}

fn dec<T: BorshDeserialize>(b: &[u8]) -> Result<T> {
    decode_bounded(b, MAX_MESSAGE_BYTES)
        .map_err(|e| BlindError::Storage(format!("corrupt record: {e}")))
}

impl Store {
    /// Open (or create) the store at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let db = Database::create(path)?;
        let w = db.begin_write()?;
        w.open_table(SECRETS)?;
        w.open_table(PROGRAMS)?;
        w.open_table(JOBS)?;
        w.open_table(NONCES)?;
        w.commit()?;
        Ok(Store { db })
    }

    fn get<T: BorshDeserialize>(
        &self,
        table: TableDefinition<'_, [u8; 32], &[u8]>,
        key: [u8; 32],
    ) -> Result<Option<T>> {
        let r = self.db.begin_read()?;
        let t = r.open_table(table)?;
        match t.get(key)? {
            Some(v) => Ok(Some(dec(v.value())?)),
            None => Ok(None),
        }
    }

    fn put<T: BorshSerialize>(
        &self,
        table: TableDefinition<'_, [u8; 32], &[u8]>,
        key: [u8; 32],
        v: &T,
    ) -> Result<()> {
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(table)?;
            t.insert(key, enc(v).as_slice())?;
        }
        w.commit()?;
        Ok(())
    }

    /// Insert a new secret; refuses an existing id.
    pub fn insert_secret(&self, id: &SecretId, rec: &SecretRecord) -> Result<()> {
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(SECRETS)?;
            if t.get(id.0)?.is_some() {
                return Err(BlindError::AlreadyExists(format!("secret {id}")));
            }
            t.insert(id.0, enc(rec).as_slice())?;
        }
        w.commit()?;
        Ok(())
    }

    /// A secret, or `NotFound`.
    pub fn secret(&self, id: &SecretId) -> Result<SecretRecord> {
        self.get(SECRETS, id.0)?
            .ok_or_else(|| BlindError::NotFound(format!("secret {id}")))
    }

    /// Atomically read-check-modify a secret: `f` sees the current record
    /// and returns the new one (or an error, which aborts).
    pub fn modify_secret(
        &self,
        id: &SecretId,
        f: impl FnOnce(SecretRecord) -> Result<SecretRecord>,
    ) -> Result<SecretRecord> {
        let w = self.db.begin_write()?;
        let new = {
            let mut t = w.open_table(SECRETS)?;
            let cur: SecretRecord = match t.get(id.0)? {
                Some(v) => dec(v.value())?,
                None => return Err(BlindError::NotFound(format!("secret {id}"))),
            };
            let new = f(cur)?;
            t.insert(id.0, enc(&new).as_slice())?;
            new
        };
        w.commit()?;
        Ok(new)
    }

    /// Update the value (checked by `check`), bumping the version.
    pub fn update_secret(
        &self,
        id: &SecretId,
        value: SharedValue,
        check: impl FnOnce(&Permissions) -> Result<()>,
    ) -> Result<SecretRecord> {
        self.modify_secret(id, |mut r| {
            check(&r.permissions)?;
            r.value = value;
            r.version += 1;
            Ok(r)
        })
    }

    /// Delete after `check` passes on the current permissions.
    pub fn delete_secret(
        &self,
        id: &SecretId,
        check: impl FnOnce(&Permissions) -> Result<()>,
    ) -> Result<()> {
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(SECRETS)?;
            let cur: SecretRecord = match t.get(id.0)? {
                Some(v) => dec(v.value())?,
                None => return Err(BlindError::NotFound(format!("secret {id}"))),
            };
            check(&cur.permissions)?;
            t.remove(id.0)?;
        }
        w.commit()?;
        Ok(())
    }

    /// Number of stored secrets.
    pub fn secret_count(&self) -> Result<u64> {
        let r = self.db.begin_read()?;
        use redb::ReadableTableMetadata;
        Ok(r.open_table(SECRETS)?.len()?)
    }

    /// Store a program (idempotent).
    pub fn put_program(&self, id: &ProgramKey, rec: &ProgramRecord) -> Result<()> {
        if self.get::<ProgramRecord>(PROGRAMS, id.0)?.is_some() {
            return Ok(());
        }
        self.put(PROGRAMS, id.0, rec)
    }

    /// A program, or `NotFound`.
    pub fn program(&self, id: &ProgramKey) -> Result<ProgramRecord> {
        self.get(PROGRAMS, id.0)?
            .ok_or_else(|| BlindError::NotFound(format!("program {id}")))
    }

    /// Create a job record; refuses a job id seen before.
    pub fn insert_job(&self, id: &JobId, rec: &JobRecord) -> Result<()> {
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(JOBS)?;
            if t.get(id.0)?.is_some() {
                return Err(BlindError::AlreadyExists(format!("job {id}")));
            }
            t.insert(id.0, enc(rec).as_slice())?;
        }
        w.commit()?;
        Ok(())
    }

    /// Overwrite a job record.
    pub fn put_job(&self, id: &JobId, rec: &JobRecord) -> Result<()> {
        self.put(JOBS, id.0, rec)
    }

    /// A job, or `NotFound`.
    pub fn job(&self, id: &JobId) -> Result<JobRecord> {
        self.get(JOBS, id.0)?
            .ok_or_else(|| BlindError::NotFound(format!("job {id}")))
    }

    /// Record `(user, nonce)` at `now_ms`; `false` if it was already there.
    /// Entries older than `prune_before_ms` are removed in the same
    /// transaction.
    pub fn use_nonce(&self, key: &[u8], now_ms: u64, prune_before_ms: u64) -> Result<bool> {
        let w = self.db.begin_write()?;
        let fresh = {
            let mut t = w.open_table(NONCES)?;
            if t.get(key)?.is_some() {
                false
            } else {
                t.insert(key, now_ms)?;
                // Opportunistic pruning, bounded per request.
                let stale: Vec<Vec<u8>> = t
                    .iter()?
                    .filter_map(|e| e.ok())
                    .filter(|(_, v)| v.value() < prune_before_ms)
                    .take(64)
                    .map(|(k, _)| k.value().to_vec())
                    .collect();
                for k in stale {
                    t.remove(k.as_slice())?;
                }
                true
            }
        };
        w.commit()?;
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{JobStats, JobStatus};
    use synod_primitives::Keypair;

    fn record(owner: synod_primitives::AccountId) -> SecretRecord {
        SecretRecord {
            permissions: Permissions::owner_only(owner),
            value: SharedValue {
                ty: synod_blind_lang::ScalarType::U32.code(),
                shape: vec![],
                public: false,
                elements: vec![[3; 32]],
            },
            version: 0,
        }
    }

    #[test]
    fn persists_across_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.redb");
        let alice = Keypair::dev("alice").account();
        let id = SecretId([1; 32]);
        let job = JobId([2; 32]);
        let prog = ProgramKey([3; 32]);
        {
            let s = Store::open(&path).expect("open");
            s.insert_secret(&id, &record(alice)).expect("insert");
            assert!(matches!(
                s.insert_secret(&id, &record(alice)),
                Err(BlindError::AlreadyExists(_))
            ));
            s.put_program(
                &prog,
                &ProgramRecord {
                    uploader: alice,
                    mir: vec![1, 2, 3],
                },
            )
            .expect("program");
            s.insert_job(
                &job,
                &JobRecord {
                    invoker: alice,
                    status: JobStatus::Done,
                    outputs: Default::default(),
                    stats: JobStats::default(),
                },
            )
            .expect("job");
            assert!(s.use_nonce(b"k", 10, 0).expect("nonce"));
        }
        let s = Store::open(&path).expect("reopen");
        assert_eq!(s.secret(&id).expect("secret"), record(alice));
        assert_eq!(s.program(&prog).expect("program").mir, vec![1, 2, 3]);
        assert_eq!(s.job(&job).expect("job").status, JobStatus::Done);
        assert!(
            !s.use_nonce(b"k", 11, 0).expect("nonce"),
            "nonce remembered across restart"
        );
        assert_eq!(s.secret_count().expect("count"), 1);
        s.delete_secret(&id, |_| Ok(())).expect("delete");
        assert!(matches!(s.secret(&id), Err(BlindError::NotFound(_))));
    }

    #[test]
    fn refused_modification_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(&dir.path().join("s.redb")).expect("open");
        let alice = Keypair::dev("alice").account();
        let id = SecretId([1; 32]);
        s.insert_secret(&id, &record(alice)).expect("insert");
        let mut v = record(alice).value;
        v.elements[0] = [9; 32];
        let r = s.update_secret(&id, v, |_| Err(BlindError::Unauthorised("no".into())));
        assert!(r.is_err());
        assert!(
            s.delete_secret(&id, |_| Err(BlindError::Unauthorised("no".into())))
                .is_err()
        );
        assert_eq!(s.secret(&id).expect("still there"), record(alice));
    }
}
