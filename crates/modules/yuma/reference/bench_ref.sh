#!/usr/bin/env bash
# Times the numpy float64 reference on exactly the inputs of benches/epoch.rs.
# Usage: crates/modules/yuma/reference/bench_ref.sh   (from the workspace root)
# Prints one line per case: name, median wall and CPU milliseconds per epoch.
# (`cargo bench -p synod-yuma --bench epoch` prints the same comparison itself.)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo build -q --release -p synod-yuma --example bench_input
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/examples/bench_input"
for case in "256 64 sparse" "256 64 dense" "4096 256 sparse" "4096 256 dense"; do
  set -- $case
  "$bin" "$1" "$2" "$3" > "$tmp/in.json"
  read -r wall cpu < <(python3 "$here/yuma_ref.py" --bench "$tmp/in.json" "${REPEATS:-5}")
  echo "yuma::epoch/n=$1/$3 numpy wall ${wall} ms, cpu ${cpu} ms"
done
