//! `synod config`: defaults for the global options, in a TOML file, so an operator sets the
//! node once (`synod config set rpc http://10.0.0.2:9944`) instead of on every command.
//!
//! The file is `$SYNOD_CONFIG`, else `~/.synod/config.toml`. Keys: `rpc`, `keystore`,
//! `state_dir` (pending weight commits), `dev` (resolve dev names). A flag beats its
//! environment variable, which beats the file, which beats the built-in default.

use crate::Cli;
use crate::output::emit;
use anyhow::{Context, bail};
use clap::Subcommand;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The built-in node endpoint.
pub const DEFAULT_RPC: &str = "http://127.0.0.1:9944";

/// `synod config ...`
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Show the file's settings and the values in effect.
    Show,
    /// Set a key: rpc, keystore, state_dir or dev.
    Set {
        /// The key.
        key: String,
        /// Its value.
        value: String,
    },
    /// Remove a key (back to the built-in default).
    Unset {
        /// The key.
        key: String,
    },
    /// Print the file's path.
    Path,
}

/// The file's contents.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// JSON-RPC endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpc: Option<String>,
    /// Keystore directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore: Option<PathBuf>,
    /// State directory (pending weight commits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<PathBuf>,
    /// Resolve dev names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dev: Option<bool>,
}

/// Where the file is.
pub fn path() -> PathBuf {
    match std::env::var_os("SYNOD_CONFIG") {
        Some(p) => PathBuf::from(p),
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".synod")
            .join("config.toml"),
    }
}

/// Reads the file (empty when there is none). A file that does not parse is an error that
/// names it: silently ignoring it would send transactions to the wrong node.
pub fn load() -> anyhow::Result<Config> {
    let p = path();
    match std::fs::read_to_string(&p) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("config file {}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

fn save(c: &Config) -> anyhow::Result<()> {
    let p = path();
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = p.with_extension("toml.tmp");
    std::fs::write(&tmp, toml::to_string(c)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &p).with_context(|| format!("writing {}", p.display()))
}

/// Fills the global options the command line and environment left unset from the file.
pub fn apply(cli: &mut Cli, rpc_given: bool) -> anyhow::Result<()> {
    let c = load()?;
    if !rpc_given {
        cli.rpc = c.rpc.unwrap_or_else(|| DEFAULT_RPC.to_string());
    }
    if cli.keystore.is_none() {
        cli.keystore = c.keystore;
    }
    if !cli.dev {
        cli.dev = c.dev.unwrap_or(false);
    }
    Ok(())
}

pub fn run(cli: &Cli, cmd: &ConfigCommand) -> anyhow::Result<()> {
    match cmd {
        ConfigCommand::Path => emit(cli.json, &path(), || path().display().to_string()),
        ConfigCommand::Show => {
            let c = load()?;
            let effective = serde_json::json!({
                "file": path(),
                "settings": c,
                "in_effect": {
                    "rpc": cli.rpc,
                    "keystore": cli.keystore,
                    "state_dir": crate::weights::state_dir(),
                    "dev": cli.dev,
                },
            });
            emit(cli.json, &effective, || {
                format!(
                    "file:     {}\n{}\nin effect: rpc {}, keystore {}, dev {}",
                    path().display(),
                    toml::to_string(&c).unwrap_or_default().trim_end(),
                    cli.rpc,
                    cli.keystore
                        .as_ref()
                        .map_or("~/.synod/keys".into(), |k| k.display().to_string()),
                    cli.dev
                )
            })
        }
        ConfigCommand::Set { key, value } => {
            let mut c = load()?;
            match key.as_str() {
                "rpc" => {
                    if !["http://", "https://", "ws://", "wss://"]
                        .iter()
                        .any(|s| value.starts_with(s))
                    {
                        bail!("rpc must be an http(s):// or ws(s):// URL, not '{value}'");
                    }
                    c.rpc = Some(value.clone());
                }
                "keystore" => c.keystore = Some(PathBuf::from(value)),
                "state_dir" => c.state_dir = Some(PathBuf::from(value)),
                "dev" => {
                    c.dev = Some(
                        value
                            .parse()
                            .with_context(|| format!("dev is true or false, not '{value}'"))?,
                    )
                }
                other => bail!("unknown key '{other}': use rpc, keystore, state_dir or dev"),
            }
            save(&c)?;
            emit(cli.json, &c, || {
                format!("{key} = {value} ({})", path().display())
            })
        }
        ConfigCommand::Unset { key } => {
            let mut c = load()?;
            match key.as_str() {
                "rpc" => c.rpc = None,
                "keystore" => c.keystore = None,
                "state_dir" => c.state_dir = None,
                "dev" => c.dev = None,
                other => bail!("unknown key '{other}': use rpc, keystore, state_dir or dev"),
            }
            save(&c)?;
            emit(cli.json, &c, || {
                format!("{key} unset ({})", path().display())
            })
        }
    }
}
