//! Committee and node configuration (JSON files).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use synod_mpc::Params;
use synod_primitives::{AccountId, Keypair};

use crate::error::BlindError;
use crate::types::{CommitteeId, NodeEncKey};

/// One committee member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Node identity: its ed25519 public key.
    pub key: AccountId,
    /// Address of its committee (peer) listener.
    pub p2p: SocketAddr,
    /// URL of its client JSON-RPC endpoint (`http://host:port`).
    pub rpc: String,
    /// Its static X25519 key: clients encrypt requests for it
    /// ([`crate::envelope`]); derived from the identity seed.
    pub x25519: NodeEncKey,
}

impl Member {
    /// The public entry of the member holding `key`.
    pub fn new(key: &Keypair, p2p: SocketAddr, rpc: String) -> Self {
        Member {
            key: key.account(),
            p2p,
            rpc,
            x25519: crate::envelope::node_x25519_public(key),
        }
    }
}

/// The committee: members in index order (index = MPC party id). This is
/// also the client configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Committee {
    /// Members.
    pub members: Vec<Member>,
}

impl Committee {
    /// Number of members.
    pub fn n(&self) -> usize {
        self.members.len()
    }

    /// Shamir parameters: `t = (n - 1) / 2` (honest majority).
    pub fn params(&self) -> Result<Params, BlindError> {
        let n = self.n();
        Params::new(n, n.saturating_sub(1) / 2)
            .map_err(|e| BlindError::Config(format!("committee of {n}: {e}")))
    }

    /// Hash of the member list (identity keys, encryption keys, peer
    /// addresses): binds handshakes and client requests to this committee.
    pub fn id(&self) -> CommitteeId {
        let mut h = blake3::Hasher::new_derive_key("synod/blind/committee/v1");
        h.update(&(self.members.len() as u64).to_le_bytes());
        for m in &self.members {
            h.update(&m.key.0);
            h.update(&m.x25519.0);
            let addr = m.p2p.to_string();
            h.update(&(addr.len() as u64).to_le_bytes());
            h.update(addr.as_bytes());
        }
        CommitteeId(*h.finalize().as_bytes())
    }

    /// Index of the member with this key.
    pub fn index_of(&self, key: &AccountId) -> Option<usize> {
        self.members.iter().position(|m| m.key == *key)
    }

    /// Check size, distinct keys and valid keys.
    pub fn validate(&self) -> Result<(), BlindError> {
        self.params()?;
        for (i, m) in self.members.iter().enumerate() {
            m.key
                .check_key()
                .map_err(|e| BlindError::Config(format!("member {i}: {e}")))?;
            if self.members[..i].iter().any(|o| o.key == m.key) {
                return Err(BlindError::Config(format!("member {i}: duplicate key")));
            }
            if self.members[..i].iter().any(|o| o.x25519 == m.x25519) {
                return Err(BlindError::Config(format!(
                    "member {i}: duplicate x25519 key"
                )));
            }
        }
        Ok(())
    }

    /// Load from a JSON file.
    pub fn load(path: &Path) -> Result<Self, BlindError> {
        let c: Committee = read_json(path)?;
        c.validate()?;
        Ok(c)
    }
}

/// Configuration of one `synod blind-node`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeConfig {
    /// This node's index in the committee.
    pub index: usize,
    /// File holding this node's ed25519 seed (64 hex characters).
    pub key_file: PathBuf,
    /// Directory for the share store.
    pub data_dir: PathBuf,
    /// The committee.
    pub committee: Committee,
    /// Client JSON-RPC listen address.
    pub rpc_listen: SocketAddr,
    /// Committee listener address (defaults to this member's `p2p`).
    #[serde(default)]
    pub p2p_listen: Option<SocketAddr>,
    /// How long a job waits for one round's messages before failing.
    #[serde(default = "default_round_timeout_ms")]
    pub round_timeout_ms: u64,
    /// Largest encrypted frame accepted from a peer.
    #[serde(default = "default_max_frame")]
    pub max_frame_bytes: usize,
    /// Accept the built-in benchmark jobs.
    #[serde(default)]
    pub allow_bench: bool,
    /// Freshness window for client request timestamps.
    #[serde(default = "default_skew_ms")]
    pub max_clock_skew_ms: u64,
    /// Largest number of field elements per MPC frame: a round's larger
    /// message to a peer is sent as several pieces so encoding, encryption,
    /// transfer and decoding overlap.
    #[serde(default = "default_piece_elements")]
    pub mpc_piece_elements: usize,
    /// How long a prepared (not yet committed) share is kept: a store whose client vanished
    /// between its two phases leaves nothing behind after this.
    #[serde(default = "default_prepare_ttl_ms")]
    pub prepare_ttl_ms: u64,
    /// Client JSON-RPC resource limits (body size, read deadline, connections in total and
    /// per address, allowed browser origins); each field defaults.
    #[serde(default)]
    pub rpc: synod_rpc_serve::RpcLimits,
}

fn default_prepare_ttl_ms() -> u64 {
    60_000
}

fn default_round_timeout_ms() -> u64 {
    10_000
}
fn default_max_frame() -> usize {
    crate::frame::DEFAULT_MAX_FRAME
}
fn default_skew_ms() -> u64 {
    120_000
}
fn default_piece_elements() -> usize {
    crate::frame::DEFAULT_PIECE_ELEMENTS
}

