//! `synod agent ...` and `synod session ...`: register agents (their keys consent), sign
//! standing intents for them, open sessions under an intent with fresh keys, pay through a
//! session (the chain checks every cap, expiry, payee, call kind and asset), revoke agents,
//! intents and sessions; plus the read views (`did:synod:<user>/<name>` resolves).

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::Cli;
use crate::chain::{client, print_submission, rpc_err, send};
use crate::keys::{account, signer};
use crate::output::emit;
use anyhow::{Context, bail};
use clap::Subcommand;
use jsonrpsee::http_client::HttpClient;
use synod_agents::rpc::{AgentView, AgentsApiClient, SessionView};
use synod_agents::{AgentCall, agent_binding_message, call_kind};
use synod_agents_rules::{Asset, CallKind, Intent, SessionScope};
use synod_primitives::token::parse_amount;
use synod_primitives::{AccountId, Hash, Signature};
use synod_rpc::SynodApiClient;
use synod_runtime::{AssetCall, BankCall, Call, TokenCall};

/// `synod agent ...`
#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Register KEY as your agent NAME (the agent key signs its consent).
    Register {
        /// The user (signs, pays).
        #[arg(long)]
        from: String,
        /// The agent's key (keystore name or dev name; it signs the binding).
        #[arg(long)]
        agent: String,
        /// Name under the user: 1-32 of a-z 0-9 - _.
        #[arg(long)]
        name: String,
    },
    /// A user's agents.
    List {
        /// The user.
        user: String,
    },
    /// One agent, by key or by did:synod:<user>/<name>.
    Show {
        /// Agent key or DID.
        agent: String,
    },
    /// Link your agent to the asset (kind agent) that represents it: an existing one you own
    /// (--asset), or a new one registered now, named after the agent, its DID as metadata URI.
    LinkAsset {
        /// The user (signs; owns the asset).
        #[arg(long)]
        from: String,
        /// The agent's key.
        #[arg(long)]
        agent: String,
        /// An existing asset of kind agent.
        #[arg(long)]
        asset: Option<u64>,
    },
    /// Revoke an agent: it and all its sessions stop at once.
    Revoke {
        /// The user (signs).
        #[arg(long)]
        from: String,
        /// The agent's key.
        agent: String,
    },
    /// Sign a standing intent for your agent (caps in SYN, decimal; or in --token base units).
    Intent {
        /// The user (signs).
        #[arg(long)]
        from: String,
        /// The agent's key.
        #[arg(long)]
        agent: String,
        /// Largest single payment.
        #[arg(long)]
        per_tx: String,
        /// Largest sum over the intent's life.
        #[arg(long)]
        total: String,
        /// Length of a spending period, in blocks.
        #[arg(long)]
        period_blocks: u64,
        /// Largest sum within one period.
        #[arg(long)]
        period_cap: String,
        /// Blocks from now until the intent expires.
        #[arg(long)]
        expires_in: u64,
        /// Allowed call kinds: transfer, token_transfer, asset_pay, service_pay (repeat).
        #[arg(long = "call", required = true)]
        calls: Vec<String>,
        /// Allowed payees (repeat; none: any payee).
        #[arg(long = "payee")]
        payees: Vec<String>,
        /// Pay in this token id instead of SYN (caps in its base units).
        #[arg(long)]
        token: Option<u64>,
    },
    /// Revoke an intent: every session under it stops at once.
    RevokeIntent {
        /// The user (signs).
        #[arg(long)]
        from: String,
        /// The intent's hash.
        intent: String,
    },
}

