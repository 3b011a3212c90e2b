"""MLFLOW_CREDENTIALS_SECRET_ARN: the secret is read with the job's AWS credentials and handed to MLflow's client."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from trainer.credentials import apply_mlflow_credentials
from trainer.errors import ConfigError

REGION = "eu-central-1"


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch):
    # In-process moto: nothing here may reach a real account or the local emulator's server.
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def test_basic_credentials_from_the_secret_become_mlflows_client_variables(secrets) -> None:
    arn = secrets.create_secret(Name="mlflow-app", SecretString=json.dumps({"username": "app", "password": "pw"}))["ARN"]
    env = {"MLFLOW_CREDENTIALS_SECRET_ARN": arn}
    assert apply_mlflow_credentials(env, lambda _arn: secrets) == "secret"
    assert env["MLFLOW_TRACKING_USERNAME"] == "app" and env["MLFLOW_TRACKING_PASSWORD"] == "pw"
    assert "MLFLOW_TRACKING_TOKEN" not in env


def test_a_token_secret_becomes_a_bearer_token(secrets) -> None:
    arn = secrets.create_secret(Name="mlflow-token", SecretString=json.dumps({"token": "t0k"}))["ARN"]
    env = {"MLFLOW_CREDENTIALS_SECRET_ARN": arn}
    apply_mlflow_credentials(env, lambda _arn: secrets)
    assert env["MLFLOW_TRACKING_TOKEN"] == "t0k"


def test_a_secret_of_the_wrong_shape_is_named_and_its_value_never_shown(secrets) -> None:
    arn = secrets.create_secret(Name="mlflow-bad", SecretString="app:hunter2")["ARN"]
    with pytest.raises(ConfigError) as caught:
        apply_mlflow_credentials({"MLFLOW_CREDENTIALS_SECRET_ARN": arn}, lambda _arn: secrets)
    assert arn in str(caught.value) and "is not JSON" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_a_missing_secret_is_a_configuration_error_not_worth_retrying(secrets) -> None:
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:nope-AbCdEf"
    with pytest.raises(ConfigError, match="ResourceNotFoundException"):
        apply_mlflow_credentials({"MLFLOW_CREDENTIALS_SECRET_ARN": arn}, lambda _arn: secrets)


def test_credentials_given_two_ways_are_refused() -> None:
    env = {"MLFLOW_CREDENTIALS_SECRET_ARN": "arn:x", "MLFLOW_TRACKING_PASSWORD": "pw"}
    with pytest.raises(ConfigError, match="both set"):
        apply_mlflow_credentials(env, lambda _arn: pytest.fail("the secret must not be read"))


def test_without_a_secret_mlflows_own_variables_are_left_as_they_are() -> None:
    assert apply_mlflow_credentials({"MLFLOW_TRACKING_TOKEN": "t"}, lambda _arn: pytest.fail("no secret to read")) == "environment"
    assert apply_mlflow_credentials({}, lambda _arn: pytest.fail("no secret to read")) == "none"


def test_the_client_is_made_in_the_secrets_own_region(secrets, monkeypatch: pytest.MonkeyPatch) -> None:
    # boto3 ignores AWS_REGION; without AWS_DEFAULT_REGION the ARN's region must still be used.
    arn = secrets.create_secret(Name="mlflow-region", SecretString=json.dumps({"username": "app", "password": "pw"}))["ARN"]
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    env = {"MLFLOW_CREDENTIALS_SECRET_ARN": arn}
    apply_mlflow_credentials(env)
    assert env["MLFLOW_TRACKING_USERNAME"] == "app"
