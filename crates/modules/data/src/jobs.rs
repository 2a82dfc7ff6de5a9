//! Workers and proof-of-contribution jobs: bonding, the stake-weighted draw, posted scores,
//! majority acceptance, rewards, fees, slashes, misses and reassignment.
//!
//! A job's life: `RequestProof` (fee escrowed, status `AwaitingDraw { at: h + 1 }`) → end of
//! block `h + 1`: `k` workers drawn, deadline `h + 1 + job_timeout`, status `Scoring` → each
//! drawn worker posts once → when all have posted, or at the deadline, [`resolve`] decides:
//! - some score was posted by more than `k / 2` workers: accepted;
//! - every drawn worker posted and none has a majority: failed (`NoMajority`), fee refunded;
//! - at the deadline without a majority: workers that did not post are dropped (a miss for
//!   each one the key was sealed to), replacements are drawn, a new deadline is set; after
//!   `max_job_rounds` deadlines the job fails (`OutOfRounds`).

use synod_bank as bank;
use synod_module::{BlockCtx, CallError, CallResult, StateError};
use synod_primitives::{AccountId, Balance, Hash, Height};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;

use crate::pools::{self, epoch_of, stats_in};
use crate::state::{self, Assignment, JobRecord, JobStatus, Posted, ProofRecord, WorkerEntry};
use crate::wire::{JobFailureCause, PPM, SlashCause};
use crate::{
    CallFailure, DataEvent, DataFailure, DataGenesis, DataResult, FileId, JobId, PoolId, Scores,
    fail, module_account,
};

pub(crate) fn bond<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    g: &DataGenesis,
    sender: &AccountId,
    pool: PoolId,
    amount: Balance,
) -> CallResult<DataEvent, CallFailure> {
    let p = pools::require(s, pool)?;
    if amount == 0 {
        return fail(DataFailure::ZeroAmount);
    }
    if state::data_key(s, sender)?.is_none() {
        return fail(DataFailure::NoDataKey { account: *sender });
    }
    let mut set = state::workers(s, pool)?;
    let bond = match set.binary_search_by(|w| w.account.cmp(sender)) {
        Ok(i) => {
            set[i].bond = set[i]
                .bond
                .checked_add(amount)
                .ok_or(DataFailure::Overflow)?;
            set[i].bond
        }
        Err(i) => {
            if set.len() >= g.max_workers_per_pool as usize {
                return fail(DataFailure::WorkerSetFull {
                    pool,
                    max: g.max_workers_per_pool,
                });
            }
            set.insert(
                i,
                WorkerEntry {
                    account: *sender,
                    bond: amount,
                    open_jobs: 0,
                    misses: 0,
                },
            );
            amount
        }
    };
    if bond < p.params.min_worker_bond {
        return fail(DataFailure::BondTooSmall {
            bond,
            minimum: p.params.min_worker_bond,
        });
    }
    bank::transfer(s, sender, &module_account(), amount)?;
    state::put_workers(s, pool, &set);
    Ok(vec![DataEvent::WorkerBonded {
        pool,
        worker: *sender,
        bond,
    }])
}

pub(crate) fn unbond<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    pool: PoolId,
) -> CallResult<DataEvent, CallFailure> {
    pools::require(s, pool)?;
    let mut set = state::workers(s, pool)?;
    let Ok(i) = set.binary_search_by(|w| w.account.cmp(sender)) else {
        return fail(DataFailure::NotAWorker { pool });
    };
    if set[i].open_jobs > 0 {
        return fail(DataFailure::WorkerBusy {
            open: set[i].open_jobs,
        });
    }
    let w = set.remove(i);
    bank::transfer(s, &module_account(), sender, w.bond)?;
    state::put_workers(s, pool, &set);
    Ok(vec![DataEvent::WorkerUnbonded {
        pool,
        worker: *sender,
        returned: w.bond,
    }])
}