/// `synod deal ...`
#[derive(Subcommand, Debug)]
pub enum DealCommand {
    /// Propose an escrowed deal (you are its buyer or seller; proposing signs its terms).
    Propose {
        /// Proposer (signs).
        #[arg(long)]
        from: String,
        /// Buyer (pays, is refunded).
        #[arg(long)]
        buyer: String,
        /// Seller (delivers, is paid).
        #[arg(long)]
        seller: String,
        /// What is to be delivered (hashed into the terms).
        #[arg(long)]
        deliverable: String,
        /// Acceptance criteria (hashed into the terms).
        #[arg(long)]
        criteria: String,
        /// Price: decimal SYN, or base units with --token.
        #[arg(long)]
        price: String,
        /// Pay in this token id.
        #[arg(long)]
        token: Option<u64>,
        /// Blocks from now until funding must have happened.
        #[arg(long)]
        funding_in: u64,
        /// Blocks from now until delivery must have happened.
        #[arg(long)]
        delivery_in: u64,
        /// Blocks after delivery the buyer has to reject (then it auto-accepts).
        #[arg(long, default_value_t = 100)]
        review: u64,
        /// Blocks after a rejection the seller has to dispute.
        #[arg(long, default_value_t = 100)]
        appeal: u64,
        /// Blocks the arbiter has to rule.
        #[arg(long, default_value_t = 100)]
        arbitration: u64,
        /// Who resolves disputes.
        #[arg(long)]
        arbiter: Option<String>,
        /// Tells apart otherwise identical deals.
        #[arg(long, default_value_t = 0)]
        salt: u64,
    },
    /// Sign a proposed deal's terms (the other party).
    Sign {
        /// The deal id.
        deal: String,
        /// Signer.
        #[arg(long)]
        from: String,
    },
    /// Escrow the price (the buyer).
    Fund {
        /// The deal id.
        deal: String,
        /// Buyer.
        #[arg(long)]
        from: String,
    },
    /// Deliver (the seller): the delivery is hashed on chain.
    Deliver {
        /// The deal id.
        deal: String,
        /// Seller.
        #[arg(long)]
        from: String,
        /// The delivered work or its location.
        #[arg(long)]
        delivery: String,
    },
    /// Accept the delivery (the buyer): the seller is paid.
    Accept {
        /// The deal id.
        deal: String,
        /// Buyer.
        #[arg(long)]
        from: String,
    },
    /// Reject the delivery within the review period (the buyer).
    Reject {
        /// The deal id.
        deal: String,
        /// Buyer.
        #[arg(long)]
        from: String,
    },
    /// Dispute a rejection within the appeal period (the seller).
    Dispute {
        /// The deal id.
        deal: String,
        /// Seller.
        #[arg(long)]
        from: String,
    },
    /// Rule on a dispute (the arbiter): this much to the seller, the rest back to the buyer.
    Resolve {
        /// The deal id.
        deal: String,
        /// Arbiter.
        #[arg(long)]
        from: String,
        /// Paid to the seller: decimal SYN, or base units for a token deal.
        #[arg(long)]
        to_seller: String,
    },
    /// Cancel (either party before funding; the seller after).
    Cancel {
        /// The deal id.
        deal: String,
        /// A party.
        #[arg(long)]
        from: String,
    },
    /// A deal's terms, state and escrow.
    Show {
        /// The deal id.
        deal: String,
    },
}

