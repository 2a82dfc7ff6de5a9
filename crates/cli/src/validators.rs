//! `synod validator ...`: bond, unbond, withdraw, report equivocation (transactions signed by the
//! validator's own key, which is also its consensus key), and `list` / `show` over RPC.
//!
//! Amounts are decimal SYN with up to 9 decimals, e.g. `--amount 150.5`.

use crate::Cli;
use crate::chain::{client, print_submission, rpc_err, send};
use crate::keys::{account, signer};
use crate::output::emit;
use anyhow::Context;
use clap::Subcommand;
use synod_primitives::token::{DisplayAmount, parse_amount};
use synod_runtime::Call;
use synod_validators::query::{ValidatorSetView, ValidatorView};
use synod_validators::rpc::ValidatorsApiClient;
use synod_validators::{MAX_EVIDENCE_LEN, ValidatorCall};

/// `synod validator ...`
#[derive(Subcommand, Debug)]
pub enum ValidatorCommand {
    /// Bond SYN from FROM's balance: FROM becomes (or stays) a candidate for the next epoch.
    Bond {
        /// The validator's key (signs, pays; it is also the consensus key).
        #[arg(long)]
        from: String,
        /// SYN to bond.
        #[arg(long)]
        amount: String,
    },
    /// Start unbonding: the stake leaves the set at the next epoch and can be withdrawn after
    /// the unbonding period.
    Unbond {
        /// The validator's key.
        #[arg(long)]
        from: String,
        /// SYN to unbond.
        #[arg(long)]
        amount: String,
    },
    /// Pay matured unbonding entries back to the balance.
    Withdraw {
        /// The validator's key.
        #[arg(long)]
        from: String,
    },
    /// Report a consensus equivocation (evidence as produced by the consensus engine, hex).
    ReportEquivocation {
        /// Reporter (signs, pays, receives the reward).
        #[arg(long)]
        from: String,
        /// Encoded evidence, hex.
        #[arg(long)]
        evidence: String,
    },
    /// The current set, its epoch, and the candidates for the next epoch.
    List,
    /// One account's bond, unbonding entries and standing.
    Show {
        /// Account (name with --dev, keystore name, or 0x hex).
        account: String,
    },
}

fn set_text(v: &ValidatorSetView) -> String {
    let mut s = format!(
        "epoch {} (blocks of {}; the next set is fixed at the end of block {})\nheight {}\n",
        v.epoch, v.epoch_length, v.epoch_end_height, v.height
    );
    s.push_str(&format!("validators ({}):\n", v.validators.len()));
    for m in &v.validators {
        s.push_str(&format!("  {}  {}\n", m.account, DisplayAmount(m.stake)));
    }
    s.push_str(&format!(
        "next epoch if it ended now ({}):\n",
        v.next_candidates.len()
    ));
    for m in &v.next_candidates {
        s.push_str(&format!("  {}  {}\n", m.account, DisplayAmount(m.stake)));
    }
    s.push_str(&format!(
        "bonded {}, unbonding {}, burned by slashing {}",
        DisplayAmount(v.total_bonded),
        DisplayAmount(v.total_unbonding),
        DisplayAmount(v.total_slashed_burned)
    ));
    s
}

fn validator_text(v: &ValidatorView) -> String {
    let mut s = format!(
        "account:      {}\nepoch:        {} (height {})\nbonded:       {}\nwithdrawable: {}\nin set:       {} (next: {})\ntombstoned:   {}\nslashed:      {}",
        v.account,
        v.epoch,
        v.height,
        DisplayAmount(v.bonded),
        DisplayAmount(v.withdrawable),
        if v.in_current_set { "yes" } else { "no" },
        if v.in_next_set { "yes" } else { "no" },
        if v.tombstoned { "yes" } else { "no" },
        DisplayAmount(v.slashed),
    );
    for e in &v.unbonding {
        s.push_str(&format!(
            "\nunbonding:    {} released at epoch {}",
            DisplayAmount(e.amount),
            e.release_epoch
        ));
    }
    s
}

fn parse_evidence(hex_text: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = hex::decode(hex_text.strip_prefix("0x").unwrap_or(hex_text))
        .context("evidence must be hex")?;
    anyhow::ensure!(
        bytes.len() <= MAX_EVIDENCE_LEN,
        "evidence is {} bytes, over the limit of {MAX_EVIDENCE_LEN}",
        bytes.len()
    );
    Ok(bytes)
}

/// Runs `synod validator ...`.
pub async fn run(cli: &Cli, cmd: &ValidatorCommand) -> anyhow::Result<()> {
    let c = client(&cli.rpc)?;
    let e = rpc_err(&cli.rpc);
    let (from, call) = match cmd {
        ValidatorCommand::List => {
            let v = c.validators().await.map_err(&e)?;
            return emit(cli.json, &v, || set_text(&v));
        }
        ValidatorCommand::Show { account: who } => {
            let who = account(cli, who)?;
            let v = c.validator(who).await.map_err(&e)?;
            return emit(cli.json, &v, || validator_text(&v));
        }
        ValidatorCommand::Bond { from, amount } => (
            from,
            ValidatorCall::Bond {
                amount: parse_amount(amount)?,
            },
        ),
        ValidatorCommand::Unbond { from, amount } => (
            from,
            ValidatorCall::Unbond {
                amount: parse_amount(amount)?,
            },
        ),
        ValidatorCommand::Withdraw { from } => (from, ValidatorCall::Withdraw),
        ValidatorCommand::ReportEquivocation { from, evidence } => (
            from,
            ValidatorCall::ReportEquivocation {
                evidence: parse_evidence(evidence)?,
            },
        ),
    };
    let key = signer(cli, from)?;
    let r = send(cli, &c, &key, Call::Validators(call), None, None, true).await?;
    print_submission(cli, r)
}

#[cfg(test)]
mod tests {
    #[test]
    fn evidence_must_be_hex_and_bounded() {
        assert_eq!(super::parse_evidence("0xab01").expect("hex"), vec![0xab, 1]);
        assert!(super::parse_evidence("zz").is_err());
        let big = "00".repeat(super::MAX_EVIDENCE_LEN + 1);
        assert!(super::parse_evidence(&big).is_err());
    }
}
