//! The `agents` JSON-RPC namespace over the newest committed state, and [`rpc_doc`].

use crate::deals::Reputation;
use crate::{
    AgentRecord, IntentRecord, SessionRecord, agent, agent_by_name, agent_intents_prefix, intent,
    intent_sessions_prefix, session, user_prefix,
};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use serde::{Deserialize, Serialize};
use synod_agents_rules::{Channel, Deal};
use synod_module::rpc::{INVALID_PARAMS, invalid};
use synod_module::{MethodDoc, StateError, read_latest};
use synod_primitives::{AccountId, Hash};
use synod_storage::{Snapshot, Store};

/// Most entries a listing returns.
pub const MAX_SCAN: usize = 256;

/// An agent with its DID.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentView {
    /// The agent's key.
    pub agent: AccountId,
    /// `did:synod:<user>/<name>`.
    pub did: String,
    /// The asset (kind `agent`) that represents it, if its user linked one.
    pub asset: Option<u64>,
    /// Its record (user, name, registration, revocation).
    #[serde(flatten)]
    pub record: AgentRecord,
}

/// An intent with its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IntentView {
    /// Its hash.
    pub hash: Hash,
    /// Its record.
    #[serde(flatten)]
    pub record: IntentRecord,
}

/// A session with its key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SessionView {
    /// Its key.
    pub session: AccountId,
    /// Its user (the intent's).
    pub user: Option<AccountId>,
    /// Its record.
    #[serde(flatten)]
    pub record: SessionRecord,
}

/// The `did:synod:<user>/<name>` of an agent.
pub fn did(user: &AccountId, name: &str) -> String {
    format!("did:synod:{user}/{name}")
}

/// Parses `did:synod:<user>/<name>`.
pub fn parse_did(s: &str) -> Option<(AccountId, String)> {
    let rest = s.strip_prefix("did:synod:")?;
    let (user, name) = rest.split_once('/')?;
    Some((user.parse().ok()?, name.to_string()))
}

fn view(s: &Snapshot, key: AccountId) -> Result<Option<AgentView>, StateError> {
    let asset = crate::agent_asset(s, &key)?;
    Ok(agent(s, &key)?.map(|record| AgentView {
        agent: key,
        did: did(&record.user, &record.name),
        asset,
        record,
    }))
}

fn tail32(key: &[u8], prefix_len: usize) -> Option<[u8; 32]> {
    key.get(prefix_len..)?.try_into().ok()
}

/// The `agents` namespace.
#[rpc(server, client, namespace = "agents")]
pub trait AgentsApi {
    /// An agent by key (`null` if none).
    #[method(name = "get")]
    async fn get(&self, agent: AccountId) -> Result<Option<AgentView>, ErrorObjectOwned>;

    /// An agent by `did:synod:<user>/<name>` (`null` if none).
    #[method(name = "resolve")]
    async fn resolve(&self, did: String) -> Result<Option<AgentView>, ErrorObjectOwned>;

    /// A user's agents.
    #[method(name = "byUser")]
    async fn by_user(&self, user: AccountId) -> Result<Vec<AgentView>, ErrorObjectOwned>;

    /// An intent by hash (`null` if none).
    #[method(name = "intent")]
    async fn intent(&self, hash: Hash) -> Result<Option<IntentView>, ErrorObjectOwned>;

    /// An agent's intents.
    #[method(name = "intents")]
    async fn intents(&self, agent: AccountId) -> Result<Vec<IntentView>, ErrorObjectOwned>;

    /// A session by key (`null` if none).
    #[method(name = "session")]
    async fn session(&self, session: AccountId) -> Result<Option<SessionView>, ErrorObjectOwned>;

    /// An intent's sessions.
    #[method(name = "sessions")]
    async fn sessions(&self, intent: Hash) -> Result<Vec<SessionView>, ErrorObjectOwned>;

    /// A deal by id (`null` if none).
    #[method(name = "deal")]
    async fn deal(&self, deal: Hash) -> Result<Option<Deal>, ErrorObjectOwned>;

    /// A payment channel by id (`null` if none).
    #[method(name = "channel")]
    async fn channel(&self, channel: Hash) -> Result<Option<Channel>, ErrorObjectOwned>;

    /// An account's record: settled payments, deals completed, disputes lost, expired
    /// deliveries.
    #[method(name = "reputation")]
    async fn reputation(&self, account: AccountId) -> Result<Reputation, ErrorObjectOwned>;
}

/// Serves [`AgentsApiServer`] from a store.
#[derive(Clone)]
pub struct AgentsRpc {
    /// The node's database.
    pub store: Store,
}

fn session_view(s: &Snapshot, key: AccountId) -> Result<Option<SessionView>, StateError> {
    let Some(record) = session(s, &key)? else {
        return Ok(None);
    };
    let user = intent(s, &record.scope.intent_hash)?.map(|i| i.intent.user);
    Ok(Some(SessionView {
        session: key,
        user,
        record,
    }))
}

