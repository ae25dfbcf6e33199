"""A map-style dataset over the rows of a CSV file.

It lives in a module (not in a notebook) so DataLoader worker processes can
import it under the ``spawn`` start method (macOS, Windows).

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = Path(tmp) / "points.csv"
...     _ = path.write_text("x1,x2,label\\n0.5,1.0,0\\n2.0,-1.5,1\\n")
...     ds = CSVDataset(path, ["x1", "x2"], "label")
>>> len(ds), ds[1][0].tolist(), int(ds[1][1])
(2, [2.0, -1.5], 1)
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import torch
from torch.utils.data import Dataset

from batchlab.data.datasets import _check_index

_LABEL_DTYPES = (torch.int64, torch.float32)


def _check_columns(value, name: str) -> list[str]:
    columns = [value] if isinstance(value, str) else value
    if not isinstance(columns, (list, tuple)) or not columns:
        raise TypeError(f"{name} must be a column name or a non-empty list of column names, "
                        f"got {value!r}")
    for column in columns:
        if not isinstance(column, str) or not column:
            raise TypeError(f"{name} must hold non-empty strings (column names), got {column!r}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"{name} must not repeat a column, got {list(columns)}")
    return list(columns)


class CSVDataset(Dataset):
    """Rows of a CSV file with a header line, as ``(features, label)`` samples.

    ``features`` is a ``float32`` tensor holding ``feature_columns`` in that order;
    ``label`` is a scalar tensor of ``label_dtype`` (``torch.int64`` for class ids,
    ``torch.float32`` for regression targets). The file is parsed once, in
    ``__init__``; ``__getitem__`` only indexes the parsed tensors and applies
    ``transform`` (if given) to the features of that one sample.

    Errors name what is wrong: a missing file raises ``FileNotFoundError``; a column
    that is not in the header, a row with the wrong number of fields, or a cell that
    is not a number raises ``ValueError``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "houses.csv"
    ...     _ = path.write_text("rooms,area,price\\n3,70,2.5\\n5,120,4.0\\n")
    ...     ds = CSVDataset(path, ["rooms", "area"], "price", label_dtype=torch.float32)
    ...     try:
    ...         CSVDataset(path, ["rooms", "floor"], "price")
    ...     except ValueError as err:
    ...         print(err)
    feature_columns: column(s) ['floor'] not in the file's header ['rooms', 'area', 'price']
    >>> ds[0]
    (tensor([ 3., 70.]), tensor(2.5000))
    """

    def __init__(self, path: str | os.PathLike, feature_columns: Sequence[str],
                 label_column: str, *,
                 label_dtype: torch.dtype = torch.int64, transform=None):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or pathlib.Path, got {type(path).__name__}")
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"path: no CSV file at {path}")
        if path.is_dir():
            raise ValueError(f"path must be a CSV file, but {path} is a directory")
        feature_columns = _check_columns(feature_columns, "feature_columns")
        if not isinstance(label_column, str) or not label_column:
            raise TypeError(f"label_column must be a column name (str), got {label_column!r}")
        if label_column in feature_columns:
            raise ValueError(f"label_column {label_column!r} is also in feature_columns; "
                             "a label must not be a feature")
        if label_dtype not in _LABEL_DTYPES:
            raise ValueError(f"label_dtype must be torch.int64 or torch.float32, got {label_dtype}")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable or None, got {type(transform).__name__}")
        self.path = path
        self.feature_columns = feature_columns
        self.label_column = label_column
        self.transform = transform

        with path.open(newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header:
                raise ValueError(f"path: {path.name} is empty; the first line must be a header")
            header = [name.strip() for name in header]
            for name, wanted in (("feature_columns", feature_columns),
                                 ("label_column", [label_column])):
                missing = [c for c in wanted if c not in header]
                if missing:
                    raise ValueError(f"{name}: column(s) {missing} not in the file's header "
                                     f"{header}")
            positions = [header.index(c) for c in feature_columns]
            label_position = header.index(label_column)
            features, labels = [], []
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue  # a blank line
                if len(row) != len(header):
                    raise ValueError(f"{path.name}, line {line}: {len(row)} fields, but the header "
                                     f"has {len(header)}")
                features.append([self._number(row[p], line, header[p]) for p in positions])
                labels.append(self._number(row[label_position], line, label_column))
        if not features:
            raise ValueError(f"path: {path.name} has a header but no data rows")
        self.columns = header
        self.features = torch.tensor(features, dtype=torch.float32)
        if label_dtype == torch.int64:
            not_whole = [v for v in labels if not float(v).is_integer()]
            if not_whole:
                raise ValueError(f"label_column {label_column!r} holds non-integer values "
                                 f"(e.g. {not_whole[0]}); pass label_dtype=torch.float32 "
                                 "for regression targets")
            labels = [int(v) for v in labels]
        self.labels = torch.tensor(labels, dtype=label_dtype)

    @staticmethod
    def _number(text: str, line: int, column: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"line {line}, column {column!r}: {text!r} is not a number") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"line {line}, column {column!r}: {text!r} is not a finite number")
        return value

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, idx: int):
        i = _check_index(idx, len(self))
        x = self.features[i]
        if self.transform is not None:
            x = self.transform(x)
        return x, self.labels[i]

    def __repr__(self) -> str:
        return (f"CSVDataset({self.path.name!r}, {len(self)} rows, "
                f"features={self.feature_columns}, label={self.label_column!r})")
