//! `synod weights set` on a subnet with commit–reveal, and `synod weights reveal-pending`:
//! commit with a fresh salt, keep everything the reveal needs on disk before the commit is
//! sent, wait for the reveal epoch (a spinner on a terminal), reveal, forget.
//!
//! Pending commits use the Python SDK's files (`synod.subnet.CommitStore`), so either tool
//! reveals what the other committed: `<state dir>/weights/<genesis hash>/<netuid>-<hotkey>-
//! <commit hash>.json`, JSON version 1, mode 0600 in 0700 directories, written atomically.
//! The state directory is `$SYNOD_STATE_DIR`, else `synod config set state_dir`, else
//! `~/.synod/state`.

use crate::Cli;
use crate::chain::{rpc_err, sign_tx, submit_signed};
use crate::keys::signer;
use crate::output::emit;
use anyhow::{Context, anyhow, bail};
use jsonrpsee::http_client::HttpClient;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use synod_primitives::{AccountId, Hash, Keypair};
use synod_rpc::SynodApiClient;
use synod_runtime::{Call, Receipt, TxOutcome};
use synod_subnets::query::CommitStatus;
use synod_subnets::rpc::SubnetsApiClient;
use synod_subnets::{NetUid, SubnetCall, Uid, weights_commit_hash};

/// A commit kept until it is revealed (the SDK's `PendingCommit`, file version 1).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingCommit {
    chain_id: String,
    genesis_hash: String,
    netuid: NetUid,
    hotkey: String,
    uids: Vec<Uid>,
    values: Vec<u16>,
    /// Hex, no prefix.
    salt: String,
    version_key: u64,
    commit_hash: String,
    tx_hash: String,
    commit_block: Option<u64>,
    commit_epoch: Option<u64>,
    created_ms: u64,
    version: u32,
}

/// The state directory: `$SYNOD_STATE_DIR`, else `state_dir` of `synod config`, else
/// `~/.synod/state`.
pub fn state_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("SYNOD_STATE_DIR") {
        return PathBuf::from(d);
    }
    match crate::config::load().ok().and_then(|c| c.state_dir) {
        Some(d) => d,
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".synod")
            .join("state"),
    }
}

fn chain_dir(genesis: &str) -> PathBuf {
    state_dir()
        .join("weights")
        .join(genesis.trim_start_matches("0x"))
}

impl PendingCommit {
    fn path(&self) -> PathBuf {
        chain_dir(&self.genesis_hash).join(format!(
            "{}-{}-{}.json",
            self.netuid,
            self.hotkey.trim_start_matches("0x"),
            self.commit_hash.trim_start_matches("0x")
        ))
    }

    /// Writes the file atomically (temporary file, fsync, rename), 0600 in 0700 directories.
    fn save(&self) -> anyhow::Result<()> {
        let path = self.path();
        let dir = path.parent().context("commit path")?;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
        let mut rnd = [0u8; 8];
        getrandom::fill(&mut rnd).map_err(|e| anyhow!("no randomness: {e}"))?;
        let tmp = dir.join(format!(".tmp-{}", hex::encode(rnd)));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            anyhow!("saving the pending commit to {}: {e}", path.display())
        })
    }

    fn remove(&self) {
        let _ = std::fs::remove_file(self.path());
    }

    fn salt_bytes(&self) -> anyhow::Result<Vec<u8>> {
        hex::decode(&self.salt).context("pending commit: salt is not hex")
    }
}

/// Every pending commit of the chain `genesis` (optionally one subnet and hotkey), oldest first.
fn load(genesis: &str, netuid: NetUid, hotkey: Option<&str>) -> anyhow::Result<Vec<PendingCommit>> {
    let dir = chain_dir(genesis);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let p: PendingCommit = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a pending commit", path.display()))?;
        if p.netuid == netuid && hotkey.is_none_or(|h| h == p.hotkey) {
            out.push(p);
        }
    }
    out.sort_by_key(|p| p.created_ms);
    Ok(out)
}

/// What a commit–reveal `weights set` did.
#[derive(Serialize)]
struct Outcome {
    status: &'static str,
    commit_hash: String,
    commit: Option<Receipt>,
    reveal: Option<Receipt>,
    /// Where the commit waits, when not revealed yet.
    pending_file: Option<PathBuf>,
}

