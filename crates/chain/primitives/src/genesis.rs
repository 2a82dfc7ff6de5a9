//! The genesis description: everything a node needs to build block 0.

use crate::account::AccountId;
use crate::codec::encode;
use crate::hash::Hash;
use crate::keys::{DEV_ACCOUNT_NAMES, Keypair};
use crate::subnet_params::SubnetParams;
use crate::token::{Balance, UNIT};
use crate::tx::FeeSchedule;
use crate::validators::StakingParams;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// An account funded at genesis.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct GenesisAccount {
    /// The account.
    pub account: AccountId,
    /// Its starting balance in base units.
    pub balance: Balance,
}

/// A validator in the genesis set.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct GenesisValidator {
    /// Consensus (and fee-collecting) key.
    pub account: AccountId,
    /// Bonded stake in base units (voting power).
    pub stake: Balance,
}

/// The chain's genesis. Its hash is part of every transaction's signing payload.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Genesis {
    /// Chain id, e.g. `synod-dev`.
    pub chain_id: String,
    /// Genesis time in milliseconds since the Unix epoch (the timestamp of block 0).
    pub timestamp_ms: u64,
    /// Funded accounts.
    pub accounts: Vec<GenesisAccount>,
    /// The initial validator set.
    pub validators: Vec<GenesisValidator>,
    /// Fee prices.
    pub fees: FeeSchedule,
    /// Validator-set staking parameters (epoch length, bonds, slashing). Absent in a JSON
    /// file means the real-network defaults.
    #[serde(default)]
    pub staking: StakingParams,
    /// The subnet economy's chain-wide parameters and new subnets' hyperparameters (absent in
    /// a genesis file: the production defaults).
    #[serde(default)]
    pub subnets: SubnetParams,
}

impl Genesis {
    /// The genesis hash.
    pub fn hash(&self) -> Hash {
        Hash::tagged("synod/genesis", &encode(self))
    }

    /// The development genesis: chain id `synod-dev`, a fixed timestamp, the dev accounts
    /// (`alice`, `bob`, ...) with 1,000,000 SYN each, `validators` as the validator set with
    /// 1,000 SYN bonded each, the devnet staking parameters ([`StakingParams::dev`]) and the
    /// devnet's subnet parameters ([`SubnetParams::dev`]).
    pub fn dev(validators: Vec<AccountId>) -> Self {
        Genesis {
            chain_id: "synod-dev".into(),
            timestamp_ms: 1_767_225_600_000, // 2026-01-01T00:00:00Z
            accounts: DEV_ACCOUNT_NAMES
                .iter()
                .map(|n| GenesisAccount {
                    account: Keypair::dev(n).account(),
                    balance: 1_000_000 * UNIT,
                })
                .collect(),
            validators: validators
                .into_iter()
                .map(|account| GenesisValidator {
                    account,
                    stake: 1_000 * UNIT,
                })
                .collect(),
            fees: FeeSchedule::default(),
            staking: StakingParams::dev(),
            subnets: SubnetParams::dev(),
        }
    }
}
