//! `synod token ...`: create fungible tokens, move them (transfer, approve, transfer-from),
//! burn, emit a schedule's accrual, vest and claim, and queue, execute or cancel timelocked
//! admin actions (mint, emission, mint authority, admin); plus the read views over RPC.
//!
//! A token is named by its id or its symbol. Amounts are decimal in the token's own decimals
//! (`--amount 1.5` of a 6-decimal token is 1,500,000 base units); `--raw` takes base units.

use crate::Cli;
use crate::chain::{client, print_submission, rpc_err, send};
use crate::keys::{account, signer};
use crate::output::emit;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use jsonrpsee::http_client::HttpClient;
use synod_primitives::AccountId;
use synod_rpc::SynodApiClient;
use synod_runtime::Call;
use synod_tokens::query::{ActionView, BalanceView, TokenView, VestingView};
use synod_tokens::rpc::TokensApiClient;
use synod_tokens::{AdminAction, Emission, TokenAmount, TokenCall, TokenId};

/// How an amount is given.
#[derive(Args, Debug, Clone)]
pub struct AmountArg {
    /// Amount, decimal in the token's decimals (e.g. 1.5).
    #[arg(long)]
    amount: String,
    /// Read --amount as integer base units.
    #[arg(long)]
    raw: bool,
}

