//! `synod key ...`

use crate::Cli;
use crate::keystore::{KeyKind, Keystore};
use crate::output::emit;
use anyhow::{Context, bail};
use clap::Subcommand;
use std::path::PathBuf;
use synod_primitives::keys::DEV_ACCOUNT_NAMES;
use synod_primitives::{AccountId, Keypair};

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Generate a new key.
    New {
        /// Name in the keystore.
        name: String,
        /// `cold` (funds; encrypted) or `hot` (operational).
        #[arg(long, value_enum, default_value = "cold")]
        kind: KeyKind,
    },
    /// List keys.
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
    key.with_context(|| {
        if cli.dev {
            format!("no key '{name}' in the keystore or among dev names {DEV_ACCOUNT_NAMES:?}")
        } else {
            format!("cannot use key '{name}' (dev names need --dev)")
        }
    })
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
        Err(e) => Err(anyhow::anyhow!(e)).with_context(|| {
            format!(
                "'{s}' is not a 0x account, a keystore name{}",
                if cli.dev {
                    ", or a dev name"
                } else {
                    " (dev names need --dev)"
                }
            )
        }),
    }
}

pub fn run(cli: &Cli, cmd: &KeyCommand) -> anyhow::Result<()> {
    let ks = keystore(cli);
    match cmd {
        KeyCommand::New { name, kind } => {
            let key = Keypair::generate()?;
            let pass = match kind {
                KeyKind::Cold => Some(passphrase("New passphrase: ", true)?),
                KeyKind::Hot => None,
            };
            let file = ks.save(name, *kind, &key, pass.as_deref())?;
            emit(
                cli.json,
                &serde_json::json!({"name": file.name, "kind": file.kind, "account": file.account}),
                || {
                    format!(
                        "created {:?} key '{}'\naccount: {}",
                        file.kind, file.name, file.account
                    )
                    .to_lowercase()
                },
            )
        }
        KeyCommand::List => {
            let files = ks.list()?;
            let rows: Vec<_> = files
                .iter()
                .map(|f| serde_json::json!({"name": f.name, "kind": f.kind, "account": f.account}))
                .collect();
            emit(cli.json, &rows, || {
                if files.is_empty() {
                    return "no keys (create one with `synod key new NAME`)".into();
                }
                files
                    .iter()
                    .map(|f| {
                        format!(
                            "{:<20} {:<5} {}",
                            f.name,
                            format!("{:?}", f.kind).to_lowercase(),
                            f.account
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
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
        KeyCommand::Import { name, seed, kind } => {
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
            let key = Keypair::from_seed(&bytes);
            let pass = match kind {
                KeyKind::Cold => Some(passphrase("New passphrase: ", true)?),
                KeyKind::Hot => None,
            };
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
