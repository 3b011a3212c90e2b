"""Fixtures for the trainer tests: the real MLflow server (from the environment) and small generated data sets."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from trainer.data.generator import GenerateOptions, generate
from trainer_support import Workspace

def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        raise pytest.UsageError(
            "MLFLOW_TRACKING_URI is not set: these tests need the real local MLflow server. Run them through "
            "`npx tsx scripts/local/services/cli.ts exec --only mlflow -- .venv/bin/python -m pytest -q test/trainer` "
            "(or scripts/test.sh)."
        )


@pytest.fixture(scope="session")
def tracking_uri() -> str:
    return os.environ["MLFLOW_TRACKING_URI"]


@pytest.fixture(scope="session")
def client(tracking_uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    generate(GenerateOptions(rows=3000, out=root / "train", seed=11, files=2))
    generate(GenerateOptions(rows=1500, out=root / "test", seed=12, fmt="parquet"))
    return root


@pytest.fixture
def workspace(tmp_path: Path, data_root: Path, tracking_uri: str, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    env = {
        "MLFLOW_TRACKING_URI": tracking_uri,
        "MLFLOW_EXPERIMENT_NAME": "trainer-tests",
        "MODEL_NAME": f"churn-test-{uuid.uuid4().hex[:8]}",
        "TARGET_ALIAS": "champion",
        "QUALITY_METRIC": "auc",
        "QUALITY_THRESHOLD": "0.6",
        "DATA_URI": "s3://bucket/train/2026-11-23/",
        "GIT_SHA": "0123abc",
        "RUN_DATE": "2026-11-23",
    }
    for key in ("COMPARE_ALIAS",):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Workspace(tmp_path, env, data_root / "train", data_root / "test")
