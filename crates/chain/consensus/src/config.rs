//! Engine configuration.

use crate::ConsensusError;
use std::{net::SocketAddr, path::PathBuf, time::Duration};
use synod_primitives::{AccountId, Hash, Keypair};

/// Builds the consensus namespace from the chain id and genesis hash.
///
/// Every signature the engine makes (votes, certificates, p2p handshakes) is bound to this
/// namespace, so votes from one chain (or one genesis) can never be replayed on another.
pub fn namespace(chain_id: &str, genesis_hash: &Hash) -> Vec<u8> {
    format!("synod/consensus/{chain_id}/{genesis_hash}").into_bytes()
}

/// Default largest transaction-gossip payload (a batch of signed transactions): 512 KiB.
pub const DEFAULT_MAX_GOSSIP_SIZE: usize = 512 * 1024;
/// Hard cap on [`EngineConfig::max_gossip_size`]: 4 MiB.
pub const MAX_GOSSIP_SIZE: usize = 4 * 1024 * 1024;

/// Everything the consensus engine needs besides the application and the network channels.
///
/// Build one with [`EngineConfig::devnet`] (sub-second defaults) and adjust fields as needed.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// This node's key: Synod account key and consensus/p2p identity at once.
    pub key: Keypair,
    /// The validator set (consensus public keys = accounts). Order does not matter.
    pub validators: Vec<AccountId>,
    /// Non-voting full nodes (observers) admitted to the p2p network beside the validators:
    /// they receive blocks and certificates and backfill from validators, but never vote. A
    /// node whose key is listed here runs as an observer. p2p admits only listed keys, so every
    /// node (validators included) must list the same observers. Order does not matter.
    pub observers: Vec<AccountId>,
    /// Signature namespace, see [`namespace`].
    pub namespace: Vec<u8>,
    /// Address the p2p listener binds to (used by [`crate::run_tokio`]).
    pub listen: SocketAddr,
    /// Address other validators dial to reach this node; defaults to `listen`.
    pub dialable: Option<SocketAddr>,
    /// Peers dialed at startup: (validator account, address). May include this node.
    pub bootstrappers: Vec<(AccountId, SocketAddr)>,
    /// Whether peers may have private (e.g. loopback, LAN) addresses. True for devnets.
    pub allow_private_ips: bool,
    /// Directory holding the engine's own durable data (vote journal, finalized block and
    /// certificate archives). Used as the runtime's storage root by [`crate::run_tokio`].
    pub storage_dir: PathBuf,
    /// Prefix of the engine's storage partitions. Engines sharing one runtime storage (several
    /// validators in one process or one deterministic test) need distinct prefixes.
    pub partition_prefix: String,
    /// Minimum time between a parent block's timestamp and its child's proposal. Paces an idle
    /// chain (consensus itself runs as fast as the network allows). Must be below
    /// `leader_timeout`.
    pub block_interval: Duration,
    /// How long to wait for the leader's proposal before voting to skip the view.
    pub leader_timeout: Duration,
    /// How long to wait for a proposal to be notarized and certified before voting to skip the
    /// view. Must exceed `leader_timeout`.
    pub notarization_timeout: Duration,
    /// How often to rebroadcast a vote to skip (nullify) while stuck in a view.
    pub nullify_retry: Duration,
    /// Inactivity after which a silent leader's views are skipped immediately. Must exceed
    /// `notarization_timeout` and `nullify_retry`.
    pub skip_timeout: Duration,
    /// Timeout for a request to a peer (missing certificates or blocks).
    pub fetch_timeout: Duration,
    /// Capacity of the engine's internal mailboxes.
    pub mailbox_size: usize,
    /// Largest accepted encoded block, in bytes (capped by the primitives' limit).
    pub max_block_size: usize,
    /// Per-peer message rate allowed on each p2p channel, in messages per second. p2p
    /// preallocates its router queue for a full burst from every peer of a set on every
    /// channel, so this multiplies memory (about 6 KB per peer per unit): a view costs a
    /// validator a few messages per channel, and catching up is bounded by it per peer.
    pub messages_per_second: u32,
    /// Tokio worker threads for [`crate::run_tokio`] (`None`: one per core).
    pub worker_threads: Option<usize>,
    /// Largest transaction-gossip payload sent or accepted, in bytes.
    pub max_gossip_size: usize,
    /// Per-peer rate of transaction-gossip messages, in messages per second (each message is
    /// one batch; the node batches transactions, so this bounds batches, not transactions).
    pub gossip_messages_per_second: u32,
    /// Capacity of the outbound gossip queue (payloads waiting to be sent).
    pub gossip_queue: usize,
    /// Blocks per consensus epoch (at least 2): epoch `e` covers heights `e*L ..= (e+1)*L - 1`
    /// and runs with the validator set the application returns for it
    /// ([`crate::Application::validator_set`]; epoch 0 uses [`Self::validators`]). `None`: one
    /// unbounded epoch with [`Self::validators`]. Every node of a network must agree on it.
    pub epoch_length: Option<u64>,
}