/// Workers of `set` that may be drawn for a job on a file of `owner`: bonded at least the
/// pool's minimum, not the owner, never drawn for this job before.
fn eligible<'a>(
    set: &'a [WorkerEntry],
    min_bond: Balance,
    owner: &AccountId,
    drawn: &[AccountId],
) -> Vec<&'a WorkerEntry> {
    set.iter()
        .filter(|w| w.bond >= min_bond && w.account != *owner && !drawn.contains(&w.account))
        .collect()
}

/// Draws `n` distinct workers from `pool` with probability proportional to bond, without
/// replacement, from the seed `tagged("synod/data/draw", parent ‖ job ‖ round)`. The pool is
/// in account order, so every node draws the same workers. Fewer than `n` candidates: `None`.
pub fn draw(
    parent: &Hash,
    job: JobId,
    round: u8,
    candidates: &[(AccountId, Balance)],
    n: usize,
) -> Option<Vec<AccountId>> {
    if candidates.len() < n {
        return None;
    }
    let mut seed = parent.0.to_vec();
    seed.extend_from_slice(&job.to_be_bytes());
    seed.push(round);
    let seed = Hash::tagged("synod/data/draw", &seed);
    let mut pool: Vec<(AccountId, Balance)> = candidates.to_vec();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let total: u128 = pool.iter().map(|(_, b)| u128::from(*b)).sum();
        let mut input = seed.0.to_vec();
        input.extend_from_slice(&(i as u32).to_be_bytes());
        let h = Hash::digest(&input);
        let mut word = [0u8; 16];
        word.copy_from_slice(&h.0[..16]);
        // Bonds sum below 2^72 in practice; the bias of a 128-bit draw modulo that is < 2^-56.
        let mut pick = u128::from_be_bytes(word) % total.max(1);
        let mut idx = pool.len() - 1;
        for (j, (_, b)) in pool.iter().enumerate() {
            if pick < u128::from(*b) {
                idx = j;
                break;
            }
            pick -= u128::from(*b);
        }
        out.push(pool.remove(idx).0);
    }
    Some(out)
}

pub(crate) fn request<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: Height,
    sender: &AccountId,
    file: FileId,
    pool: PoolId,
) -> CallResult<DataEvent, CallFailure> {
    let Some(f) = state::file(s, file)? else {
        return fail(DataFailure::UnknownFile { file });
    };
    if f.owner != *sender {
        return fail(DataFailure::NotFileOwner { file });
    }
    let p = pools::require(s, pool)?;
    if let (Some(fs), Some(ps)) = (&f.schema, &p.params.schema)
        && fs != ps
    {
        return fail(DataFailure::SchemaMismatch {
            file_schema: f.schema.clone(),
            pool_schema: p.params.schema.clone(),
        });
    }
    if state::get::<JobId, _>(s, &state::rewarded_key(pool, file))?.is_some() {
        return fail(DataFailure::AlreadyRewarded { file, pool });
    }
    if let Some(job) = state::get::<JobId, _>(s, &state::open_key(pool, file))? {
        return fail(DataFailure::JobOpen { job });
    }
    let set = state::workers(s, pool)?;
    let k = p.params.workers_per_job;
    let n = eligible(&set, p.params.min_worker_bond, &f.owner, &[]).len();
    if n < usize::from(k) {
        return fail(DataFailure::NotEnoughWorkers {
            pool,
            eligible: n as u32,
            needed: k,
        });
    }
    let fee = p.params.job_fee;
    if fee > 0 {
        bank::transfer(s, sender, &module_account(), fee)?;
    }
    let id = state::next_id(s, state::next_job_key())?;
    let draw_at = height + 1;
    state::put(
        s,
        state::job_key(id),
        &JobRecord {
            file,
            pool,
            requester: *sender,
            fee,
            requested_at: height,
            status: JobStatus::AwaitingDraw { at: draw_at },
            assignments: Vec::new(),
            drawn: Vec::new(),
            index_len: 0,
            deadline: 0,
            rounds: 0,
        },
    );
    state::put(s, state::open_key(pool, file), &id);
    state::schedule(s, draw_at, id)?;
    Ok(vec![DataEvent::ProofRequested {
        job: id,
        file,
        pool,
        draw_at,
    }])
}

