//! Public identities of subnets and hotkeys (name, URL, description: what lists show beside a
//! netuid or a validator), and the hotkey swap that moves everything a hotkey holds to a new
//! one while keeping its registrations.

use crate::registration::{require_owned, subnet};
use crate::state::{self, Globals, HotkeyPool, Neuron, SubnetInfo};
use crate::wire::{NetUid, ROOT_NETUID, SubnetEvent, SubnetFailure, Uid};
use crate::{CallError, CallResult, Ctx, sf};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use synod_bank as bank;
use synod_primitives::{AccountId, Signature};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::StateError;

/// Longest name, in bytes.
pub const MAX_NAME: usize = 64;
/// Longest URL, in bytes.
pub const MAX_URL: usize = 256;
/// Longest description, in bytes.
pub const MAX_DESCRIPTION: usize = 1024;

/// A public identity.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Identity {
    /// Display name (1..=64 bytes).
    pub name: String,
    /// Web page: empty, or an `http://` / `https://` URL (at most 256 bytes).
    pub url: String,
    /// What it is (at most 1024 bytes).
    pub description: String,
}

impl Identity {
    /// Checks the limits: sizes, no control characters, a web URL.
    pub fn check(&self) -> Result<(), String> {
        let fields = [
            ("name", &self.name, MAX_NAME),
            ("url", &self.url, MAX_URL),
            ("description", &self.description, MAX_DESCRIPTION),
        ];
        for (field, value, max) in fields {
            if value.len() > max {
                return Err(format!("{field} is {} bytes; at most {max}", value.len()));
            }
            if value.chars().any(|c| c.is_control() && c != '\n') {
                return Err(format!("{field} contains control characters"));
            }
        }
        if self.name.trim().is_empty() {
            return Err("name is empty".into());
        }
        if self.name.contains('\n') || self.url.contains('\n') {
            return Err("name and url are one line each".into());
        }
        let web = self.url.starts_with("https://") || self.url.starts_with("http://");
        if !(self.url.is_empty() || web) {
            return Err("url must start with http:// or https://".into());
        }
        Ok(())
    }
}

fn subnet_identity_key(netuid: NetUid) -> Vec<u8> {
    [b"subnets/ident/net/".as_slice(), &netuid.to_be_bytes()].concat()
}

fn hotkey_identity_key(hotkey: &AccountId) -> Vec<u8> {
    [b"subnets/ident/hk/".as_slice(), hotkey.as_bytes()].concat()
}

/// A subnet's identity, if set.
pub fn subnet_identity(
    s: &(impl StateRead + ?Sized),
    netuid: NetUid,
) -> Result<Option<Identity>, StateError> {
    state::get(s, &subnet_identity_key(netuid))
}

/// A hotkey's identity, if set.
pub fn hotkey_identity(
    s: &(impl StateRead + ?Sized),
    hotkey: &AccountId,
) -> Result<Option<Identity>, StateError> {
    state::get(s, &hotkey_identity_key(hotkey))
}

fn put_identity<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    key: Vec<u8>,
    identity: &Option<Identity>,
) -> Result<(), CallError> {
    match identity {
        Some(i) => {
            i.check()
                .map_err(|detail| sf(SubnetFailure::InvalidIdentity { detail }))?;
            state::put(s, key, i);
        }
        None => s.delete(key),
    }
    Ok(())
}

/// `set_subnet_identity`: the subnet's owner coldkey sets or clears it.
pub(crate) fn set_subnet_identity<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    netuid: NetUid,
    identity: &Option<Identity>,
) -> CallResult {
    let info = subnet(s, netuid)?;
    if info.owner_coldkey != *sender {
        return Err(sf(SubnetFailure::NotSubnetOwner));
    }
    put_identity(s, subnet_identity_key(netuid), identity)?;
    Ok(vec![SubnetEvent::SubnetIdentitySet {
        netuid,
        identity: identity.clone(),
    }])
}

/// `set_hotkey_identity`: the hotkey's owner coldkey sets or clears it.
pub(crate) fn set_hotkey_identity<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    sender: &AccountId,
    hotkey: &AccountId,
    identity: &Option<Identity>,
) -> CallResult {
    require_owned(s, sender, hotkey)?;
    put_identity(s, hotkey_identity_key(hotkey), identity)?;
    Ok(vec![SubnetEvent::HotkeyIdentitySet {
        hotkey: *hotkey,
        identity: identity.clone(),
    }])
}

