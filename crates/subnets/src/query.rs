//! Read-only views for RPC and tooling: subnet list and details, hyperparameters, costs, the
//! metagraph, pools and stake positions.