/// `synod token ...`
#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token with a fixed maximum supply (the creator holds the initial supply).
    Create {
        /// Creator (signs, pays; default mint authority and admin).
        #[arg(long)]
        from: String,
        /// Unique symbol: 1-12 of A-Z 0-9.
        #[arg(long)]
        symbol: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Decimal places (0-18).
        #[arg(long, default_value_t = 9)]
        decimals: u8,
        /// Maximum supply, decimal (never raisable).
        #[arg(long)]
        max_supply: String,
        /// Minted to the creator at creation, decimal.
        #[arg(long, default_value = "0")]
        initial_supply: String,
        /// Mint authority (default: the creator).
        #[arg(long)]
        mint_authority: Option<String>,
        /// Admin (default: the creator).
        #[arg(long)]
        admin: Option<String>,
        /// Emission per block, decimal (with --emission-recipient).
        #[arg(long, requires = "emission_recipient")]
        emission_rate: Option<String>,
        /// Who receives the emission.
        #[arg(long, requires = "emission_rate")]
        emission_recipient: Option<String>,
    },
    /// One token (id or symbol).
    Info {
        /// Token id or symbol.
        token: String,
    },
    /// Tokens, by id.
    List {
        /// Start after this id.
        #[arg(long)]
        after: Option<TokenId>,
        /// Most tokens.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// An account's free and locked balance.
    Balance {
        /// Token id or symbol.
        token: String,
        /// Account.
        account: String,
    },
    /// Send tokens.
    Transfer {
        /// Token id or symbol.
        token: String,
        /// Sender.
        #[arg(long)]
        from: String,
        /// Recipient.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        amount: AmountArg,
    },
    /// Let SPENDER move up to AMOUNT of FROM's tokens (replaces any earlier allowance).
    Approve {
        /// Token id or symbol.
        token: String,
        /// Owner (signs).
        #[arg(long)]
        from: String,
        /// Spender.
        #[arg(long)]
        spender: String,
        #[command(flatten)]
        amount: AmountArg,
        /// Last block height at which the allowance may be used.
        #[arg(long)]
        expires_at: Option<u64>,
    },
    /// Move OWNER's tokens as an approved spender.
    TransferFrom {
        /// Token id or symbol.
        token: String,
        /// Spender (signs).
        #[arg(long)]
        from: String,
        /// Owner of the tokens.
        #[arg(long)]
        owner: String,
        /// Recipient.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        amount: AmountArg,
    },
    /// An allowance.
    Allowance {
        /// Token id or symbol.
        token: String,
        /// Owner.
        owner: String,
        /// Spender.
        spender: String,
    },
    /// Destroy your own tokens (lowers the supply).
    Burn {
        /// Token id or symbol.
        token: String,
        /// Holder (signs).
        #[arg(long)]
        from: String,
        #[command(flatten)]
        amount: AmountArg,
    },
    /// Mint what the emission schedule has accrued to its recipient (anyone may call).
    Emit {
        /// Token id or symbol.
        token: String,
        /// Signer (pays the fee).
        #[arg(long)]
        from: String,
    },
    /// Queue a mint (mint authority); executable after the timelock with `admin execute`.
    Mint {
        /// Token id or symbol.
        token: String,
        /// Mint authority (signs).
        #[arg(long)]
        from: String,
        /// Recipient.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        amount: AmountArg,
    },
    /// Lock tokens in a linear vesting schedule for a beneficiary.
    Vest {
        /// Token id or symbol.
        token: String,
        /// Funder (signs; the tokens leave this balance).
        #[arg(long)]
        from: String,
        /// Beneficiary.
        #[arg(long)]
        beneficiary: String,
        #[command(flatten)]
        amount: AmountArg,
        /// First block of the schedule (default: the next block).
        #[arg(long)]
        start: Option<u64>,
        /// Blocks after start before anything is released.
        #[arg(long, default_value_t = 0)]
        cliff: u64,
        /// Blocks after start until everything is released.
        #[arg(long)]
        duration: u64,
    },
    /// An account's vesting schedules with what is claimable now.
    Vestings {
        /// Beneficiary.
        account: String,
        /// Only this token.
        #[arg(long)]
        token: Option<String>,
    },
    /// Claim what a vesting schedule has released.
    Claim {
        /// Token id or symbol.
        token: String,
        /// Beneficiary (signs).
        #[arg(long)]
        from: String,
        /// Vesting id.
        #[arg(long)]
        vesting: u64,
    },
    /// Timelocked admin actions.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// `synod token admin ...`
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Queue a new emission schedule (admin); `--none` removes it.
    SetEmission {
        /// Token id or symbol.
        token: String,
        /// Admin (signs).
        #[arg(long)]
        from: String,
        /// Emission per block, decimal.
        #[arg(long, requires = "recipient", conflicts_with = "none")]
        rate: Option<String>,
        /// Recipient.
        #[arg(long, requires = "rate")]
        recipient: Option<String>,
        /// Remove the schedule.
        #[arg(long)]
        none: bool,
    },
    /// Queue a new mint authority (admin).
    SetMintAuthority {
        /// Token id or symbol.
        token: String,
        /// Admin (signs).
        #[arg(long)]
        from: String,
        /// The new authority.
        #[arg(long)]
        new: String,
    },
    /// Queue a new admin (admin).
    SetAdmin {
        /// Token id or symbol.
        token: String,
        /// Admin (signs).
        #[arg(long)]
        from: String,
        /// The new admin.
        #[arg(long)]
        new: String,
    },
    /// Execute a queued action once its timelock has passed (the role that queued it).
    Execute {
        /// Token id or symbol.
        token: String,
        /// Action id.
        action: u64,
        /// Signer (the action's role).
        #[arg(long)]
        from: String,
    },
    /// Cancel a queued action before it is executed (the role that queued it).
    Cancel {
        /// Token id or symbol.
        token: String,
        /// Action id.
        action: u64,
        /// Signer (the action's role).
        #[arg(long)]
        from: String,
    },
    /// Actions still queued.
    Pending {
        /// Token id or symbol.
        token: String,
    },
}

/// Parses a decimal amount with `decimals` places into base units.
pub fn parse_token_amount(s: &str, decimals: u8) -> anyhow::Result<TokenAmount> {
    let t = s.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) {
        bail!("'{s}' is not a decimal amount");
    }
    if frac.len() > usize::from(decimals) {
        bail!("'{s}' has more than {decimals} decimal places");
    }
    let scale = 10u128
        .checked_pow(u32::from(decimals))
        .context("too many decimals")?;
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .with_context(|| format!("'{s}' is too large"))?
    };
    let mut frac_units: u128 = 0;
    for (i, b) in frac.bytes().enumerate() {
        let place = 10u128.pow(u32::from(decimals) - 1 - i as u32);
        frac_units += u128::from(b - b'0') * place;
    }
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_units))
        .with_context(|| format!("'{s}' is too large"))
}

/// Shows base units with the token's decimals, e.g. `1.500000 POOL`.
pub fn display_token_amount(amount: TokenAmount, decimals: u8, symbol: &str) -> String {
    if decimals == 0 {
        return format!("{amount} {symbol}");
    }
    let scale = 10u128.pow(u32::from(decimals));
    format!(
        "{}.{:0width$} {symbol}",
        amount / scale,
        amount % scale,
        width = usize::from(decimals)
    )
}

