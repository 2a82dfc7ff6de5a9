//! The client side: make a request, and on 402 pay and retry once.

use crate::{PAYMENT_HEADER, PAYMENT_RESPONSE_HEADER};
use bytes::Bytes;
use synod_payments::wire::{Amount, PaymentRequirements, PaymentResponse, SCHEME};
use synod_payments::{Authorization, request_hash};
use synod_primitives::{AccountId, Hash, Keypair};

/// Who signs authorizations.
pub enum Signer {
    /// The payer's own key.
    Own(Keypair),
    /// A session key of `payer` (its rules bind what it signs).
    Session {
        /// The session key.
        key: Keypair,
        /// The session's user, whose funds pay.
        payer: AccountId,
    },
}

impl Signer {
    fn key(&self) -> &Keypair {
        match self {
            Signer::Own(k) | Signer::Session { key: k, .. } => k,
        }
    }

    /// Whose funds pay.
    pub fn payer(&self) -> AccountId {
        match self {
            Signer::Own(k) => k.account(),
            Signer::Session { payer, .. } => *payer,
        }
    }
}

/// Why a paid request failed.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// The request could not be made.
    #[error("HTTP: {0}")]
    Http(String),
    /// The 402 answer is not this scheme's.
    #[error("the service's payment requirements are unusable: {0}")]
    BadRequirements(String),
    /// The price is above the caller's limit.
    #[error("the price {price} is above your limit {limit}")]
    PriceAboveLimit {
        /// Asked.
        price: Amount,
        /// Allowed.
        limit: Amount,
    },
    /// The service is on another chain than expected.
    #[error("the service asks for payment on chain {got}, expected {expected}")]
    WrongChain {
        /// Expected.
        expected: String,
        /// Asked.
        got: String,
    },
    /// The service refused the payment (after the retry).
    #[error("payment refused: {message} [{kind}]")]
    Refused {
        /// The refusal's kind (`period_cap_exceeded`, `session_revoked`, …).
        kind: String,
        /// In words.
        message: String,
    },
}

/// An answer, with what was paid for it.
#[derive(Debug)]
pub struct PaidResponse {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: Bytes,
    /// The service's `X-Payment-Response`, when the call was paid.
    pub payment: Option<PaymentResponse>,
    /// The requirements it paid against, when it did.
    pub requirements: Option<PaymentRequirements>,
}

/// An HTTP client that pays for calls.
pub struct PayClient {
    http: reqwest::Client,
    signer: Signer,
    max_price: Option<Amount>,
    chain_id: Option<String>,
}

fn random_nonce() -> Result<Hash, PayError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| PayError::Http(format!("no randomness: {e}")))?;
    Ok(Hash(b))
}

impl PayClient {
    /// A client paying with `signer`.
    pub fn new(signer: Signer) -> Result<Self, PayError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .map_err(|e| PayError::Http(e.to_string()))?;
        Ok(PayClient {
            http,
            signer,
            max_price: None,
            chain_id: None,
        })
    }

    /// Refuses to pay more than `limit` per call.
    pub fn max_price(mut self, limit: Amount) -> Self {
        self.max_price = Some(limit);
        self
    }

    /// Refuses to pay on any chain but `chain_id`.
    pub fn expect_chain(mut self, chain_id: impl Into<String>) -> Self {
        self.chain_id = Some(chain_id.into());
        self
    }

    async fn send(
        &self,
        method: &reqwest::Method,
        url: &reqwest::Url,
        body: &[u8],
        headers: &[(String, String)],
        payment: Option<String>,
    ) -> Result<reqwest::Response, PayError> {
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .body(body.to_vec());
        for (k, v) in headers {
            req = req.header(k, v);
        }
        if let Some(p) = payment {
            req = req.header(PAYMENT_HEADER, p);
        }
        req.send().await.map_err(|e| PayError::Http(e.to_string()))
    }

    /// Makes the request; if the service answers 402, signs an authorization for its price
    /// (within the limit) and retries once.
    pub async fn request(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
        headers: &[(String, String)],
    ) -> Result<PaidResponse, PayError> {
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|e| PayError::Http(format!("bad method: {e}")))?;
        let url = reqwest::Url::parse(url).map_err(|e| PayError::Http(format!("bad URL: {e}")))?;
        let first = self.send(&method, &url, body, headers, None).await?;
        if first.status() != reqwest::StatusCode::PAYMENT_REQUIRED {
            return finish(first, None).await;
        }
        let text = first
            .bytes()
            .await
            .map_err(|e| PayError::Http(e.to_string()))?;
        let req: PaymentRequirements =
            serde_json::from_slice(&text).map_err(|e| PayError::BadRequirements(e.to_string()))?;
        if req.scheme != SCHEME {
            return Err(PayError::BadRequirements(format!(
                "scheme {:?}, this client speaks {SCHEME}",
                req.scheme
            )));
        }
        if let Some(expected) = &self.chain_id
            && *expected != req.chain_id
        {
            return Err(PayError::WrongChain {
                expected: expected.clone(),
                got: req.chain_id,
            });
        }
        if let Some(limit) = self.max_price
            && req.price > limit
        {
            return Err(PayError::PriceAboveLimit {
                price: req.price,
                limit,
            });
        }
        let path_and_query = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let rh = request_hash(method.as_str(), &path_and_query, body);
        if rh != req.request_hash {
            return Err(PayError::BadRequirements(
                "the service hashed a different request than this one (a proxy rewrote it?)".into(),
            ));
        }
        let signed = Authorization {
            payer: self.signer.payer(),
            signer: self.signer.key().account(),
            service: req.service,
            payee: req.payee,
            asset: req.asset,
            max_amount: req.price,
            valid_after: req.height,
            valid_before: req
                .height
                .saturating_add(req.valid_for_blocks.max(1))
                .saturating_add(1),
            nonce: random_nonce()?,
            request_hash: rh,
        }
        .sign(self.signer.key(), &req.chain_id);
        let second = self
            .send(&method, &url, body, headers, Some(signed.to_header()))
            .await?;
        if second.status() == reqwest::StatusCode::PAYMENT_REQUIRED {
            let text = second
                .bytes()
                .await
                .map_err(|e| PayError::Http(e.to_string()))?;
            let refusal: PaymentRequirements = serde_json::from_slice(&text)
                .map_err(|e| PayError::BadRequirements(e.to_string()))?;
            return Err(PayError::Refused {
                kind: refusal.error.unwrap_or_else(|| "refused".into()),
                message: refusal.message.unwrap_or_default(),
            });
        }
        finish(second, Some(req)).await
    }
}

async fn finish(
    r: reqwest::Response,
    requirements: Option<PaymentRequirements>,
) -> Result<PaidResponse, PayError> {
    let status = r.status().as_u16();
    let payment = r
        .headers()
        .get(PAYMENT_RESPONSE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str(v).ok());
    let body = r.bytes().await.map_err(|e| PayError::Http(e.to_string()))?;
    Ok(PaidResponse {
        status,
        body,
        payment,
        requirements,
    })
}
