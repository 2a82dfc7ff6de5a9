//! Attribution commitments: a result with evidence and a bond, a challenge window, a jury of
//! randomly drawn bonded workers when challenged, and the contribution records that result.

use crate::registry::{check_uri, require_asset, require_owned};
use crate::state::{self, Claimant, CommitmentRecord, Contributions, Stage, Worker};
use crate::vault::{bonds, move_syn};
use crate::wire::{
    AssetEvent, AssetFailure, AssetId, AttributionMethod, CommitmentId, ContributorValue,
    MAX_CONTRIBUTORS, MAX_DATASETS, MAX_METRIC_LEN, Resolution, Verdict,
};
use crate::{AssetResult, AssetsGenesis, MAX_WORKERS, fail};
use synod_attribution::WEIGHT_TOTAL;
use synod_module::BlockCtx;
use synod_primitives::{AccountId, Balance, Hash};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::{self, StateError};

/// The fields of `Commit`.
#[derive(Clone, Copy, Debug)]
pub struct NewCommitment<'a> {
    /// Asset.
    pub asset: AssetId,
    /// Method.
    pub method: AttributionMethod,
    /// Valued datasets.
    pub datasets: &'a [AssetId],
    /// Metric.
    pub metric: &'a str,
    /// Result.
    pub values: &'a [ContributorValue],
    /// Evidence hash.
    pub evidence_hash: Hash,
    /// Evidence location.
    pub evidence_uri: &'a str,
    /// Bond.
    pub bond: Balance,
}

/// Checks a result: 1–256 contributors in strictly increasing account order, weights summing
/// to exactly [`WEIGHT_TOTAL`].
pub fn check_values(values: &[ContributorValue]) -> AssetResult<()> {
    if values.is_empty() || values.len() > MAX_CONTRIBUTORS {
        return fail(AssetFailure::TooMany {
            what: "contributors of a result (at least 1)".into(),
            max: MAX_CONTRIBUTORS as u32,
        });
    }
    if values
        .windows(2)
        .any(|w| w[0].contributor >= w[1].contributor)
    {
        return fail(AssetFailure::ContributorsNotCanonical);
    }
    let sum: u128 = values.iter().map(|v| u128::from(v.weight)).sum();
    if sum != u128::from(WEIGHT_TOTAL) {
        return fail(AssetFailure::WeightsSum { sum });
    }
    Ok(())
}

fn weights_of(values: &[ContributorValue]) -> Vec<(AccountId, u64)> {
    values
        .iter()
        .filter(|v| v.weight > 0)
        .map(|v| (v.contributor, v.weight))
        .collect()
}

/// `Commit`.
pub fn commit<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    g: &AssetsGenesis,
    sender: &AccountId,
    c: NewCommitment<'_>,
) -> AssetResult<AssetEvent> {
    let mut a = require_owned(s, sender, c.asset)?;
    if let Some(commitment) = a.pending {
        return fail(AssetFailure::CommitmentInProgress {
            asset: c.asset,
            commitment,
        });
    }
    if c.datasets.len() > MAX_DATASETS {
        return fail(AssetFailure::TooMany {
            what: "datasets of a commitment".into(),
            max: MAX_DATASETS as u32,
        });
    }
    for d in c.datasets {
        require_asset(s, *d)?;
    }
    if c.metric.is_empty() || c.metric.len() > MAX_METRIC_LEN {
        return fail(AssetFailure::InvalidText {
            field: "metric".into(),
            max: MAX_METRIC_LEN as u32,
        });
    }
    check_uri("evidence_uri", c.evidence_uri)?;
    check_values(c.values)?;
    if c.method.is_challengeable() && c.bond < g.min_commit_bond {
        return fail(AssetFailure::BondTooLow {
            bond: c.bond,
            min: g.min_commit_bond,
        });
    }
    move_syn(s, sender, &bonds(), c.bond)?;
    let Some(id) = state::next_id(s, state::NEXT_COMMITMENT_KEY)? else {
        return fail(AssetFailure::Overflow);
    };
    let challenge_ends = height
        .checked_add(g.challenge_window_blocks)
        .ok_or(AssetFailure::Overflow)?;
    state::put_commitment(
        s,
        id,
        &CommitmentRecord {
            asset: c.asset,
            method: c.method,
            datasets: c.datasets.to_vec(),
            metric: c.metric.to_owned(),
            committer: Claimant {
                account: *sender,
                values: c.values.to_vec(),
                evidence_hash: c.evidence_hash,
                evidence_uri: c.evidence_uri.to_owned(),
                bond: c.bond,
            },
            challenger: None,
            committed_at: height,
            challenge_ends,
            stage: Stage::Open,
        },
    );
    state::schedule(s, challenge_ends, id)?;
    a.pending = Some(id);
    state::put_asset(s, c.asset, &a);
    Ok(AssetEvent::Committed {
        commitment: id,
        asset: c.asset,
        challenge_ends,
    })
}

