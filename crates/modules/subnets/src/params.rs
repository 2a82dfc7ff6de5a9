//! Chain-wide subnet parameters and per-subnet hyperparameters with their bounds.
//!
//! The types live in `synod-primitives` because the genesis carries them
//! ([`synod_primitives::Genesis::subnets`]); this module names them for the module's code.

pub use synod_primitives::subnet_params::{SubnetHyperparams, SubnetParams, SubnetParamsError};

/// The module's name for the chain-wide parameters.
pub type Params = SubnetParams;
