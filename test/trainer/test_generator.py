"""The synthetic churn data: deterministic, chunked, realistic enough to learn from, with documented bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from trainer.cli import main
from trainer.data import generator
from trainer.data.encode import encode
from trainer.data.generator import GenerateOptions, generate
from trainer.data.reader import read_table
from trainer.errors import InputDataError
from trainer.schema import ENTITY_ID, FEATURE_NAMES, TARGET


def read_all(folder: Path) -> pd.DataFrame:
    return read_table(folder).frame


def test_the_same_seed_writes_identical_files_and_another_seed_does_not(tmp_path: Path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate(GenerateOptions(rows=2000, out=tmp_path / name, seed=seed))
    a, b, c = ((tmp_path / n / "part-00000.csv").read_bytes() for n in "abc")
    assert a == b
    assert a != c


def test_the_rows_do_not_depend_on_how_many_files_they_are_split_into(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(generator, "CHUNK_ROWS", 700)
    generate(GenerateOptions(rows=2500, out=tmp_path / "one", seed=3))
    generate(GenerateOptions(rows=2500, out=tmp_path / "three", seed=3, files=3))
    assert len(list((tmp_path / "three").glob("part-*.csv"))) == 3
    pd.testing.assert_frame_equal(read_all(tmp_path / "one"), read_all(tmp_path / "three"))


def test_generation_holds_at_most_one_chunk_of_rows_at_a_time(monkeypatch):
    monkeypatch.setattr(generator, "CHUNK_ROWS", 1000)
    opts = GenerateOptions(rows=4500, out=Path("unused"), seed=1)
    sizes = [t.num_rows for t in generator.iter_tables(opts, 0, 4500, np.array([], dtype=np.int64))]
    assert sizes == [1000, 1000, 1000, 1000, 500]


def test_csv_and_parquet_hold_the_same_values(tmp_path: Path):
    generate(GenerateOptions(rows=1500, out=tmp_path / "csv", seed=9, fmt="csv"))
    generate(GenerateOptions(rows=1500, out=tmp_path / "pq", seed=9, fmt="parquet"))
    csv, pq_ = encode(read_table(tmp_path / "csv")), encode(read_table(tmp_path / "pq"))
    np.testing.assert_array_equal(csv.X, pq_.X)
    np.testing.assert_array_equal(csv.y, pq_.y)


def test_the_table_has_unique_ids_missing_values_and_a_plausible_churn_rate(tmp_path: Path):
    generate(GenerateOptions(rows=5000, out=tmp_path, seed=1, fmt="parquet"))
    frame = read_all(tmp_path)
    assert list(frame.columns) == [ENTITY_ID, *FEATURE_NAMES, TARGET]
    assert frame[ENTITY_ID].is_unique
    assert frame[["total_charges", "avg_session_minutes", "days_since_last_login", "region"]].isna().any().all()
    assert 0.1 < frame[TARGET].mean() < 0.35


def test_a_scoring_batch_has_no_target_column(tmp_path: Path):
    generate(GenerateOptions(rows=100, out=tmp_path, seed=1, with_target=False, fmt="parquet"))
    assert TARGET not in pq.read_schema(tmp_path / "part-00000.parquet").names


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_bad_rows_carry_the_documented_values_and_are_listed_in_the_manifest(tmp_path: Path, fmt: str):
    manifest = tmp_path / "manifest.json"
    code = main(["generate-data", "--rows", "3000", "--out", str(tmp_path / "d"), "--format", fmt, "--seed", "4",
                 "--files", "2", "--bad-rows", "6", "--manifest", str(manifest)])
    assert code == 0
    bad = json.loads(manifest.read_text())["bad_rows"]
    assert len(bad) == 6 and len({b[ENTITY_ID] for b in bad}) == 6
    assert {(b["column"], b["value"]) for b in bad} == {("monthly_charges", "not-a-number"), ("plan", "platinum")}

    frame = read_all(tmp_path / "d").set_index(ENTITY_ID)
    for b in bad:
        assert str(frame.loc[b[ENTITY_ID], b["column"]]) == b["value"]
    with pytest.raises(InputDataError, match="monthly_charges"):
        encode(read_table(tmp_path / "d"))
    bad_ids = {b[ENTITY_ID] for b in bad}
    clean = frame.drop(index=list(bad_ids)).reset_index()
    assert len(clean) == 3000 - 6
    pd.to_numeric(clean["monthly_charges"])  # every other row keeps a valid number


def test_an_output_folder_with_data_is_not_overwritten_without_the_flag(tmp_path: Path):
    assert main(["generate-data", "--rows", "10", "--out", str(tmp_path)]) == 0
    assert main(["generate-data", "--rows", "10", "--out", str(tmp_path)]) == 2
    assert main(["generate-data", "--rows", "10", "--out", str(tmp_path), "--overwrite"]) == 0


@pytest.mark.parametrize("args", [["--rows", "0"], ["--rows", "5", "--files", "6"], ["--rows", "5", "--bad-rows", "6"], ["--rows", "5", "--label-noise", "1.5"]])
def test_invalid_generator_options_exit_non_zero(tmp_path: Path, args: list[str]):
    assert main(["generate-data", "--out", str(tmp_path), *args]) == 2


def test_label_noise_replaces_labels_with_coin_flips_and_keeps_the_features(tmp_path: Path):
    generate(GenerateOptions(rows=4000, out=tmp_path / "clean", seed=9))
    generate(GenerateOptions(rows=4000, out=tmp_path / "noisy", seed=9, label_noise=1.0))
    clean, noisy = read_all(tmp_path / "clean"), read_all(tmp_path / "noisy")
    pd.testing.assert_frame_equal(clean.drop(columns=[TARGET]), noisy.drop(columns=[TARGET]))
    clean_labels, noisy_labels = clean[TARGET].astype(int), noisy[TARGET].astype(int)
    # Clean labels follow the churn model (a short contract churns far more); pure noise does not.
    short = clean["contract"] == "month-to-month"
    assert clean_labels[short].mean() - clean_labels[~short].mean() > 0.15
    assert abs(noisy_labels[short].mean() - noisy_labels[~short].mean()) < 0.05
    assert 0.45 < noisy_labels.mean() < 0.55