pub(crate) fn submit<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    g: &DataGenesis,
    height: Height,
    sender: &AccountId,
    job: JobId,
    scores: &Scores,
    metadata: &[u8],
) -> CallResult<DataEvent, CallFailure> {
    let Some(mut j) = state::job(s, job)? else {
        return fail(DataFailure::UnknownJob { job });
    };
    if j.status != JobStatus::Scoring || height > j.deadline {
        return fail(DataFailure::JobNotOpen { job });
    }
    let Some(slot) = j.assignments.iter_mut().find(|a| a.worker == *sender) else {
        return fail(DataFailure::NotAssigned { job });
    };
    if slot.posted.is_some() {
        return fail(DataFailure::AlreadyPosted { job });
    }
    if let Some((field, value)) = scores.out_of_range() {
        return fail(DataFailure::ScoreOutOfRange {
            field: field.into(),
            value,
        });
    }
    if metadata.len() > g.max_metadata_bytes as usize {
        return fail(DataFailure::MetadataTooLarge {
            len: u32::try_from(metadata.len()).unwrap_or(u32::MAX),
            max: g.max_metadata_bytes,
        });
    }
    // A worker slashed out of the set (in another job) no longer votes in the jobs it was
    // drawn for: its place is filled at the deadline.
    let mut set = state::workers(s, j.pool)?;
    let Ok(i) = set.binary_search_by(|w| w.account.cmp(sender)) else {
        return fail(DataFailure::NotAWorker { pool: j.pool });
    };
    // The set is rewritten only when something in it changes (it is read by every score).
    let mut set_changed = set[i].misses != 0;
    set[i].misses = 0;
    slot.posted = Some(Posted {
        scores: *scores,
        metadata: metadata.to_vec(),
    });
    let mut events = vec![DataEvent::ScorePosted {
        job,
        worker: *sender,
    }];
    if j.assignments.iter().all(|a| a.posted.is_some()) {
        set_changed = true;
        // Every drawn worker posted: decided now (never a redraw, so no seed is needed).
        events.extend(resolve(
            s,
            g,
            height,
            &Hash::ZERO,
            job,
            &mut j,
            &mut set,
            false,
        )?);
    }
    if set_changed {
        state::put_workers(s, j.pool, &set);
    }
    state::put(s, state::job_key(job), &j);
    Ok(events)
}

/// The posted score with the most votes and its count (ties: the smaller score, so every
/// node picks the same one; a tie is never a majority anyway).
fn leading(assignments: &[Assignment]) -> Option<(Posted, usize)> {
    let mut best: Option<(Posted, usize)> = None;
    for a in assignments {
        let Some(p) = &a.posted else { continue };
        let count = assignments
            .iter()
            .filter(|b| b.posted.as_ref() == Some(p))
            .count();
        let better = match &best {
            None => true,
            Some((bp, bc)) => {
                count > *bc || (count == *bc && (p.scores, &p.metadata) < (bp.scores, &bp.metadata))
            }
        };
        if better {
            best = Some((p.clone(), count));
        }
    }
    best
}

