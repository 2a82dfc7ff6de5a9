//! `synod key ...`

use crate::Cli;
use crate::keystore::{KeyKind, Keystore, KeystoreError};
use crate::output::emit;
use anyhow::{Context, bail};
use clap::Subcommand;
use std::path::PathBuf;
use synod_primitives::keys::DEV_ACCOUNT_NAMES;
use synod_primitives::mnemonic::{Mnemonic, message_signing_hash, sign_message, verify_message};
use synod_primitives::{AccountId, Keypair, Signature};

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Generate a new key from a fresh BIP-39 mnemonic, shown once: write it down, it is the
    /// key's backup (`synod key regen` rebuilds the key from it).
    New {
        /// Name in the keystore.
        name: String,
        /// `cold` (funds; encrypted) or `hot` (operational).
        #[arg(long, value_enum, default_value = "cold")]
        kind: KeyKind,
        /// Make a coldkey without a passphrase (test keys only: it unlocks without asking).
        #[arg(long)]
        no_passphrase: bool,
        /// Words in the mnemonic: 12, 15, 18, 21 or 24.
        #[arg(long, default_value_t = 12)]
        words: usize,
        /// Also protect the mnemonic with a BIP-39 passphrase (asked for, or
        /// SYNOD_BIP39_PASSPHRASE): the words alone then give another key.
        #[arg(long)]
        bip39_passphrase: bool,
    },
    /// Rebuild a key from its BIP-39 mnemonic (read from stdin if --mnemonic is absent).
    Regen {
        /// Name in the keystore.
        name: String,
        /// The words, quoted.
        #[arg(long)]
        mnemonic: Option<String>,
        /// Account index on the derivation path m/44'/5957'/INDEX'/0'/0'.
        #[arg(long, default_value_t = 0)]
        index: u32,
        /// `cold` or `hot`.
        #[arg(long, value_enum, default_value = "cold")]
        kind: KeyKind,
        /// A coldkey without a passphrase (test keys only).
        #[arg(long)]
        no_passphrase: bool,
        /// The mnemonic was made with a BIP-39 passphrase (asked for, or
        /// SYNOD_BIP39_PASSPHRASE).
        #[arg(long)]
        bip39_passphrase: bool,
    },
    /// Add a watch-only key: a name for a public account, usable wherever an account is
    /// named but never to sign.
    Watch {
        /// Name in the keystore.
        name: String,
        /// The account (0x… public key).
        account: String,
    },
    /// Sign a message with a key (a signature over the message's tagged hash, so it can
    /// never be a transaction's signature).
    Sign {
        /// Signing key.
        name: String,
        /// The message as text.
        #[arg(long, conflicts_with_all = ["hex", "file"])]
        message: Option<String>,
        /// The message as hex bytes.
        #[arg(long, conflicts_with = "file")]
        hex: Option<String>,
        /// The message is this file's contents.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Check a message signature; exits non-zero if it does not verify.
    Verify {
        /// The signer's account (0x…, a keystore name, or a dev name with --dev).
        account: String,
        /// The signature (0x… hex).
        #[arg(long)]
        signature: String,
        /// The message as text.
        #[arg(long, conflicts_with_all = ["hex", "file"])]
        message: Option<String>,
        /// The message as hex bytes.
        #[arg(long, conflicts_with = "file")]
        hex: Option<String>,
        /// The message is this file's contents.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// List keys. A file that cannot be used is named on stderr (and, with --json, listed as
    /// `{"name", "file", "error"}`); the others are still listed and the exit status is 0.
    List,
    /// Show a key's account.
    Show {
        /// Name in the keystore (or a dev name with --dev).
        name: String,
    },
    /// Import a key from its 32-byte hex seed (read from stdin if --seed is absent).
    Import {
        /// Name in the keystore.
        name: String,
        /// Hex seed.
        #[arg(long)]
        seed: Option<String>,
        /// `cold` or `hot`.
        #[arg(long, value_enum, default_value = "cold")]
        kind: KeyKind,
        /// Import a coldkey without a passphrase (test keys only).
        #[arg(long)]
        no_passphrase: bool,
    },
    /// Print a key's secret seed (hex). Anyone with it controls the account.
    Export {
        /// Name in the keystore.
        name: String,
    },
}

/// The keystore directory: `--keystore`, else `~/.synod/keys`.
pub fn keystore(cli: &Cli) -> Keystore {
    let dir = cli.keystore.clone().unwrap_or_else(|| {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".synod")
            .join("keys")
    });
    Keystore::new(dir)
}

