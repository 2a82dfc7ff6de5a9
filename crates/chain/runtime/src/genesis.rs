//! The genesis description: the chain's identity and every module's genesis section.
//!
//! JSON keeps the flat shape genesis files always had (`accounts` is the bank's section,
//! `validators` + `staking` the validator set's, `subnets` the subnet economy's, `tokens` the
//! tokens module's). The genesis hash, which every transaction signs, covers the borsh encoding
//! of the sections that existed at launch exactly as before, followed by each section added
//! later *only when it differs from its default*: a chain created before a module existed keeps
//! its genesis hash, and any chain that configures the new module commits to its section.

use borsh::BorshSerialize;
use serde::{Deserialize, Serialize};
use synod_assets::AssetsGenesis;
use synod_bank::GenesisAccount;
use synod_data::DataGenesis;
use synod_primitives::codec::encode;
use synod_primitives::keys::{DEV_ACCOUNT_NAMES, Keypair};
use synod_primitives::token::UNIT;
use synod_primitives::{AccountId, FeeSchedule, Hash};
use synod_subnets::SubnetParams;
use synod_tokens::TokensGenesis;
use synod_validators::{GenesisValidator, StakingParams};

/// The chain's genesis. Its hash is part of every transaction's signing payload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    /// Chain id, e.g. `synod-dev`.
    pub chain_id: String,
    /// Genesis time in milliseconds since the Unix epoch (the timestamp of block 0).
    pub timestamp_ms: u64,
    /// Funded accounts (the bank's section).
    pub accounts: Vec<GenesisAccount>,
    /// The initial validator set (the validator module's section, with `staking`).
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
    /// The tokens module's parameters (absent: the production defaults, e.g. a 48-hour admin
    /// timelock). Written out only when configured, like its part of the hash.
    #[serde(default, skip_serializing_if = "is_default")]
    pub tokens: TokensGenesis,
    /// The assets module's parameters (absent: the production defaults, e.g. a 7-day
    /// attribution challenge window). Written out only when configured.
    #[serde(default, skip_serializing_if = "is_default")]
    pub assets: AssetsGenesis,
    /// The data module's parameters (absent: the production defaults, with no emission to
    /// data pools). Written out only when configured.
    #[serde(default, skip_serializing_if = "is_default")]
    pub data: DataGenesis,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Sections appended after launch carry a name in the hashed bytes, so two later sections can
/// never be confused.
const LATER_SECTION_TAG: u8 = 1;

impl BorshSerialize for Genesis {
    fn serialize<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        // The launch layout, field by field, byte for byte as before the module framework.
        BorshSerialize::serialize(&self.chain_id, w)?;
        BorshSerialize::serialize(&self.timestamp_ms, w)?;
        BorshSerialize::serialize(&self.accounts, w)?;
        BorshSerialize::serialize(&self.validators, w)?;
        BorshSerialize::serialize(&self.fees, w)?;
        BorshSerialize::serialize(&self.staking, w)?;
        BorshSerialize::serialize(&self.subnets, w)?;
        // Later sections, in the order modules were added.
        if self.tokens != TokensGenesis::default() {
            BorshSerialize::serialize(&LATER_SECTION_TAG, w)?;
            BorshSerialize::serialize(&"tokens", w)?;
            BorshSerialize::serialize(&self.tokens, w)?;
        }
        if self.assets != AssetsGenesis::default() {
            BorshSerialize::serialize(&LATER_SECTION_TAG, w)?;
            BorshSerialize::serialize(&"assets", w)?;
            BorshSerialize::serialize(&self.assets, w)?;
        }
        if self.data != DataGenesis::default() {
            BorshSerialize::serialize(&LATER_SECTION_TAG, w)?;
            BorshSerialize::serialize(&"data", w)?;
            BorshSerialize::serialize(&self.data, w)?;
        }
        Ok(())
    }
}

impl Genesis {
    /// The genesis hash.
    pub fn hash(&self) -> Hash {
        Hash::tagged("synod/genesis", &encode(self))
    }

    /// The development genesis: chain id `synod-dev`, a fixed timestamp, the dev accounts
    /// (`alice`, `bob`, ...) with 1,000,000 SYN each, `validators` as the validator set with
    /// 1,000 SYN bonded each, the devnet staking parameters ([`StakingParams::dev`]) and the
    /// devnet's subnet parameters ([`SubnetParams::dev`]). The tokens section stays at its
    /// default so that the devnet's genesis hash is the one it always had; `synod dev
    /// --token-timelock` shortens the admin timelock for a session.
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
            tokens: TokensGenesis::default(),
            assets: AssetsGenesis::default(),
            data: DataGenesis::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_genesis_file_without_subnets_gets_the_production_parameters() {
        let mut g = Genesis::dev(Vec::new());
        let mut v = serde_json::to_value(&g).expect("json");
        v.as_object_mut().expect("object").remove("subnets");
        let back: Genesis = serde_json::from_value(v).expect("parse");
        assert_eq!(back.subnets, SubnetParams::default());
        g.subnets = SubnetParams::default();
        assert_eq!(back, g);
    }

    #[test]
    fn a_later_section_changes_the_hash_only_when_it_is_configured() {
        let g = Genesis::dev(Vec::new());
        let mut v = serde_json::to_value(&g).expect("json");
        v.as_object_mut().expect("object").remove("tokens");
        let without: Genesis = serde_json::from_value(v).expect("parse");
        assert_eq!(without.hash(), g.hash(), "absent and default hash alike");
        let mut configured = g.clone();
        configured.tokens = TokensGenesis::dev();
        assert_ne!(configured.tokens, TokensGenesis::default());
        assert_ne!(configured.hash(), g.hash());
    }
}