/// Decides a job whose workers have all posted (`at_deadline == false`) or whose deadline has
/// come. Writes the file, pool, index, stakes and balances it changes; the caller writes the
/// job and the worker set.
#[allow(clippy::too_many_arguments)]
fn resolve<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    g: &DataGenesis,
    height: Height,
    parent: &Hash,
    job: JobId,
    j: &mut JobRecord,
    set: &mut Vec<WorkerEntry>,
    at_deadline: bool,
) -> DataResult<Vec<DataEvent>> {
    let p = pools::require(s, j.pool)?;
    let k = usize::from(p.params.workers_per_job);
    if let Some((winner, count)) = leading(&j.assignments)
        && count * 2 > k
    {
        return accept(s, g, height, job, j, set, winner);
    }
    if !at_deadline {
        // Everyone posted and no score has a majority: nobody can be told honest.
        return finish_failed(s, height, job, j, set, JobFailureCause::NoMajority);
    }
    let mut events = Vec::new();
    // Drop the workers that did not post; a miss for those the key was sealed to.
    let mut missing = Vec::new();
    let mut any_sealed = false;
    for a in &j.assignments {
        let sealed = state::envelope(s, j.file, &a.worker)?.is_some();
        any_sealed |= sealed;
        if a.posted.is_none() {
            missing.push((a.worker, sealed));
        }
    }
    if !any_sealed {
        return finish_failed(s, height, job, j, set, JobFailureCause::KeysNotSealed);
    }
    for (worker, sealed) in &missing {
        release(set, worker);
        s.delete(state::worker_jobs_key(worker, job));
        if *sealed {
            events.extend(miss(s, job, j.pool, &p.params, set, worker)?);
        }
    }
    j.assignments.retain(|a| a.posted.is_some());
    j.rounds += 1;
    if j.rounds >= g.max_job_rounds {
        events.extend(finish_failed(
            s,
            height,
            job,
            j,
            set,
            JobFailureCause::OutOfRounds,
        )?);
        return Ok(events);
    }
    events.extend(assign(
        s,
        &p,
        height,
        job,
        j,
        set,
        missing.len(),
        parent,
        true,
    )?);
    Ok(events)
}

/// Adds one to `worker`'s consecutive misses; at the pool's `max_misses` it is slashed
/// `miss_slash_ppm` and leaves the set.
fn miss<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    job: JobId,
    pool: PoolId,
    params: &crate::PoolParams,
    set: &mut Vec<WorkerEntry>,
    worker: &AccountId,
) -> DataResult<Vec<DataEvent>> {
    let Ok(i) = set.binary_search_by(|w| w.account.cmp(worker)) else {
        // It already left (slashed in another job): nothing more to take.
        return Ok(Vec::new());
    };
    set[i].misses += 1;
    let misses = set[i].misses;
    let mut events = vec![DataEvent::WorkerMissed {
        job,
        worker: *worker,
        misses,
    }];
    if misses >= params.max_misses {
        events.push(slash(
            s,
            pool,
            set,
            worker,
            params.miss_slash_ppm,
            SlashCause::Missed,
        )?);
    }
    Ok(events)
}

/// Burns `ppm` of `worker`'s bond, returns the rest and removes it from the set.
fn slash<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    pool: PoolId,
    set: &mut Vec<WorkerEntry>,
    worker: &AccountId,
    ppm: u32,
    cause: SlashCause,
) -> DataResult<DataEvent> {
    let Ok(i) = set.binary_search_by(|w| w.account.cmp(worker)) else {
        return fail(DataFailure::NotAWorker { pool });
    };
    let w = set.remove(i);
    let slashed = (u128::from(w.bond) * u128::from(ppm) / u128::from(PPM)) as Balance;
    let returned = w.bond - slashed;
    if slashed > 0 {
        bank::burn(s, &module_account(), slashed)?;
    }
    if returned > 0 {
        bank::transfer(s, &module_account(), worker, returned)?;
    }
    Ok(DataEvent::WorkerSlashed {
        pool,
        worker: *worker,
        slashed,
        returned,
        cause,
    })
}

/// A drawn worker's job ended: one open job fewer (if it is still in the set).
fn release(set: &mut [WorkerEntry], worker: &AccountId) {
    if let Ok(i) = set.binary_search_by(|w| w.account.cmp(worker)) {
        set[i].open_jobs = set[i].open_jobs.saturating_sub(1);
    }
}

