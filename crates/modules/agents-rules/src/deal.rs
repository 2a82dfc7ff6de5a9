//! Escrowed agent-to-agent deals.
//!
//! A buyer and a seller agree on [`Terms`]; the deal is *committed* once both have signed the
//! same terms hash ([`Terms::hash`], which is also the deal's id). The machine:
//!
//! ```text
//! Proposed ──(both Sign)──▶ Committed ──(buyer Fund)──▶ Funded ──(seller Deliver)──▶ Delivered
//! Delivered ──(buyer Accept, or review period passes)──▶ Accepted        (seller paid)
//! Delivered ──(buyer Reject within review period)──▶ Rejected
//! Rejected ──(seller Dispute within appeal period, needs an arbiter)──▶ Disputed
//! Rejected ──(appeal period passes)──▶ Resolved                          (buyer refunded)
//! Disputed ──(arbiter Resolve within arbitration period)──▶ Resolved     (split as ruled)
//! Disputed ──(arbitration period passes)──▶ Resolved                     (buyer refunded)
//! Proposed | Committed ──(either party Cancel)──▶ Cancelled              (no funds held)
//! Funded ──(seller Cancel)──▶ Cancelled                                  (buyer refunded)
//! Proposed | Committed ──(funding deadline passes)──▶ Expired            (no funds held)
//! Funded ──(delivery deadline passes)──▶ Expired                         (buyer refunded)
//! ```
//!
//! Signed actions go through [`step`]; deadlines through [`tick`], which the module calls for
//! every deal whose [`Deal::next_deadline`] has been reached (at the end of a block, and before
//! applying an action). [`step`] never advances deadlines itself: an action after its deadline is
//! refused with [`DealError::DeadlinePassed`]. Every deadline sum is bounded by
//! [`Terms::validate`], so funds can never be stuck: once the last deadline has passed, [`tick`]
//! leaves every deal in a terminal state with nothing escrowed.
//!
//! Signatures are the module's business: `actor` is the account that signed the transaction
//! carrying the action; "both signed the same terms hash" is two `Sign` actions naming the hash.

use crate::Amount;
use crate::intent::Asset;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_primitives::{AccountId, Hash, Height};

/// Domain tag of [`Terms::hash`].
pub const TERMS_HASH_TAG: &str = "synod/agents/deal-terms/v1";

/// What buyer and seller agree on.
///
/// Encoding (borsh, field order as declared): `buyer`, `seller` 32 bytes each, `deliverable`,
/// `acceptance_criteria` 32-byte hashes, `price` u128, `asset` ([`Asset`]), `funding_deadline`,
/// `delivery_deadline` u64 heights, `review_period` u64 blocks, `arbiter` (`0`, or `1` and 32
/// bytes), `appeal_period`, `arbitration_period` u64 blocks, `salt` u64.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Terms {
    /// Pays, and receives refunds.
    pub buyer: AccountId,
    /// Delivers, and is paid.
    pub seller: AccountId,
    /// Hash of the description of what is to be delivered.
    pub deliverable: Hash,
    /// Hash of the acceptance criteria.
    pub acceptance_criteria: Hash,
    /// The price, escrowed in full at funding.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub price: Amount,
    /// The asset the price is paid in.
    pub asset: Asset,
    /// Funding must happen at a height below this one.
    pub funding_deadline: Height,
    /// Delivery must happen at a height below this one.
    pub delivery_deadline: Height,
    /// Blocks after delivery in which the buyer may reject; then the deal auto-accepts.
    pub review_period: u64,
    /// Who resolves disputes; without one, a rejection stands once the appeal period passes.
    pub arbiter: Option<AccountId>,
    /// Blocks after a rejection in which the seller may dispute.
    pub appeal_period: u64,
    /// Blocks after a dispute in which the arbiter must rule; then the buyer is refunded.
    pub arbitration_period: u64,
    /// Distinguishes otherwise identical deals (their ids are the terms hash).
    pub salt: u64,
}

impl Terms {
    /// The terms hash, the deal's id: BLAKE3 under [`TERMS_HASH_TAG`] of the borsh encoding.
    pub fn hash(&self) -> Hash {
        Hash::tagged(TERMS_HASH_TAG, &synod_primitives::encode(self))
    }