/// `synod channel ...`
#[derive(Subcommand, Debug)]
pub enum ChannelCommand {
    /// Open a one-way channel to PAYEE with a deposit.
    Open {
        /// Payer (signs, deposits).
        #[arg(long)]
        from: String,
        /// Payee.
        #[arg(long)]
        to: String,
        /// Deposit: decimal SYN, or base units with --token.
        #[arg(long)]
        deposit: String,
        /// Token id.
        #[arg(long)]
        token: Option<u64>,
        /// Blocks a unilateral close can be challenged.
        #[arg(long, default_value_t = 100)]
        challenge: u64,
    },
    /// Pay off chain: advance the state in FILE (from the initial one if FILE is absent) by
    /// AMOUNT and sign it as the payer. The payee co-signs with `channel receive`.
    Pay {
        /// The channel.
        #[arg(long)]
        channel: String,
        /// Payer.
        #[arg(long)]
        from: String,
        /// Amount: decimal SYN, or base units for a token channel.
        #[arg(long)]
        amount: String,
        /// The state file (JSON).
        #[arg(long)]
        state: PathBuf,
    },
    /// Co-sign the payer's latest state in FILE as the payee, after checking it against the
    /// channel on chain (never more than the deposit, signed by the payer).
    Receive {
        /// Payee.
        #[arg(long)]
        from: String,
        /// The state file.
        #[arg(long)]
        state: PathBuf,
    },
    /// Close unilaterally with the latest co-signed state in FILE (none: nothing was paid);
    /// the challenge window starts.
    Close {
        /// A party.
        #[arg(long)]
        from: String,
        /// The channel.
        #[arg(long)]
        channel: String,
        /// The latest co-signed state.
        #[arg(long)]
        state: Option<PathBuf>,
    },
    /// During a pending close, post a newer co-signed state.
    Dispute {
        /// Signer (anyone).
        #[arg(long)]
        from: String,
        /// The newer co-signed state.
        #[arg(long)]
        state: PathBuf,
    },
    /// Settle a channel whose challenge window has ended (it also settles by itself then).
    Settle {
        /// Signer (anyone).
        #[arg(long)]
        from: String,
        /// The channel.
        channel: String,
    },
    /// A channel on chain.
    Show {
        /// The channel.
        channel: String,
    },
}

/// An off-chain channel state and the signatures it has so far (the file `channel pay`,
/// `receive`, `close` and `dispute` read and write).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// The state.
    pub state: synod_agents_rules::ChannelState,
    /// The payer's signature over its update payload.
    pub payer_sig: Option<String>,
    /// The payee's signature over its update payload.
    pub payee_sig: Option<String>,
}

impl StateFile {
    fn read(path: &std::path::Path) -> anyhow::Result<StateFile> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a channel state file", path.display()))
    }

    fn write(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    }

    /// The state with both signatures, as the chain takes it.
    fn co_signed(&self) -> anyhow::Result<synod_agents_rules::SignedChannelState> {
        let sig = |s: &Option<String>, who: &str| -> anyhow::Result<Signature> {
            s.as_deref()
                .with_context(|| format!("the state is not signed by the {who} yet"))?
                .parse()
                .with_context(|| format!("the {who}'s signature is malformed"))
        };
        Ok(synod_agents_rules::SignedChannelState {
            state: self.state,
            payer_sig: sig(&self.payer_sig, "payer")?,
            payee_sig: sig(&self.payee_sig, "payee")?,
        })
    }
}

/// `synod session ...`
#[derive(Subcommand, Debug)]
pub enum SessionCommand {
    /// Open a session under an intent (signed by the agent) with the key SESSION.
    Open {
        /// The agent (signs).
        #[arg(long)]
        from: String,
        /// The intent's hash.
        #[arg(long)]
        intent: String,
        /// The session's key (keystore name; it signs the session's transactions).
        #[arg(long)]
        session: String,
        /// Blocks from now until the session expires (at most the intent's).
        #[arg(long)]
        expires_in: u64,
        /// Narrower caps than the intent's (decimal SYN or token base units).
        #[arg(long)]
        per_tx: Option<String>,
        /// Narrower total cap.
        #[arg(long)]
        total: Option<String>,
        /// Narrower period cap.
        #[arg(long)]
        period_cap: Option<String>,
    },
    /// An intent's sessions.
    List {
        /// The intent's hash.
        intent: String,
    },
    /// One session.
    Show {
        /// The session key.
        session: String,
    },
    /// Revoke a session (the user or the agent).
    Revoke {
        /// Signer.
        #[arg(long)]
        from: String,
        /// The session key.
        session: String,
    },
    /// Pay as the session's user: a SYN transfer, a token transfer (--token) or a payment to an
    /// asset's vault (--asset). The session key signs and pays the fee.
    Pay {
        /// The session key (signs).
        #[arg(long)]
        session: String,
        /// Recipient (transfers).
        #[arg(long, required_unless_present = "asset")]
        to: Option<String>,
        /// Pay this asset's vault instead.
        #[arg(long, conflicts_with = "to")]
        asset: Option<u64>,
        /// Amount: decimal SYN, or base units with --token.
        #[arg(long)]
        amount: String,
        /// Token id.
        #[arg(long)]
        token: Option<u64>,
        /// Do not wait for finality.
        #[arg(long)]
        no_wait: bool,
    },
}

