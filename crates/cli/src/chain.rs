//! Commands that talk to a node over JSON-RPC.

use crate::keys::{account, signer};
use crate::output::emit;
use crate::{Cli, Command};
use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use std::time::{Duration, Instant};
use synod_bank::BankCall;
use synod_bank::hotkey_binding_message;
use synod_primitives::token::{DisplayAmount, parse_amount};
use synod_primitives::tx::FeeSchedule;
use synod_primitives::{Hash, Keypair};
use synod_rpc::SynodApiClient;
use synod_rpc::api::{BlockId, ChainInfo, StateValueJson, TxStatus};
use synod_runtime::{Call, Receipt, SignedTransaction, Transaction, TxOutcome};
use synod_storage::StateProof;
use synod_validators::rpc::ValidatorsApiClient;

#[derive(Args, Debug)]
pub struct BalanceArgs {
    /// Account: `0x…`, keystore name, or dev name with --dev.
    pub account: String,
    /// Read as it was after this committed block instead of the head.
    #[arg(long, alias = "height")]
    pub block: Option<u64>,
}

#[derive(Args, Debug)]
pub struct TransferArgs {
    /// Signing key (keystore name, or dev name with --dev).
    #[arg(long)]
    pub from: String,
    /// Recipient.
    #[arg(long)]
    pub to: String,
    /// Amount in SYN, e.g. `1.5`.
    #[arg(long)]
    pub amount: String,
    /// Fee in base units (default: the minimum).
    #[arg(long)]
    pub fee: Option<u64>,
    /// Nonce (default: the account's next nonce).
    #[arg(long)]
    pub nonce: Option<u64>,
    /// Return after submission instead of waiting for finality.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Subcommand, Debug)]
pub enum TxCommand {
    /// Status and receipt of a transaction.
    Status {
        /// Transaction hash.
        hash: Hash,
    },
}

#[derive(Args, Debug)]
pub struct BlockArgs {
    /// Height, `0x` hash, `latest` or `finalized` (default `finalized`).
    #[arg(default_value = "finalized")]
    pub id: String,
}

#[derive(Subcommand, Debug)]
pub enum QueryCommand {
    /// An account's balance and nonce as raw state, optionally proven.
    Account {
        /// Account.
        account: String,
        /// Height (default: finalized head).
        #[arg(long)]
        height: Option<u64>,
        /// Verify a Merkle proof against a finalized header and its finality certificate.
        #[arg(long)]
        prove: bool,
        /// Genesis file whose validator set the certificate must be signed by (default: the
        /// node's reported set).
        #[arg(long)]
        genesis: Option<std::path::PathBuf>,
    },
    /// A raw state value by hex key.
    State {
        /// Key, hex.
        key: String,
        /// Height (default: finalized head).
        #[arg(long)]
        height: Option<u64>,
        /// Verify a Merkle proof against a finalized header and its finality certificate.
        #[arg(long)]
        prove: bool,
        /// Genesis file for the validator set (default: the node's reported set).
        #[arg(long)]
        genesis: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChainCommand {
    /// Chain id, genesis, token, fees, validators.
    Info,
    /// Latest and finalized heads.
    Heads,
}

#[derive(Subcommand, Debug)]
pub enum HotkeyCommand {
    /// Bind HOTKEY (a key you hold) to the coldkey FROM.
    Bind {
        /// Coldkey (signs and pays).
        #[arg(long)]
        from: String,
        /// Hotkey to bind (must be held: it signs the proof of possession).
        #[arg(long)]
        hotkey: String,
    },
    /// Replace hotkey OLD by NEW everywhere, keeping its registrations (UIDs, weights, axons),
    /// subnet ownership, stake with every nominator, take and identity (reveal open
    /// weight commits first: their hashes bind the old hotkey).
    Swap {
        /// The owner coldkey (signs and pays).
        #[arg(long)]
        from: String,
        /// The hotkey given up.
        #[arg(long)]
        old: String,
        /// The new hotkey (must be held: it signs the proof of possession; must be unused).
        #[arg(long)]
        new: String,
    },
    /// Set the public identity shown beside a hotkey (a validator) in lists.
    SetIdentity {
        /// The owner coldkey.
        #[arg(long)]
        from: String,
        /// The hotkey.
        #[arg(long)]
        hotkey: String,
        #[command(flatten)]
        identity: crate::subnets::IdentityArgs,
    },
}

pub fn client(url: &str) -> anyhow::Result<HttpClient> {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(url)
        .with_context(|| format!("bad RPC URL {url}"))
}

pub fn rpc_err(url: &str) -> impl Fn(jsonrpsee::core::client::Error) -> anyhow::Error + '_ {
    move |e| match e {
        // A rejected transaction's data is its machine-readable kind: show it too.
        jsonrpsee::core::client::Error::Call(obj) => match obj
            .data()
            .and_then(|d| serde_json::from_str::<String>(d.get()).ok())
        {
            Some(kind) => anyhow!("{} [{kind}]", obj.message()),
            None => anyhow!("{}", obj.message()),
        },
        jsonrpsee::core::client::Error::Transport(t) => {
            anyhow!("cannot reach the node at {url}: {t} (is `synod dev` running?)")
        }
        other => anyhow!("RPC error from {url}: {other}"),
    }
}

pub fn run(cli: &Cli) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(run_async(cli))
}

async fn run_async(cli: &Cli) -> anyhow::Result<()> {
    if matches!(
        cli.command,
        Command::Subnet(_)
            | Command::Stake(_)
            | Command::Weights(_)
            | Command::Axon(_)
            | Command::Root(_)
    ) {
        return crate::subnets::run(cli).await;
    }
    if let Command::Validator(cmd) = &cli.command {
        return crate::validators::run(cli, cmd).await;
    }
    if let Command::Token(cmd) = &cli.command {
        return crate::tokens::run(cli, cmd).await;
    }
    if let Command::Data(cmd) = &cli.command {
        return crate::data::run(cli, cmd).await;
    }
    if let Command::DataWorker(args) = &cli.command {
        return crate::data::run_worker(cli, args).await;
    }
    if let Command::Asset(cmd) = &cli.command {
        return crate::assets::run_asset(cli, cmd).await;
    }
    if let Command::Attribution(cmd) = &cli.command {
        return crate::assets::run_attribution(cli, cmd).await;
    }
    if let Command::Service(cmd) = &cli.command {
        return crate::pay::run_service(cli, cmd).await;
    }
    if let Command::Pay(cmd) = &cli.command {
        return crate::pay::run_pay(cli, cmd).await;
    }
    if let Command::Agent(cmd) = &cli.command {
        return crate::agents::run_agent(cli, cmd).await;
    }
    if let Command::Session(cmd) = &cli.command {
        return crate::agents::run_session(cli, cmd).await;
    }
    if let Command::Deal(cmd) = &cli.command {
        return crate::agents::run_deal(cli, cmd).await;
    }
    if let Command::Channel(cmd) = &cli.command {
        return crate::agents::run_channel(cli, cmd).await;
    }
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    match &cli.command {
        Command::Balance(a) => {
            let who = account(cli, &a.account)?;
            let info = c.get_account(who, a.block).await.map_err(&e)?;
            emit(cli.json, &info, || {
                format!(
                    "account: {}\nbalance: {}\nnonce:   {}\nheight:  {}",
                    info.account,
                    DisplayAmount(info.balance),
                    info.nonce,
                    info.height
                )
            })
        }
        Command::Transfer(t) => {
            let key = signer(cli, &t.from)?;
            let to = account(cli, &t.to)?;
            let amount = parse_amount(&t.amount)?;
            let receipt = send(
                cli,
                &c,
                &key,
                Call::Bank(BankCall::Transfer { to, amount }),
                t.fee,
                t.nonce,
                !t.no_wait,
            )
            .await?;
            print_submission(cli, receipt)
        }
        Command::Hotkey(HotkeyCommand::Bind { from, hotkey }) => {
            let cold = signer(cli, from)?;
            let hot = signer(cli, hotkey)?;
            let info = c.chain_info().await.map_err(&e)?;
            let proof = hot.sign(&hotkey_binding_message(&info.chain_id, &cold.account()));
            let receipt = send(
                cli,
                &c,
                &cold,
                Call::Bank(BankCall::BindHotkey {
                    hotkey: hot.account(),
                    proof,
                }),
                None,
                None,
                true,
            )
            .await?;
            print_submission(cli, receipt)
        }
        Command::Hotkey(HotkeyCommand::Swap { from, old, new }) => {
            let cold = signer(cli, from)?;
            let new_key = signer(cli, new)?;
            let info = c.chain_info().await.map_err(&e)?;
            let proof = new_key.sign(&hotkey_binding_message(&info.chain_id, &cold.account()));
            let call = synod_subnets::SubnetCall::SwapHotkey {
                old_hotkey: account(cli, old)?,
                new_hotkey: new_key.account(),
                proof,
            };
            let receipt = send(cli, &c, &cold, Call::Subnets(call), None, None, true).await?;
            print_submission(cli, receipt)
        }
        Command::Hotkey(HotkeyCommand::SetIdentity {
            from,
            hotkey,
            identity,
        }) => {
            let cold = signer(cli, from)?;
            let call = synod_subnets::SubnetCall::SetHotkeyIdentity {
                hotkey: account(cli, hotkey)?,
                identity: identity.to_identity()?,
            };
            let receipt = send(cli, &c, &cold, Call::Subnets(call), None, None, true).await?;
            print_submission(cli, receipt)
        }
        Command::Tx(TxCommand::Status { hash }) => {
            let st = c.transaction_status(*hash).await.map_err(&e)?;
            emit(cli.json, &st, || match &st {
                TxStatus::Pending => format!("{hash}: pending"),
                TxStatus::Unknown => format!("{hash}: unknown to this node"),
                TxStatus::Finalized { receipt } => describe_receipt(receipt),
            })
        }
        Command::Block(b) => {
            let id = match b.id.parse::<u64>() {
                Ok(h) => BlockId::Height(h),
                Err(_) => BlockId::Text(b.id.clone()),
            };
            let block = c.get_block(id).await.map_err(&e)?;
            let Some(block) = block else {
                bail!("no block {}", b.id);
            };
            emit(cli.json, &block, || {
                let h = &block.header;
                let mut s = format!(
                    "block {} ({})\nparent:     {}\ntime:       {} ms\nproposer:   {}\nstate root: {}\ntx root:    {}\ntransactions: {}",
                    h.height,
                    block.hash,
                    h.parent,
                    h.timestamp_ms,
                    h.proposer,
                    h.state_root,
                    h.tx_root,
                    block.transactions.len()
                );
                for t in block.transactions.iter().take(20) {
                    s.push_str(&format!(
                        "\n  {} from {} nonce {}",
                        t.hash, t.sender, t.nonce
                    ));
                }
                s
            })
        }
        Command::Chain(ChainCommand::Info) => {
            let info = c.chain_info().await.map_err(&e)?;
            emit(cli.json, &info, || {
                format!(
                    "chain:      {}\ngenesis:    {}\ntoken:      {} ({} decimals)\nfees:       {} per byte + {} per weight\nvalidators: {}\nmempool:    {} transactions\nnode:       {}",
                    info.chain_id,
                    info.genesis_hash,
                    info.token_symbol,
                    info.token_decimals,
                    info.fee_per_byte,
                    info.fee_per_weight,
                    info.validators.len(),
                    info.mempool_size,
                    info.node_version
                )
            })
        }
        Command::Chain(ChainCommand::Heads) => {
            let h = c.heads().await.map_err(&e)?;
            emit(cli.json, &h, || {
                format!(
                    "finalized: {} ({})\nlatest:    {}",
                    h.finalized_height, h.finalized_hash, h.latest_height
                )
            })
        }
        Command::Query(QueryCommand::Account {
            account: a,
            height,
            prove,
            genesis,
        }) => {
            let who = account(cli, a)?;
            let key = synod_execution::bank::account_key(&who);
            query_state(cli, &c, key, *height, *prove, genesis.as_deref(), true).await
        }
        Command::Query(QueryCommand::State {
            key,
            height,
            prove,
            genesis,
        }) => {
            let bytes =
                hex::decode(key.strip_prefix("0x").unwrap_or(key)).context("key must be hex")?;
            query_state(cli, &c, bytes, *height, *prove, genesis.as_deref(), false).await
        }
        _ => unreachable!("dispatched in main"),
    }
}

/// Builds, signs, submits, and (if `wait`) waits for the finalized receipt.
pub async fn send(
    cli: &Cli,
    c: &HttpClient,
    key: &Keypair,
    call: Call,
    fee: Option<u64>,
    nonce: Option<u64>,
    wait: bool,
) -> anyhow::Result<Result<Receipt, Hash>> {
    let signed = sign_tx(cli, c, key, call, fee, nonce).await?;
    submit_signed(cli, c, &signed, wait).await
}

/// Builds and signs a transaction with the minimum fee (or `fee`) and the sender's next
/// nonce (or `nonce`), without sending it: its hash is known before it exists anywhere.
pub async fn sign_tx(
    cli: &Cli,
    c: &HttpClient,
    key: &Keypair,
    call: Call,
    fee: Option<u64>,
    nonce: Option<u64>,
) -> anyhow::Result<SignedTransaction> {
    let e = rpc_err(&cli.rpc);
    let info = c.chain_info().await.map_err(&e)?;
    let nonce = match nonce {
        Some(n) => n,
        // Past the sender's transactions already waiting in the node's pool, so that several
        // `--no-wait` sends in a row do not collide on one nonce.
        None => c.next_nonce(key.account()).await.map_err(&e)?,
    };
    let mut tx = Transaction {
        chain_id: info.chain_id.clone(),
        sender: key.account(),
        nonce,
        fee: 0,
        call,
    };
    let fees = FeeSchedule {
        per_byte: info.fee_per_byte,
        per_weight: info.fee_per_weight,
    };
    // The fee is fixed-width, so the size does not depend on its value.
    let size = tx.clone().sign(key, &info.genesis_hash).encode().len();
    tx.fee = fee.unwrap_or_else(|| fees.min_fee(size, &tx.call));
    Ok(tx.sign(key, &info.genesis_hash))
}

/// Submits a signed transaction and, with `wait`, follows it to finality (at most 60 s, with
/// a spinner on a terminal).
pub async fn submit_signed(
    cli: &Cli,
    c: &HttpClient,
    signed: &SignedTransaction,
    wait: bool,
) -> anyhow::Result<Result<Receipt, Hash>> {
    let e = rpc_err(&cli.rpc);
    let hash = c
        .submit_transaction(hex::encode(signed.encode()))
        .await
        .map_err(&e)?;
    if !wait {
        return Ok(Err(hash));
    }
    wait_final(cli, c, hash).await.map(Ok)
}

/// Follows a submitted transaction to finality (at most 60 s, with a spinner on a terminal).
pub async fn wait_final(cli: &Cli, c: &HttpClient, hash: Hash) -> anyhow::Result<Receipt> {
    let e = rpc_err(&cli.rpc);
    let spinner = crate::progress::Spinner::new(cli, format!("waiting for {hash} to be final"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match c.transaction_status(hash).await.map_err(&e)? {
            TxStatus::Finalized { receipt } => {
                spinner.finish();
                return Ok(receipt);
            }
            TxStatus::Unknown => bail!("transaction {hash} was dropped by the node"),
            TxStatus::Pending if Instant::now() > deadline => {
                bail!("transaction {hash} not finalized within 60 s (still pending)")
            }
            TxStatus::Pending => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

fn describe_receipt(r: &Receipt) -> String {
    let outcome = match &r.outcome {
        TxOutcome::Success => "success".to_string(),
        TxOutcome::Failed { failure } => format!("FAILED: {failure}"),
    };
    format!(
        "transaction {}\nstatus: finalized in block {} (index {})\nresult: {}\nfee:    {}",
        r.tx_hash,
        r.height,
        r.index,
        outcome,
        DisplayAmount(r.fee_paid)
    )
}

pub fn print_submission(cli: &Cli, r: Result<Receipt, Hash>) -> anyhow::Result<()> {
    match r {
        Ok(receipt) => {
            let failed = matches!(receipt.outcome, TxOutcome::Failed { .. });
            emit(cli.json, &receipt, || describe_receipt(&receipt))?;
            if failed {
                bail!("the transaction was included but its call failed (fee charged)");
            }
            Ok(())
        }
        Err(hash) => emit(
            cli.json,
            &serde_json::json!({"hash": hash, "status": "submitted"}),
            || format!("submitted {hash}"),
        ),
    }
}

/// Checks a proven state value end to end: proof against the header's state root, header
/// against a finality certificate signed by a quorum of the validator set of its epoch.
///
/// `trusted` is the genesis set. A chain whose engine never rotates (the devnet) or whose set
/// never changed verifies with it directly. Otherwise the set of the header's epoch is learned
/// the way a light client would: for each epoch `k` before it, the last block of `k` is checked
/// against the set of `k`, and the set of `k + 1`, which that block's state commits to, is
/// read from it with a proof. Nothing the node says is trusted beyond the genesis set.
async fn verify_proven(
    c: &HttpClient,
    e: &impl Fn(jsonrpsee::core::client::Error) -> anyhow::Error,
    info: &ChainInfo,
    trusted: &[synod_primitives::AccountId],
    epoch_length: u64,
    v: &StateValueJson,
) -> anyhow::Result<u64> {
    verify_value(v)?;
    let namespace = synod_consensus::namespace(&info.chain_id, &info.genesis_hash);
    let direct = certified_view(
        c,
        e,
        &namespace,
        trusted,
        &v.header,
        v.finalization.clone(),
        None,
    )
    .await;
    let epoch = v.header.height / epoch_length.max(1);
    match direct {
        Ok(view) => Ok(view),
        Err(first) if epoch == 0 => Err(first),
        Err(first) => {
            let set = epoch_set(c, e, &namespace, trusted, epoch_length, epoch)
                .await
                .with_context(|| {
                    format!("the genesis set does not certify the header ({first:#}), and")
                })?;
            let epoch_end = (epoch + 1).saturating_mul(epoch_length).saturating_sub(1);
            certified_view(
                c,
                e,
                &namespace,
                &set,
                &v.header,
                v.finalization.clone(),
                Some(epoch_end),
            )
            .await
            .with_context(|| format!("checking the header against the set of epoch {epoch}"))
        }
    }
}

/// The proof in `v` matches its key and value and verifies against its header's state root.
fn verify_value(v: &StateValueJson) -> anyhow::Result<()> {
    let proof_hex = v
        .proof
        .as_deref()
        .ok_or_else(|| anyhow!("node returned no proof"))?;
    let proof = StateProof::from_bytes(&hex::decode(proof_hex)?)?;
    let value = v.value.as_deref().map(hex::decode).transpose()?;
    if proof.value != value || proof.key != hex::decode(&v.key)? || proof.height != v.height {
        bail!("proof does not match the returned key/value");
    }
    proof.verify(&v.header.state_root)?;
    Ok(())
}

/// Checks `header` against a finality certificate of `validators`: its own, or, when it was
/// finalized through a descendant, the first certified descendant's (following parent links,
/// never past `last_height`). Returns the certificate's view.
async fn certified_view(
    c: &HttpClient,
    e: &impl Fn(jsonrpsee::core::client::Error) -> anyhow::Error,
    namespace: &[u8],
    validators: &[synod_primitives::AccountId],
    header: &synod_primitives::Header,
    cert: Option<String>,
    last_height: Option<u64>,
) -> anyhow::Result<u64> {
    let mut header = header.clone();
    let mut cert = cert;
    for _ in 0..64 {
        if let Some(cert_hex) = cert {
            let proof = synod_consensus::verify_finalization(
                namespace,
                validators,
                &header.hash(),
                &hex::decode(cert_hex)?,
            )?;
            return Ok(proof.view);
        }
        if last_height.is_some_and(|last| header.height >= last) {
            bail!(
                "height {} has no finality certificate of its own and is the last of its epoch",
                header.height
            );
        }
        let next = c
            .get_finalized_header(header.height + 1)
            .await
            .map_err(e)?
            .ok_or_else(|| anyhow!("no finalized header above height {}", header.height))?;
        if next.header.parent != header.hash() {
            bail!("header chain broken at height {}", header.height + 1);
        }
        header = next.header;
        cert = next.finalization;
    }
    bail!("no finality certificate found within 64 blocks")
}

/// The validator set of `epoch`, learned from `genesis_set` one boundary at a time.
async fn epoch_set(
    c: &HttpClient,
    e: &impl Fn(jsonrpsee::core::client::Error) -> anyhow::Error,
    namespace: &[u8],
    genesis_set: &[synod_primitives::AccountId],
    epoch_length: u64,
    epoch: u64,
) -> anyhow::Result<Vec<synod_primitives::AccountId>> {
    let mut set = genesis_set.to_vec();
    for k in 0..epoch {
        let boundary = (k + 1)
            .checked_mul(epoch_length)
            .and_then(|h| h.checked_sub(1))
            .ok_or_else(|| anyhow!("epoch {k} has no last block"))?;
        let key = synod_execution::validators::state::set_key(k + 1);
        let v = c
            .get_state_value(hex::encode(&key), Some(boundary), Some(true))
            .await
            .map_err(e)?;
        verify_value(&v).with_context(|| format!("the set of epoch {} at {boundary}", k + 1))?;
        certified_view(
            c,
            e,
            namespace,
            &set,
            &v.header,
            v.finalization.clone(),
            Some(boundary),
        )
        .await
        .with_context(|| format!("checking block {boundary} against the set of epoch {k}"))?;
        let bytes = v
            .value
            .as_deref()
            .map(hex::decode)
            .transpose()?
            .ok_or_else(|| anyhow!("block {boundary} stores no set for epoch {}", k + 1))?;
        let members: Vec<(synod_primitives::AccountId, synod_primitives::Balance)> =
            borsh::from_slice(&bytes)
                .with_context(|| format!("decoding the set of epoch {}", k + 1))?;
        set = members.into_iter().map(|(account, _)| account).collect();
    }
    Ok(set)
}

async fn query_state(
    cli: &Cli,
    c: &HttpClient,
    key: Vec<u8>,
    height: Option<u64>,
    prove: bool,
    genesis: Option<&std::path::Path>,
    as_account: bool,
) -> anyhow::Result<()> {
    let e = rpc_err(&cli.rpc);
    let v = c
        .get_state_value(hex::encode(&key), height, Some(prove))
        .await
        .map_err(&e)?;
    let mut verified = None;
    if prove {
        let info = c.chain_info().await.map_err(&e)?;
        let (validators, epoch_length) = match genesis {
            Some(path) => {
                let g: synod_runtime::Genesis = serde_json::from_slice(&std::fs::read(path)?)
                    .with_context(|| format!("reading genesis {}", path.display()))?;
                if g.hash() != info.genesis_hash {
                    bail!(
                        "the node serves genesis {}, not the one in {}",
                        info.genesis_hash,
                        path.display()
                    );
                }
                (
                    g.validators.iter().map(|v| v.account).collect(),
                    g.staking.epoch_length,
                )
            }
            None => (
                info.validators.clone(),
                c.validators().await.map_err(&e)?.epoch_length,
            ),
        };
        let view = verify_proven(c, &e, &info, &validators, epoch_length, &v).await?;
        verified = Some(view);
    }
    let decoded = if as_account {
        match &v.value {
            Some(h) => Some(borsh::from_slice::<synod_execution::AccountInfo>(
                &hex::decode(h)?,
            )?),
            None => Some(synod_execution::AccountInfo::default()),
        }
    } else {
        None
    };
    let out = serde_json::json!({
        "key": v.key,
        "value": v.value,
        "height": v.height,
        "state_root": v.header.state_root,
        "block_hash": v.header.hash(),
        "account": decoded,
        "verified": verified.is_some(),
    });
    emit(cli.json, &out, || {
        let mut s = format!("height {} (state root {})\n", v.height, v.header.state_root);
        match (&decoded, &v.value) {
            (Some(a), _) => s.push_str(&format!(
                "balance {}  nonce {}",
                DisplayAmount(a.balance),
                a.nonce
            )),
            (None, Some(val)) => s.push_str(&format!("value 0x{val}")),
            (None, None) => s.push_str("value: (absent)"),
        }
        if verified.is_some() {
            s.push_str("\nproof: verified against a finalized header signed by a validator quorum");
        }
        s
    })
}