async fn resolve(
    c: &HttpClient,
    e: &impl Fn(jsonrpsee::core::client::Error) -> anyhow::Error,
    token: &str,
) -> anyhow::Result<TokenView> {
    let found = match token.parse::<TokenId>() {
        Ok(id) => c.info(id).await.map_err(e)?,
        Err(_) => c.by_symbol(token.to_uppercase()).await.map_err(e)?,
    };
    found.with_context(|| format!("no token '{token}'"))
}

fn amount_of(a: &AmountArg, t: &TokenView) -> anyhow::Result<TokenAmount> {
    if a.raw {
        a.amount
            .trim()
            .parse()
            .with_context(|| format!("'{}' is not an integer amount", a.amount))
    } else {
        parse_token_amount(&a.amount, t.decimals)
    }
}

fn token_text(t: &TokenView) -> String {
    let amt = |a| display_token_amount(a, t.decimals, &t.symbol);
    let mut s = format!(
        "token {} {} ({})\ndecimals:       {}\nsupply:         {}\nmax supply:     {}\nlocked:         {}\nin vesting:     {}\nminted/burned:  {} / {}\ncreator:        {} (block {})\nmint authority: {}\nadmin:          {}",
        t.token,
        t.symbol,
        t.name,
        t.decimals,
        amt(t.supply),
        amt(t.max_supply),
        amt(t.locked),
        amt(t.escrowed),
        amt(t.minted),
        amt(t.burned),
        t.creator,
        t.created_at,
        t.mint_authority,
        t.admin,
    );
    match &t.emission {
        Some(em) => s.push_str(&format!(
            "\nemission:       {} per block to {} (emittable now: {})",
            amt(em.rate),
            em.recipient,
            amt(t.emittable)
        )),
        None => s.push_str("\nemission:       none"),
    }
    s
}

fn balance_text(b: &BalanceView, t: &TokenView) -> String {
    let amt = |a| display_token_amount(a, t.decimals, &t.symbol);
    format!(
        "{}: {} free, {} locked, {} total",
        b.account,
        amt(b.free),
        amt(b.locked),
        amt(b.total)
    )
}