fn require_success(r: &Receipt, what: &str) -> anyhow::Result<()> {
    if let TxOutcome::Failed { failure } = &r.outcome {
        bail!(
            "the {what} was included in block {} but failed: {failure} ({})",
            r.height,
            serde_json::to_value(failure)
                .ok()
                .and_then(|v| v["kind"].as_str().map(str::to_string))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// `weights set` when the subnet uses commit–reveal: commit, then (unless `no_wait`) wait for
/// the reveal epoch and reveal.
#[allow(clippy::too_many_arguments)]
pub async fn commit_and_reveal(
    cli: &Cli,
    c: &HttpClient,
    from: &str,
    hotkey: AccountId,
    netuid: NetUid,
    uids: &[Uid],
    values: &[u16],
    version_key: u64,
    no_wait: bool,
) -> anyhow::Result<()> {
    let key = signer(cli, from)?;
    let info = c.chain_info().await.map_err(rpc_err(&cli.rpc))?;
    let mut salt = [0u8; 32];
    getrandom::fill(&mut salt).map_err(|e| anyhow!("no randomness: {e}"))?;
    let commit_hash = weights_commit_hash(&hotkey, netuid, uids, values, &salt, version_key);
    let signed = sign_tx(
        cli,
        c,
        &key,
        Call::Subnets(SubnetCall::CommitWeights {
            netuid,
            hotkey,
            commit_hash,
        }),
        None,
        None,
    )
    .await?;
    let mut p = PendingCommit {
        chain_id: info.chain_id.clone(),
        genesis_hash: info.genesis_hash.to_string(),
        netuid,
        hotkey: hotkey.to_string(),
        uids: uids.to_vec(),
        values: values.to_vec(),
        salt: hex::encode(salt),
        version_key,
        commit_hash: commit_hash.to_string(),
        tx_hash: signed.hash().to_string(),
        commit_block: None,
        commit_epoch: None,
        created_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        version: 1,
    };
    // The salt is on disk before the commit can exist on chain: a crash from here on still
    // reveals (`weights reveal-pending`, or the SDK's `reveal_pending`).
    p.save()?;
    let receipt = match submit_signed(cli, c, &signed, true).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => unreachable!("waited"),
        Err(e) => {
            if c.transaction_status(signed.hash()).await.is_err() {
                p.remove();
            }
            return Err(e);
        }
    };
    if let Err(e) = require_success(&receipt, "commit") {
        p.remove();
        return Err(e);
    }
    let views = c.commits(netuid, hotkey).await.map_err(rpc_err(&cli.rpc))?;
    let view = views
        .iter()
        .find(|v| v.hash == commit_hash)
        .ok_or_else(|| anyhow!("the chain does not list commit {commit_hash}"))?;
    p.commit_block = Some(view.block);
    p.commit_epoch = Some(view.epoch);
    p.save()?;
    if no_wait {
        return emit(
            cli.json,
            &Outcome {
                status: "committed",
                commit_hash: p.commit_hash.clone(),
                commit: Some(receipt),
                reveal: None,
                pending_file: Some(p.path()),
            },
            || {
                format!(
                    "committed {} (block {}); reveal in epoch {} with `synod weights \
                     reveal-pending --netuid {netuid}`",
                    p.commit_hash, view.block, view.reveal_epoch
                )
            },
        );
    }
    let reveal = reveal_when_due(cli, c, &key, &p, None).await?;
    emit(
        cli.json,
        &Outcome {
            status: "revealed",
            commit_hash: p.commit_hash.clone(),
            commit: Some(receipt),
            reveal: Some(reveal.clone()),
            pending_file: None,
        },
        || {
            format!(
                "committed {} and revealed in block {}",
                p.commit_hash, reveal.height
            )
        },
    )
}

/// Waits for `p`'s reveal epoch (at most `timeout`, else as long as it takes), reveals, and
/// removes the file. A commit whose window passed, or that the chain no longer lists, is
/// removed and reported.
async fn reveal_when_due(
    cli: &Cli,
    c: &HttpClient,
    key: &Keypair,
    p: &PendingCommit,
    timeout: Option<Duration>,
) -> anyhow::Result<Receipt> {
    let hotkey: AccountId = p.hotkey.parse().context("pending commit: hotkey")?;
    let hash: Hash = p.commit_hash.parse().context("pending commit: hash")?;
    let started = Instant::now();
    let spinner = crate::progress::Spinner::new(cli, format!("commit {}", p.commit_hash));
    loop {
        let views = c
            .commits(p.netuid, hotkey)
            .await
            .map_err(rpc_err(&cli.rpc))?;
        let Some(v) = views.iter().find(|v| v.hash == hash) else {
            p.remove();
            bail!(
                "commit {} is no longer on chain (revealed already, or its window passed)",
                p.commit_hash
            );
        };
        match v.status {
            CommitStatus::Expired => {
                p.remove();
                bail!(
                    "the reveal window of commit {} passed (epoch {}; the subnet is in epoch {})",
                    p.commit_hash,
                    v.reveal_epoch,
                    v.current_epoch
                );
            }
            CommitStatus::Revealable => {
                spinner.set_message(format!("revealing commit {}", p.commit_hash));
                let call = SubnetCall::RevealWeights {
                    netuid: p.netuid,
                    hotkey,
                    uids: p.uids.clone(),
                    values: p.values.clone(),
                    salt: p.salt_bytes()?,
                    version_key: p.version_key,
                };
                let signed = sign_tx(cli, c, key, Call::Subnets(call), None, None).await?;
                let r = match submit_signed(cli, c, &signed, true).await? {
                    Ok(r) => r,
                    Err(h) => bail!("reveal {h} not followed"),
                };
                // Refused for a reason a retry cannot fix (the weights, the signer): the
                // commit stays on disk only if the signer was wrong.
                if let Err(e) = require_success(&r, "reveal") {
                    let wrong_signer = serde_json::to_value(&r.outcome).ok().is_some_and(|o| {
                        matches!(
                            o["failure"]["kind"].as_str(),
                            Some("not_hotkey_owner" | "hotkey_not_bound")
                        )
                    });
                    if !wrong_signer {
                        p.remove();
                    }
                    return Err(e);
                }
                p.remove();
                return Ok(r);
            }
            CommitStatus::Waiting => {
                if timeout.is_some_and(|t| started.elapsed() >= t) {
                    bail!(
                        "commit {} is still waiting for epoch {} (kept in {})",
                        p.commit_hash,
                        v.reveal_epoch,
                        p.path().display()
                    );
                }
                let head = c.heads().await.map_err(rpc_err(&cli.rpc))?.finalized_height;
                spinner.set_message(format!(
                    "commit {}…: reveal in epoch {} (now {}; next epoch at block {}, head {})",
                    &p.commit_hash[..12],
                    v.reveal_epoch,
                    v.current_epoch,
                    v.next_epoch_block,
                    head
                ));
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    }
}

/// `weights reveal-pending`: reveals the commits kept on disk for a subnet.
pub async fn reveal_pending(
    cli: &Cli,
    c: &HttpClient,
    from: &str,
    netuid: NetUid,
    hotkey: Option<AccountId>,
    wait: bool,
) -> anyhow::Result<()> {
    let key = signer(cli, from)?;
    let info = c.chain_info().await.map_err(rpc_err(&cli.rpc))?;
    let hk = hotkey.map(|h| h.to_string());
    let pending = load(&info.genesis_hash.to_string(), netuid, hk.as_deref())?;
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for p in &pending {
        let timeout = if wait { None } else { Some(Duration::ZERO) };
        match reveal_when_due(cli, c, &key, p, timeout).await {
            Ok(r) => results.push(serde_json::json!({"commit_hash": p.commit_hash,
                "status": "revealed", "reveal": r})),
            Err(e) => {
                results.push(serde_json::json!({"commit_hash": p.commit_hash,
                    "status": "not_revealed", "error": e.to_string()}));
                failures.push(e.to_string());
            }
        }
    }
    emit(cli.json, &results, || {
        if pending.is_empty() {
            return format!(
                "no pending commits for subnet {netuid} in {}",
                state_dir().display()
            );
        }
        results
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["commit_hash"].as_str().unwrap_or_default(),
                    r["error"].as_str().unwrap_or("revealed")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    if !failures.is_empty() && wait {
        bail!("{} commit(s) not revealed", failures.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file is the SDK's: same fields, same names.
    #[test]
    fn pending_commit_files_have_the_sdks_fields() {
        let p = PendingCommit {
            chain_id: "synod-dev".into(),
            genesis_hash: "0xab".into(),
            netuid: 1,
            hotkey: "0xcd".into(),
            uids: vec![0, 1],
            values: vec![1, 2],
            salt: "00ff".into(),
            version_key: 0,
            commit_hash: "0xef".into(),
            tx_hash: "0x12".into(),
            commit_block: None,
            commit_epoch: Some(3),
            created_ms: 5,
            version: 1,
        };
        let v = serde_json::to_value(&p).expect("json");
        let mut keys: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "chain_id",
                "commit_block",
                "commit_epoch",
                "commit_hash",
                "created_ms",
                "genesis_hash",
                "hotkey",
                "netuid",
                "salt",
                "tx_hash",
                "uids",
                "values",
                "version",
                "version_key"
            ]
        );
        assert!(p.path().ends_with("weights/ab/1-cd-ef.json"));
    }
}
