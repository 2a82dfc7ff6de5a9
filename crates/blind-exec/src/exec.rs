//! The online executor.

use synod_blind_lang::Inputs;
use synod_mpc::{MpcField, Party, PartyId, Transport};

use crate::error::{ExecError, Result};
use crate::io::{NodeOutputs, StoredInputs};
use crate::plan::Plan;

/// Who plays a program party.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Role {
    /// An outside client: its secret inputs arrive pre-shared in
    /// [`StoredInputs`], its secret outputs leave as shares.
    #[default]
    Client,
    /// Committee member `id`: it shares its own secret inputs during the
    /// run (1 round) and receives its outputs in the clear (1 round).
    Member(PartyId),
}

/// Bindings of program parties (by index into `Mir::parties`) to roles.
/// Parties without a binding are [`Role::Client`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings {
    /// Role per program party.
    pub roles: Vec<Role>,
}

impl Bindings {
    /// Every party is an outside client.
    pub fn clients() -> Self {
        Self::default()
    }

    /// Role of program party `idx`.
    pub fn role(&self, idx: usize) -> Role {
        self.roles.get(idx).copied().unwrap_or_default()
    }
}

/// Options of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOptions {
    /// Party bindings (same at every node).
    pub bindings: Bindings,
    /// Plaintext inputs of the program parties bound to *this* member
    /// (party name → input name → value); ignored elsewhere.
    pub own_inputs: Inputs,
    /// Generate missing preprocessing (before the online phase, and on
    /// demand if control flow after a `reveal` needs more). When `false`,
    /// a short pool fails with [`ExecError::PreprocessingExhausted`].
    pub preprocess: bool,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            bindings: Bindings::default(),
            own_inputs: Inputs::new(),
            preprocess: true,
        }
    }
}

/// Run `plan` at this committee member on the inputs it stores, with every
/// program party an outside client. All members must call this together
/// (same plan, same public inputs).
pub async fn execute<F: MpcField, T: Transport<F>>(
    plan: &Plan,
    party: &mut Party<F, T>,
    inputs: &StoredInputs<F>,
) -> Result<NodeOutputs<F>> {
    execute_with(plan, party, inputs, &ExecOptions::default()).await
}

/// [`execute`] with bindings and options.
pub async fn execute_with<F: MpcField, T: Transport<F>>(
    plan: &Plan,
    party: &mut Party<F, T>,
    inputs: &StoredInputs<F>,
    opts: &ExecOptions,
) -> Result<NodeOutputs<F>> {
    let _ = (plan, party, inputs, opts);
    Err(ExecError::Internal("executor not implemented yet"))
}
