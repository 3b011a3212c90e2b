"""RUN_DATE: an empty value (the pipelines' RunDate default) means the date the run started, in UTC, as the scorer
does; a given date is kept; anything else is a configuration error (exit 2) naming the variable."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from mlflow.tracking import MlflowClient

from trainer.errors import ConfigError
from trainer.settings import settings_from_env
from trainer_support import Workspace


def utc_today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def test_an_empty_run_date_is_the_utc_date_the_run_started():
    late_evening_in_new_york = datetime(2026, 11, 30, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert settings_from_env({"RUN_DATE": ""}, now=late_evening_in_new_york).run_date == "2026-12-01"
    assert settings_from_env({"RUN_DATE": "  "}, now=late_evening_in_new_york).run_date == "2026-12-01"


def test_a_missing_run_date_is_today_in_utc():
    before = utc_today()
    run_date = settings_from_env({}).run_date
    assert run_date in {before, utc_today()}


def test_a_given_run_date_is_kept_for_a_rerun_of_an_earlier_night():
    assert settings_from_env({"RUN_DATE": "2026-11-23"}).run_date == "2026-11-23"


@pytest.mark.parametrize(
    "value, message",
    [
        ("23.11.2026", "RUN_DATE='23.11.2026' must be a date like 2026-01-31 (or empty for the date the run started, UTC)"),
        ("2026-02-30", "RUN_DATE='2026-02-30' is not a calendar date"),
    ],
)
def test_a_malformed_run_date_is_a_configuration_error_naming_the_variable(value: str, message: str):
    with pytest.raises(ConfigError) as error:
        settings_from_env({"RUN_DATE": value})
    assert str(error.value) == message


def test_a_scheduled_training_run_records_the_date_it_started(workspace: Workspace, client: MlflowClient, monkeypatch):
    monkeypatch.setenv("RUN_DATE", "")
    before = utc_today()
    assert workspace.train() == 0
    run_info = json.loads((workspace.root / "model" / "run_info.json").read_text())
    assert run_info["run_date"] in {before, utc_today()}
    assert client.get_run(run_info["run_id"]).data.tags["run_date"] == run_info["run_date"]


def test_train_exits_2_on_a_malformed_run_date_and_says_why_in_the_failure_file(workspace: Workspace, monkeypatch):
    monkeypatch.setenv("RUN_DATE", "yesterday")
    assert workspace.train() == 2
    assert "RUN_DATE='yesterday' must be a date like 2026-01-31" in workspace.failure.read_text()