fn move_value<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    from: Vec<u8>,
    to: Vec<u8>,
) -> Result<bool, StateError> {
    match s.get(&from)? {
        Some(v) => {
            s.delete(from);
            s.put(to, v);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// `swap_hotkey`: the owner coldkey moves everything `old` holds to `new` (which proves
/// possession with the binding signature and must be unused): its UID on every subnet (with
/// its weights, bonds, axon and scores, which are keyed by UID), subnet ownership, its stake
/// pools with every nominator's shares, take and identity. `old` is unbound and holds nothing
/// afterwards. Refused while `old` has unrevealed weight commits (their hashes bind it).
pub(crate) fn swap_hotkey<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    old: &AccountId,
    new: &AccountId,
    proof: &Signature,
) -> CallResult {
    require_owned(s, sender, old)?;
    if old == new {
        return Err(sf(SubnetFailure::SameOriginAndDestination));
    }
    let globals: Globals = state::get_or_default(s, &state::globals_key())?;
    let netuids: Vec<NetUid> = std::iter::once(ROOT_NETUID)
        .chain(globals.netuids.iter().copied())
        .collect();
    for &netuid in &netuids {
        let in_use = state::get::<Uid>(s, &state::uid_key(netuid, new))?.is_some()
            || state::get::<HotkeyPool>(s, &state::pool_key(netuid, new))?.is_some();
        if in_use {
            return Err(sf(SubnetFailure::HotkeyInUse { hotkey: *new }));
        }
        let commits: Vec<crate::state::WeightCommit> =
            state::get_or_default(s, &state::commits_key(netuid, old))?;
        if !commits.is_empty() {
            return Err(sf(SubnetFailure::WeightCommitsOpen { netuid }));
        }
    }
    // Binding checks the new hotkey's proof and that nobody holds it.
    bank::bind_hotkey(s, ctx.chain_id, sender, new, proof)?;
    bank::unbind_hotkey(s, sender, old);
    let mut moved_on = Vec::new();
    for &netuid in &netuids {
        let mut touched = false;
        if let Some(uid) = state::get::<Uid>(s, &state::uid_key(netuid, old))? {
            s.delete(state::uid_key(netuid, old));
            state::put(s, state::uid_key(netuid, new), &uid);
            let nk = state::neuron_key(netuid, uid);
            if let Some(mut n) = state::get::<Neuron>(s, &nk)? {
                n.hotkey = *new;
                state::put(s, nk, &n);
            }
            touched = true;
        }
        if netuid != ROOT_NETUID {
            let ik = state::info_key(netuid);
            if let Some(mut info) = state::get::<SubnetInfo>(s, &ik)?
                && info.owner_hotkey == *old
            {
                info.owner_hotkey = *new;
                state::put(s, ik, &info);
                touched = true;
            }
        }
        touched |= move_value(
            s,
            state::pool_key(netuid, old),
            state::pool_key(netuid, new),
        )?;
        let sk = state::stakers_key(netuid);
        let mut stakers: BTreeSet<(AccountId, AccountId)> = state::get_or_default(s, &sk)?;
        let nominators: Vec<AccountId> = stakers
            .range((*old, AccountId([0; 32]))..=(*old, AccountId([0xff; 32])))
            .map(|(_, ck)| *ck)
            .collect();
        for ck in &nominators {
            stakers.remove(&(*old, *ck));
            stakers.insert((*new, *ck));
            move_value(
                s,
                state::position_key(netuid, old, ck),
                state::position_key(netuid, new, ck),
            )?;
            let ik = state::coldkey_index_key(ck);
            let mut idx: BTreeSet<(NetUid, AccountId)> = state::get_or_default(s, &ik)?;
            idx.remove(&(netuid, *old));
            idx.insert((netuid, *new));
            state::put(s, ik, &idx);
        }
        if !nominators.is_empty() {
            state::put(s, sk, &stakers);
            touched = true;
        }
        if touched {
            moved_on.push(netuid);
        }
    }
    move_value(s, state::take_key(old), state::take_key(new))?;
    move_value(s, hotkey_identity_key(old), hotkey_identity_key(new))?;
    Ok(vec![SubnetEvent::HotkeySwapped {
        coldkey: *sender,
        old_hotkey: *old,
        new_hotkey: *new,
        netuids: moved_on,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str, url: &str, description: &str) -> Identity {
        Identity {
            name: name.into(),
            url: url.into(),
            description: description.into(),
        }
    }

    #[test]
    fn identities_are_checked() {
        assert!(
            id("Synod Labs", "https://example.org", "we validate")
                .check()
                .is_ok()
        );
        assert!(id("x", "", "multi\nline\ndescription").check().is_ok());
        for (bad, why) in [
            (id("", "", ""), "empty"),
            (id("   ", "", ""), "empty"),
            (id(&"n".repeat(65), "", ""), "at most 64"),
            (id("a", "ftp://x", ""), "http"),
            (id("a", "example.org", ""), "http"),
            (id("a\nb", "", ""), "one line"),
            (id("a\u{7}", "", ""), "control"),
            (id("a", "", &"d".repeat(1025)), "at most 1024"),
        ] {
            let e = bad.check().expect_err(why);
            assert!(e.contains(why), "{e} should say {why}");
        }
    }
}