    /// Checks the terms are well formed: distinct parties (the arbiter neither of them), a
    /// positive price, `funding_deadline < delivery_deadline`, positive periods, and the latest
    /// possible deadline (`delivery_deadline + review + appeal + arbitration`) representable.
    pub fn validate(&self) -> Result<(), DealError> {
        let bad = |reason: &str| {
            Err(DealError::InvalidTerms {
                detail: reason.to_string(),
            })
        };
        if self.buyer == self.seller {
            return bad("buyer and seller must differ");
        }
        if let Some(a) = self.arbiter
            && (a == self.buyer || a == self.seller)
        {
            return bad("the arbiter must be neither buyer nor seller");
        }
        if self.price == 0 {
            return bad("price must be positive");
        }
        if self.funding_deadline >= self.delivery_deadline {
            return bad("funding_deadline must be below delivery_deadline");
        }
        if self.review_period == 0 || self.appeal_period == 0 || self.arbitration_period == 0 {
            return bad("review, appeal and arbitration periods must be positive");
        }
        self.delivery_deadline
            .checked_add(self.review_period)
            .and_then(|h| h.checked_add(self.appeal_period))
            .and_then(|h| h.checked_add(self.arbitration_period))
            .map(|_| ())
            .ok_or_else(|| DealError::InvalidTerms {
                detail: "deadlines overflow u64".to_string(),
            })
    }

    /// The role of `actor` in these terms, if any.
    fn role(&self, actor: &AccountId) -> Option<Role> {
        if *actor == self.buyer {
            Some(Role::Buyer)
        } else if *actor == self.seller {
            Some(Role::Seller)
        } else if Some(*actor) == self.arbiter {
            Some(Role::Arbiter)
        } else {
            None
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Buyer,
    Seller,
    Arbiter,
}

/// Where a deal stands. Encoding (borsh): one tag byte in declaration order (`0` = Proposed …
/// `9` = Expired), then the variant's fields.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DealState {
    /// Terms proposed; waiting for both signatures.
    Proposed {
        /// The buyer has signed the terms hash.
        buyer_signed: bool,
        /// The seller has signed the terms hash.
        seller_signed: bool,
    },
    /// Both signed; waiting for the buyer's funding.
    Committed,
    /// The price is escrowed; waiting for delivery.
    Funded,
    /// Delivered at height `at`; the review period runs.
    Delivered {
        /// Height of delivery.
        at: Height,
    },
    /// Terminal: the seller was paid.
    Accepted,
    /// Rejected at height `at`; the appeal period runs.
    Rejected {
        /// Height of rejection.
        at: Height,
    },
    /// Disputed at height `at`; the arbitration period runs.
    Disputed {
        /// Height of the dispute.
        at: Height,
    },
    /// Terminal: the escrow was split (by the arbiter, or all to the buyer when a rejection
    /// stood or the arbiter did not rule in time).
    Resolved {
        /// Paid to the seller.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        to_seller: Amount,
        /// Refunded to the buyer.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        to_buyer: Amount,
    },
    /// Terminal: cancelled (refunded to the buyer if it was funded).
    Cancelled,
    /// Terminal: a funding or delivery deadline passed (refunded to the buyer if funded).
    Expired,
}

impl DealState {
    /// The state's snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            DealState::Proposed { .. } => "proposed",
            DealState::Committed => "committed",
            DealState::Funded => "funded",
            DealState::Delivered { .. } => "delivered",
            DealState::Accepted => "accepted",
            DealState::Rejected { .. } => "rejected",
            DealState::Disputed { .. } => "disputed",
            DealState::Resolved { .. } => "resolved",
            DealState::Cancelled => "cancelled",
            DealState::Expired => "expired",
        }
    }
}

/// A deal: its terms, their hash (its id), its state, what is escrowed and what was delivered.
///
/// Encoding (borsh): `terms` ([`Terms`]), `terms_hash` 32 bytes, `state` ([`DealState`]),
/// `escrowed` u128, `delivery` (`0`, or `1` and a 32-byte hash).
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Deal {
    /// The agreed terms.
    pub terms: Terms,
    /// [`Terms::hash`], the deal's id.
    pub terms_hash: Hash,
    /// Where it stands.
    pub state: DealState,
    /// Funds held in escrow for the deal.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub escrowed: Amount,
    /// Hash of what the seller delivered.
    pub delivery: Option<Hash>,
}