impl EngineConfig {
    /// A configuration with sub-second devnet defaults: 250 ms block interval, 1 s leader
    /// timeout, 2 s notarization timeout.
    pub fn devnet(
        key: Keypair,
        validators: Vec<AccountId>,
        namespace: Vec<u8>,
        listen: SocketAddr,
        storage_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            key,
            validators,
            observers: Vec::new(),
            namespace,
            listen,
            dialable: None,
            bootstrappers: Vec::new(),
            allow_private_ips: true,
            storage_dir: storage_dir.into(),
            partition_prefix: "synod".into(),
            block_interval: Duration::from_millis(250),
            leader_timeout: Duration::from_secs(1),
            notarization_timeout: Duration::from_secs(2),
            nullify_retry: Duration::from_millis(500),
            skip_timeout: Duration::from_secs(5),
            fetch_timeout: Duration::from_secs(2),
            mailbox_size: 1024,
            max_block_size: synod_primitives::block::MAX_BLOCK_SIZE,
            messages_per_second: 1_000,
            worker_threads: None,
            max_gossip_size: DEFAULT_MAX_GOSSIP_SIZE,
            gossip_messages_per_second: 200,
            gossip_queue: 256,
            epoch_length: None,
        }
    }

    /// This node's account (= consensus public key).
    pub fn account(&self) -> AccountId {
        self.key.account()
    }

    /// Whether this node votes (its key is in the validator set); otherwise it is an observer.
    pub fn is_validator(&self) -> bool {
        self.validators.contains(&self.account())
    }

    /// The address peers dial.
    pub fn dialable(&self) -> SocketAddr {
        self.dialable.unwrap_or(self.listen)
    }

    /// Checks the configuration for values the engine would reject (or panic on).
    pub fn validate(&self) -> Result<(), ConsensusError> {
        let invalid = |msg: &str| Err(ConsensusError::InvalidConfig(msg.to_string()));
        crate::identity::participants(&self.validators)?;
        crate::identity::observers(&self.validators, &self.observers)?;
        if !self.is_validator() && !self.observers.contains(&self.account()) {
            return Err(ConsensusError::NotAValidator(self.account()));
        }
        if self.partition_prefix.is_empty()
            || !self
                .partition_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return invalid("partition_prefix must be non-empty [A-Za-z0-9_-]");
        }
        if self.namespace.is_empty() {
            return invalid("namespace must not be empty");
        }
        if self.leader_timeout.is_zero() {
            return invalid("leader_timeout must be positive");
        }
        if self.notarization_timeout <= self.leader_timeout {
            return invalid("notarization_timeout must exceed leader_timeout");
        }
        if self.nullify_retry.is_zero() {
            return invalid("nullify_retry must be positive");
        }
        if self.skip_timeout <= self.notarization_timeout || self.skip_timeout <= self.nullify_retry
        {
            return invalid("skip_timeout must exceed notarization_timeout and nullify_retry");
        }
        if self.block_interval >= self.leader_timeout {
            return invalid("block_interval must be below leader_timeout");
        }
        if self.fetch_timeout.is_zero() {
            return invalid("fetch_timeout must be positive");
        }
        if self.mailbox_size == 0 {
            return invalid("mailbox_size must be positive");
        }
        if self.max_block_size == 0 {
            return invalid("max_block_size must be positive");
        }
        if self.messages_per_second == 0 {
            return invalid("messages_per_second must be positive");
        }
        if self.worker_threads == Some(0) {
            return invalid("worker_threads must be positive");
        }
        if self.max_gossip_size == 0 || self.max_gossip_size > MAX_GOSSIP_SIZE {
            return invalid("max_gossip_size must be in 1..=4 MiB");
        }
        if self.gossip_messages_per_second == 0 {
            return invalid("gossip_messages_per_second must be positive");
        }
        if self.epoch_length.is_some_and(|l| l < 2) {
            return invalid("epoch_length must be at least 2");
        }
        if self.gossip_queue == 0 {
            return invalid("gossip_queue must be positive");
        }
        Ok(())
    }

    /// The effective block size limit.
    pub(crate) fn block_size_limit(&self) -> usize {
        self.max_block_size
            .min(synod_primitives::block::MAX_BLOCK_SIZE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EngineConfig {
        let kp = Keypair::dev("alice");
        EngineConfig::devnet(
            kp.clone(),
            vec![kp.account()],
            namespace("synod-dev", &Hash::digest(b"g")),
            "127.0.0.1:0".parse().expect("addr"),
            "/tmp/x",
        )
    }

    #[test]
    fn devnet_defaults_validate() {
        sample().validate().expect("valid");
    }

    #[test]
    fn rejects_inconsistent_values() {
        let mut c = sample();
        c.notarization_timeout = c.leader_timeout;
        assert!(c.validate().is_err());
        let mut c = sample();
        c.validators = vec![Keypair::dev("bob").account()];
        assert!(matches!(
            c.validate(),
            Err(ConsensusError::NotAValidator(_))
        ));
        let mut c = sample();
        c.block_interval = c.leader_timeout;
        assert!(c.validate().is_err());
        let mut c = sample();
        c.observers = vec![c.account()];
        assert!(
            matches!(c.validate(), Err(ConsensusError::ObserverIsValidator(_))),
            "a validator listed as observer"
        );
        let mut c = sample();
        let bob = Keypair::dev("bob").account();
        c.observers = vec![bob, bob];
        assert!(matches!(
            c.validate(),
            Err(ConsensusError::DuplicateValidator)
        ));
        for bad in [0, MAX_GOSSIP_SIZE + 1] {
            let mut c = sample();
            c.max_gossip_size = bad;
            assert!(c.validate().is_err(), "max_gossip_size {bad}");
        }
        let mut c = sample();
        c.gossip_messages_per_second = 0;
        assert!(c.validate().is_err());
        let mut c = sample();
        c.gossip_queue = 0;
        assert!(c.validate().is_err());
        let mut c = sample();
        c.epoch_length = Some(1);
        assert!(
            c.validate().is_err(),
            "an epoch needs a boundary block and a successor"
        );
        c.epoch_length = Some(2);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn observer_key_is_accepted() {
        let mut c = sample();
        let observer = Keypair::dev("observer");
        c.key = observer.clone();
        assert!(matches!(
            c.validate(),
            Err(ConsensusError::NotAValidator(_))
        ));
        c.observers = vec![Keypair::dev("other").account(), observer.account()];
        c.validate().expect("an observer is a valid configuration");
        assert!(!c.is_validator());
        assert!(sample().is_validator());
    }

    #[test]
    fn namespace_binds_chain_and_genesis() {
        let g = Hash::digest(b"g");
        assert_ne!(namespace("a", &g), namespace("b", &g));
        assert_ne!(namespace("a", &g), namespace("a", &Hash::digest(b"h")));
    }
}
