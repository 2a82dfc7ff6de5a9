//! Genesis files: building one from an operator's spec, and checking one before a node uses it.
//!
//! A spec (TOML or JSON) names exactly the [`Genesis`] fields; unknown fields are rejected so a
//! typo cannot silently produce a different chain. Amounts are integers in base units.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use synod_primitives::token::MAX_SUPPLY;
use synod_primitives::tx::FeeSchedule;
use synod_primitives::{AccountId, Balance};
use synod_runtime::Genesis;
use synod_runtime::bank::GenesisAccount;
use synod_runtime::validators::GenesisValidator;

/// Why a genesis spec or file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// Filesystem error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file does not parse (syntax, types, unknown fields).
    #[error("{path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// The content parses but describes an unusable chain.
    #[error("invalid genesis: {0}")]
    Invalid(String),
}

/// A validator in a spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorSpec {
    /// Consensus key (`synod node keygen` prints it).
    pub account: AccountId,
    /// Bonded stake in base units.
    pub stake: Balance,
}

/// A funded account in a spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    /// The account.
    pub account: AccountId,
    /// Starting balance in base units.
    pub balance: Balance,
}

/// Fee prices in a spec (each defaults to the standard schedule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeSpec {
    /// Base units per encoded byte.
    #[serde(default = "default_per_byte")]
    pub per_byte: Balance,
    /// Base units per weight unit.
    #[serde(default = "default_per_weight")]
    pub per_weight: Balance,
}

fn default_per_byte() -> Balance {
    FeeSchedule::default().per_byte
}
fn default_per_weight() -> Balance {
    FeeSchedule::default().per_weight
}

/// What `synod genesis new` reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSpec {
    /// Chain id (part of every transaction's signing payload).
    pub chain_id: String,
    /// Timestamp of block 0, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The initial validator set (empty is refused by validation, with that reason).
    #[serde(default)]
    pub validators: Vec<ValidatorSpec>,
    /// Funded accounts.
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
    /// Fee prices (default: the standard schedule).
    #[serde(default)]
    pub fees: Option<FeeSpec>,
    /// Validator staking parameters: epoch length, bonds, unbonding, slashing (default: the
    /// real-network values; any subset of fields may be given).
    #[serde(default)]
    pub staking: Option<synod_runtime::validators::StakingParams>,
    /// The subnet economy's chain parameters and new subnets' hyperparameters (default: the
    /// production values; any subset of fields may be given).
    #[serde(default)]
    pub subnets: Option<synod_runtime::subnets::SubnetParams>,
    /// The tokens module's parameters, e.g. `admin_timelock_blocks` (default: the production
    /// values).
    #[serde(default)]
    pub tokens: Option<synod_runtime::tokens::TokensGenesis>,
    /// The assets module's parameters, e.g. `challenge_window_blocks` (default: the production
    /// values).
    #[serde(default)]
    pub assets: Option<synod_runtime::assets::AssetsGenesis>,
    /// The data module's parameters, e.g. `emission_share_ppm` and `epoch_blocks` (default:
    /// the production values, no emission to data pools).
    #[serde(default)]
    pub data: Option<synod_runtime::data::DataGenesis>,
}