/// A signed action on a deal. Encoding (borsh): one tag byte in declaration order, then fields.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Buyer or seller signs the terms hash.
    Sign {
        /// The hash being signed; must equal the deal's.
        terms_hash: Hash,
    },
    /// The buyer escrows the price.
    Fund,
    /// The seller delivers.
    Deliver {
        /// Hash of the delivered work.
        delivery: Hash,
    },
    /// The buyer accepts the delivery.
    Accept,
    /// The buyer rejects the delivery, within the review period.
    Reject,
    /// The seller disputes a rejection, within the appeal period.
    Dispute,
    /// The arbiter rules, within the arbitration period: `to_seller` to the seller, the rest
    /// of the escrow to the buyer.
    Resolve {
        /// Paid to the seller (at most the escrow).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        to_seller: Amount,
    },
    /// A party cancels (either before funding; only the seller once funded).
    Cancel,
}

impl Action {
    /// The action's snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Sign { .. } => "sign",
            Action::Fund => "fund",
            Action::Deliver { .. } => "deliver",
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Dispute => "dispute",
            Action::Resolve { .. } => "resolve",
            Action::Cancel => "cancel",
        }
    }
}

/// A movement of funds the module must carry out for a transition, in order.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "transfer", rename_all = "snake_case")]
pub enum Transfer {
    /// Move `amount` of `asset` from `from` into the deal's escrow (funding); the transition
    /// must fail as a whole if this cannot be paid.
    IntoEscrow {
        /// The buyer.
        from: AccountId,
        /// The asset.
        asset: Asset,
        /// The amount.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: Amount,
    },
    /// Pay `amount` of `asset` out of the deal's escrow to `to` (buyer or seller).
    OutOfEscrow {
        /// The recipient.
        to: AccountId,
        /// The asset.
        asset: Asset,
        /// The amount.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: Amount,
    },
}

/// Why a deal action was refused; the deal is unchanged.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    thiserror::Error,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DealError {
    /// The terms are malformed.
    #[error("invalid deal terms: {detail}")]
    InvalidTerms {
        /// Which rule.
        detail: String,
    },
    /// The action is not possible in the deal's current state.
    #[error("cannot {action} a deal that is {state}")]
    OutOfOrder {
        /// The deal's state.
        state: String,
        /// The refused action.
        action: String,
    },
    /// The actor is not the party allowed to take this action.
    #[error("{actor} may not {action}: only the {expected} may")]
    WrongParty {
        /// Who tried.
        actor: AccountId,
        /// The refused action.
        action: String,
        /// Who may (`buyer`, `seller`, `buyer or seller`, `arbiter`).
        expected: String,
    },
    /// The deadline for this action has passed (the module should [`tick`] the deal).
    #[error("deadline {deadline} passed (now {now})")]
    DeadlinePassed {
        /// The deadline (first height at which the action is refused).
        deadline: Height,
        /// The height of the attempt.
        now: Height,
    },
    /// A signature over a different terms hash.
    #[error("signed terms hash {signed} differs from the deal's {expected}")]
    TermsHashMismatch {
        /// The hash signed.
        signed: Hash,
        /// The deal's.
        expected: Hash,
    },
    /// This party has already signed.
    #[error("already signed")]
    AlreadySigned,
    /// A dispute on a deal without an arbiter.
    #[error("the deal has no arbiter to dispute to")]
    NoArbiter,
    /// A ruling paying the seller more than the escrow.
    #[error("ruling pays {to_seller}, more than the escrow {escrowed}")]
    RulingExceedsEscrow {
        /// The ruling.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        to_seller: Amount,
        /// The escrow.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        escrowed: Amount,
    },
}

impl DealError {
    /// The stable snake_case name of the error.
    pub fn kind(&self) -> &'static str {
        match self {
            DealError::InvalidTerms { .. } => "invalid_terms",
            DealError::OutOfOrder { .. } => "out_of_order",
            DealError::WrongParty { .. } => "wrong_party",
            DealError::DeadlinePassed { .. } => "deadline_passed",
            DealError::TermsHashMismatch { .. } => "terms_hash_mismatch",
            DealError::AlreadySigned => "already_signed",
            DealError::NoArbiter => "no_arbiter",
            DealError::RulingExceedsEscrow { .. } => "ruling_exceeds_escrow",
        }
    }
}

