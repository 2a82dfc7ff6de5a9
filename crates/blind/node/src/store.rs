//! The on-disk share store (redb): secrets with their permissions,
//! programs, job results, and seen request nonces.
//!
//! A store across the committee is two-phase so that it is all or nothing: a prepared share
//! waits in its own table (`pending`), where retrieval, jobs and the secret count never see
//! it, until the client commits it (it then moves to `secrets` in one transaction) or aborts
//! it; one never committed expires. `stored` keeps, per secret, the digest of the content it
//! was stored with, so a retry of the same store is recognised as such.
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
/// Secret id → borsh [`Pending`]: prepared shares and abort markers.
const PENDING: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("pending");
/// Secret id → content digest it was stored with (absent once updated or re-permissioned).
const STORED: TableDefinition<'_, [u8; 32], [u8; 32]> = TableDefinition::new("stored");

/// At most this many expired pending entries are removed per write, bounding its cost.
const PRUNE_PER_WRITE: usize = 64;

/// A store between its two phases at this node.
#[derive(BorshSerialize, BorshDeserialize)]
enum Pending {
    /// Prepared, waiting for its commit.
    Prepared {
        record: SecretRecord,
        content: [u8; 32],
        expires_ms: u64,
    },
    /// Aborted by `owner` with a request signed at `signed_at_ms`: a prepare of the same id by
    /// the same owner signed no later than that is a late copy of the failed store, not a
    /// retry, and is refused.
    Aborted {
        owner: synod_primitives::AccountId,
        signed_at_ms: u64,
        expires_ms: u64,
    },
}

impl Pending {
    fn expires_ms(&self) -> u64 {
        match self {
            Pending::Prepared { expires_ms, .. } | Pending::Aborted { expires_ms, .. } => {
                *expires_ms
            }
        }
    }
}

/// Removes up to [`PRUNE_PER_WRITE`] expired pending entries.
fn prune_pending(t: &mut redb::Table<'_, [u8; 32], &[u8]>, now_ms: u64) -> Result<()> {
    let stale: Vec<[u8; 32]> = t
        .iter()?
        .filter_map(|e| e.ok())
        .filter(|(_, v)| dec::<Pending>(v.value()).is_ok_and(|p| p.expires_ms() <= now_ms))
        .take(PRUNE_PER_WRITE)
        .map(|(k, _)| k.value())
        .collect();
    for k in stale {
        t.remove(k)?;
    }
    Ok(())
}

