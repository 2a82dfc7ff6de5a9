//! The seam between protocol logic and the network.
//!
//! Protocols are written as `async` code against [`Transport`]; the compiler
//! turns each protocol into a party-local state machine that advances only
//! when a round's messages arrive. One [`Transport::exchange`] call is one
//! communication round: the party hands over one [`Message`] per peer and
//! gets back exactly one message from every peer for the same round. The
//! in-process [`crate::sim::LocalNetwork`] implements it for tests and
//! benchmarks; a networked implementation only has to move
//! [`Message::encode`]d bytes and feed [`Message::decode`]d ones back.

use core::future::Future;

use crate::error::MpcError;
use crate::message::Message;

/// A synchronous-round message transport for one party.
pub trait Transport<F>: Send {
    /// Send `outgoing` (one message per peer, `round` set, `from` = this
    /// party) and resolve to the messages addressed to this party in
    /// `round`, one per peer (any order). The party validates sender,
    /// receiver and round of what comes back.
    fn exchange(
        &mut self,
        round: u64,
        outgoing: Vec<Message<F>>,
    ) -> impl Future<Output = Result<Vec<Message<F>>, MpcError>> + Send;
}
