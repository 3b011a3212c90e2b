"""MLflow credentials for a self-hosted server that requires authentication.

MLflow's own client reads MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD (basic auth) or MLFLOW_TRACKING_TOKEN
(bearer) from the environment on every request. The pipelines never put those into a step's Environment (it is part
of the pipeline definition and of Terraform state); they pass MLFLOW_CREDENTIALS_SECRET_ARN, a Secrets Manager
secret holding {"username","password"} or {"token"}, which is read here with the job's role and handed to MLflow's
client through those variables, in this process only. The values are never logged.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Callable, MutableMapping

from .errors import ConfigError, MlflowUnavailableError

log = logging.getLogger(__name__)

SECRET_VARIABLE = "MLFLOW_CREDENTIALS_SECRET_ARN"
CLIENT_VARIABLES = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")

# Answers that stay the same until someone changes the secret, its key or the role: retrying does not help.
_PERMANENT = {
    "AccessDeniedException",
    "ResourceNotFoundException",
    "DecryptionFailure",
    "InvalidRequestException",
    "InvalidParameterException",
    "ValidationException",
    "UnrecognizedClientException",
}


def _secrets_client(secret_arn: str) -> Any:
    import boto3  # late: only steps with a secret need it, and boto3 takes a moment to import

    # The secret's own region, from its ARN: boto3 does not read AWS_REGION, and the secret is where it is.
    parts = secret_arn.split(":")
    return boto3.client("secretsmanager", region_name=parts[3] if len(parts) > 3 and parts[3] else None)


def apply_mlflow_credentials(
    env: MutableMapping[str, str] | None = None, client_factory: Callable[[str], Any] = _secrets_client
) -> str:
    """Reads the secret named by MLFLOW_CREDENTIALS_SECRET_ARN (if set) into MLflow's client variables.

    Returns how MLflow will authenticate ("secret", "environment" or "none") for the log line.
    """
    env = os.environ if env is None else env
    arn = env.get(SECRET_VARIABLE, "").strip()
    given = [name for name in CLIENT_VARIABLES if env.get(name)]
    if not arn:
        return "environment" if given else "none"
    if given:
        raise ConfigError(f"{SECRET_VARIABLE} and {', '.join(given)} are both set: give the MLflow credentials one way only")

    from botocore.exceptions import BotoCoreError, ClientError

    try:
        secret = client_factory(arn).get_secret_value(SecretId=arn).get("SecretString")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        message = f"reading the MLflow credentials secret {arn} failed ({code})"
        if code in ("AccessDeniedException", "DecryptionFailure"):
            message += ": the role needs secretsmanager:GetSecretValue on the secret and kms:Decrypt on its key"
        if code in _PERMANENT:
            raise ConfigError(message, cause=exc) from exc
        raise MlflowUnavailableError(message, cause=exc) from exc
    except BotoCoreError as exc:
        raise MlflowUnavailableError(f"reading the MLflow credentials secret {arn} failed: {exc}", cause=exc) from exc

    try:
        value = json.loads(secret or "")
    except ValueError as exc:
        raise ConfigError(f'the MLflow credentials secret {arn} is not JSON {{"username","password"}} or {{"token"}}', cause=exc) from exc
    if isinstance(value, dict) and isinstance(value.get("username"), str) and value["username"] and isinstance(value.get("password"), str):
        env["MLFLOW_TRACKING_USERNAME"] = value["username"]
        env["MLFLOW_TRACKING_PASSWORD"] = value["password"]
    elif isinstance(value, dict) and isinstance(value.get("token"), str) and value["token"]:
        env["MLFLOW_TRACKING_TOKEN"] = value["token"]
    else:
        raise ConfigError(f'the MLflow credentials secret {arn} must hold {{"username","password"}} or {{"token"}}')
    log.info("MLflow: credentials from secret %s", arn)
    return "secret"