fn require_commitment<R: StateRead + ?Sized>(
    s: &R,
    commitment: CommitmentId,
) -> AssetResult<CommitmentRecord> {
    match state::commitment(s, commitment)? {
        Some(c) => Ok(c),
        None => fail(AssetFailure::UnknownCommitment { commitment }),
    }
}

/// `Challenge`.
#[allow(clippy::too_many_arguments)]
pub fn challenge<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    g: &AssetsGenesis,
    sender: &AccountId,
    commitment: CommitmentId,
    values: &[ContributorValue],
    evidence_hash: Hash,
    evidence_uri: &str,
    bond: Balance,
) -> AssetResult<AssetEvent> {
    let mut c = require_commitment(s, commitment)?;
    if c.stage != Stage::Open || height >= c.challenge_ends {
        if c.challenger.is_some() {
            return fail(AssetFailure::AlreadyChallenged { commitment });
        }
        return fail(AssetFailure::ChallengeWindowClosed {
            commitment,
            ended: c.challenge_ends,
        });
    }
    if !c.method.is_challengeable() {
        return fail(AssetFailure::NotChallengeable { commitment });
    }
    if c.committer.account == *sender {
        return fail(AssetFailure::SelfChallenge);
    }
    check_uri("evidence_uri", evidence_uri)?;
    check_values(values)?;
    if weights_of(values) == weights_of(&c.committer.values) {
        return fail(AssetFailure::SameResult);
    }
    if bond < g.min_challenge_bond {
        return fail(AssetFailure::BondTooLow {
            bond,
            min: g.min_challenge_bond,
        });
    }
    move_syn(s, sender, &bonds(), bond)?;
    let draw_at = height
        .checked_add(g.draw_delay_blocks)
        .ok_or(AssetFailure::Overflow)?;
    c.challenger = Some(Claimant {
        account: *sender,
        values: values.to_vec(),
        evidence_hash,
        evidence_uri: evidence_uri.to_owned(),
        bond,
    });
    c.stage = Stage::AwaitingDraw { draw_at };
    state::put_commitment(s, commitment, &c);
    state::schedule(s, draw_at, commitment)?;
    Ok(AssetEvent::Challenged {
        commitment,
        challenger: *sender,
        draw_at,
    })
}

/// `WorkerBond`.
pub fn worker_bond<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    amount: Balance,
) -> AssetResult<AssetEvent> {
    if amount == 0 {
        return fail(AssetFailure::ZeroAmount);
    }
    let mut workers = state::workers(s)?;
    let bonded = match workers.binary_search_by(|w| w.account.cmp(sender)) {
        Ok(i) => {
            let w = &mut workers[i];
            w.bonded = w.bonded.checked_add(amount).ok_or(AssetFailure::Overflow)?;
            w.bonded
        }
        Err(i) => {
            if workers.len() >= MAX_WORKERS {
                return fail(AssetFailure::TooManyWorkers {
                    max: MAX_WORKERS as u32,
                });
            }
            workers.insert(
                i,
                Worker {
                    account: *sender,
                    bonded: amount,
                    duties: 0,
                },
            );
            amount
        }
    };
    move_syn(s, sender, &bonds(), amount)?;
    typed::put(s, state::WORKERS_KEY.to_vec(), &workers);
    Ok(AssetEvent::WorkerBondChanged {
        worker: *sender,
        bonded,
    })
}

/// `WorkerUnbond`.
pub fn worker_unbond<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    amount: Balance,
) -> AssetResult<AssetEvent> {
    if amount == 0 {
        return fail(AssetFailure::ZeroAmount);
    }
    let mut workers = state::workers(s)?;
    let Ok(i) = workers.binary_search_by(|w| w.account.cmp(sender)) else {
        return fail(AssetFailure::InsufficientWorkerBond {
            bonded: 0,
            requested: amount,
        });
    };
    let w = workers[i];
    if w.bonded < amount {
        return fail(AssetFailure::InsufficientWorkerBond {
            bonded: w.bonded,
            requested: amount,
        });
    }
    if w.duties > 0 {
        return fail(AssetFailure::WorkerOnDuty);
    }
    let bonded = w.bonded - amount;
    if bonded == 0 {
        workers.remove(i);
    } else {
        workers[i].bonded = bonded;
    }
    move_syn(s, &bonds(), sender, amount)?;
    typed::put(s, state::WORKERS_KEY.to_vec(), &workers);
    Ok(AssetEvent::WorkerBondChanged {
        worker: *sender,
        bonded,
    })
}

