"""The pipeline's ONNX export, the parity check, the quality gate and the settings it reads."""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from trainer.data.encode import encode
from trainer.data.reader import read_table
from trainer.errors import ConfigError, ExportError
from trainer.model.onnx_export import PARITY_TOLERANCE, check_parity, to_onnx
from trainer.model.pipeline import Hyperparameters, build_pipeline
from trainer.schema import FEATURES, INPUT_NAME
from trainer.settings import settings_from_env
from trainer.steps.evaluate import gate
from trainer_support import Workspace


@pytest.fixture(scope="module")
def split(data_root: Path):
    data = encode(read_table(data_root / "train"))
    return train_test_split(data.X, data.y, test_size=0.3, stratify=data.y, random_state=0)


def fit(X, y, seed: int = 1, trees: int = 25):
    return build_pipeline(FEATURES, Hyperparameters(n_estimators=trees, random_seed=seed, subsample=0.8)).fit(X, y)


def test_onnx_probabilities_match_scikit_learn_on_held_out_rows_including_missing_values(split):
    X_fit, X_held, y_fit, _ = split
    assert np.isnan(X_held).any(axis=0).sum() >= 4  # the held-out rows exercise the missing-value paths
    pipeline = fit(X_fit, y_fit)
    parity = check_parity(pipeline, to_onnx(pipeline, len(FEATURES), INPUT_NAME), X_held)
    assert parity.rows == len(X_held)
    assert parity.max_abs_diff <= PARITY_TOLERANCE
    print(f"ONNX parity max abs diff on {parity.rows} held-out rows: {parity.max_abs_diff:.3g}")


def test_the_parity_check_fails_the_run_when_onnx_disagrees(split):
    X_fit, X_held, y_fit, _ = split
    other = to_onnx(fit(X_fit, y_fit, seed=2, trees=5), len(FEATURES), INPUT_NAME)
    with pytest.raises(ExportError, match="differ from scikit-learn"):
        check_parity(fit(X_fit, y_fit), other, X_held)


def test_training_is_deterministic_for_a_seed(split):
    X_fit, X_held, y_fit, _ = split
    a, b = fit(X_fit, y_fit), fit(X_fit, y_fit)
    np.testing.assert_array_equal(a.predict_proba(X_held), b.predict_proba(X_held))


def test_sagemaker_string_hyperparameters_are_parsed_and_its_own_keys_ignored():
    hp = Hyperparameters.from_mapping({"n_estimators": "12", "learning_rate": '"0.3"', "sagemaker_program": "x"})
    assert (hp.n_estimators, hp.learning_rate) == (12, 0.3)
    with pytest.raises(ConfigError, match="max_depth"):
        Hyperparameters.from_mapping({"max_depth": "0"})
    with pytest.raises(ConfigError, match="not a valid int"):
        Hyperparameters.from_mapping({"n_estimators": "many"})


def gate_for(value: float, champion: float | None, threshold: float = 0.7) -> dict:
    settings = settings_from_env({"QUALITY_THRESHOLD": str(threshold)})
    return gate(settings, {"auc": value}, None if champion is None else {"metrics": {"auc": champion}})


def test_the_gate_needs_both_the_threshold_and_the_champion():
    assert gate_for(0.8, None)["passed"] is True
    assert gate_for(0.8, 0.8)["passed"] is True  # a tie keeps the pipeline moving (matches the Condition step's >=)
    assert gate_for(0.8, 0.81)["passed"] is False
    refused = gate_for(0.65, None)
    assert refused["passed"] is False
    assert refused["reason"] == "auc 0.6500 < threshold 0.7, no champion to compare with"
    assert gate_for(0.8, 0.81)["reason"] == "auc 0.8000 >= threshold 0.7 and < champion 0.8100"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"QUALITY_METRIC": "log_loss"}, "higher-is-better"),
        ({"QUALITY_THRESHOLD": "high"}, "not a number"),
        ({"QUALITY_THRESHOLD": "1.5"}, "between 0 and 1"),
    ],
)
def test_invalid_gate_settings_name_the_variable(env: dict, fragment: str):
    with pytest.raises(ConfigError, match=fragment):
        settings_from_env(env)


def test_compare_alias_defaults_to_the_target_alias():
    assert settings_from_env({"TARGET_ALIAS": "challenger"}).compare_alias == "challenger"
    assert settings_from_env({"TARGET_ALIAS": "challenger", "COMPARE_ALIAS": "champion"}).compare_alias == "champion"


def test_evaluate_accepts_the_model_as_sagemakers_model_tar_gz(workspace: Workspace):
    assert workspace.train("unpacked") == 0
    packed = workspace.root / "packed"
    packed.mkdir()
    with tarfile.open(packed / "model.tar.gz", "w:gz") as tar:
        for path in (workspace.root / "unpacked").iterdir():
            tar.add(path, arcname=path.name)
    assert workspace.evaluate("packed") == 0
    assert workspace.evaluation("packed")["candidate"]["run_id"] == workspace.run_info("unpacked")["run_id"]


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("arn:aws:sagemaker:eu-west-1:123456789012:endpoint/not-mlflow", "not of a SageMaker MLflow tracking server"),
        ("file:///tmp/mlruns", "must start with http://, https:// or arn:aws:sagemaker:"),
        ("", "MLFLOW_TRACKING_URI is not set"),
    ],
)
def test_tracking_uris_other_than_a_server_url_or_a_sagemaker_mlflow_arn_are_rejected(uri: str, fragment: str):
    from trainer.tracking import connect

    with pytest.raises(ConfigError, match=fragment):
        connect(uri)
