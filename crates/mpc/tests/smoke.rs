#![allow(clippy::unwrap_used)]
mod common;
use common::*;
use synod_mpc::*;

#[test]
fn smoke_compare() {
    let mut sim = Simulation::<Fr>::new(Params::new(3, 1).unwrap(), 1).unwrap();
    let a = dealt(&mut sim, &[-5, 7, 3, i64::MIN as i128]);
    let b = dealt(&mut sim, &[12, 7, -3, i64::MAX as i128]);
    let req = Requirements::compare(IntType::I64, 4);
    let out = sim
        .run(async |p| {
            p.preprocess(&req).await?;
            let before = p.rounds();
            let lt = p.lt(&a[p.id()], &b[p.id()], IntType::I64).await?;
            let after = p.rounds();
            let v = p.open(&lt).await?;
            Ok((v, after.online - before.online, after.preprocessing))
        })
        .unwrap();
    eprintln!("rounds online {} prep {}", out[0].1, out[0].2);
    assert_eq!(dec(&out[0].0), vec![1, 0, 0, 1]);
}