/// `Vote`: records the verdict; resolves at once when every juror has voted.
pub fn vote<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    sender: &AccountId,
    commitment: CommitmentId,
    verdict: Verdict,
) -> AssetResult<Vec<AssetEvent>> {
    let mut c = require_commitment(s, commitment)?;
    let Stage::Voting { jurors, vote_ends } = &mut c.stage else {
        return fail(AssetFailure::NotVoting { commitment });
    };
    if height >= *vote_ends {
        return fail(AssetFailure::NotVoting { commitment });
    }
    let Some(slot) = jurors.iter_mut().find(|(j, _)| j == sender) else {
        return fail(AssetFailure::NotJuror { commitment });
    };
    if slot.1.is_some() {
        return fail(AssetFailure::AlreadyVoted { commitment });
    }
    slot.1 = Some(verdict);
    let all_voted = jurors.iter().all(|(_, v)| v.is_some());
    let mut events = vec![AssetEvent::Voted {
        commitment,
        juror: *sender,
        verdict,
    }];
    if all_voted {
        events.extend(tally_and_resolve(s, height, commitment, c)?);
    } else {
        state::put_commitment(s, commitment, &c);
    }
    Ok(events)
}

/// The per-block step: every commitment with a deadline at this height.
pub fn end_block<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &BlockCtx<'_>,
    g: &AssetsGenesis,
) -> Result<Vec<AssetEvent>, StateError> {
    let h = ctx.height;
    let due = state::due(s, h)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    s.delete(state::due_key(h));
    let mut events = Vec::new();
    for id in due {
        let Some(c) = state::commitment(s, id)? else {
            continue;
        };
        let step = match &c.stage {
            Stage::Open if h >= c.challenge_ends => resolve(s, h, id, c, Resolution::Unchallenged),
            Stage::AwaitingDraw { draw_at } if h >= *draw_at => draw(s, ctx, g, id, c),
            Stage::Voting { vote_ends, .. } if h >= *vote_ends => tally_and_resolve(s, h, id, c),
            // Resolved early (every juror voted), or a deadline of an earlier stage.
            _ => Ok(Vec::new()),
        };
        match step {
            Ok(ev) => events.extend(ev),
            Err(synod_module::CallError::State(e)) => return Err(e),
            // Bond moves out of the module's own account cannot fail unless state is
            // inconsistent; report it as such rather than skip a resolution silently.
            Err(synod_module::CallError::Failed(f)) => {
                return Err(StateError::Corrupt {
                    key: format!("assets/commit/{id}"),
                    reason: f.to_string(),
                });
            }
        }
    }
    Ok(events)
}

/// Draws the jury: `g.jurors` distinct eligible workers (bond at least the minimum, neither
/// party), uniformly, seeded by the parent hash of the draw block and the commitment id.
fn draw<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &BlockCtx<'_>,
    g: &AssetsGenesis,
    id: CommitmentId,
    mut c: CommitmentRecord,
) -> AssetResult<Vec<AssetEvent>> {
    let challenger = c.challenger.as_ref().map(|x| x.account);
    let mut workers = state::workers(s)?;
    let mut pool: Vec<AccountId> = workers
        .iter()
        .filter(|w| {
            w.bonded >= g.min_worker_bond
                && w.account != c.committer.account
                && Some(w.account) != challenger
        })
        .map(|w| w.account)
        .collect();
    let jurors = draw_jurors(&ctx.parent, id, &mut pool, g.jurors as usize);
    if jurors.is_empty() {
        return resolve(s, ctx.height, id, c, Resolution::Void);
    }
    for w in workers.iter_mut() {
        if jurors.contains(&w.account) {
            w.duties = w.duties.checked_add(1).ok_or(AssetFailure::Overflow)?;
        }
    }
    typed::put(s, state::WORKERS_KEY.to_vec(), &workers);
    let vote_ends = ctx
        .height
        .checked_add(g.vote_window_blocks)
        .ok_or(AssetFailure::Overflow)?;
    c.stage = Stage::Voting {
        jurors: jurors.iter().map(|j| (*j, None)).collect(),
        vote_ends,
    };
    state::put_commitment(s, id, &c);
    state::schedule(s, vote_ends, id)?;
    Ok(vec![AssetEvent::JuryDrawn {
        commitment: id,
        jurors,
        vote_ends,
    }])
}

/// `n` distinct members of `pool` (in account order), drawn without replacement from a seed.
pub fn draw_jurors(
    parent: &Hash,
    commitment: CommitmentId,
    pool: &mut Vec<AccountId>,
    n: usize,
) -> Vec<AccountId> {
    let mut seed = Vec::with_capacity(40);
    seed.extend_from_slice(parent.as_bytes());
    seed.extend_from_slice(&commitment.to_be_bytes());
    let seed = Hash::tagged("synod/assets/jury", &seed);
    let mut out = Vec::new();
    let mut i: u32 = 0;
    while out.len() < n && !pool.is_empty() {
        let mut input = seed.as_bytes().to_vec();
        input.extend_from_slice(&i.to_be_bytes());
        let h = Hash::digest(&input);
        let mut word = [0u8; 8];
        word.copy_from_slice(&h.as_bytes()[..8]);
        // Modulo bias is below 2^-50 for pools of at most 1024 workers.
        let pick = (u64::from_be_bytes(word) % pool.len() as u64) as usize;
        out.push(pool.remove(pick));
        i += 1;
    }
    out
}

