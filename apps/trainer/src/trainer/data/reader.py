"""Reads every CSV / Parquet file under a folder into one DataFrame, remembering which file each row came from
so that errors can name the file and row."""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from ..errors import InputDataError

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame
    files: list[Path]
    starts: list[int]  # first row of each file in `frame`

    def locate(self, row: int) -> str:
        """'part-00001.csv row 17': the file and its 1-based data row (header not counted)."""
        i = bisect.bisect_right(self.starts, row) - 1
        return f"{self.files[i].name} row {row - self.starts[i] + 1}"


def list_data_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InputDataError(f"data folder {folder} does not exist: pass the folder holding the .csv/.parquet files")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise InputDataError(f"data folder {folder} holds no .csv or .parquet files")
    return files


def read_file(path: Path) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".parquet":
            return pq.read_table(path).to_pandas()
        # Everything as text: types are checked per column by the encoder, so a stray 'abc' in a number column
        # is reported with its row instead of silently turning the column into strings.
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except Exception as exc:  # pyarrow / pandas raise many types; all mean the same thing here
        raise InputDataError(f"cannot read {path}: {exc}", cause=exc) from exc


def read_table(folder: Path) -> Table:
    files = list_data_files(folder)
    frames: list[pd.DataFrame] = []
    starts: list[int] = []
    total = 0
    for path in files:
        frame = read_file(path)
        starts.append(total)
        frames.append(frame)
        total += len(frame)
        log.info("read %s: %d rows", path, len(frame))
    columns = [set(f.columns) for f in frames if len(f.columns)]
    if columns and any(c != columns[0] for c in columns):
        raise InputDataError(
            f"files under {folder} have different columns: "
            + "; ".join(f"{p.name}: {sorted(f.columns)}" for p, f in zip(files, frames))
        )
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Table(frame, files, starts)