impl Deal {
    /// A new deal proposed by `proposer` (buyer or seller, whose signature of the terms hash it
    /// counts) at height `now`, before the funding deadline.
    pub fn propose(terms: Terms, proposer: &AccountId, now: Height) -> Result<Deal, DealError> {
        terms.validate()?;
        let (buyer_signed, seller_signed) = match terms.role(proposer) {
            Some(Role::Buyer) => (true, false),
            Some(Role::Seller) => (false, true),
            _ => {
                return Err(DealError::WrongParty {
                    actor: *proposer,
                    action: "propose".to_string(),
                    expected: "buyer or seller".to_string(),
                });
            }
        };
        if now >= terms.funding_deadline {
            return Err(DealError::DeadlinePassed {
                deadline: terms.funding_deadline,
                now,
            });
        }
        Ok(Deal {
            terms_hash: terms.hash(),
            terms,
            state: DealState::Proposed {
                buyer_signed,
                seller_signed,
            },
            escrowed: 0,
            delivery: None,
        })
    }

    /// Whether the deal is finished (nothing escrowed, no further transition).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.state,
            DealState::Accepted
                | DealState::Resolved { .. }
                | DealState::Cancelled
                | DealState::Expired
        )
    }

    /// The height at which [`tick`] will next change the deal, if any.
    pub fn next_deadline(&self) -> Option<Height> {
        let t = &self.terms;
        match self.state {
            DealState::Proposed { .. } | DealState::Committed => Some(t.funding_deadline),
            DealState::Funded => Some(t.delivery_deadline),
            DealState::Delivered { at } => Some(at.saturating_add(t.review_period)),
            DealState::Rejected { at } => Some(at.saturating_add(t.appeal_period)),
            DealState::Disputed { at } => Some(at.saturating_add(t.arbitration_period)),
            _ => None,
        }
    }

    /// This deal in `state` with the escrow paid out as `transfers`.
    fn release(&self, state: DealState, to_seller: Amount) -> (Deal, Vec<Transfer>) {
        let to_buyer = self.escrowed.saturating_sub(to_seller);
        let mut transfers = Vec::new();
        for (to, amount) in [(self.terms.seller, to_seller), (self.terms.buyer, to_buyer)] {
            if amount > 0 {
                transfers.push(Transfer::OutOfEscrow {
                    to,
                    asset: self.terms.asset,
                    amount,
                });
            }
        }
        let mut next = self.clone();
        next.state = state;
        next.escrowed = 0;
        (next, transfers)
    }

    fn with_state(&self, state: DealState) -> Deal {
        let mut next = self.clone();
        next.state = state;
        next
    }
}

fn deadline(now: Height, deadline: Height) -> Result<(), DealError> {
    if now >= deadline {
        Err(DealError::DeadlinePassed { deadline, now })
    } else {
        Ok(())
    }
}