impl NodeConfig {
    /// Load from a JSON file.
    pub fn load(path: &Path) -> Result<Self, BlindError> {
        let c: NodeConfig = read_json(path)?;
        c.committee.validate()?;
        c.rpc
            .validate()
            .map_err(|e| BlindError::Config(format!("{}: {e}", path.display())))?;
        if c.index >= c.committee.n() {
            return Err(BlindError::Config(format!(
                "index {} outside a committee of {}",
                c.index,
                c.committee.n()
            )));
        }
        Ok(c)
    }

    /// Read the key file and check it matches the committee entry (the
    /// identity key and the X25519 key derived from it).
    pub fn keypair(&self) -> Result<Keypair, BlindError> {
        let kp = read_key_file(&self.key_file)?;
        let member = self
            .committee
            .members
            .get(self.index)
            .ok_or_else(|| BlindError::Config(format!("no committee member {}", self.index)))?;
        if member.key != kp.account() {
            return Err(BlindError::Config(format!(
                "key {} does not match committee member {} ({})",
                kp.account(),
                self.index,
                member.key
            )));
        }
        if member.x25519 != crate::envelope::node_x25519_public(&kp) {
            return Err(BlindError::Config(format!(
                "the x25519 key of committee member {} is not the one derived from key file {}",
                self.index,
                self.key_file.display()
            )));
        }
        Ok(kp)
    }
}

/// Read a JSON file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, BlindError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BlindError::Config(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| BlindError::Config(format!("{}: {e}", path.display())))
}

/// Read a hex ed25519 seed file.
pub fn read_key_file(path: &Path) -> Result<Keypair, BlindError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| BlindError::Config(format!("{}: {e}", path.display())))?;
    let bytes = hex::decode(text.trim())
        .map_err(|e| BlindError::Config(format!("{}: bad hex: {e}", path.display())))?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| BlindError::Config(format!("{}: seed must be 32 bytes", path.display())))?;
    Ok(Keypair::from_seed(&seed))
}

/// Write a key file readable by the owner only.
pub fn write_key_file(path: &Path, key: &Keypair) -> Result<(), BlindError> {
    let err = |e: std::io::Error| BlindError::Config(format!("{}: {e}", path.display()));
    let mut seed = key.seed();
    let text = hex::encode(seed);
    zeroize::Zeroize::zeroize(&mut seed);
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(err)?;
        f.write_all(text.as_bytes()).map_err(err)?;
    }
    #[cfg(not(unix))]
    std::fs::write(path, text).map_err(err)?;
    Ok(())
}

fn free_port() -> Result<u16, BlindError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| BlindError::Config(format!("no free port: {e}")))
}

/// Write keys, node configs (`node-I.json`) and `committee.json` for an
/// `n`-member loopback committee into `dir`, reusing keys and the committee
/// file if present. Returns the node config paths.
pub fn write_localnet(
    dir: &Path,
    n: usize,
    round_timeout_ms: u64,
    allow_bench: bool,
) -> Result<Vec<PathBuf>, BlindError> {
    let io = |e: std::io::Error| BlindError::Config(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut keys = Vec::new();
    for i in 0..n {
        let kf = dir.join(format!("node-{i}.key"));
        let key = if kf.exists() {
            read_key_file(&kf)?
        } else {
            let k = Keypair::generate().map_err(|e| BlindError::Config(e.to_string()))?;
            write_key_file(&kf, &k)?;
            k
        };
        keys.push((kf, key));
    }
    let committee_path = dir.join("committee.json");
    let committee = match read_json::<Committee>(&committee_path) {
        Ok(c)
            if c.n() == n
                && c.members
                    .iter()
                    .zip(&keys)
                    .all(|(m, (_, k))| *m == Member::new(k, m.p2p, m.rpc.clone())) =>
        {
            c
        }
        _ => {
            let mut members = Vec::new();
            for (_, k) in &keys {
                members.push(Member::new(
                    k,
                    SocketAddr::from(([127, 0, 0, 1], free_port()?)),
                    format!("http://127.0.0.1:{}", free_port()?),
                ));
            }
            Committee { members }
        }
    };
    committee.validate()?;
    std::fs::write(&committee_path, to_json(&committee)?).map_err(io)?;
    let mut paths = Vec::new();
    for (i, (kf, _)) in keys.iter().enumerate() {
        let rpc_port = committee.members[i]
            .rpc
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .ok_or_else(|| BlindError::Config("bad rpc url in committee file".into()))?;
        let cfg = NodeConfig {
            index: i,
            key_file: kf.clone(),
            data_dir: dir.join(format!("node-{i}")),
            committee: committee.clone(),
            rpc_listen: SocketAddr::from(([127, 0, 0, 1], rpc_port)),
            p2p_listen: None,
            round_timeout_ms,
            max_frame_bytes: crate::frame::DEFAULT_MAX_FRAME,
            allow_bench,
            max_clock_skew_ms: default_skew_ms(),
            mpc_piece_elements: default_piece_elements(),
            prepare_ttl_ms: default_prepare_ttl_ms(),
            rpc: Default::default(),
        };
        let p = dir.join(format!("node-{i}.json"));
        std::fs::write(&p, to_json(&cfg)?).map_err(io)?;
        paths.push(p);
    }
    Ok(paths)
}

fn to_json<T: Serialize>(v: &T) -> Result<String, BlindError> {
    serde_json::to_string_pretty(v).map_err(|e| BlindError::Config(e.to_string()))
}