fn live_pending(
    t: &impl ReadableTable<[u8; 32], &'static [u8]>,
    id: &SecretId,
    now_ms: u64,
) -> Result<Option<Pending>> {
    Ok(match t.get(id.0)? {
        Some(v) => Some(dec::<Pending>(v.value())?).filter(|p| p.expires_ms() > now_ms),
        None => None,
    })
}

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
        w.open_table(PENDING)?;
        w.open_table(STORED)?;
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

    /// Insert a new secret (single-phase store); refuses an existing id.
    pub fn insert_secret(&self, id: &SecretId, rec: &SecretRecord) -> Result<()> {
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(SECRETS)?;
            if t.get(id.0)?.is_some() {
                return Err(BlindError::AlreadyExists(format!("secret {id}")));
            }
            t.insert(id.0, enc(rec).as_slice())?;
            w.open_table(STORED)?.insert(
                id.0,
                crate::types::store_content_digest(&rec.value, &rec.permissions),
            )?;
        }
        w.commit()?;
        Ok(())
    }

    /// Phase one of a store: hold `rec` aside until [`Store::commit_secret`], for `ttl_ms`.
    /// The same content again (a retry) is accepted, and so is a secret already committed
    /// with it; other content under a live id is refused.
    pub fn prepare_secret(
        &self,
        id: &SecretId,
        rec: &SecretRecord,
        signed_at_ms: u64,
        now_ms: u64,
        ttl_ms: u64,
    ) -> Result<()> {
        let content = crate::types::store_content_digest(&rec.value, &rec.permissions);
        let owner = rec.permissions.owner;
        let w = self.db.begin_write()?;
        {
            if w.open_table(SECRETS)?.get(id.0)?.is_some() {
                return match w.open_table(STORED)?.get(id.0)? {
                    Some(d) if d.value() == content => Ok(()),
                    _ => Err(BlindError::AlreadyExists(format!(
                        "secret {id} is already stored with different content (a retry must \
                         send the same value and permissions; choose a new id for a new secret)"
                    ))),
                };
            }
            let mut t = w.open_table(PENDING)?;
            match live_pending(&t, id, now_ms)? {
                Some(Pending::Prepared { content: c, .. }) if c != content => {
                    return Err(BlindError::AlreadyExists(format!(
                        "secret {id} is being stored with different content by an earlier \
                         request (dropped if not committed within {ttl_ms} ms)"
                    )));
                }
                Some(Pending::Aborted {
                    owner: o,
                    signed_at_ms: at,
                    ..
                }) if o == owner && signed_at_ms <= at => {
                    return Err(BlindError::Invalid(format!(
                        "the store of secret {id} this request belongs to was aborted"
                    )));
                }
                _ => {}
            }
            prune_pending(&mut t, now_ms)?;
            let entry = Pending::Prepared {
                record: rec.clone(),
                content,
                expires_ms: now_ms.saturating_add(ttl_ms),
            };
            t.insert(id.0, enc(&entry).as_slice())?;
        }
        w.commit()?;
        Ok(())
    }

    /// Phase two: move the prepared share of `id` (prepared by `user`, with digest `content`)
    /// into the secrets. Committing a secret already committed with that content is a no-op.
    pub fn commit_secret(
        &self,
        id: &SecretId,
        user: &synod_primitives::AccountId,
        content: &[u8; 32],
        now_ms: u64,
    ) -> Result<()> {
        let w = self.db.begin_write()?;
        {
            let mut secrets = w.open_table(SECRETS)?;
            let mut stored = w.open_table(STORED)?;
            if secrets.get(id.0)?.is_some() {
                return match stored.get(id.0)? {
                    Some(d) if d.value() == *content => Ok(()),
                    _ => Err(BlindError::AlreadyExists(format!(
                        "secret {id} is already stored with different content"
                    ))),
                };
            }
            let mut pending = w.open_table(PENDING)?;
            let (record, c) = match live_pending(&pending, id, now_ms)? {
                Some(Pending::Prepared {
                    record, content, ..
                }) => (record, content),
                _ => {
                    return Err(BlindError::NotFound(format!(
                        "no prepared store of secret {id} (never prepared, aborted or expired): \
                         store it again"
                    )));
                }
            };
            if record.permissions.owner != *user {
                return Err(BlindError::Unauthorised(format!(
                    "user {user} may not commit the store of secret {id}"
                )));
            }
            if c != *content {
                return Err(BlindError::Invalid(format!(
                    "the commit of secret {id} names other content than was prepared"
                )));
            }
            secrets.insert(id.0, enc(&record).as_slice())?;
            stored.insert(id.0, c)?;
            pending.remove(id.0)?;
        }
        w.commit()?;
        Ok(())
    }

    /// Drop `user`'s prepared share of `id`, if any, and remember the abort (until `ttl_ms`
    /// from now) so a prepare signed before it that arrives late is refused. A committed
    /// secret is not touched (deleting is a separate, permission-checked request).
    pub fn abort_secret(
        &self,
        id: &SecretId,
        user: &synod_primitives::AccountId,
        signed_at_ms: u64,
        now_ms: u64,
        ttl_ms: u64,
    ) -> Result<()> {
        let w = self.db.begin_write()?;
        {
            let mut t = w.open_table(PENDING)?;
            let mine = match live_pending(&t, id, now_ms)? {
                Some(Pending::Prepared { record, .. }) => record.permissions.owner == *user,
                Some(Pending::Aborted { owner, .. }) => owner == *user,
                None => true,
            };
            if mine {
                let marker = Pending::Aborted {
                    owner: *user,
                    signed_at_ms,
                    expires_ms: now_ms.saturating_add(ttl_ms),
                };
                t.insert(id.0, enc(&marker).as_slice())?;
            }
            prune_pending(&mut t, now_ms)?;
        }
        w.commit()?;
        Ok(())
    }

    /// Prepared shares waiting for their commit (not expired).
    pub fn prepared_count(&self, now_ms: u64) -> Result<u64> {
        let r = self.db.begin_read()?;
        let t = r.open_table(PENDING)?;
        let mut n = 0;
        for e in t.iter()? {
            let (_, v) = e?;
            if matches!(dec::<Pending>(v.value())?, Pending::Prepared { expires_ms, .. } if expires_ms > now_ms)
            {
                n += 1;
            }
        }
        Ok(n)
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
            // The secret no longer holds what it was stored with: a late retry of that store
            // must be refused, not reported as done.
            w.open_table(STORED)?.remove(id.0)?;
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
            w.open_table(STORED)?.remove(id.0)?;
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

    /// Two-phase store at one node: a prepared share is invisible until committed, a retry
    /// with the same content is a no-op, other content is refused, an abort drops it and
    /// refuses a late prepare signed before the abort (not a later retry), and an uncommitted
    /// share expires.
    #[test]
    fn prepare_commit_abort_and_expiry() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(&dir.path().join("s.redb")).expect("open");
        let alice = Keypair::dev("alice").account();
        let bob = Keypair::dev("bob").account();
        let id = SecretId([1; 32]);
        let rec = record(alice);
        let content = crate::types::store_content_digest(&rec.value, &rec.permissions);
        let mut other = record(alice);
        other.value.elements[0] = [4; 32];

        s.prepare_secret(&id, &rec, 10, 100, 1_000)
            .expect("prepare");
        assert!(
            matches!(s.secret(&id), Err(BlindError::NotFound(_))),
            "invisible"
        );
        assert_eq!(s.secret_count().expect("count"), 0);
        assert_eq!(s.prepared_count(100).expect("prepared"), 1);
        s.prepare_secret(&id, &rec, 11, 101, 1_000)
            .expect("same content again");
        assert!(matches!(
            s.prepare_secret(&id, &other, 12, 102, 1_000),
            Err(BlindError::AlreadyExists(_))
        ));
        assert!(matches!(
            s.commit_secret(&id, &bob, &content, 103),
            Err(BlindError::Unauthorised(_))
        ));
        assert!(s.commit_secret(&id, &alice, &[0; 32], 103).is_err());
        s.commit_secret(&id, &alice, &content, 103).expect("commit");
        assert_eq!(s.secret(&id).expect("visible"), rec);
        assert_eq!(s.prepared_count(103).expect("prepared"), 0);
        // Retries after the commit: same content is done already, other content refused.
        s.prepare_secret(&id, &rec, 13, 104, 1_000)
            .expect("retry prepare");
        s.commit_secret(&id, &alice, &content, 104)
            .expect("retry commit");
        assert!(matches!(
            s.prepare_secret(&id, &other, 14, 105, 1_000),
            Err(BlindError::AlreadyExists(_))
        ));
        assert_eq!(s.secret_count().expect("count"), 1);
        // An abort does not touch a committed secret.
        s.abort_secret(&id, &alice, 15, 106, 1_000).expect("abort");
        assert_eq!(s.secret(&id).expect("kept"), rec);

        let id2 = SecretId([2; 32]);
        s.prepare_secret(&id2, &rec, 20, 200, 1_000)
            .expect("prepare");
        s.abort_secret(&id2, &alice, 25, 201, 1_000).expect("abort");
        assert_eq!(s.prepared_count(201).expect("prepared"), 0);
        assert!(s.commit_secret(&id2, &alice, &content, 202).is_err());
        // A prepare signed before the abort arriving late is refused; a later retry is not.
        assert!(s.prepare_secret(&id2, &rec, 20, 203, 1_000).is_err());
        assert_eq!(s.prepared_count(203).expect("prepared"), 0);
        s.prepare_secret(&id2, &rec, 30, 204, 1_000)
            .expect("retry after abort");
        // Never committed: gone after the ttl, and then a commit finds nothing.
        assert_eq!(s.prepared_count(204).expect("prepared"), 1);
        assert_eq!(s.prepared_count(1_204).expect("prepared"), 0);
        assert!(matches!(
            s.commit_secret(&id2, &alice, &content, 1_204),
            Err(BlindError::NotFound(_))
        ));
        // Bob's abort of Alice's store changes nothing for Alice.
        let id3 = SecretId([3; 32]);
        s.prepare_secret(&id3, &rec, 40, 300, 1_000)
            .expect("prepare");
        s.abort_secret(&id3, &bob, 41, 301, 1_000)
            .expect("abort by bob");
        s.commit_secret(&id3, &alice, &content, 302)
            .expect("commit");
        // An update means a late retry of the original store is no longer "already done".
        s.update_secret(&id3, other.value.clone(), |_| Ok(()))
            .expect("update");
        assert!(s.prepare_secret(&id3, &rec, 42, 303, 1_000).is_err());
    }
}
