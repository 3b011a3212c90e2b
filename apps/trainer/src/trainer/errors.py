"""Typed errors: each says what went wrong, what to fix, and whether retrying can help."""


class TrainerError(Exception):
    """Base class. `retryable` tells the caller (and the failure file) whether the same input could succeed later."""

    retryable = False
    kind = "error"

    def __init__(self, message: str, *, cause: BaseException | None = None):
        super().__init__(message)
        self.cause = cause
        if cause is not None:
            self.__cause__ = cause


class ConfigError(TrainerError):
    """A missing or invalid setting (environment variable, flag, hyperparameter)."""

    kind = "config"


class InputDataError(TrainerError):
    """The data cannot be used as given: missing columns, wrong types, empty, a single class."""

    kind = "input-data"


class ModelArtifactError(TrainerError):
    """The model folder or evaluation.json handed to a step is missing or inconsistent."""

    kind = "model-artifact"


class ExportError(TrainerError):
    """ONNX conversion failed or the converted model disagrees with scikit-learn."""

    kind = "export"


class MlflowUnavailableError(TrainerError):
    """The tracking server cannot be reached or answered with a server error; a later retry may succeed."""

    kind = "mlflow-unavailable"
    retryable = True


class MlflowRequestError(TrainerError):
    """The tracking server refused a request (bad name, permissions...): retrying the same request will not help."""

    kind = "mlflow-request"
