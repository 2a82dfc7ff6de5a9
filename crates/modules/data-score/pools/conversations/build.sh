#!/usr/bin/env bash
# Builds conversations.wasm from score.c, reproducibly: fixed flags, no debug info, no names,
# no paths (the source is compiled by its bare name from this directory), everything custom
# stripped. Prints the module's sha256 and its Synod program hash.
#
#   ./build.sh                 writes conversations.wasm here
#   ./build.sh OUT.wasm        writes OUT.wasm instead (relative to this directory, or absolute;
#                              the crate's rebuild test uses this)
#
# Needs clang and wasm-ld (Debian: apt-get install clang lld). The committed module was built
# with Debian clang 14.0.6 (bookworm); another clang version may emit different bytes.
set -euo pipefail
cd "$(dirname "$0")"
out="${1:-conversations.wasm}"

clang --target=wasm32 -mcpu=mvp -O2 \
  -ffreestanding -fno-builtin -nostdlib \
  -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--strip-all \
  -o "$out" score.c

# Hash::tagged("synod/data/scoring-program/v1", wasm) = BLAKE3(u32_le(29) || tag || wasm).
program_hash() {
  if command -v b3sum >/dev/null 2>&1; then
    { printf '\x1d\x00\x00\x00synod/data/scoring-program/v1'; cat "$1"; } | b3sum --no-names | sed 's/^/0x/'
  elif python3 -c 'import blake3' 2>/dev/null; then
    python3 - "$1" <<'PY'
import sys, blake3
tag = b"synod/data/scoring-program/v1"
print("0x" + blake3.blake3(len(tag).to_bytes(4, "little") + tag + open(sys.argv[1], "rb").read()).hexdigest())
PY
  else
    echo "(install b3sum or the blake3 Python package to print it here;" \
         "cargo test -p synod-data-score prints it too)"
  fi
}

echo "sha256        $(sha256sum "$out" | cut -d' ' -f1)  $out"
echo "program hash  $(program_hash "$out")"
