#!/usr/bin/env bash
# Fetch llama.cpp's Python converters (convert_lora_to_gguf.py, convert_hf_to_gguf.py, conversion/,
# gguf-py/) for `qsm train export` and the training benchmark. They ship in no wheel, only inside the
# llama-cpp-python sdist, so this script downloads that sdist once (cached beside the llama-cpp-python
# wheel) and copies the converters out of its vendor/llama.cpp/ folder. Nothing lands in git.
#   scripts/fetch_llama_tools.sh [DEST]
# DEST defaults to .venv/share/qsm/llama.cpp (where qsm looks first; QSM_LLAMA_TOOLS overrides both).
# LLAMA_VERSION defaults to the installed llama-cpp-python's version.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
DEST=${1:-${QSM_LLAMA_TOOLS:-.venv/share/qsm/llama.cpp}}
WHEELS=${QSM_WHEEL_CACHE:-$HOME/.cache/qsm-wheels}
if [ -z "${LLAMA_VERSION:-}" ]; then
  LLAMA_VERSION=$("$PY" -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))" 2>/dev/null || echo 0.3.36)
fi
log() { printf '\033[1m[llama-tools]\033[0m %s\n' "$*"; }

if [ -f "$DEST/convert_lora_to_gguf.py" ] && [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$LLAMA_VERSION" ]; then
  log "llama.cpp converters $LLAMA_VERSION already in $DEST"
  exit 0
fi

mkdir -p "$WHEELS"
sdist="$WHEELS/llama_cpp_python-$LLAMA_VERSION.tar.gz"
if [ ! -f "$sdist" ]; then
  log "downloading the llama-cpp-python $LLAMA_VERSION sdist (about 75 MB, once; cached in $WHEELS)"
  "$PY" -m pip download -q --no-binary :all: --no-deps "llama-cpp-python==$LLAMA_VERSION" -d "$WHEELS"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
top="llama_cpp_python-$LLAMA_VERSION/vendor/llama.cpp"
tar -xzf "$sdist" -C "$work" \
  "$top/convert_lora_to_gguf.py" "$top/convert_hf_to_gguf.py" "$top/conversion" "$top/gguf-py" "$top/LICENSE"
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$work/$top" "$DEST"
echo "$LLAMA_VERSION" > "$DEST/VERSION"
log "llama.cpp converters $LLAMA_VERSION installed in $DEST"