fn kind_of(name: &str) -> anyhow::Result<CallKind> {
    call_kind::NAMES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(k, _)| *k)
        .with_context(|| {
            format!(
                "unknown call kind '{name}' (one of {})",
                call_kind::NAMES.map(|(_, n)| n).join(", ")
            )
        })
}

fn amount(s: &str, token: Option<u64>) -> anyhow::Result<u128> {
    match token {
        Some(_) => s
            .parse()
            .with_context(|| format!("'{s}' is not a whole number of base units")),
        None => parse_amount(s)
            .map(u128::from)
            .map_err(|e| anyhow::anyhow!("'{s}': {e}")),
    }
}

fn hash(s: &str) -> anyhow::Result<Hash> {
    s.parse()
        .with_context(|| format!("'{s}' is not a 32-byte hex hash"))
}

fn agent_text(a: &AgentView) -> String {
    format!(
        "agent {} ({})\nuser:       {}\nregistered: block {}{}{}",
        a.agent,
        a.did,
        a.record.user,
        a.record.registered_at,
        a.asset
            .map(|id| format!("\nasset:      {id}"))
            .unwrap_or_default(),
        a.record
            .revoked_at
            .map(|h| format!("\nrevoked:    block {h}"))
            .unwrap_or_default()
    )
}

fn session_text(s: &SessionView) -> String {
    format!(
        "session {} under intent {}\nuser:      {}\ncaps:      {} per tx, {} per period, {} in total; expires at block {}\nspent:     {} in total, {} in period {}{}",
        s.session,
        s.record.scope.intent_hash,
        s.user.map(|u| u.to_string()).unwrap_or_else(|| "?".into()),
        s.record.scope.per_tx_cap,
        s.record.scope.period_cap,
        s.record.scope.total_cap,
        s.record.scope.expires_at,
        s.record.spent.spent_total,
        s.record.spent.spent_in_period,
        s.record.spent.period_index,
        s.record
            .revoked_at
            .map(|h| format!("\nrevoked:   block {h}"))
            .unwrap_or_default()
    )
}

async fn next_height(c: &HttpClient, cli: &Cli) -> anyhow::Result<u64> {
    Ok(c.heads().await.map_err(rpc_err(&cli.rpc))?.latest_height + 1)
}

async fn submit(cli: &Cli, c: &HttpClient, from: &str, call: AgentCall) -> anyhow::Result<()> {
    let key = signer(cli, from)?;
    let r = send(cli, c, &key, Call::Agents(call), None, None, true).await?;
    print_submission(cli, r)
}

