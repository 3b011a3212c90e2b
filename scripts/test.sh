#!/usr/bin/env bash
# All tests: type check, unit tests, then integration tests and the trainer's pytest suite against the real
# local services (Kafka, MLflow, moto), which are installed on first use and stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "[test] type check"
npx tsc --noEmit -p tsconfig.json
echo "[test] unit tests"
npx jest --selectProjects unit
echo "[test] installing local services (first use only)"
npx tsx scripts/local-services/cli.ts install
echo "[test] integration tests"
npx jest --selectProjects integration --runInBand
echo "[test] trainer tests (pytest)"
npx tsx scripts/local-services/cli.ts exec --only mlflow -- .venv/bin/python -m pytest -q test/trainer