#[jsonrpsee::core::async_trait]
impl AgentsApiServer for AgentsRpc {
    async fn get(&self, agent: AccountId) -> Result<Option<AgentView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| view(s, agent)).await
    }

    async fn resolve(&self, did: String) -> Result<Option<AgentView>, ErrorObjectOwned> {
        let (user, name) =
            parse_did(&did).ok_or_else(|| invalid("expected did:synod:<0x user>/<name>"))?;
        read_latest(&self.store, move |s, _| {
            match agent_by_name(s, &user, &name)? {
                Some(a) => view(s, a),
                None => Ok(None),
            }
        })
        .await
    }

    async fn by_user(&self, user: AccountId) -> Result<Vec<AgentView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| {
            let prefix = user_prefix(&user);
            let mut out = Vec::new();
            for (k, _) in s.scan_prefix(&prefix, MAX_SCAN)? {
                if let Some(a) = tail32(&k, prefix.len()) {
                    out.extend(view(s, AccountId(a))?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn intent(&self, hash: Hash) -> Result<Option<IntentView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| {
            Ok(intent(s, &hash)?.map(|record| IntentView { hash, record }))
        })
        .await
    }

    async fn intents(&self, agent: AccountId) -> Result<Vec<IntentView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| {
            let prefix = agent_intents_prefix(&agent);
            let mut out = Vec::new();
            for (k, _) in s.scan_prefix(&prefix, MAX_SCAN)? {
                if let Some(h) = tail32(&k, prefix.len()) {
                    let hash = Hash(h);
                    if let Some(record) = intent(s, &hash)? {
                        out.push(IntentView { hash, record });
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    async fn session(&self, session: AccountId) -> Result<Option<SessionView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| session_view(s, session)).await
    }

    async fn deal(&self, deal: Hash) -> Result<Option<Deal>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| crate::deals::get(s, &deal)).await
    }

    async fn channel(&self, channel: Hash) -> Result<Option<Channel>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| crate::channels::get(s, &channel)).await
    }

    async fn reputation(&self, account: AccountId) -> Result<Reputation, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| {
            crate::deals::reputation(s, &account)
        })
        .await
    }

    async fn sessions(&self, intent: Hash) -> Result<Vec<SessionView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| {
            let prefix = intent_sessions_prefix(&intent);
            let mut out = Vec::new();
            for (k, _) in s.scan_prefix(&prefix, MAX_SCAN)? {
                if let Some(key) = tail32(&k, prefix.len()) {
                    out.extend(session_view(s, AccountId(key))?);
                }
            }
            Ok(out)
        })
        .await
    }
}

/// A description of every method, for `rpc.discover`.
pub fn rpc_doc() -> Vec<MethodDoc> {
    let ns = crate::NAME;
    vec![
        MethodDoc::new(ns, "get", "An agent by its key, with its DID.")
            .param::<AccountId>("agent", "The agent's key.")
            .returns::<Option<AgentView>>("agent"),
        MethodDoc::new(ns, "resolve", "An agent by did:synod:<user>/<name>.")
            .param::<String>("did", "The DID.")
            .returns::<Option<AgentView>>("agent")
            .error(INVALID_PARAMS, "not a did:synod DID"),
        MethodDoc::new(ns, "byUser", "A user's agents (at most 256).")
            .param::<AccountId>("user", "The user.")
            .returns::<Vec<AgentView>>("agents"),
        MethodDoc::new(ns, "intent", "An intent with its spend counters.")
            .param::<Hash>("hash", "The intent's hash.")
            .returns::<Option<IntentView>>("intent"),
        MethodDoc::new(ns, "intents", "An agent's intents (at most 256).")
            .param::<AccountId>("agent", "The agent's key.")
            .returns::<Vec<IntentView>>("intents"),
        MethodDoc::new(
            ns,
            "session",
            "A session with its scope and spend counters.",
        )
        .param::<AccountId>("session", "The session key.")
        .returns::<Option<SessionView>>("session"),
        MethodDoc::new(ns, "sessions", "An intent's sessions (at most 256).")
            .param::<Hash>("intent", "The intent's hash.")
            .returns::<Vec<SessionView>>("sessions"),
        MethodDoc::new(ns, "deal", "An escrowed deal: terms, state, escrow, delivery.")
            .param::<Hash>("deal", "The deal's id (its terms hash).")
            .returns::<Option<Deal>>("deal"),
        MethodDoc::new(ns, "channel", "A payment channel: parties, deposit, phase.")
            .param::<Hash>("channel", "The channel's id.")
            .returns::<Option<Channel>>("channel"),
        MethodDoc::new(
            ns,
            "reputation",
            "An account's record: settled payments, deals completed, disputes lost, expired deliveries.",
        )
        .param::<AccountId>("account", "The account.")
        .returns::<Reputation>("reputation"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_served_method_is_described_and_every_description_is_served() {
        let module = AgentsRpc {
            store: Store::in_memory().expect("store"),
        }
        .into_rpc();
        let served: BTreeSet<String> = module.method_names().map(str::to_owned).collect();
        let described: BTreeSet<String> = rpc_doc().into_iter().map(|d| d.name).collect();
        assert_eq!(served, described);
    }

    #[test]
    fn dids_round_trip() {
        let user = AccountId([7; 32]);
        let d = did(&user, "shopper");
        assert_eq!(parse_did(&d), Some((user, "shopper".to_string())));
        assert_eq!(parse_did("did:web:x"), None);
    }
}
