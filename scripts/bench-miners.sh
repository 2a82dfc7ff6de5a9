#!/usr/bin/env bash
# Signed requests per second a Rust miner and a Python miner accept, each beside the same
# server without the protocol's checks, all in one run and driven by the same client
# (`synod axon bench`, the Rust dendrite): issue 15's benchmark.
#
#   scripts/bench-miners.sh [SECONDS] [CONCURRENCY]
#
# Needs a release `synod` (cargo build --release -p synod-cli) and a Python with the SDK
# (target/sdk-venv, as .ci/run makes it; or PYTHON=...). Starts its own `synod dev --tmp`,
# registers the validator and the miner hotkeys on a subnet (the Rust miner reads membership
# from the chain), then runs the four servers one after another on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
CONCURRENCY=${2:-64}
BIN=${SYNOD_BIN:-target/release/synod}
PY=${PYTHON:-target/sdk-venv/bin/python}
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release -p synod-cli" >&2; exit 1; }
[ -x "$PY" ] || { echo "no $PY: make target/sdk-venv (see .ci/run) or set PYTHON" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RPC_PORT=$(port); P2P_PORT=$(port); METRICS_PORT=$(port)
RPC=http://127.0.0.1:$RPC_PORT
"$BIN" dev --tmp --rpc-addr "127.0.0.1:$RPC_PORT" --p2p-addr "127.0.0.1:$P2P_PORT" \
  --metrics-addr "127.0.0.1:$METRICS_PORT" >"$WORK/dev.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
  curl -sf "$RPC" -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"synod_chainInfo","params":[]}' >/dev/null && break
  sleep 0.2
done

S=("$BIN" --rpc "$RPC" --dev --keystore "$WORK/keys" --json)
# The keys the Python bench miner knows (Keypair.dev names of miner_bench.py).
seed() { "$PY" -c "from synod import Keypair; print(Keypair.dev('$1').seed.hex())"; }
"${S[@]}" key import benchval --kind hot --seed "$(seed bench-validator)" >/dev/null
"${S[@]}" key import benchminer --kind hot --seed "$(seed bench-miner)" >/dev/null
"${S[@]}" key new ownerhot --kind hot >/dev/null
for k in benchval benchminer; do "${S[@]}" hotkey bind --from bob --hotkey "$k" >/dev/null; done
"${S[@]}" hotkey bind --from alice --hotkey ownerhot >/dev/null
"${S[@]}" subnet create --from alice --hotkey ownerhot >/dev/null
"${S[@]}" subnet start 1 --from alice >/dev/null
for k in benchval benchminer; do "${S[@]}" subnet register 1 --from bob --hotkey "$k" >/dev/null; done
CHAIN_ID=$("${S[@]}" chain info | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["chain_id"])')

run_bench() { # URL -> accepted/s
  "${S[@]}" axon bench --from benchval --netuid 1 --url "$1" --target benchminer \
    --seconds "$SECONDS_PER_RUN" --concurrency "$CONCURRENCY" \
    | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print("%.0f %d" % (r["accepted_per_second"], r["refused"]))'
}
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.1; done; }

declare -A RESULT
for server in rust python; do
  for mode in checked unchecked; do
    P=$(port)
    if [ "$server" = rust ]; then
      extra=(); [ "$mode" = unchecked ] && extra=(--no-checks)
      "${S[@]}" axon serve-example --hotkey benchminer --netuid 1 --listen "127.0.0.1:$P" \
        "${extra[@]}" >"$WORK/miner.log" 2>&1 &
    else
      extra=(); [ "$mode" = unchecked ] && extra=(--no-checks)
      "$PY" sdk/python/bench/miner_bench.py serve --chain-id "$CHAIN_ID" --port "$P" \
        "${extra[@]}" >"$WORK/miner.log" 2>&1 &
    fi
    MP=$!
    PIDS+=("$MP")
    wait_port "$P"
    RESULT[$server-$mode]=$(run_bench "http://127.0.0.1:$P")
    kill "$MP"; wait "$MP" 2>/dev/null || true
  done
done

echo "accepted requests/s, ${SECONDS_PER_RUN} s each, $CONCURRENCY in flight, client: synod axon bench ($(nproc) cores shared by client, miner and node)"
printf '%-8s %14s %14s %8s\n' server checked unchecked ratio
for server in rust python; do
  c=${RESULT[$server-checked]% *}; u=${RESULT[$server-unchecked]% *}
  printf '%-8s %14s %14s %7s%%\n' "$server" "$c" "$u" "$(( 100 * c / (u > 0 ? u : 1) ))"
  for mode in checked unchecked; do
    refused=${RESULT[$server-$mode]#* }
    [ "$refused" = 0 ] || echo "  warning: $server $mode refused $refused requests" >&2
  done
done
