//! Off-chain payment channel updates per second: the payer signs the next state (nonce + 1,
//! cumulative amount + 1), the payee countersigns, and the co-signed state is verified as a
//! dispute would verify it (both signatures, against the channel's parties). Also the
//! verification alone, which is what each side does with what it receives.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use synod_agents_rules::{Asset, Channel, ChannelState, SignedChannelState};
use synod_primitives::Keypair;

fn bench(c: &mut Criterion) {
    let payer = Keypair::from_seed(&[1; 32]);
    let payee = Keypair::from_seed(&[2; 32]);
    let ch = Channel::open(
        payer.account(),
        payee.account(),
        Asset::Native,
        u128::MAX,
        100,
        0,
    )
    .expect("open");
    let mut g = c.benchmark_group("channel_update");
    g.throughput(Throughput::Elements(1));
    let mut nonce = 0u64;
    g.bench_function("sign_countersign_verify", |b| {
        b.iter(|| {
            nonce += 1;
            let state = ChannelState {
                channel_id: ch.id,
                nonce,
                cumulative_paid: u128::from(nonce),
            };
            let m = state.signing_payload();
            let signed = SignedChannelState {
                state,
                payer_sig: payer.sign(&m),
                payee_sig: payee.sign(&m),
            };
            ch.verify_update(&signed).expect("valid update");
            signed
        })
    });
    let state = ChannelState {
        channel_id: ch.id,
        nonce: 7,
        cumulative_paid: 7,
    };
    let m = state.signing_payload();
    let signed = SignedChannelState {
        state,
        payer_sig: payer.sign(&m),
        payee_sig: payee.sign(&m),
    };
    g.bench_function("verify_cosigned", |b| {
        b.iter(|| ch.verify_update(&signed).expect("valid"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