#[allow(clippy::too_many_arguments)]
fn accept<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    g: &DataGenesis,
    height: Height,
    job: JobId,
    j: &mut JobRecord,
    set: &mut Vec<WorkerEntry>,
    winner: Posted,
) -> DataResult<Vec<DataEvent>> {
    let mut p = pools::require(s, j.pool)?;
    let Some(mut f) = state::file(s, j.file)? else {
        return fail(DataFailure::UnknownFile { file: j.file });
    };
    let mut events = Vec::new();
    let agreeing: Vec<AccountId> = j
        .assignments
        .iter()
        .filter(|a| a.posted.as_ref() == Some(&winner))
        .map(|a| a.worker)
        .collect();

    // The reward, from the treasury, capped by what it holds.
    let due = reward_for(p.params.reward_per_unit, winner.scores.score);
    let held = synod_tokens::balance_of(s, p.reward_token, &p.treasury)?;
    let reward = due.min(held);
    if reward > 0 {
        synod_tokens::transfer(s, p.reward_token, &p.treasury, &f.owner, reward)
            .map_err(|e| e.widen())?;
    }

    // The fee, shared by the agreeing workers; the remainder of the division to the first.
    if j.fee > 0 {
        let n = agreeing.len() as Balance;
        let each = j.fee / n;
        let rest = j.fee - each * n;
        for (i, w) in agreeing.iter().enumerate() {
            let amount = if i == 0 { each + rest } else { each };
            if amount > 0 {
                bank::transfer(s, &module_account(), w, amount)?;
            }
        }
    }

    // The proof on the file, the metadata into the index.
    let proof_index = f.proofs;
    state::put(
        s,
        state::proof_key(j.file, proof_index),
        &ProofRecord {
            pool: j.pool,
            job,
            scores: winner.scores,
            metadata: winner.metadata.clone(),
            attested_by: agreeing.clone(),
            reward,
            accepted_at: height,
        },
    );
    f.proofs += 1;
    state::put(s, state::file_key(j.file), &f);
    // A program that refused the file (over its fuel, a trap: the same for every honest
    // worker) is posted as a zero score without metadata: nothing joins the index.
    if !winner.metadata.is_empty() {
        state::put(s, state::index_key(j.pool, p.index_len), &winner.metadata);
        p.index_len += 1;
    }

    // The pool's performance this epoch.
    let epoch = epoch_of(height, g);
    let mut stats = stats_in(&p, epoch);
    stats.accepted += 1;
    let last_key = state::last_contribution_key(j.pool, &f.owner);
    if state::get::<u64, _>(s, &last_key)? != Some(epoch) {
        stats.contributors += 1;
        state::put(s, last_key, &epoch);
    }
    p.stats = stats;
    p.accepted_total += 1;
    state::put(s, state::pool_key(j.pool), &p);

    events.push(DataEvent::ProofAccepted {
        job,
        file: j.file,
        pool: j.pool,
        scores: winner.scores,
        reward,
        proof_index,
    });

    // Workers: release all; slash those that posted another score; a miss for the silent.
    for a in &j.assignments {
        release(set, &a.worker);
        s.delete(state::worker_jobs_key(&a.worker, job));
    }
    for a in &j.assignments {
        match &a.posted {
            Some(posted) if *posted != winner => {
                if set.binary_search_by(|w| w.account.cmp(&a.worker)).is_ok() {
                    events.push(slash(
                        s,
                        j.pool,
                        set,
                        &a.worker,
                        p.params.slash_ppm,
                        SlashCause::Outvoted,
                    )?);
                }
            }
            None => {
                if state::envelope(s, j.file, &a.worker)?.is_some() {
                    events.extend(miss(s, job, j.pool, &p.params, set, &a.worker)?);
                }
            }
            Some(_) => {}
        }
    }

    s.delete(state::open_key(j.pool, j.file));
    state::put(s, state::rewarded_key(j.pool, j.file), &job);
    j.status = JobStatus::Accepted { at: height };
    Ok(events)
}

/// `floor(reward_per_unit × score / 10^6)` without overflow.
pub fn reward_for(reward_per_unit: u128, score: u32) -> u128 {
    let ppm = u128::from(PPM);
    let score = u128::from(score.min(PPM));
    (reward_per_unit / ppm) * score + (reward_per_unit % ppm) * score / ppm
}

fn finish_failed<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: Height,
    job: JobId,
    j: &mut JobRecord,
    set: &mut [WorkerEntry],
    cause: JobFailureCause,
) -> DataResult<Vec<DataEvent>> {
    for a in &j.assignments {
        release(set, &a.worker);
        s.delete(state::worker_jobs_key(&a.worker, job));
    }
    if j.fee > 0 {
        bank::transfer(s, &module_account(), &j.requester, j.fee)?;
    }
    s.delete(state::open_key(j.pool, j.file));
    j.status = JobStatus::Failed { at: height, cause };
    Ok(vec![DataEvent::JobFailed {
        job,
        cause,
        refunded: j.fee,
    }])
}

