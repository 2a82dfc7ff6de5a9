//! Golden vectors of key derivation from mnemonics and of signed messages, shared with the
//! Python SDK (`sdk/python/tests/test_mnemonic.py` reads `tests/golden/mnemonic.json`), so the
//! two derivations cannot drift. `GOLDEN_BLESS=1` writes the file when it is missing; an
//! existing file is never rewritten: a difference is a broken derivation, not a new vector.

use serde_json::{Value, json};
use synod_primitives::Keypair;
use synod_primitives::mnemonic::{Mnemonic, message_signing_hash, sign_message};

fn vectors() -> Value {
    let phrases = [
        (
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
             abandon about",
            "",
            0,
        ),
        (
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
             abandon about",
            "TREZOR",
            0,
        ),
        (
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
             abandon about",
            "",
            1,
        ),
        (
            "legal winner thank year wave sausage worth useful legal winner thank yellow",
            "",
            0,
        ),
        (
            "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo \
             zoo zoo vote",
            "pass phrase with spaces and ünïcödé",
            7,
        ),
    ];
    let keys: Vec<Value> = phrases
        .iter()
        .map(|(phrase, pass, index)| {
            let m = Mnemonic::parse(phrase).expect("valid vector");
            let k = m.keypair(pass, *index);
            json!({
                "mnemonic": m.phrase(),
                "passphrase": pass,
                "account_index": index,
                "bip39_seed": hex::encode(m.seed(pass)),
                "secret_seed": hex::encode(k.seed()),
                "account": k.account().to_string(),
            })
        })
        .collect();
    let signer = Keypair::dev("alice");
    let messages: Vec<Value> = [&b""[..], b"hello, synod", &[0, 1, 2, 255]]
        .iter()
        .map(|msg| {
            json!({
                "signer_seed": hex::encode(signer.seed()),
                "account": signer.account().to_string(),
                "message_hex": hex::encode(msg),
                "signing_hash": hex::encode(message_signing_hash(msg).0),
                "signature": sign_message(&signer, msg).to_string(),
            })
        })
        .collect();
    json!({"derivation_path": "m/44'/5957'/account'/0'/0'", "keys": keys, "messages": messages})
}

#[test]
fn mnemonic_derivation_and_message_signatures_match_the_golden_file() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/mnemonic.json");
    let now = vectors();
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let stored: Value = serde_json::from_str(&text).expect("golden file is JSON");
            assert_eq!(stored, now, "derivation changed: {}", path.display());
        }
        Err(_) if std::env::var_os("GOLDEN_BLESS").is_some() => {
            let text = serde_json::to_string_pretty(&now).expect("json") + "\n";
            std::fs::write(&path, text).expect("write golden file");
        }
        Err(e) => panic!("{}: {e} (GOLDEN_BLESS=1 writes it)", path.display()),
    }
}
