"""Tests for batchlab.data.csv_dataset.CSVDataset."""

from __future__ import annotations

import pickle

import pytest
import torch
from torch.utils.data import DataLoader

from batchlab.data.csv_dataset import CSVDataset


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x1,x2,label\n0.5,1.0,0\n2.0,-1.5,1\n\n-3,4,2\n")
    return path


def test_reads_rows_in_order_and_skips_blank_lines(csv_path):
    ds = CSVDataset(csv_path, ["x1", "x2"], "label")
    assert len(ds) == 3
    assert ds.features.tolist() == [[0.5, 1.0], [2.0, -1.5], [-3.0, 4.0]]
    assert ds.labels.tolist() == [0, 1, 2]
    x, y = ds[-1]
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and y.dim() == 0
    assert x.tolist() == [-3.0, 4.0] and int(y) == 2


def test_feature_order_follows_the_argument_and_single_column_string(csv_path):
    assert CSVDataset(csv_path, ["x2", "x1"], "label")[0][0].tolist() == [1.0, 0.5]
    assert CSVDataset(csv_path, "x2", "label")[1][0].tolist() == [-1.5]


def test_dataloader_batches_samples(csv_path):
    x, y = next(iter(DataLoader(CSVDataset(csv_path, ["x1", "x2"], "label"), batch_size=2)))
    assert x.shape == (2, 2) and y.tolist() == [0, 1]


def test_transform_applies_to_features_only(csv_path):
    ds = CSVDataset(csv_path, ["x1", "x2"], "label", transform=lambda x: x * 10)
    x, y = ds[0]
    assert x.tolist() == [5.0, 10.0] and int(y) == 0


def test_float_labels(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,target\n1,0.25\n2,0.5\n")
    ds = CSVDataset(path, ["a"], "target", label_dtype=torch.float32)
    assert ds.labels.tolist() == [0.25, 0.5] and ds.labels.dtype == torch.float32
    with pytest.raises(ValueError, match="label_dtype=torch.float32"):
        CSVDataset(path, ["a"], "target")


def test_picklable_for_spawn_workers(csv_path):
    ds = pickle.loads(pickle.dumps(CSVDataset(csv_path, ["x1", "x2"], "label")))
    assert ds[1][0].tolist() == [2.0, -1.5]


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="path: no CSV file at .*nope.csv"):
        CSVDataset(tmp_path / "nope.csv", ["x"], "y")


def test_directory_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        CSVDataset(tmp_path, ["x"], "y")


@pytest.mark.parametrize("features, label, argument, missing", [
    (["x1", "x3"], "label", "feature_columns", "['x3']"),
    (["x1"], "y", "label_column", "['y']"),
])
def test_missing_columns_are_named(csv_path, features, label, argument, missing):
    with pytest.raises(ValueError) as info:
        CSVDataset(csv_path, features, label)
    message = str(info.value)
    assert message.startswith(argument) and missing in message
    assert "['x1', 'x2', 'label']" in message  # the columns the file does have


@pytest.mark.parametrize("text, match", [
    ("", "empty"),
    ("x,y\n", "no data rows"),
    ("x,y\n1,2,3\n", "line 2: 3 fields"),
    ("x,y\n1,2\nabc,1\n", "line 3, column 'x': 'abc' is not a number"),
    ("x,y\nnan,1\n", "not a finite number"),
])
def test_bad_file_contents(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        CSVDataset(path, ["x"], "y")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"path": 3}, TypeError, "path must be"),
    ({"feature_columns": []}, TypeError, "feature_columns"),
    ({"feature_columns": ["x1", 2]}, TypeError, "feature_columns"),
    ({"feature_columns": ["x1", "x1"]}, ValueError, "repeat"),
    ({"label_column": None}, TypeError, "label_column"),
    ({"label_column": "x1"}, ValueError, "also in feature_columns"),
    ({"label_dtype": torch.float64}, ValueError, "label_dtype"),
    ({"transform": "scale"}, TypeError, "transform"),
])
def test_bad_arguments(csv_path, kwargs, error, match):
    args = {"path": csv_path, "feature_columns": ["x1", "x2"], "label_column": "label", **kwargs}
    with pytest.raises(error, match=match):
        CSVDataset(args.pop("path"), args.pop("feature_columns"), args.pop("label_column"), **args)


def test_index_out_of_range(csv_path):
    ds = CSVDataset(csv_path, ["x1"], "label")
    with pytest.raises(IndexError):
        ds[3]
    with pytest.raises(TypeError):
        ds["0"]