/// Runs `synod agent ...`.
pub async fn run_agent(cli: &Cli, cmd: &AgentCommand) -> anyhow::Result<()> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    match cmd {
        AgentCommand::List { user } => {
            let list = c.by_user(account(cli, user)?).await.map_err(&e)?;
            emit(cli.json, &list, || {
                if list.is_empty() {
                    return "no agents".into();
                }
                list.iter().map(agent_text).collect::<Vec<_>>().join("\n\n")
            })
        }
        AgentCommand::Show { agent } => {
            let view = if agent.starts_with("did:") {
                c.resolve(agent.clone()).await.map_err(&e)?
            } else {
                c.get(account(cli, agent)?).await.map_err(&e)?
            };
            let view = view.with_context(|| format!("no agent {agent}"))?;
            emit(cli.json, &view, || agent_text(&view))
        }
        AgentCommand::Register { from, agent, name } => {
            let user = signer(cli, from)?.account();
            let agent_key = signer(cli, agent)?;
            let info = c.chain_info().await.map_err(&e)?;
            let proof = agent_key.sign(&agent_binding_message(&info.chain_id, &user, name));
            submit(
                cli,
                &c,
                from,
                AgentCall::RegisterAgent {
                    agent: agent_key.account(),
                    name: name.clone(),
                    proof,
                },
            )
            .await
        }
        AgentCommand::LinkAsset { from, agent, asset } => {
            let agent = account(cli, agent)?;
            let asset = match asset {
                Some(a) => *a,
                None => {
                    let view = c
                        .get(agent)
                        .await
                        .map_err(&e)?
                        .with_context(|| format!("{agent} is not a registered agent"))?;
                    let key = signer(cli, from)?;
                    let r = send(
                        cli,
                        &c,
                        &key,
                        Call::Assets(AssetCall::Register {
                            kind: synod_assets::AssetKind::Agent,
                            name: view.record.name.clone(),
                            metadata_uri: view.did.clone(),
                            metadata_hash: Hash(*blake3::hash(view.did.as_bytes()).as_bytes()),
                            content_hash: Hash(*blake3::hash(view.did.as_bytes()).as_bytes()),
                        }),
                        None,
                        None,
                        true,
                    )
                    .await?;
                    let Ok(receipt) = r else {
                        bail!("the asset registration was not finalized");
                    };
                    receipt
                        .events
                        .iter()
                        .find_map(|ev| match ev {
                            synod_runtime::Event::Assets(
                                synod_assets::AssetEvent::Registered { asset, .. },
                            ) => Some(*asset),
                            _ => None,
                        })
                        .with_context(|| {
                            format!("the asset was not registered: {:?}", receipt.outcome)
                        })?
                }
            };
            submit(cli, &c, from, AgentCall::LinkAsset { agent, asset }).await
        }
        AgentCommand::Revoke { from, agent } => {
            let agent = account(cli, agent)?;
            submit(cli, &c, from, AgentCall::RevokeAgent { agent }).await
        }
        AgentCommand::Intent {
            from,
            agent,
            per_tx,
            total,
            period_blocks,
            period_cap,
            expires_in,
            calls,
            payees,
            token,
        } => {
            let user = signer(cli, from)?.account();
            let start = next_height(&c, cli).await?;
            let intent = Intent {
                user,
                agent: account(cli, agent)?,
                asset: token.map_or(Asset::Native, Asset::Token),
                start_height: start,
                per_tx_cap: amount(per_tx, *token)?,
                total_cap: amount(total, *token)?,
                period_blocks: *period_blocks,
                period_cap: amount(period_cap, *token)?,
                expires_at: start.saturating_add(*expires_in),
                allowed_calls: calls
                    .iter()
                    .map(|k| kind_of(k))
                    .collect::<anyhow::Result<BTreeSet<_>>>()?,
                allowed_payees: if payees.is_empty() {
                    None
                } else {
                    Some(
                        payees
                            .iter()
                            .map(|p| account(cli, p))
                            .collect::<anyhow::Result<BTreeSet<AccountId>>>()?,
                    )
                },
            };
            intent
                .validate()
                .map_err(|e| anyhow::anyhow!("the intent is not valid: {e}"))?;
            let hash = intent.hash();
            if !cli.json {
                println!("intent {hash}");
            }
            submit(cli, &c, from, AgentCall::SetIntent { intent }).await
        }
        AgentCommand::RevokeIntent { from, intent } => {
            let intent = hash(intent)?;
            submit(cli, &c, from, AgentCall::RevokeIntent { intent }).await
        }
    }
}