/// Draws `n` workers into the job (the first draw, or replacements) and sets its deadline.
#[allow(clippy::too_many_arguments)]
fn assign<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    p: &crate::PoolRecord,
    height: Height,
    job: JobId,
    j: &mut JobRecord,
    set: &mut [WorkerEntry],
    n: usize,
    parent: &Hash,
    replacement: bool,
) -> DataResult<Vec<DataEvent>> {
    let Some(f) = state::file(s, j.file)? else {
        return fail(DataFailure::UnknownFile { file: j.file });
    };
    let candidates: Vec<(AccountId, Balance)> =
        eligible(set, p.params.min_worker_bond, &f.owner, &j.drawn)
            .into_iter()
            .map(|w| (w.account, w.bond))
            .collect();
    let Some(drawn) = draw(parent, job, j.rounds, &candidates, n) else {
        return finish_failed(s, height, job, j, set, JobFailureCause::NotEnoughWorkers);
    };
    for w in &drawn {
        if let Ok(i) = set.binary_search_by(|x| x.account.cmp(w)) {
            set[i].open_jobs += 1;
        }
        s.put(state::worker_jobs_key(w, job), Vec::new());
        j.drawn.push(*w);
        j.assignments.push(Assignment {
            worker: *w,
            drawn_at: height,
            posted: None,
        });
    }
    j.deadline = height
        .checked_add(p.params.job_timeout)
        .ok_or(DataFailure::Overflow)?;
    if !replacement {
        j.index_len = p.index_len;
    }
    j.status = JobStatus::Scoring;
    state::schedule(s, j.deadline, job)?;
    Ok(vec![DataEvent::JobAssigned {
        job,
        workers: drawn,
        deadline: j.deadline,
        index_len: j.index_len,
    }])
}

/// One due step of a job: its draw, or its current deadline (older rounds' entries are stale).
fn step<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &BlockCtx<'_>,
    g: &DataGenesis,
    id: JobId,
    j: &mut JobRecord,
) -> DataResult<Vec<DataEvent>> {
    let h = ctx.height;
    let mut set = state::workers(s, j.pool)?;
    let events = match j.status {
        JobStatus::AwaitingDraw { at } if at == h => {
            let p = pools::require(s, j.pool)?;
            let k = usize::from(p.params.workers_per_job);
            assign(s, &p, h, id, j, &mut set, k, &ctx.parent, false)?
        }
        JobStatus::Scoring if j.deadline == h => {
            resolve(s, g, h, &ctx.parent, id, j, &mut set, true)?
        }
        _ => return Ok(Vec::new()),
    };
    state::put_workers(s, j.pool, &set);
    Ok(events)
}

/// The jobs due at the end of this block: draws and deadlines. Each job's step runs in its own
/// overlay.
pub(crate) fn end_block<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &BlockCtx<'_>,
    g: &DataGenesis,
) -> Result<Vec<DataEvent>, StateError> {
    let h = ctx.height;
    let due = state::due(s, h)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    s.delete(state::due_key(h));
    let mut events = Vec::new();
    for id in due {
        let Some(mut j) = state::job(s, id)? else {
            continue;
        };
        let mut sub = Overlay::new(&*s);
        match step(&mut sub, ctx, g, id, &mut j) {
            Ok(ev) => {
                let changes = sub.into_changes();
                s.absorb(changes);
                state::put(s, state::job_key(id), &j);
                events.extend(ev);
            }
            Err(CallError::State(e)) => return Err(e),
            // Moves out of the module's own account fail only if state is inconsistent: report
            // it as such rather than skip a job silently.
            Err(CallError::Failed(f)) => {
                return Err(StateError::Corrupt {
                    key: format!("data/job/{id}"),
                    reason: f.to_string(),
                });
            }
        }
    }
    Ok(events)
}