/// Passphrase from `SYNOD_PASSWORD`, else a prompt (twice when `confirm`).
pub fn passphrase(prompt: &str, confirm: bool) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("SYNOD_PASSWORD") {
        return Ok(p);
    }
    let p =
        rpassword::prompt_password(prompt).context("reading passphrase (or set SYNOD_PASSWORD)")?;
    if confirm {
        let again = rpassword::prompt_password("Repeat passphrase: ")?;
        if again != p {
            bail!("passphrases do not match");
        }
    }
    Ok(p)
}

/// The passphrase of a new coldkey: `None` for an explicit `--no-passphrase` key, otherwise
/// one that must not be empty (checked again by the keystore).
fn new_passphrase(kind: KeyKind, no_passphrase: bool) -> anyhow::Result<Option<String>> {
    match kind {
        KeyKind::Hot | KeyKind::Watch => Ok(None),
        KeyKind::Cold if no_passphrase => Ok(None),
        KeyKind::Cold => {
            let p = passphrase("New passphrase: ", true)?;
            if p.is_empty() {
                return Err(KeystoreError::EmptyPassphrase.into());
            }
            Ok(Some(p))
        }
    }
}

/// Resolves a signer: a dev name with `--dev`, else a keystore key (unlocked).
pub fn signer(cli: &Cli, name: &str) -> anyhow::Result<Keypair> {
    if cli.dev && DEV_ACCOUNT_NAMES.contains(&name.to_lowercase().as_str()) {
        return Ok(Keypair::dev(name));
    }
    let ks = keystore(cli);
    let mut asked = None;
    let key = ks.unlock(name, || {
        let p = passphrase(&format!("Passphrase for '{name}': "), false).unwrap_or_default();
        asked = Some(());
        p
    });
    key.map_err(|e| match e {
        KeystoreError::NotFound(_) if cli.dev => anyhow::anyhow!(
            "cannot use key '{name}': not in the keystore nor among dev names {DEV_ACCOUNT_NAMES:?}"
        ),
        KeystoreError::NotFound(_) => {
            anyhow::anyhow!("cannot use key '{name}': {e} (dev names need --dev)")
        }
        // The keystore's own reason (unsafe permissions with their fix, wrong passphrase)
        // is the message: wrapping it would hide the fix behind a generic line.
        e => anyhow::anyhow!("cannot use key '{name}': {e}"),
    })
}

/// The BIP-39 passphrase: empty unless asked for; then `SYNOD_BIP39_PASSPHRASE`, else a
/// prompt (twice for a new mnemonic, where a typo would make the backup useless).
fn mnemonic_passphrase(wanted: bool, confirm: bool) -> anyhow::Result<String> {
    if !wanted {
        return Ok(String::new());
    }
    if let Ok(p) = std::env::var("SYNOD_BIP39_PASSPHRASE") {
        return Ok(p);
    }
    let p = rpassword::prompt_password("BIP-39 passphrase: ")
        .context("reading the BIP-39 passphrase (or set SYNOD_BIP39_PASSPHRASE)")?;
    if confirm && rpassword::prompt_password("Repeat BIP-39 passphrase: ")? != p {
        bail!("BIP-39 passphrases do not match");
    }
    Ok(p)
}

/// Refuses `--kind watch` where a secret is being stored.
fn secret_kind(kind: KeyKind) -> anyhow::Result<()> {
    if kind == KeyKind::Watch {
        bail!("a watch-only key has no secret: add one with `synod key watch NAME 0x…`");
    }
    Ok(())
}

fn kind_name(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Cold => "cold",
        KeyKind::Hot => "hot",
        KeyKind::Watch => "watch",
    }
}

