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
echo "[test] checkov on every synthesized stack (installs its own virtualenv on first use)"
npx tsx scripts/checkov/scan.ts
echo "[test] installing local services (first use only)"
npx tsx scripts/local/services/cli.ts install
echo "[test] integration tests"
npx jest --selectProjects integration --runInBand
echo "[test] trainer tests (pytest)"
status=0
npx tsx scripts/local/services/cli.ts exec --only mlflow -- .venv/bin/python -m pytest -q test/trainer || status=$?
# pytest exits 5 when it collects no tests; accept that only while test/trainer really holds no test files.
if [ "$status" -eq 5 ] && [ -z "$(find test/trainer -name 'test_*.py' -o -name '*_test.py' | head -n 1)" ]; then
  echo "[test] no trainer tests yet (test/trainer has no test files); skipping"
  status=0
fi
exit "$status"
