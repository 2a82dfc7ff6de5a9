//! Signed requests per second a Rust miner accepts, beside the same server without the checks,
//! in the same run: validators send concurrently over keep-alive connections on loopback; each
//! checked request is parsed, its signature verified, the caller looked up and its id recorded,
//! and the answer is signed.

use axum::Router;
use axum::routing::post;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::collections::HashMap;
use std::time::Duration;
use synod_axon::{Axon, AxonConfig, Dendrite, Member, Membership, Target};
use synod_primitives::{AccountId, Keypair};

struct Fixed(HashMap<AccountId, Member>);

impl Membership for Fixed {
    async fn lookup(&self, hotkey: AccountId) -> Result<Option<Member>, String> {
        Ok(self.0.get(&hotkey).copied())
    }
}

const BATCH: usize = 256;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let validator = Keypair::dev("validator");
    let miner = Keypair::dev("miner");
    let (checked, plain) = rt.block_on(async {
        let axon = Axon::new(
            AxonConfig::new(miner.clone(), "bench", 1),
            Fixed(HashMap::from([(
                validator.account(),
                Member { uid: 0, stake: 1 },
            )])),
        );
        let app = |protect: bool| {
            let r = Router::new().route("/task", post(|b: axum::body::Bytes| async move { b }));
            if protect { axon.protect(r) } else { r }
        };
        let mut urls = Vec::new();
        for protect in [true, false] {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            urls.push(format!("http://{}", l.local_addr().expect("addr")));
            let a = app(protect);
            tokio::spawn(async move {
                let _ = axum::serve(l, a).await;
            });
        }
        (urls[0].clone(), urls[1].clone())
    });
    let d = Dendrite::new(validator, "bench", 1).expect("client");
    let mut g = c.benchmark_group("miner_requests");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);
    for (name, url) in [("signed_and_checked", checked), ("unchecked", plain)] {
        let targets = vec![
            Target {
                hotkey: miner.account(),
                url,
            };
            BATCH
        ];
        g.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let answers = d
                        .fan_out(&targets, "POST", "/task", b"hello", Duration::from_secs(10))
                        .await;
                    // The unchecked server does not sign: count answers, not signatures.
                    assert!(answers.iter().all(|a| a.status == Some(200)));
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