/// Runs `synod session ...`.
pub async fn run_session(cli: &Cli, cmd: &SessionCommand) -> anyhow::Result<()> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    match cmd {
        SessionCommand::List { intent } => {
            let list = c.sessions(hash(intent)?).await.map_err(&e)?;
            emit(cli.json, &list, || {
                if list.is_empty() {
                    return "no sessions".into();
                }
                list.iter()
                    .map(session_text)
                    .collect::<Vec<_>>()
                    .join("\n\n")
            })
        }
        SessionCommand::Show { session } => {
            let view = c
                .session(account(cli, session)?)
                .await
                .map_err(&e)?
                .with_context(|| format!("no session {session}"))?;
            emit(cli.json, &view, || session_text(&view))
        }
        SessionCommand::Open {
            from,
            intent,
            session,
            expires_in,
            per_tx,
            total,
            period_cap,
        } => {
            let hash = hash(intent)?;
            let view = c
                .intent(hash)
                .await
                .map_err(&e)?
                .with_context(|| format!("no intent {hash}"))?;
            let i = view.record.intent;
            let token = match i.asset {
                Asset::Native => None,
                Asset::Token(t) => Some(t),
            };
            let narrow = |v: &Option<String>, cap: u128| -> anyhow::Result<u128> {
                v.as_deref().map_or(Ok(cap), |s| amount(s, token))
            };
            let now = next_height(&c, cli).await?;
            let scope = SessionScope {
                intent_hash: hash,
                session_key: account(cli, session)?,
                per_tx_cap: narrow(per_tx, i.per_tx_cap)?,
                total_cap: narrow(total, i.total_cap)?,
                period_cap: narrow(period_cap, i.period_cap)?,
                expires_at: now.saturating_add(*expires_in).min(i.expires_at),
                allowed_calls: i.allowed_calls.clone(),
                allowed_payees: i.allowed_payees.clone(),
            };
            synod_agents_rules::scope_within(&i, &scope)
                .map_err(|e| anyhow::anyhow!("the session is not within its intent: {e}"))?;
            submit(cli, &c, from, AgentCall::OpenSession { scope }).await
        }
        SessionCommand::Revoke { from, session } => {
            let session = account(cli, session)?;
            submit(cli, &c, from, AgentCall::RevokeSession { session }).await
        }
        SessionCommand::Pay {
            session,
            to,
            asset,
            amount: value,
            token,
            no_wait,
        } => {
            let value = amount(value, *token)?;
            let inner = match (to, asset, token) {
                (Some(to), None, None) => Call::Bank(BankCall::Transfer {
                    to: account(cli, to)?,
                    amount: u64::try_from(value).context("a SYN amount fits 64 bits")?,
                }),
                (Some(to), None, Some(t)) => Call::Tokens(TokenCall::Transfer {
                    token: *t,
                    to: account(cli, to)?,
                    amount: value,
                }),
                (None, Some(a), t) => {
                    let currency =
                        t.map_or(synod_assets::Currency::Syn, synod_assets::Currency::Token);
                    let preview = synod_assets::rpc::AssetsApiClient::split_preview(
                        &c,
                        *a,
                        synod_assets::rpc::AmountParam(value),
                    )
                    .await
                    .map_err(&e)?;
                    Call::Assets(AssetCall::Pay {
                        currency,
                        items: vec![synod_assets::PayItem {
                            asset: *a,
                            amount: value,
                            licence: None,
                            work_bound: preview.work + preview.work / 10 + 8,
                        }],
                    })
                }
                _ => bail!("give --to (a transfer) or --asset (a vault payment)"),
            };
            let key = signer(cli, session)?;
            let call = Call::Agents(AgentCall::Execute {
                inner: synod_primitives::encode(&inner),
            });
            let r = send(cli, &c, &key, call, None, None, !no_wait).await?;
            print_submission(cli, r)
        }
    }
}