impl GenesisSpec {
    /// Parses a spec: JSON if the file name ends in `.json`, TOML otherwise.
    pub fn load(path: &Path) -> Result<Self, GenesisError> {
        let text = read(path)?;
        let parsed = if is_json(path) {
            serde_json::from_str(&text).map_err(|e| e.to_string())
        } else {
            toml::from_str(&text).map_err(|e| e.to_string())
        };
        parsed.map_err(|reason| GenesisError::Parse {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// The genesis this spec describes, validated.
    pub fn build(&self) -> Result<Genesis, GenesisError> {
        let fees = self
            .fees
            .clone()
            .map_or_else(FeeSchedule::default, |f| FeeSchedule {
                per_byte: f.per_byte,
                per_weight: f.per_weight,
            });
        let genesis = Genesis {
            chain_id: self.chain_id.clone(),
            timestamp_ms: self.timestamp_ms,
            accounts: self
                .accounts
                .iter()
                .map(|a| GenesisAccount {
                    account: a.account,
                    balance: a.balance,
                })
                .collect(),
            validators: self
                .validators
                .iter()
                .map(|v| GenesisValidator {
                    account: v.account,
                    stake: v.stake,
                })
                .collect(),
            fees,
            staking: self.staking.unwrap_or_default(),
            subnets: self.subnets.clone().unwrap_or_default(),
            tokens: self.tokens.unwrap_or_default(),
            assets: self.assets.unwrap_or_default(),
            data: self.data.clone().unwrap_or_default(),
        };
        validate(&genesis)?;
        Ok(genesis)
    }
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

fn read(path: &Path) -> Result<String, GenesisError> {
    std::fs::read_to_string(path).map_err(|source| GenesisError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and validates a genesis JSON file (as written by `synod genesis new`).
pub fn load_genesis(path: &Path) -> Result<Genesis, GenesisError> {
    let text = read(path)?;
    let genesis: Genesis = serde_json::from_str(&text).map_err(|e| GenesisError::Parse {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    validate(&genesis)?;
    Ok(genesis)
}

/// Checks that a genesis describes a chain nodes can run: a chain id, a non-empty validator
/// set of distinct valid ed25519 keys with positive stake, distinct funded accounts, and total
/// balances plus stake within the supply cap (summed with checked arithmetic).
pub fn validate(g: &Genesis) -> Result<(), GenesisError> {
    let invalid = |m: String| Err(GenesisError::Invalid(m));
    if g.chain_id.is_empty() || g.chain_id.len() > 64 {
        return invalid("chain_id must be 1 to 64 characters".into());
    }
    if !g
        .chain_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return invalid(format!(
            "chain_id '{}' may only contain A-Z a-z 0-9 - _ .",
            g.chain_id
        ));
    }
    if g.validators.is_empty() {
        return invalid("the validator set is empty".into());
    }
    if let Err(e) = g.staking.validate() {
        return invalid(format!("staking: {e}"));
    }
    if let Err(e) = g.subnets.validate() {
        return invalid(format!("subnets: {e}"));
    }
    // Every other module's section, checked by the module itself.
    if let Err(e) = synod_runtime::Runtime::new(g).validate_genesis() {
        return invalid(e.to_string());
    }
    let mut seen = BTreeSet::new();
    let mut total: Balance = 0;
    let over = |what: &str| {
        GenesisError::Invalid(format!(
            "{what} exceed the supply cap of {} base units",
            MAX_SUPPLY
        ))
    };
    for v in &g.validators {
        if !seen.insert(v.account) {
            return invalid(format!("validator {} is listed twice", v.account));
        }
        if let Err(e) = v.account.check_key() {
            return invalid(format!(
                "validator {} is not a usable ed25519 public key: {e}",
                v.account
            ));
        }
        if v.stake == 0 {
            return invalid(format!("validator {} has zero stake", v.account));
        }
        total = total
            .checked_add(v.stake)
            .ok_or_else(|| over("validator stakes"))?;
    }
    let mut funded: BTreeSet<AccountId> = BTreeSet::new();
    for a in &g.accounts {
        if !funded.insert(a.account) {
            return invalid(format!("account {} is listed twice", a.account));
        }
        total = total
            .checked_add(a.balance)
            .ok_or_else(|| over("balances plus stakes"))?;
    }
    if total > MAX_SUPPLY {
        return Err(over("balances plus stakes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use synod_primitives::Keypair;
    use synod_primitives::account::SignatureError;
    use synod_primitives::token::UNIT;

    fn spec_toml(extra: &str) -> String {
        format!(
            r#"
chain_id = "synod-test"
timestamp_ms = 1767225600000
{extra}
[[validators]]
account = "{v0}"
stake = 1000000000000

[[validators]]
account = "{v1}"
stake = 1000000000000

[[accounts]]
account = "{a}"
balance = 5000000000

[fees]
per_byte = 7
"#,
            v0 = Keypair::dev("v0").account(),
            v1 = Keypair::dev("v1").account(),
            a = Keypair::dev("alice").account(),
        )
    }

    fn load_str(name: &str, body: &str) -> Result<GenesisSpec, GenesisError> {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join(name);
        std::fs::write(&p, body).expect("write");
        GenesisSpec::load(&p)
    }

    #[test]
    fn toml_spec_builds_the_described_genesis() {
        let g = load_str("spec.toml", &spec_toml(""))
            .expect("parse")
            .build()
            .expect("valid");
        assert_eq!(g.chain_id, "synod-test");
        assert_eq!(g.validators.len(), 2);
        assert_eq!(g.accounts[0].balance, 5 * UNIT);
        assert_eq!(g.fees.per_byte, 7);
        assert_eq!(g.fees.per_weight, FeeSchedule::default().per_weight);
    }

    #[test]
    fn json_spec_parses_and_matches_toml() {
        let toml_spec = load_str("spec.toml", &spec_toml("")).expect("toml");
        let json = serde_json::to_string(&toml_spec).expect("json");
        let json_spec = load_str("spec.json", &json).expect("json spec");
        assert_eq!(toml_spec, json_spec);
        assert_eq!(
            toml_spec.build().expect("g").hash(),
            json_spec.build().expect("g").hash()
        );
    }

    #[test]
    fn unknown_fields_are_rejected_with_their_name() {
        let err = load_str("spec.toml", &spec_toml("chain_idd = \"x\"")).expect_err("unknown");
        assert!(err.to_string().contains("chain_idd"), "{err}");
        let err = load_str(
            "spec.toml",
            &spec_toml("").replace(
                "stake = 1000000000000\n\n[[validators]]",
                "stake = 1\nweight = 2\n\n[[validators]]",
            ),
        )
        .expect_err("unknown nested");
        assert!(err.to_string().contains("weight"), "{err}");
    }

    fn base() -> Genesis {
        Genesis::dev(vec![
            Keypair::dev("v0").account(),
            Keypair::dev("v1").account(),
        ])
    }

    #[test]
    fn validation_rejects_each_bad_case() {
        validate(&base()).expect("dev genesis is valid");
        type Mutation = Box<dyn Fn(&mut Genesis)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("empty", Box::new(|g| g.validators.clear())),
            (
                "listed twice",
                Box::new(|g| {
                    let v = g.validators[0].clone();
                    g.validators.push(v);
                }),
            ),
            (
                "listed twice",
                Box::new(|g| {
                    let a = g.accounts[0].clone();
                    g.accounts.push(a);
                }),
            ),
            ("zero stake", Box::new(|g| g.validators[0].stake = 0)),
            (
                "supply cap",
                Box::new(|g| g.accounts[0].balance = MAX_SUPPLY),
            ),
            (
                "supply cap",
                Box::new(|g| {
                    g.accounts[0].balance = u64::MAX;
                    g.accounts[1].balance = u64::MAX;
                }),
            ),
            ("chain_id", Box::new(|g| g.chain_id = String::new())),
            ("chain_id", Box::new(|g| g.chain_id = "a b".into())),
            (
                "ed25519",
                Box::new(|g| {
                    // The first small y that is not on edwards25519.
                    let not_a_point = (2u8..=255)
                        .map(|y| {
                            let mut bytes = [0u8; 32];
                            bytes[0] = y;
                            AccountId(bytes)
                        })
                        .find(|a| a.check_key() == Err(SignatureError::InvalidKey))
                        .expect("some y is off the curve");
                    g.validators[0].account = not_a_point;
                }),
            ),
        ];
        for (want, mutate) in cases {
            let mut g = base();
            mutate(&mut g);
            let err = validate(&g).expect_err(want);
            assert!(err.to_string().contains(want), "{want}: {err}");
        }
    }

    #[test]
    fn genesis_file_round_trip() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("genesis.json");
        let g = base();
        std::fs::write(&p, serde_json::to_string_pretty(&g).expect("json")).expect("write");
        assert_eq!(load_genesis(&p).expect("load").hash(), g.hash());
        std::fs::write(&p, "{").expect("write");
        assert!(matches!(load_genesis(&p), Err(GenesisError::Parse { .. })));
    }
}