/// The message of `key sign|verify`: text, hex, or a file's bytes.
fn message_bytes(
    text: &Option<String>,
    hex_msg: &Option<String>,
    file: &Option<PathBuf>,
) -> anyhow::Result<Vec<u8>> {
    match (text, hex_msg, file) {
        (Some(t), _, _) => Ok(t.as_bytes().to_vec()),
        (_, Some(h), _) => {
            hex::decode(h.trim_start_matches("0x")).context("--hex must be hex bytes")
        }
        (_, _, Some(f)) => std::fs::read(f).with_context(|| format!("reading {}", f.display())),
        _ => bail!("give the message with --message, --hex or --file"),
    }
}

/// Resolves an account: `0x…` hex, a dev name with `--dev`, or a keystore name.
pub fn account(cli: &Cli, s: &str) -> anyhow::Result<AccountId> {
    if s.starts_with("0x") {
        return s
            .parse()
            .with_context(|| format!("'{s}' is not a valid account"));
    }
    if cli.dev && DEV_ACCOUNT_NAMES.contains(&s.to_lowercase().as_str()) {
        return Ok(Keypair::dev(s).account());
    }
    match keystore(cli).load(s) {
        Ok(f) => Ok(f.account),
        Err(e @ (KeystoreError::NotFound(_) | KeystoreError::BadName(_))) => {
            Err(anyhow::anyhow!(e)).with_context(|| {
                format!(
                    "'{s}' is not a 0x account, a keystore name{}",
                    if cli.dev {
                        ", or a dev name"
                    } else {
                        " (dev names need --dev)"
                    }
                )
            })
        }
        Err(e) => Err(e.into()),
    }
}