/// Runs `synod deal ...`.
pub async fn run_deal(cli: &Cli, cmd: &DealCommand) -> anyhow::Result<()> {
    use synod_agents_rules::{Action, Terms};
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    let text_hash = |t: &str| Hash(*blake3::hash(t.as_bytes()).as_bytes());
    let (from, call) = match cmd {
        DealCommand::Show { deal } => {
            let id = hash(deal)?;
            let d = c
                .deal(id)
                .await
                .map_err(&e)?
                .with_context(|| format!("no deal {id}"))?;
            return emit(cli.json, &d, || {
                format!(
                    "deal {}\nstate:    {}\nbuyer:    {}\nseller:   {}\nprice:    {} ({:?})\nescrowed: {}\nfunding before block {}, delivery before block {}",
                    d.terms_hash,
                    d.state.name(),
                    d.terms.buyer,
                    d.terms.seller,
                    d.terms.price,
                    d.terms.asset,
                    d.escrowed,
                    d.terms.funding_deadline,
                    d.terms.delivery_deadline
                )
            });
        }
        DealCommand::Propose {
            from,
            buyer,
            seller,
            deliverable,
            criteria,
            price,
            token,
            funding_in,
            delivery_in,
            review,
            appeal,
            arbitration,
            arbiter,
            salt,
        } => {
            let now = next_height(&c, cli).await?;
            let terms = Terms {
                buyer: account(cli, buyer)?,
                seller: account(cli, seller)?,
                deliverable: text_hash(deliverable),
                acceptance_criteria: text_hash(criteria),
                price: amount(price, *token)?,
                asset: token.map_or(Asset::Native, Asset::Token),
                funding_deadline: now.saturating_add(*funding_in),
                delivery_deadline: now.saturating_add(*delivery_in),
                review_period: *review,
                arbiter: arbiter.as_deref().map(|a| account(cli, a)).transpose()?,
                appeal_period: *appeal,
                arbitration_period: *arbitration,
                salt: *salt,
            };
            terms
                .validate()
                .map_err(|e| anyhow::anyhow!("the terms are not valid: {e}"))?;
            if !cli.json {
                println!("deal {}", terms.hash());
            }
            (from, AgentCall::ProposeDeal { terms })
        }
        DealCommand::Sign { deal, from } => {
            let id = hash(deal)?;
            (
                from,
                AgentCall::DealAction {
                    deal: id,
                    action: Action::Sign { terms_hash: id },
                },
            )
        }
        DealCommand::Fund { deal, from } => (
            from,
            AgentCall::DealAction {
                deal: hash(deal)?,
                action: Action::Fund,
            },
        ),
        DealCommand::Deliver {
            deal,
            from,
            delivery,
        } => (
            from,
            AgentCall::DealAction {
                deal: hash(deal)?,
                action: Action::Deliver {
                    delivery: text_hash(delivery),
                },
            },
        ),
        DealCommand::Accept { deal, from } => (
            from,
            AgentCall::DealAction {
                deal: hash(deal)?,
                action: Action::Accept,
            },
        ),
        DealCommand::Reject { deal, from } => (
            from,
            AgentCall::DealAction {
                deal: hash(deal)?,
                action: Action::Reject,
            },
        ),
        DealCommand::Dispute { deal, from } => (
            from,
            AgentCall::DealAction {
                deal: hash(deal)?,
                action: Action::Dispute,
            },
        ),
        DealCommand::Resolve {
            deal,
            from,
            to_seller,
        } => {
            let id = hash(deal)?;
            let d = c
                .deal(id)
                .await
                .map_err(&e)?
                .with_context(|| format!("no deal {id}"))?;
            let token = match d.terms.asset {
                Asset::Native => None,
                Asset::Token(t) => Some(t),
            };
            (
                from,
                AgentCall::DealAction {
                    deal: id,
                    action: Action::Resolve {
                        to_seller: amount(to_seller, token)?,
                    },
                },
            )
        }
        DealCommand::Cancel { deal, from } => (
            from,
            AgentCall::DealAction {
                deal: hash(deal)?,
                action: Action::Cancel,
            },
        ),
    };
    submit(cli, &c, from, call).await
}