fn vestings_text(v: &[VestingView]) -> String {
    if v.is_empty() {
        return "no vesting schedules".into();
    }
    v.iter()
        .map(|x| {
            format!(
                "token {} vesting {}: {} total, {} claimed, {} vested, {} claimable now; cliff ends at block {}, fully vested at {}",
                x.token, x.vesting_id, x.amount, x.claimed, x.vested, x.claimable, x.cliff_ends, x.ends_at
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn actions_text(v: &[ActionView]) -> String {
    if v.is_empty() {
        return "no queued actions".into();
    }
    v.iter()
        .map(|a| {
            format!(
                "action {} ({:?}) by {:?} {}: queued at {}, ready at {}{}",
                a.action_id,
                a.action,
                a.role,
                a.proposer,
                a.queued_at,
                a.ready_at,
                if a.executable {
                    " (executable now)"
                } else {
                    ""
                }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn opt_account(cli: &Cli, s: &Option<String>) -> anyhow::Result<Option<AccountId>> {
    s.as_deref().map(|s| account(cli, s)).transpose()
}

/// Runs `synod token ...`.
pub async fn run(cli: &Cli, cmd: &TokenCommand) -> anyhow::Result<()> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    let (from, call) = match cmd {
        TokenCommand::Info { token } => {
            let t = resolve(&c, &e, token).await?;
            return emit(cli.json, &t, || token_text(&t));
        }
        TokenCommand::List { after, limit } => {
            let page = c.list(*after, Some(*limit)).await.map_err(&e)?;
            return emit(cli.json, &page, || {
                if page.tokens.is_empty() {
                    return "no tokens".into();
                }
                page.tokens
                    .iter()
                    .map(|t| {
                        format!(
                            "{:>4}  {:<12} {:<24} supply {}",
                            t.token,
                            t.symbol,
                            t.name,
                            display_token_amount(t.supply, t.decimals, &t.symbol)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        TokenCommand::Balance {
            token,
            account: who,
        } => {
            let t = resolve(&c, &e, token).await?;
            let who = account(cli, who)?;
            let b = c.balance(t.token, who).await.map_err(&e)?;
            return emit(cli.json, &b, || balance_text(&b, &t));
        }
        TokenCommand::Allowance {
            token,
            owner,
            spender,
        } => {
            let t = resolve(&c, &e, token).await?;
            let a = c
                .allowance(t.token, account(cli, owner)?, account(cli, spender)?)
                .await
                .map_err(&e)?;
            return emit(cli.json, &a, || {
                format!(
                    "{} may move {} of {}'s {}{}",
                    a.spender,
                    display_token_amount(a.amount, t.decimals, &t.symbol),
                    a.owner,
                    t.symbol,
                    match (a.expires_at, a.expired) {
                        (_, true) => " (expired)".to_string(),
                        (Some(h), false) => format!(" until block {h}"),
                        (None, false) => String::new(),
                    }
                )
            });
        }
        TokenCommand::Vestings {
            account: who,
            token,
        } => {
            let who = account(cli, who)?;
            let token = match token {
                Some(t) => Some(resolve(&c, &e, t).await?.token),
                None => None,
            };
            let v = c.vestings(who, token).await.map_err(&e)?;
            return emit(cli.json, &v, || vestings_text(&v));
        }
        TokenCommand::Admin(AdminCommand::Pending { token }) => {
            let t = resolve(&c, &e, token).await?;
            let v = c.pending_actions(t.token).await.map_err(&e)?;
            return emit(cli.json, &v, || actions_text(&v));
        }
        TokenCommand::Create {
            from,
            symbol,
            name,
            decimals,
            max_supply,
            initial_supply,
            mint_authority,
            admin,
            emission_rate,
            emission_recipient,
        } => {
            let creator = signer(cli, from)?.account();
            let emission = match (emission_rate, emission_recipient) {
                (Some(rate), Some(to)) => Some(Emission {
                    recipient: account(cli, to)?,
                    rate: parse_token_amount(rate, *decimals)?,
                }),
                _ => None,
            };
            (
                from,
                TokenCall::Create {
                    symbol: symbol.to_uppercase(),
                    name: name.clone(),
                    decimals: *decimals,
                    max_supply: parse_token_amount(max_supply, *decimals)?,
                    initial_supply: parse_token_amount(initial_supply, *decimals)?,
                    emission,
                    mint_authority: opt_account(cli, mint_authority)?.unwrap_or(creator),
                    admin: opt_account(cli, admin)?.unwrap_or(creator),
                },
            )
        }
        TokenCommand::Transfer {
            token,
            from,
            to,
            amount,
        } => {
            let t = resolve(&c, &e, token).await?;
            (
                from,
                TokenCall::Transfer {
                    token: t.token,
                    to: account(cli, to)?,
                    amount: amount_of(amount, &t)?,
                },
            )
        }
        TokenCommand::Approve {
            token,
            from,
            spender,
            amount,
            expires_at,
        } => {
            let t = resolve(&c, &e, token).await?;
            (
                from,
                TokenCall::Approve {
                    token: t.token,
                    spender: account(cli, spender)?,
                    amount: amount_of(amount, &t)?,
                    expires_at: *expires_at,
                },
            )
        }
        TokenCommand::TransferFrom {
            token,
            from,
            owner,
            to,
            amount,
        } => {
            let t = resolve(&c, &e, token).await?;
            (
                from,
                TokenCall::TransferFrom {
                    token: t.token,
                    owner: account(cli, owner)?,
                    to: account(cli, to)?,
                    amount: amount_of(amount, &t)?,
                },
            )
        }
        TokenCommand::Burn {
            token,
            from,
            amount,
        } => {
            let t = resolve(&c, &e, token).await?;
            (
                from,
                TokenCall::Burn {
                    token: t.token,
                    amount: amount_of(amount, &t)?,
                },
            )
        }
        TokenCommand::Emit { token, from } => {
            let t = resolve(&c, &e, token).await?;
            (from, TokenCall::Emit { token: t.token })
        }
        TokenCommand::Mint {
            token,
            from,
            to,
            amount,
        } => {
            let t = resolve(&c, &e, token).await?;
            (
                from,
                TokenCall::QueueAdminAction {
                    token: t.token,
                    action: AdminAction::Mint {
                        to: account(cli, to)?,
                        amount: amount_of(amount, &t)?,
                    },
                },
            )
        }
        TokenCommand::Vest {
            token,
            from,
            beneficiary,
            amount,
            start,
            cliff,
            duration,
        } => {
            let t = resolve(&c, &e, token).await?;
            let start = match start {
                Some(s) => *s,
                None => c.heads().await.map_err(&e)?.latest_height + 1,
            };
            (
                from,
                TokenCall::CreateVesting {
                    token: t.token,
                    beneficiary: account(cli, beneficiary)?,
                    amount: amount_of(amount, &t)?,
                    start,
                    cliff: *cliff,
                    duration: *duration,
                },
            )
        }
        TokenCommand::Claim {
            token,
            from,
            vesting,
        } => {
            let t = resolve(&c, &e, token).await?;
            (
                from,
                TokenCall::ClaimVested {
                    token: t.token,
                    vesting_id: *vesting,
                },
            )
        }
        TokenCommand::Admin(cmd) => {
            let (token, from, action) = match cmd {
                AdminCommand::SetEmission {
                    token,
                    from,
                    rate,
                    recipient,
                    none,
                } => {
                    let t = resolve(&c, &e, token).await?;
                    let schedule = match (rate, recipient, none) {
                        (Some(rate), Some(to), false) => Some(Emission {
                            recipient: account(cli, to)?,
                            rate: parse_token_amount(rate, t.decimals)?,
                        }),
                        (None, None, true) => None,
                        _ => bail!("give --rate and --recipient, or --none"),
                    };
                    (t, from, Some(AdminAction::SetEmission { schedule }))
                }
                AdminCommand::SetMintAuthority { token, from, new } => (
                    resolve(&c, &e, token).await?,
                    from,
                    Some(AdminAction::SetMintAuthority {
                        new: account(cli, new)?,
                    }),
                ),
                AdminCommand::SetAdmin { token, from, new } => (
                    resolve(&c, &e, token).await?,
                    from,
                    Some(AdminAction::SetAdmin {
                        new: account(cli, new)?,
                    }),
                ),
                AdminCommand::Execute {
                    token,
                    action,
                    from,
                } => {
                    let t = resolve(&c, &e, token).await?;
                    let call = TokenCall::ExecuteAdminAction {
                        token: t.token,
                        action_id: *action,
                    };
                    return submit(cli, &c, from, call).await;
                }
                AdminCommand::Cancel {
                    token,
                    action,
                    from,
                } => {
                    let t = resolve(&c, &e, token).await?;
                    let call = TokenCall::CancelAdminAction {
                        token: t.token,
                        action_id: *action,
                    };
                    return submit(cli, &c, from, call).await;
                }
                AdminCommand::Pending { .. } => unreachable!("answered above"),
            };
            let Some(action) = action else {
                unreachable!("every queueing command names an action")
            };
            (
                from,
                TokenCall::QueueAdminAction {
                    token: token.token,
                    action,
                },
            )
        }
    };
    submit(cli, &c, from, call).await
}

async fn submit(cli: &Cli, c: &HttpClient, from: &str, call: TokenCall) -> anyhow::Result<()> {
    let key = signer(cli, from)?;
    let r = send(cli, c, &key, Call::Tokens(call), None, None, true).await?;
    print_submission(cli, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_and_display_in_the_token_decimals() {
        assert_eq!(parse_token_amount("1.5", 6).expect("ok"), 1_500_000);
        assert_eq!(parse_token_amount("42", 0).expect("ok"), 42);
        assert_eq!(parse_token_amount(".000001", 6).expect("ok"), 1);
        assert!(parse_token_amount("1.5", 0).is_err(), "no decimals allowed");
        assert!(parse_token_amount("0.0000001", 6).is_err(), "too precise");
        assert!(parse_token_amount("-1", 6).is_err());
        assert!(parse_token_amount("1e9", 6).is_err());
        assert!(
            parse_token_amount("340282366920938463463374607431768211456", 0).is_err(),
            "overflow"
        );
        assert_eq!(
            parse_token_amount("340282366920938.463463374607431768", 18).expect("u128 max range"),
            340_282_366_920_938_463_463_374_607_431_768
        );
        assert_eq!(display_token_amount(1_500_000, 6, "POOL"), "1.500000 POOL");
        assert_eq!(display_token_amount(7, 0, "X"), "7 X");
    }
}
