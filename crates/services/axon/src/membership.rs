//! Who may call a miner: the hotkeys registered on its subnet, with their stake, as the chain
//! says.

use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use synod_primitives::AccountId;
use synod_rpc::SynodApiClient;
use synod_subnets::rpc::SubnetsApiClient;

/// A registered caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its UID on the subnet.
    pub uid: u16,
    /// Its stake weight (alpha plus weighted root stake, base units).
    pub stake: u64,
}

/// Where a miner learns who is registered. Implementations cache: a check runs per request.
pub trait Membership: Send + Sync + 'static {
    /// The member with `hotkey`, if it is registered.
    fn lookup(
        &self,
        hotkey: AccountId,
    ) -> impl std::future::Future<Output = Result<Option<Member>, String>> + Send;
}

struct Snapshot {
    height: u64,
    read_at: Instant,
    members: HashMap<AccountId, Member>,
}

/// Membership read from a node: the subnet's metagraph, read again when the chain has a new
/// block (checked at most every `poll`).
pub struct ChainMembership {
    node: HttpClient,
    netuid: u16,
    poll: Duration,
    cache: Mutex<Option<Snapshot>>,
    refresh: tokio::sync::Mutex<()>,
}

impl ChainMembership {
    /// Membership of subnet `netuid` from the node at `url`, checking for a new block at most
    /// every `poll`.
    pub fn new(url: &str, netuid: u16, poll: Duration) -> Result<Self, String> {
        let node = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(10))
            .build(url)
            .map_err(|e| format!("bad node URL {url}: {e}"))?;
        Ok(ChainMembership {
            node,
            netuid,
            poll,
            cache: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
        })
    }

    fn cached(&self, hotkey: &AccountId) -> Option<Option<Member>> {
        let cache = self.cache.lock();
        let snap = cache.as_ref()?;
        (snap.read_at.elapsed() < self.poll).then(|| snap.members.get(hotkey).copied())
    }

    async fn reload(&self) -> Result<(), String> {
        let heads = self.node.heads().await.map_err(|e| e.to_string())?;
        let current = self.cache.lock().as_ref().map(|s| s.height);
        if current == Some(heads.finalized_height) {
            if let Some(s) = self.cache.lock().as_mut() {
                s.read_at = Instant::now();
            }
            return Ok(());
        }
        let mg = self
            .node
            .metagraph(self.netuid, None)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("subnet {} does not exist", self.netuid))?;
        let members = mg
            .hotkeys
            .iter()
            .zip(&mg.uids)
            .zip(&mg.total_stake)
            .map(|((h, uid), stake)| {
                (
                    *h,
                    Member {
                        uid: *uid,
                        stake: *stake,
                    },
                )
            })
            .collect();
        *self.cache.lock() = Some(Snapshot {
            height: mg.block,
            read_at: Instant::now(),
            members,
        });
        Ok(())
    }
}

impl Membership for ChainMembership {
    async fn lookup(&self, hotkey: AccountId) -> Result<Option<Member>, String> {
        if let Some(found) = self.cached(&hotkey) {
            return Ok(found);
        }
        // One reload at a time; whoever waited finds the fresh snapshot.
        let _guard = self.refresh.lock().await;
        if let Some(found) = self.cached(&hotkey) {
            return Ok(found);
        }
        self.reload().await?;
        Ok(self.cached(&hotkey).flatten())
    }
}
