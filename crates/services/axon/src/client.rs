//! The validator side: sign a request for each miner, send them all at once with a timeout,
//! check each answer's signature, and report every answer with its latency.

use crate::protocol::{headers, new_request_id, now_ms, response_signing_hash, sign_request};
use axum::body::Bytes;
use std::time::{Duration, Instant};
use synod_primitives::{AccountId, Keypair, Signature};
use synod_subnets::query::Metagraph;

/// A miner to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Its hotkey (the request is signed for it; its answer must be signed by it).
    pub hotkey: AccountId,
    /// Its base URL, e.g. `http://10.0.0.5:8091`.
    pub url: String,
}

/// One miner's answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The miner.
    pub hotkey: AccountId,
    /// HTTP status, if an answer came.
    pub status: Option<u16>,
    /// The body.
    pub body: Bytes,
    /// From sending to the whole answer.
    pub latency: Duration,
    /// What went wrong: `timeout`, `unreachable`, `bad_response_signature`, or the miner's
    /// refusal kind (`not_registered`, `stale_request`, …).
    pub error: Option<String>,
}

impl Answer {
    /// A signed success answer.
    pub fn is_ok(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A validator's client.
pub struct Dendrite {
    key: Keypair,
    chain_id: String,
    netuid: u16,
    http: reqwest::Client,
}

impl Dendrite {
    /// A client signing with `key` (a hotkey registered on `netuid`) for chain `chain_id`.
    pub fn new(key: Keypair, chain_id: impl Into<String>, netuid: u16) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Dendrite {
            key,
            chain_id: chain_id.into(),
            netuid,
            http,
        })
    }

    /// The miners of a metagraph that serve an axon (IPv4 or IPv6), as targets.
    pub fn targets(mg: &Metagraph) -> Vec<Target> {
        mg.hotkeys
            .iter()
            .zip(&mg.axons)
            .filter_map(|(h, a)| {
                let a = a.as_ref()?;
                let host = match a.ip_type {
                    4 => std::net::Ipv4Addr::from(u32::try_from(a.ip).ok()?).to_string(),
                    6 => format!("[{}]", std::net::Ipv6Addr::from(a.ip)),
                    _ => return None,
                };
                Some(Target {
                    hotkey: *h,
                    url: format!("http://{host}:{}", a.port),
                })
            })
            .collect()
    }

    /// Asks one miner.
    pub async fn call(
        &self,
        target: &Target,
        method: &str,
        path: &str,
        body: &[u8],
        timeout: Duration,
    ) -> Answer {
        let started = Instant::now();
        let fail = |error: &str| Answer {
            hotkey: target.hotkey,
            status: None,
            body: Bytes::new(),
            latency: started.elapsed(),
            error: Some(error.to_string()),
        };
        let id = new_request_id();
        let hs = sign_request(
            &self.key,
            &self.chain_id,
            self.netuid,
            &target.hotkey,
            method,
            path,
            body,
            id,
            now_ms(),
        );
        let Ok(m) = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
            return fail("bad_method");
        };
        let mut req = self
            .http
            .request(m, format!("{}{path}", target.url.trim_end_matches('/')))
            .timeout(timeout)
            .body(body.to_vec());
        for (k, v) in hs {
            req = req.header(k, v);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return fail("timeout"),
            Err(_) => return fail("unreachable"),
        };
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (signed_by, sig, rid) = (
            header(headers::SIGNED_BY),
            header(headers::SIGNATURE),
            header(headers::REQUEST_ID),
        );
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) if e.is_timeout() => return fail("timeout"),
            Err(_) => return fail("unreachable"),
        };
        let latency = started.elapsed();
        let signed = signed_by.as_deref() == Some(target.hotkey.to_string().as_str())
            && rid.as_deref() == Some(hex::encode(id).as_str())
            && sig
                .and_then(|s| s.parse::<Signature>().ok())
                .is_some_and(|s| {
                    let h = response_signing_hash(&id, status, &body, &target.hotkey);
                    target.hotkey.verify(&h.0, &s).is_ok()
                });
        let error = if signed {
            None
        } else {
            // A refusal is not signed: report its kind.
            Some(
                serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_string))
                    .unwrap_or_else(|| "bad_response_signature".to_string()),
            )
        };
        Answer {
            hotkey: target.hotkey,
            status: Some(status),
            body,
            latency,
            error,
        }
    }

    /// Asks every target at once; answers come back in the targets' order, each within
    /// `timeout`.
    pub async fn fan_out(
        &self,
        targets: &[Target],
        method: &str,
        path: &str,
        body: &[u8],
        timeout: Duration,
    ) -> Vec<Answer> {
        futures::future::join_all(
            targets
                .iter()
                .map(|t| self.call(t, method, path, body, timeout)),
        )
        .await
    }
}