/// Applies `action` by `actor` at height `now`. Returns the next deal and the transfers the
/// module must carry out, or an error and the deal stays as it was. Order of checks: the action
/// must fit the state ([`DealError::OutOfOrder`]), then the actor must be the right party
/// ([`DealError::WrongParty`]), then the action's own conditions (hash, deadline, ruling).
pub fn step(
    deal: &Deal,
    action: &Action,
    actor: &AccountId,
    now: Height,
) -> Result<(Deal, Vec<Transfer>), DealError> {
    let t = &deal.terms;
    let role = t.role(actor);
    let wrong = |expected: &str| DealError::WrongParty {
        actor: *actor,
        action: action.name().to_string(),
        expected: expected.to_string(),
    };
    let need = |r: Role, expected: &str| {
        if role == Some(r) {
            Ok(())
        } else {
            Err(wrong(expected))
        }
    };
    match (&deal.state, action) {
        (
            DealState::Proposed {
                buyer_signed,
                seller_signed,
            },
            Action::Sign { terms_hash },
        ) => {
            let (mut b, mut s) = (*buyer_signed, *seller_signed);
            match role {
                Some(Role::Buyer) if b => return Err(DealError::AlreadySigned),
                Some(Role::Seller) if s => return Err(DealError::AlreadySigned),
                Some(Role::Buyer) => b = true,
                Some(Role::Seller) => s = true,
                _ => return Err(wrong("buyer or seller")),
            }
            if *terms_hash != deal.terms_hash {
                return Err(DealError::TermsHashMismatch {
                    signed: *terms_hash,
                    expected: deal.terms_hash,
                });
            }
            deadline(now, t.funding_deadline)?;
            let state = if b && s {
                DealState::Committed
            } else {
                DealState::Proposed {
                    buyer_signed: b,
                    seller_signed: s,
                }
            };
            Ok((deal.with_state(state), Vec::new()))
        }
        (DealState::Committed, Action::Fund) => {
            need(Role::Buyer, "buyer")?;
            deadline(now, t.funding_deadline)?;
            let mut next = deal.with_state(DealState::Funded);
            next.escrowed = t.price;
            let transfer = Transfer::IntoEscrow {
                from: t.buyer,
                asset: t.asset,
                amount: t.price,
            };
            Ok((next, vec![transfer]))
        }
        (DealState::Funded, Action::Deliver { delivery }) => {
            need(Role::Seller, "seller")?;
            deadline(now, t.delivery_deadline)?;
            let mut next = deal.with_state(DealState::Delivered { at: now });
            next.delivery = Some(*delivery);
            Ok((next, Vec::new()))
        }
        (DealState::Delivered { .. }, Action::Accept) => {
            need(Role::Buyer, "buyer")?;
            Ok(deal.release(DealState::Accepted, deal.escrowed))
        }
        (DealState::Delivered { at }, Action::Reject) => {
            need(Role::Buyer, "buyer")?;
            deadline(now, at.saturating_add(t.review_period))?;
            Ok((deal.with_state(DealState::Rejected { at: now }), Vec::new()))
        }
        (DealState::Rejected { at }, Action::Dispute) => {
            need(Role::Seller, "seller")?;
            if t.arbiter.is_none() {
                return Err(DealError::NoArbiter);
            }
            deadline(now, at.saturating_add(t.appeal_period))?;
            Ok((deal.with_state(DealState::Disputed { at: now }), Vec::new()))
        }
        (DealState::Disputed { at }, Action::Resolve { to_seller }) => {
            need(Role::Arbiter, "arbiter")?;
            deadline(now, at.saturating_add(t.arbitration_period))?;
            if *to_seller > deal.escrowed {
                return Err(DealError::RulingExceedsEscrow {
                    to_seller: *to_seller,
                    escrowed: deal.escrowed,
                });
            }
            let to_buyer = deal.escrowed - *to_seller;
            let state = DealState::Resolved {
                to_seller: *to_seller,
                to_buyer,
            };
            Ok(deal.release(state, *to_seller))
        }
        (DealState::Proposed { .. } | DealState::Committed, Action::Cancel) => {
            if !matches!(role, Some(Role::Buyer | Role::Seller)) {
                return Err(wrong("buyer or seller"));
            }
            Ok((deal.with_state(DealState::Cancelled), Vec::new()))
        }
        (DealState::Funded, Action::Cancel) => {
            need(Role::Seller, "seller")?;
            Ok(deal.release(DealState::Cancelled, 0))
        }
        (state, action) => Err(DealError::OutOfOrder {
            state: state.name().to_string(),
            action: action.name().to_string(),
        }),
    }
}

/// Advances the deal's deadlines at height `now`: funding missed → Expired (nothing held);
/// delivery missed → Expired, buyer refunded; review period over → Accepted, seller paid; appeal
/// period over → Resolved, buyer refunded; arbitration period over → Resolved, buyer refunded.
/// Returns the deal unchanged and no transfers when no deadline has been reached. Every
/// transition it makes ends in a terminal state, so one call suffices.
pub fn tick(deal: &Deal, now: Height) -> (Deal, Vec<Transfer>) {
    let Some(due) = deal.next_deadline() else {
        return (deal.clone(), Vec::new());
    };
    if now < due {
        return (deal.clone(), Vec::new());
    }
    match deal.state {
        DealState::Proposed { .. } | DealState::Committed => {
            (deal.with_state(DealState::Expired), Vec::new())
        }
        DealState::Funded => deal.release(DealState::Expired, 0),
        DealState::Delivered { .. } => deal.release(DealState::Accepted, deal.escrowed),
        DealState::Rejected { .. } | DealState::Disputed { .. } => {
            let state = DealState::Resolved {
                to_seller: 0,
                to_buyer: deal.escrowed,
            };
            deal.release(state, 0)
        }
        _ => (deal.clone(), Vec::new()),
    }
}
