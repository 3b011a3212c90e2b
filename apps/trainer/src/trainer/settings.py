"""Settings from the environment (docs/container-interface.md), read once by the CLI and passed down typed."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping

from .errors import ConfigError
from .model.metrics import GATE_METRICS

DEFAULT_EXPERIMENT = "churn"
DEFAULT_THRESHOLD = 0.5  # AUC of a coin flip: a real threshold comes from the environment config


@dataclass(frozen=True)
class Settings:
    tracking_uri: str
    experiment_name: str
    model_name: str
    target_alias: str
    compare_alias: str
    quality_metric: str
    quality_threshold: float
    run_date: str
    data_uri: str
    git_sha: str

    def require(self, *names: str) -> None:
        """Each step needs a different subset; name the missing variable and the fix."""
        env_names = {
            "tracking_uri": "MLFLOW_TRACKING_URI",
            "model_name": "MODEL_NAME",
            "target_alias": "TARGET_ALIAS",
            "compare_alias": "COMPARE_ALIAS (or TARGET_ALIAS)",
        }
        missing = [env_names.get(n, n) for n in names if not getattr(self, n)]
        if missing:
            raise ConfigError(f"missing environment variable(s): {', '.join(missing)} (see docs/container-interface.md)")


RUN_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def run_date_from_env(raw: str, now: datetime | None = None) -> str:
    """RUN_DATE, or when it is empty the date this run started (UTC), as the scorer does.

    The pipelines' RunDate parameter defaults to "" (parameter defaults must be literals), so a scheduled run
    passes an empty RUN_DATE and the step records the day it started; a rerun of an earlier night passes the date.
    """
    if not raw:
        return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).date().isoformat()
    if not RUN_DATE_PATTERN.match(raw):
        raise ConfigError(f"RUN_DATE={raw!r} must be a date like 2026-01-31 (or empty for the date the run started, UTC)")
    try:
        datetime.strptime(raw, "%Y-%m-%d")
    except ValueError as exc:
        raise ConfigError(f"RUN_DATE={raw!r} is not a calendar date", cause=exc) from exc
    return raw


def settings_from_env(env: Mapping[str, str], now: datetime | None = None) -> Settings:
    def get(name: str, default: str = "") -> str:
        return env.get(name, "").strip() or default

    metric = get("QUALITY_METRIC", "auc").lower()
    if metric not in GATE_METRICS:
        raise ConfigError(f"QUALITY_METRIC={metric!r} is not one of {list(GATE_METRICS)} (the gate needs higher-is-better)")
    raw_threshold = get("QUALITY_THRESHOLD", str(DEFAULT_THRESHOLD))
    try:
        threshold = float(raw_threshold)
    except ValueError as exc:
        raise ConfigError(f"QUALITY_THRESHOLD={raw_threshold!r} is not a number", cause=exc) from exc
    if not math.isfinite(threshold) or not 0 <= threshold <= 1:
        raise ConfigError(f"QUALITY_THRESHOLD={raw_threshold!r} must be between 0 and 1")
    target_alias = get("TARGET_ALIAS")
    return Settings(
        tracking_uri=get("MLFLOW_TRACKING_URI"),
        experiment_name=get("MLFLOW_EXPERIMENT_NAME", DEFAULT_EXPERIMENT),
        model_name=get("MODEL_NAME"),
        target_alias=target_alias,
        compare_alias=get("COMPARE_ALIAS", target_alias),
        quality_metric=metric,
        quality_threshold=threshold,
        run_date=run_date_from_env(get("RUN_DATE"), now),
        data_uri=get("DATA_URI"),
        git_sha=get("GIT_SHA"),
    )
