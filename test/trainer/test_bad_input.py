"""Bad input: a clear error naming the problem, a non-zero exit, the failure file written, nothing registered."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from trainer.cli import EXIT_INPUT, EXIT_RETRYABLE
from trainer_support import Workspace


def csv_folder(path: Path, frame: pd.DataFrame) -> Path:
    path.mkdir(parents=True)
    frame.to_csv(path / "part-00000.csv", index=False)
    return path


def train_frame(workspace: Workspace) -> pd.DataFrame:
    return pd.concat([pd.read_csv(p, dtype=str) for p in sorted(workspace.train_dir.glob("*.csv"))], ignore_index=True)


def assert_failed(workspace: Workspace, code: int, expected_code: int, *fragments: str) -> str:
    assert code == expected_code
    message = workspace.failure.read_text()
    for fragment in fragments:
        assert fragment in message
    return message


def assert_nothing_registered(workspace: Workspace, client: MlflowClient) -> None:
    name = workspace.env["MODEL_NAME"]
    assert client.search_model_versions(f"name='{name}'") == []


def test_a_missing_feature_column_is_named(workspace: Workspace, client: MlflowClient):
    folder = csv_folder(workspace.root / "bad", train_frame(workspace).drop(columns=["plan", "tenure_months"]))
    code = workspace.train(train_dir=folder)
    assert_failed(workspace, code, EXIT_INPUT, "input-data", "missing column(s)", "'tenure_months'", "'plan'")
    assert not (workspace.root / "model").exists()
    assert_nothing_registered(workspace, client)


def test_a_non_numeric_number_is_named_with_its_file_row_and_value(workspace: Workspace):
    frame = train_frame(workspace)
    frame.loc[41, "monthly_charges"] = "12,5 EUR"
    code = workspace.train(train_dir=csv_folder(workspace.root / "bad", frame))
    assert_failed(workspace, code, EXIT_INPUT, "'monthly_charges' must hold numbers", "part-00000.csv row 42", "'12,5 EUR'")


def test_an_unknown_category_is_named_with_the_allowed_values(workspace: Workspace):
    frame = train_frame(workspace)
    frame.loc[7, "contract"] = "lifetime"
    code = workspace.train(train_dir=csv_folder(workspace.root / "bad", frame))
    assert_failed(workspace, code, EXIT_INPUT, "'contract'", "'lifetime'", "month-to-month")


def test_a_target_that_is_not_zero_or_one_is_rejected(workspace: Workspace):
    frame = train_frame(workspace)
    frame.loc[3, "churned"] = "maybe"
    code = workspace.train(train_dir=csv_folder(workspace.root / "bad", frame))
    assert_failed(workspace, code, EXIT_INPUT, "target column 'churned'", "'maybe'")


def test_empty_data_is_rejected(workspace: Workspace):
    frame = train_frame(workspace).iloc[:0]
    code = workspace.train(train_dir=csv_folder(workspace.root / "bad", frame))
    assert_failed(workspace, code, EXIT_INPUT, "no data rows")


def test_a_folder_without_data_files_is_rejected(workspace: Workspace):
    (workspace.root / "empty").mkdir()
    code = workspace.train(train_dir=workspace.root / "empty")
    assert_failed(workspace, code, EXIT_INPUT, "holds no .csv or .parquet files")


def test_a_single_class_is_rejected(workspace: Workspace):
    frame = train_frame(workspace).assign(churned="0")
    code = workspace.train(train_dir=csv_folder(workspace.root / "bad", frame))
    assert_failed(workspace, code, EXIT_INPUT, "single class")


def test_an_unknown_hyperparameter_is_rejected_before_any_work(workspace: Workspace):
    code = workspace.train(hp={"n_estimator": "10"})
    assert_failed(workspace, code, EXIT_INPUT, "unknown hyperparameter(s) ['n_estimator']")


def test_an_unreachable_mlflow_fails_train_as_retryable(workspace: Workspace, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # discard port: nothing listens
    code = workspace.train()
    assert_failed(workspace, code, EXIT_RETRYABLE, "mlflow-unavailable", "http://127.0.0.1:9", "unreachable", "retryable: yes")
    assert not (workspace.root / "model").exists()


def test_an_unreachable_mlflow_fails_register_as_retryable_and_the_retry_registers_once(
    workspace: Workspace, client: MlflowClient, monkeypatch
):
    assert workspace.train() == 0 and workspace.evaluate() == 0
    reachable = workspace.env["MLFLOW_TRACKING_URI"]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    assert_failed(workspace, workspace.register(), EXIT_RETRYABLE, "unreachable")
    assert not (workspace.root / "model" / "out" / "registration.json").exists()
    # "Nothing registered" alone could not fail (the step could not reach the server): what the failure promises
    # is that retrying helps. With MLflow back, the same step registers the candidate, exactly once.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", reachable)
    assert workspace.register() == 0
    assert workspace.registration()["reused_existing_version"] is False
    assert len(client.search_model_versions(f"name='{workspace.env['MODEL_NAME']}'")) == 1


def test_a_missing_tracking_uri_is_named(workspace: Workspace, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert_failed(workspace, workspace.train(), EXIT_INPUT, "missing environment variable(s): MLFLOW_TRACKING_URI")


def test_evaluate_rejects_test_data_with_a_wrong_type_and_writes_no_evaluation(workspace: Workspace):
    assert workspace.train() == 0
    frame = pd.read_parquet(next(workspace.test_dir.glob("*.parquet"))).astype({"tenure_months": "string"})
    frame.loc[0, "tenure_months"] = "ten"
    folder = workspace.root / "bad-test"
    folder.mkdir()
    frame.to_parquet(folder / "part-00000.parquet")
    assert_failed(workspace, workspace.evaluate(test_dir=folder), EXIT_INPUT, "'tenure_months'", "'ten'")
    assert not (workspace.root / "model" / "eval" / "evaluation.json").exists()


def test_register_without_an_evaluation_registers_nothing(workspace: Workspace, client: MlflowClient):
    assert workspace.train() == 0
    assert_failed(workspace, workspace.register(), EXIT_INPUT, "model-artifact", "evaluation.json", "does not exist")
    assert_nothing_registered(workspace, client)


def test_register_refuses_an_evaluation_of_another_run(workspace: Workspace, client: MlflowClient):
    assert workspace.train() == 0 and workspace.evaluate() == 0
    path = workspace.root / "model" / "eval" / "evaluation.json"
    evaluation = json.loads(path.read_text())
    evaluation["candidate"]["run_id"] = "someoneelse"
    path.write_text(json.dumps(evaluation))
    assert_failed(workspace, workspace.register(), EXIT_INPUT, "is for run someoneelse")
    assert_nothing_registered(workspace, client)


def test_register_does_not_move_the_alias_when_the_numbers_contradict_a_passed_flag(workspace: Workspace, client: MlflowClient):
    assert workspace.train() == 0 and workspace.evaluate() == 0
    path = workspace.root / "model" / "eval" / "evaluation.json"
    evaluation = json.loads(path.read_text())
    evaluation["gate"]["threshold"] = 0.99  # passed stays true, but the value is below the threshold
    path.write_text(json.dumps(evaluation))
    assert workspace.register() == 0
    assert workspace.registration()["alias_moved"] is False
    assert client.get_registered_model(workspace.env["MODEL_NAME"]).aliases == {}


def test_the_train_executable_exits_non_zero_and_writes_the_failure_file(workspace: Workspace, tmp_path: Path):
    """The real `train` console script in a subprocess, as SageMaker starts it."""
    train = Path(sys.executable).parent / "train"
    assert train.exists(), "install the package: pip install -e apps/trainer"
    empty = tmp_path / "no-data"
    empty.mkdir()
    failure = tmp_path / "failure"
    result = subprocess.run(
        [str(train), "--train-dir", str(empty), "--model-dir", str(tmp_path / "m"), "--failure-file", str(failure),
         "--hyperparameters", str(tmp_path / "none.json")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == EXIT_INPUT
    assert "holds no .csv or .parquet files" in result.stdout
    assert "holds no .csv or .parquet files" in failure.read_text()
