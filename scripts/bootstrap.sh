#!/usr/bin/env bash
# Installs what the npm scripts need, each part only when it is missing or its lock file changed (a hash compare:
# a few milliseconds when everything is current). Every npm script that needs installs runs this first.
#   npm packages            npm ci, when node_modules is missing or older than package-lock.json
#   the scorer's Node       containers/scorer/node: the Node.js runtime of the scorer image (Linux only)
#   --python                also the Python virtualenv .venv (requirements-dev.txt), through the local services'
#                           installer, which also keeps it current when requirements change
# Usage: bash scripts/bootstrap.sh [--python] [--help]
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}
python=0
for arg in "$@"; do
  case "$arg" in
    --python) python=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bootstrap: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

# onnxruntime-node's install script downloads CUDA libraries on Linux x64 unless told to skip; the scorer uses the
# CPU build inside the package. An environment variable, not .npmrc: npm warns about keys it does not know there.
export ONNXRUNTIME_NODE_INSTALL=skip

# npm ci in folder $1 when its package-lock.json differs from what the stamp in $1/node_modules recorded.
install_locked() {
  local dir=$1 what=$2 stamp lock_sum
  stamp="$dir/node_modules/.install-stamp"
  lock_sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
    echo "[bootstrap] installing $what (npm ci in ${dir})…" >&2
    local started=$SECONDS
    # Progress and the summary go to stderr: scripts that print machine-readable output keep stdout clean.
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
    echo "$lock_sum" > "$stamp"
    echo "[bootstrap] $what installed in $((SECONDS - started)) s" >&2
  fi
}

install_locked . "npm packages"
# The scorer image's Node.js binary exists for Linux only; elsewhere the scorer runs on the Node that runs npm.
if [ "$(uname -s)" = Linux ]; then
  install_locked containers/scorer/node "the scorer image's Node.js runtime"
fi
if [ "$python" = 1 ]; then
  node_modules/.bin/tsx scripts/local/services/cli.ts install --only mlflow --quiet >&2
fi