/// Runs `synod channel ...`.
pub async fn run_channel(cli: &Cli, cmd: &ChannelCommand) -> anyhow::Result<()> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    let on_chain = |id: Hash| {
        let c = &c;
        let e = &e;
        async move {
            c.channel(id)
                .await
                .map_err(e)?
                .with_context(|| format!("no channel {id}"))
        }
    };
    let token_of = |a: Asset| match a {
        Asset::Native => None,
        Asset::Token(t) => Some(t),
    };
    let (from, call) = match cmd {
        ChannelCommand::Show { channel } => {
            let ch = on_chain(hash(channel)?).await?;
            return emit(cli.json, &ch, || {
                format!(
                    "channel {}\npayer:   {}\npayee:   {}\ndeposit: {} ({:?})\nphase:   {:?}",
                    ch.id, ch.payer, ch.payee, ch.deposit, ch.asset, ch.phase
                )
            });
        }
        ChannelCommand::Pay {
            channel,
            from,
            amount: value,
            state,
        } => {
            let id = hash(channel)?;
            let ch = on_chain(id).await?;
            let key = signer(cli, from)?;
            if key.account() != ch.payer {
                bail!("{from} is not the channel's payer");
            }
            let current = if state.exists() {
                let f = StateFile::read(state)?;
                if f.state.channel_id != id {
                    bail!("{} is for channel {}", state.display(), f.state.channel_id);
                }
                f.state
            } else {
                synod_agents_rules::ChannelState::initial(id)
            };
            let next = current
                .next(amount(value, token_of(ch.asset))?)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if next.cumulative_paid > ch.deposit {
                bail!(
                    "paying {} in total would exceed the deposit {}",
                    next.cumulative_paid,
                    ch.deposit
                );
            }
            let file = StateFile {
                state: next,
                payer_sig: Some(key.sign(&next.signing_payload()).to_string()),
                payee_sig: None,
            };
            file.write(state)?;
            return emit(cli.json, &file, || {
                format!(
                    "state {} of channel {}: {} paid in total; signed by the payer",
                    next.nonce, id, next.cumulative_paid
                )
            });
        }
        ChannelCommand::Receive { from, state } => {
            let mut file = StateFile::read(state)?;
            let ch = on_chain(file.state.channel_id).await?;
            let key = signer(cli, from)?;
            if key.account() != ch.payee {
                bail!("{from} is not the channel's payee");
            }
            if file.state.cumulative_paid > ch.deposit {
                bail!("the state pays more than the deposit");
            }
            let payer_sig: Signature = file
                .payer_sig
                .as_deref()
                .context("the state has no payer signature")?
                .parse()
                .context("the payer's signature is malformed")?;
            ch.payer
                .verify(&file.state.signing_payload(), &payer_sig)
                .map_err(|_| anyhow::anyhow!("the payer's signature does not verify"))?;
            file.payee_sig = Some(key.sign(&file.state.signing_payload()).to_string());
            file.write(state)?;
            return emit(cli.json, &file, || {
                format!(
                    "co-signed state {}: {} received in total",
                    file.state.nonce, file.state.cumulative_paid
                )
            });
        }
        ChannelCommand::Open {
            from,
            to,
            deposit,
            token,
            challenge,
        } => (
            from,
            AgentCall::OpenChannel {
                payee: account(cli, to)?,
                asset: token.map_or(Asset::Native, Asset::Token),
                deposit: amount(deposit, *token)?,
                challenge_period: *challenge,
            },
        ),
        ChannelCommand::Close {
            from,
            channel,
            state,
        } => {
            let latest = match state {
                Some(p) => Some(StateFile::read(p)?.co_signed()?),
                None => None,
            };
            (
                from,
                AgentCall::StartClose {
                    channel: hash(channel)?,
                    latest,
                },
            )
        }
        ChannelCommand::Dispute { from, state } => (
            from,
            AgentCall::ChallengeClose {
                newer: StateFile::read(state)?.co_signed()?,
            },
        ),
        ChannelCommand::Settle { from, channel } => (
            from,
            AgentCall::SettleChannel {
                channel: hash(channel)?,
            },
        ),
    };
    submit(cli, &c, from, call).await
}