fn tally_and_resolve<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    id: CommitmentId,
    c: CommitmentRecord,
) -> AssetResult<Vec<AssetEvent>> {
    let Stage::Voting { jurors, .. } = &c.stage else {
        return Ok(Vec::new());
    };
    let cast = jurors.iter().filter(|(_, v)| v.is_some()).count();
    let count = |want: Verdict| jurors.iter().filter(|(_, v)| *v == Some(want)).count();
    let resolution = if count(Verdict::Original) * 2 > cast {
        Resolution::Upheld
    } else if count(Verdict::Challenger) * 2 > cast {
        Resolution::Overturned
    } else {
        Resolution::Void
    };
    let mut workers = state::workers(s)?;
    for w in workers.iter_mut() {
        if jurors.iter().any(|(j, _)| *j == w.account) {
            w.duties = w.duties.saturating_sub(1);
        }
    }
    typed::put(s, state::WORKERS_KEY.to_vec(), &workers);
    resolve(s, height, id, c, resolution)
}

fn pay_bond<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    id: CommitmentId,
    to: &AccountId,
    amount: Balance,
    events: &mut Vec<AssetEvent>,
) -> AssetResult<()> {
    if amount > 0 {
        move_syn(s, &bonds(), to, amount)?;
        events.push(AssetEvent::BondPaid {
            commitment: id,
            to: *to,
            amount,
        });
    }
    Ok(())
}

/// Applies a resolution: bonds, contribution records, the asset's pending slot.
fn resolve<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    id: CommitmentId,
    mut c: CommitmentRecord,
    resolution: Resolution,
) -> AssetResult<Vec<AssetEvent>> {
    let mut events = vec![AssetEvent::Resolved {
        commitment: id,
        asset: c.asset,
        resolution,
    }];
    let committer = c.committer.account;
    let committer_bond = c.committer.bond;
    let (challenger, challenger_bond) = c
        .challenger
        .as_ref()
        .map_or((committer, 0), |x| (x.account, x.bond));
    let winner_values = match resolution {
        Resolution::Unchallenged | Resolution::Upheld => {
            let total = committer_bond
                .checked_add(challenger_bond)
                .ok_or(AssetFailure::Overflow)?;
            pay_bond(s, id, &committer, total, &mut events)?;
            Some((c.committer.values.clone(), c.committer.evidence_hash))
        }
        Resolution::Overturned => {
            let total = committer_bond
                .checked_add(challenger_bond)
                .ok_or(AssetFailure::Overflow)?;
            pay_bond(s, id, &challenger, total, &mut events)?;
            c.challenger
                .as_ref()
                .map(|x| (x.values.clone(), x.evidence_hash))
        }
        Resolution::Void => {
            pay_bond(s, id, &committer, committer_bond, &mut events)?;
            pay_bond(s, id, &challenger, challenger_bond, &mut events)?;
            None
        }
    };
    if let Some((values, evidence_hash)) = winner_values {
        let weights = weights_of(&values);
        events.push(AssetEvent::ContributionsSet {
            asset: c.asset,
            commitment: id,
            contributors: weights.len() as u32,
        });
        typed::put(
            s,
            state::contrib_key(c.asset),
            &Contributions {
                commitment: id,
                evidence_hash,
                weights,
                since: height,
            },
        );
    }
    let jurors = match std::mem::replace(&mut c.stage, Stage::Open) {
        Stage::Voting { jurors, .. } => jurors,
        _ => Vec::new(),
    };
    c.stage = Stage::Resolved {
        resolution,
        at: height,
        jurors,
    };
    state::put_commitment(s, id, &c);
    let mut a = require_asset(s, c.asset)?;
    if a.pending == Some(id) {
        a.pending = None;
        state::put_asset(s, c.asset, &a);
    }
    Ok(events)
}

/// Whether `account` may be credited as a contributor of `asset`: it is in its records.
pub fn contribution_weight<R: StateRead + ?Sized>(
    s: &R,
    asset: AssetId,
    account: &AccountId,
) -> Result<u64, StateError> {
    Ok(state::contributions(s, asset)?
        .and_then(|c| {
            c.weights
                .iter()
                .find(|(a, _)| a == account)
                .map(|(_, w)| *w)
        })
        .unwrap_or(0))
}
