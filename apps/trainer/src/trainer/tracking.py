"""Connecting to MLflow and translating its failures into typed errors.

Two kinds of tracking URI:
- `http(s)://...` (self-hosted server, the local one in tests): used as is, probed with GET /health first so that
  an unreachable server fails in seconds with a clear message rather than after MLflow's long retry loop.
- `arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>` (SageMaker managed MLflow): AWS's
  `sagemaker-mlflow` plugin (pinned in requirements.txt) registers itself with MLflow for this URI scheme, resolves
  the server URL and signs every request with SigV4 using the container's AWS credentials (the SageMaker execution
  role). Nothing else differs, so this branch only checks that the plugin is installed. It cannot be exercised
  without AWS.

A self-hosted server that requires authentication gets MLflow's client variables (MLFLOW_TRACKING_USERNAME/PASSWORD
or MLFLOW_TRACKING_TOKEN), or MLFLOW_CREDENTIALS_SECRET_ARN in the pipelines (see credentials.py).
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import urllib.error
import urllib.request
from typing import Iterator

import mlflow
from mlflow.exceptions import MlflowException

from .credentials import apply_mlflow_credentials
from .errors import ConfigError, MlflowRequestError, MlflowUnavailableError, TrainerError

log = logging.getLogger(__name__)

ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:mlflow-(tracking-server|app)/.+$")
PROBE_ATTEMPTS = 3
PROBE_TIMEOUT_S = 5.0


def is_sagemaker_arn(uri: str) -> bool:
    return uri.startswith("arn:")


def connect(uri: str) -> None:
    """Points MLflow at `uri` and checks that it answers. Raises ConfigError / MlflowUnavailableError."""
    # sagemaker-mlflow's request-header provider fails to parse any non-ARN URI and MLflow warns on every request.
    logging.getLogger("mlflow.tracking.request_header.registry").setLevel(logging.ERROR)
    if not uri:
        raise ConfigError("MLFLOW_TRACKING_URI is not set: export the tracking server URL or its SageMaker ARN")
    if is_sagemaker_arn(uri):
        if not ARN_PATTERN.match(uri):
            raise ConfigError(
                f"MLFLOW_TRACKING_URI {uri!r} looks like an ARN but not of a SageMaker MLflow tracking server "
                "(arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>)"
            )
        try:
            import sagemaker_mlflow  # noqa: F401  (registers the ARN scheme with MLflow on import of its entry points)
        except ImportError as exc:
            raise ConfigError("MLFLOW_TRACKING_URI is an ARN but the sagemaker-mlflow plugin is not installed", cause=exc) from exc
        mlflow.set_tracking_uri(uri)
        log.info("MLflow: SageMaker managed tracking server %s (SigV4 via sagemaker-mlflow)", uri)
        return
    if not re.match(r"^https?://", uri):
        raise ConfigError(f"MLFLOW_TRACKING_URI {uri!r} must start with http://, https:// or arn:aws:sagemaker:")
    credentials = apply_mlflow_credentials()
    _probe(uri)
    mlflow.set_tracking_uri(uri)
    # /health answers without credentials; one authenticated call makes refused credentials fail now, not after training.
    with mlflow_errors("authenticate (search experiments)"):
        mlflow.search_experiments(max_results=1)
    log.info("MLflow: tracking server %s (credentials: %s)", uri, credentials)


def _probe(uri: str) -> None:
    url = uri.rstrip("/") + "/health"
    last: Exception | None = None
    for attempt in range(1, PROBE_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_S) as response:
                if response.status == 200:
                    return
                last = RuntimeError(f"HTTP {response.status}")
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        if attempt < PROBE_ATTEMPTS:
            time.sleep(attempt)
    raise MlflowUnavailableError(
        f"MLflow tracking server {uri} is unreachable ({last}) after {PROBE_ATTEMPTS} attempts: "
        "check MLFLOW_TRACKING_URI and that the server is running",
        cause=last,
    )


# The server refused who is asking (401) or what they may do (403): the fix is the credentials, not a retry.
_AUTH_HINTS = {
    "UNAUTHENTICATED": "the server requires credentials it did not get or did not accept (MLFLOW_TRACKING_USERNAME/"
    "MLFLOW_TRACKING_PASSWORD, MLFLOW_TRACKING_TOKEN or MLFLOW_CREDENTIALS_SECRET_ARN); ",
    "PERMISSION_DENIED": "the MLflow user lacks permission (EDIT on the experiment and registered model to log and "
    "register, READ to evaluate); ",
}


@contextlib.contextmanager
def mlflow_errors(action: str) -> Iterator[None]:
    """Wraps MLflow calls so every failure names the action and says whether a retry can help."""
    try:
        yield
    except TrainerError:
        raise
    except MlflowException as exc:
        code = getattr(exc, "error_code", "")
        retryable = code in ("INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED")
        error = MlflowUnavailableError if retryable else MlflowRequestError
        raise error(f"MLflow failed to {action}: {_AUTH_HINTS.get(code, '')}{exc.message}", cause=exc) from exc
    except (OSError, ConnectionError) as exc:
        raise MlflowUnavailableError(f"MLflow failed to {action}: {exc}", cause=exc) from exc
    except Exception as exc:
        # requests' exceptions derive from OSError; anything else is unexpected but still named.
        raise MlflowRequestError(f"MLflow failed to {action}: {type(exc).__name__}: {exc}", cause=exc) from exc
