//! `synod key ...`

use crate::Cli;
use crate::keystore::{KeyKind, Keystore, KeystoreError};
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
        /// Make a coldkey without a passphrase (test keys only: it unlocks without asking).
        #[arg(long)]
        no_passphrase: bool,
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
        KeyKind::Hot => Ok(None),
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
        } => {
            let key = Keypair::generate()?;
            let pass = new_passphrase(*kind, *no_passphrase)?;
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
