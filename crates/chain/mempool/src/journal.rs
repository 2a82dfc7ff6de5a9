//! The pool's journal: every admitted transaction, appended before its submitter hears
//! "accepted", so a node killed at any moment restarts with them (each checked again).
//!
//! Format: the 8-byte magic `SYNODMJ1`, then records `[len: u32 LE][check: 4 bytes][tx bytes]`,
//! where `check` is the first 4 bytes of the blake3 hash of the transaction bytes. A record cut
//! short by a crash, or one whose check fails, ends the readable part: what follows is counted
//! as torn and dropped. Appends go straight to the file (no user-space buffer), so a process
//! crash loses nothing written; rewrites (at start and compaction) are fsynced and renamed into
//! place, so the file is always either the old journal or the new one.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"SYNODMJ1";
/// Larger than any transaction the chain admits; a length above it is corruption.
const MAX_RECORD: u32 = 1 << 20;

/// Why the journal could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading, writing or renaming failed.
    #[error("pool journal {path}: {source}")]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a pool journal.
    #[error("{0} is not a pool journal (bad magic); move it away to start with an empty pool")]
    NotAJournal(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn check(bytes: &[u8]) -> [u8; 4] {
    let h = blake3::hash(bytes);
    let mut c = [0u8; 4];
    c.copy_from_slice(&h.as_bytes()[..4]);
    c
}

fn record(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&check(bytes));
    out.extend_from_slice(bytes);
}

/// A whole journal file holding `txs`: the magic, then one record each.
pub fn frame(txs: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(8 + txs.iter().map(|t| t.len() + 8).sum::<usize>());
    buf.extend_from_slice(MAGIC);
    for t in txs {
        record(t, &mut buf);
    }
    buf
}

/// An open journal, appending.
pub struct Journal {
    path: PathBuf,
    file: File,
    records: usize,
}

impl Journal {
    /// Writes a new journal holding `txs` (encoded transactions) next to `path`, fsyncs it and
    /// renames it over `path`; returns it open for appending.
    pub fn rewrite(path: &Path, txs: Vec<Vec<u8>>) -> Result<Journal, JournalError> {
        let tmp = path.with_extension("journal.tmp");
        let buf = frame(&txs);
        {
            let mut f = File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(&buf).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        std::fs::rename(&tmp, path).map_err(io(path))?;
        if let Some(dir) = path.parent()
            && let Ok(d) = File::open(dir)
        {
            // Makes the rename itself durable; a failure here leaves a valid file either way.
            let _ = d.sync_all();
        }
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(io(path))?;
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            records: txs.len(),
        })
    }

    /// Appends encoded transactions in one write.
    pub fn append(&mut self, txs: &[Vec<u8>]) -> Result<(), JournalError> {
        if txs.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(txs.iter().map(|t| t.len() + 8).sum());
        for t in txs {
            record(t, &mut buf);
        }
        self.file.write_all(&buf).map_err(io(&self.path))?;
        self.records += txs.len();
        Ok(())
    }

    /// Records in the file (including ones no longer pooled).
    pub fn records(&self) -> usize {
        self.records
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads the records of the journal at `path` (none if it does not exist) and the number of
/// trailing bytes that did not form a whole, intact record.
pub fn read(path: &Path) -> Result<(Vec<Vec<u8>>, u64), JournalError> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes).map_err(io(path))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(io(path)(e)),
    }
    parse(&bytes).ok_or_else(|| JournalError::NotAJournal(path.to_path_buf()))
}

/// The records in journal `bytes` and the number of trailing bytes that did not form a whole,
/// intact record; `None` if the bytes are not a journal. Empty bytes are an empty journal.
pub fn parse(bytes: &[u8]) -> Option<(Vec<Vec<u8>>, u64)> {
    if bytes.is_empty() {
        return Some((Vec::new(), 0));
    }
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return None;
    }
    let mut records = Vec::new();
    let mut at = MAGIC.len();
    while at < bytes.len() {
        let Some(header) = bytes.get(at..at + 8) else {
            break;
        };
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        if len > MAX_RECORD {
            break;
        }
        let Some(body) = bytes.get(at + 8..at + 8 + len as usize) else {
            break;
        };
        if header[4..8] != check(body) {
            break;
        }
        records.push(body.to_vec());
        at += 8 + len as usize;
    }
    Some((records, (bytes.len() - at) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_records_read_back_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("mempool.journal");
        assert_eq!(read(&path).expect("missing is empty").0.len(), 0);
        let mut j = Journal::rewrite(&path, vec![b"one".to_vec()]).expect("create");
        j.append(&[b"two".to_vec(), vec![7u8; 300]])
            .expect("append");
        drop(j);
        let (records, torn) = read(&path).expect("read");
        assert_eq!(
            records,
            vec![b"one".to_vec(), b"two".to_vec(), vec![7u8; 300]]
        );
        assert_eq!(torn, 0);

        // A crash in the middle of an append: half a record at the end.
        let full = std::fs::read(&path).expect("bytes");
        std::fs::write(&path, &full[..full.len() - 100]).expect("truncate");
        let (records, torn) = read(&path).expect("read");
        assert_eq!(records.len(), 2);
        assert_eq!(torn, 208);

        // A flipped byte inside a record: it and what follows are dropped, not misread.
        let mut flipped = full.clone();
        flipped[8 + 8 + 3 + 8 + 1] ^= 1;
        std::fs::write(&path, &flipped).expect("write");
        let (records, _) = read(&path).expect("read");
        assert_eq!(records, vec![b"one".to_vec()]);

        std::fs::write(&path, b"something else entirely").expect("write");
        assert!(matches!(read(&path), Err(JournalError::NotAJournal(_))));
    }
}
