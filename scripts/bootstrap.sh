#!/usr/bin/env bash
# Installs the npm packages when node_modules is missing or older than package-lock.json.
# The Python virtualenv and the Kafka jars are installed on first use by scripts/local/services.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.install-stamp
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  echo "[bootstrap] installing npm packages (npm ci)…"
  npm ci --no-audit --no-fund
  echo "$lock_sum" > "$stamp"
fi