pub fn run(cli: &Cli, cmd: &KeyCommand) -> anyhow::Result<()> {
    let ks = keystore(cli);
    match cmd {
        KeyCommand::New {
            name,
            kind,
            no_passphrase,
            words,
            bip39_passphrase,
        } => {
            secret_kind(*kind)?;
            let mnemonic = Mnemonic::generate(*words)?;
            let extra = mnemonic_passphrase(*bip39_passphrase, true)?;
            let key = mnemonic.keypair(&extra, 0);
            let pass = new_passphrase(*kind, *no_passphrase)?;
            let file = ks.save(name, *kind, &key, pass.as_deref())?;
            let phrase = mnemonic.phrase();
            emit(
                cli.json,
                &serde_json::json!({"name": file.name, "kind": file.kind,
                    "account": file.account, "mnemonic": phrase}),
                || {
                    format!(
                        "created {} key '{}'\naccount: {}\n\nmnemonic (shown once; anyone with \
                         it controls the key; `synod key regen` restores it):\n{phrase}",
                        kind_name(file.kind),
                        file.name,
                        file.account
                    )
                },
            )
        }
        KeyCommand::Regen {
            name,
            mnemonic,
            index,
            kind,
            no_passphrase,
            bip39_passphrase,
        } => {
            secret_kind(*kind)?;
            let extra = mnemonic_passphrase(*bip39_passphrase, false)?;
            let phrase = match mnemonic {
                Some(m) => m.clone(),
                None => {
                    let mut s = String::new();
                    std::io::stdin().read_line(&mut s)?;
                    s
                }
            };
            let key = Mnemonic::parse(&phrase)?.keypair(&extra, *index);
            let pass = new_passphrase(*kind, *no_passphrase)?;
            let file = ks.save(name, *kind, &key, pass.as_deref())?;
            emit(
                cli.json,
                &serde_json::json!({"name": file.name, "kind": file.kind, "account": file.account}),
                || format!("restored '{}': {}", file.name, file.account),
            )
        }
        KeyCommand::Watch { name, account } => {
            let acct: AccountId = account
                .parse()
                .with_context(|| format!("'{account}' is not a 0x account"))?;
            let file = ks.save_watch(name, acct)?;
            emit(
                cli.json,
                &serde_json::json!({"name": file.name, "kind": file.kind, "account": file.account}),
                || format!("watching '{}': {}", file.name, file.account),
            )
        }
        KeyCommand::Sign {
            name,
            message,
            hex,
            file,
        } => {
            let msg = message_bytes(message, hex, file)?;
            let key = signer(cli, name)?;
            let sig = sign_message(&key, &msg);
            emit(
                cli.json,
                &serde_json::json!({"account": key.account(), "signature": sig,
                    "signing_hash": message_signing_hash(&msg)}),
                || sig.to_string(),
            )
        }
        KeyCommand::Verify {
            account: who,
            signature,
            message,
            hex,
            file,
        } => {
            let msg = message_bytes(message, hex, file)?;
            let acct = account(cli, who)?;
            let sig: Signature = signature
                .parse()
                .with_context(|| "the signature must be 64 bytes of 0x hex")?;
            if verify_message(&acct, &msg, &sig).is_err() {
                bail!("the signature does not verify: not this message signed by {acct}");
            }
            emit(
                cli.json,
                &serde_json::json!({"account": acct, "valid": true}),
                || format!("valid: signed by {acct}"),
            )
        }
        KeyCommand::List => {
            let listing = ks.list()?;
            // Unusable files are reported, not fatal: one damaged file must not hide the keys
            // that still work. They go to stderr so scripts reading stdout are not misled.
            for (path, e) in &listing.unreadable {
                eprintln!("warning: skipping {}: {e}", path.display());
            }
            let mut rows: Vec<_> = listing
                .keys
                .iter()
                .map(|f| {
                    let mut row =
                        serde_json::json!({"name": f.name, "kind": f.kind, "account": f.account});
                    if f.no_passphrase {
                        row["no_passphrase"] = true.into();
                    }
                    row
                })
                .collect();
            rows.extend(listing.unreadable.iter().map(|(path, e)| {
                serde_json::json!({
                    "name": path.file_stem().map(|s| s.to_string_lossy()),
                    "file": path,
                    "error": e.to_string(),
                })
            }));
            emit(cli.json, &rows, || {
                if listing.keys.is_empty() && listing.unreadable.is_empty() {
                    return "no keys (create one with `synod key new NAME`)".into();
                }
                let mut lines: Vec<String> = listing
                    .keys
                    .iter()
                    .map(|f| {
                        format!(
                            "{:<20} {:<5} {}",
                            f.name,
                            format!("{:?}", f.kind).to_lowercase(),
                            f.account
                        )
                    })
                    .collect();
                lines.extend(listing.unreadable.iter().map(|(path, _)| {
                    let stem = path
                        .file_stem()
                        .map(|s| s.to_string_lossy())
                        .unwrap_or_default();
                    format!("{stem:<20} ?     unreadable: {}", path.display())
                }));
                lines.join("\n")
            })
        }
        KeyCommand::Show { name } => {
            let acct = account(cli, name)?;
            let kind = ks.load(name).ok().map(|f| f.kind);
            emit(
                cli.json,
                &serde_json::json!({"name": name, "kind": kind, "account": acct}),
                || format!("{name}: {acct}"),
            )
        }
        KeyCommand::Import {
            name,
            seed,
            kind,
            no_passphrase,
        } => {
            let seed_hex = match seed {
                Some(s) => s.clone(),
                None => {
                    let mut s = String::new();
                    std::io::stdin().read_line(&mut s)?;
                    s
                }
            };
            let bytes = synod_primitives::hash::parse_hex_array::<32>(&seed_hex)
                .context("seed must be 32 bytes of hex")?;
            secret_kind(*kind)?;
            let key = Keypair::from_seed(&bytes);
            let pass = new_passphrase(*kind, *no_passphrase)?;
            let file = ks.save(name, *kind, &key, pass.as_deref())?;
            emit(
                cli.json,
                &serde_json::json!({"name": file.name, "kind": file.kind, "account": file.account}),
                || format!("imported '{}': {}", file.name, file.account),
            )
        }
        KeyCommand::Export { name } => {
            let key = signer(cli, name)?;
            let seed = hex::encode(key.seed());
            emit(
                cli.json,
                &serde_json::json!({"name": name, "account": key.account(), "seed": seed}),
                || format!("{seed}\n(keep this secret: it controls {})", key.account()),
            )
        }
    }
}
