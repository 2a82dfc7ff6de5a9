//! WebSocket subscriptions deliver finalized blocks and their events.

mod common;

use common::*;
use jsonrpsee::core::client::{Subscription, SubscriptionClientT};
use std::time::Duration;
use synod_primitives::Keypair;
use synod_rpc::SynodApiClient;
use synod_rpc::api::{BlockJson, TxEvents};
use synod_runtime::BankEvent;
use synod_runtime::Event;

#[test]
fn finalized_blocks_and_events_stream_over_websocket() {
    let dir = tempfile::tempdir().expect("tmp");
    let net = Devnet::start(&dir.path().join("node"));
    let rt = runtime();
    let ws_url = net.rpc.replace("http://", "ws://");
    rt.block_on(async {
        let ws = jsonrpsee::ws_client::WsClientBuilder::default()
            .build(&ws_url)
            .await
            .expect("ws");
        let mut blocks: Subscription<BlockJson> = ws
            .subscribe(
                "synod_subscribeFinalizedBlocks",
                jsonrpsee::rpc_params![],
                "synod_unsubscribeFinalizedBlocks",
            )
            .await
            .expect("subscribe blocks");
        let mut events: Subscription<TxEvents> = ws
            .subscribe(
                "synod_subscribeEvents",
                jsonrpsee::rpc_params![],
                "synod_unsubscribeEvents",
            )
            .await
            .expect("subscribe events");
        let (alice, bob) = (Keypair::dev("alice"), Keypair::dev("bob"));
        let tx = transfer(&alice, 0, &bob, 42);
        let hash = net
            .client()
            .submit_transaction(hex_tx(&tx))
            .await
            .expect("submit");

        let found_block = tokio::time::timeout(Duration::from_secs(30), async {
            let mut last_height = 0;
            loop {
                let b = blocks
                    .next()
                    .await
                    .expect("stream open")
                    .expect("valid block");
                assert!(
                    b.header.height > last_height || last_height == 0,
                    "in order"
                );
                last_height = b.header.height;
                if b.transactions.iter().any(|t| t.hash == hash) {
                    return b.header.height;
                }
            }
        })
        .await
        .expect("block with the transfer arrives");

        let ev = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let e = events
                    .next()
                    .await
                    .expect("stream open")
                    .expect("valid events");
                if e.tx_hash == hash {
                    return e;
                }
            }
        })
        .await
        .expect("events of the transfer arrive");
        assert_eq!(ev.height, found_block);
        assert!(ev.events.contains(&Event::Bank(BankEvent::Transfer {
            from: alice.account(),
            to: bob.account(),
            amount: 42
        })));
        assert!(matches!(
            ev.events[0],
            Event::Bank(BankEvent::FeePaid { .. })
        ));
    });
}
