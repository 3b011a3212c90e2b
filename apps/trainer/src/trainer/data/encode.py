"""Turns a raw table into the model's float32 matrix, exactly as the scorer does (docs/container-interface.md):
numbers as themselves, a category as the index of its value, missing as NaN. Anything else is an InputDataError
naming the column, rows and values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputDataError
from ..schema import FEATURES, TARGET, Feature
from .reader import Table

MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Encoded:
    X: np.ndarray  # float32 [rows, features]
    y: np.ndarray | None  # int64 [rows] or None when the target was not requested


def _examples(table: Table, frame: pd.Series, bad: np.ndarray) -> str:
    rows = np.flatnonzero(bad)[:MAX_EXAMPLES]
    return ", ".join(f"{table.locate(int(r))} value {frame.iloc[int(r)]!r}" for r in rows)


def _encode_number(table: Table, feature: Feature, col: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col.dtype):
        raise InputDataError(f"column '{feature.name}' must hold numbers but holds booleans")
    if pd.api.types.is_numeric_dtype(col.dtype):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        text = col.astype("string").str.strip()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = (text.notna() & (text != "")).to_numpy(dtype=bool) & np.isnan(values)
        if bad.any():
            raise InputDataError(
                f"column '{feature.name}' must hold numbers: {int(bad.sum())} row(s) do not, e.g. "
                + _examples(table, col, bad)
            )
    if np.isinf(values).any():
        bad = np.isinf(values)
        raise InputDataError(f"column '{feature.name}' holds infinite values, e.g. " + _examples(table, col, bad))
    return values


def _encode_category(table: Table, feature: Feature, col: pd.Series) -> np.ndarray:
    text = col.astype("string").str.strip()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    index = {value: float(i) for i, value in enumerate(feature.categories)}
    mapped = text.map(index, na_action="ignore").astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~missing & np.isnan(mapped)
    if bad.any():
        raise InputDataError(
            f"column '{feature.name}' holds values outside its categories {list(feature.categories)}: "
            f"{int(bad.sum())} row(s), e.g. " + _examples(table, col, bad)
        )
    return mapped


def _encode_target(table: Table, col: pd.Series) -> np.ndarray:
    text = col.astype("string").str.strip().str.lower()
    mapping = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "false": 0, "true": 1}
    mapped = text.map(mapping, na_action="ignore")
    bad = mapped.isna().to_numpy(dtype=bool)
    if bad.any():
        raise InputDataError(
            f"target column '{TARGET}' must be 0 or 1 in every row: {int(bad.sum())} row(s) are not, e.g. "
            + _examples(table, col, bad)
        )
    return mapped.to_numpy(dtype=np.int64)


def check_columns(table: Table, features: tuple[Feature, ...], with_target: bool) -> None:
    required = [f.name for f in features] + ([TARGET] if with_target else [])
    missing = [c for c in required if c not in table.frame.columns]
    if missing:
        raise InputDataError(
            f"missing column(s) {missing} in {', '.join(p.name for p in table.files)}; "
            f"found {sorted(map(str, table.frame.columns))}"
        )


def encode(table: Table, features: tuple[Feature, ...] = FEATURES, with_target: bool = True) -> Encoded:
    if len(table.frame) == 0:
        raise InputDataError(f"no data rows in {', '.join(str(p) for p in table.files)}")
    check_columns(table, features, with_target)
    columns = []
    for feature in features:
        col = table.frame[feature.name]
        values = (_encode_number if feature.type == "number" else _encode_category)(table, feature, col)
        if not feature.nullable and np.isnan(values).any():
            raise InputDataError(
                f"column '{feature.name}' must not be empty, e.g. "
                + _examples(table, col, np.isnan(values))
            )
        columns.append(values)
    X = np.column_stack(columns).astype(np.float32)
    y = _encode_target(table, table.frame[TARGET]) if with_target else None
    return Encoded(X, y)


def require_two_classes(y: np.ndarray, min_per_class: int, where: str) -> None:
    counts = np.bincount(y, minlength=2)
    present = [int(c) for c in np.flatnonzero(counts)]
    if len(present) < 2:
        raise InputDataError(
            f"{where}: target '{TARGET}' has a single class ({present[0]} in all {len(y)} rows); "
            "a classifier needs both 0 and 1"
        )
    if counts.min() < min_per_class:
        raise InputDataError(
            f"{where}: too few rows per class (0: {counts[0]}, 1: {counts[1]}); need at least {min_per_class} of each"
        )
