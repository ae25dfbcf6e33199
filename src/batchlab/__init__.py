"""BatchLab helpers: datasets, collate functions, plots and widgets for the notebooks.

``import batchlab`` costs little more than ``import torch``: matplotlib, ipywidgets
and scikit-learn are imported only when a helper that needs them is first used.

>>> import batchlab
>>> len(batchlab.NumbersDataset(10))
10
"""

from __future__ import annotations

import importlib

from .collate import detection_collate, pad_collate
from .datasets import (
    Blobs2D,
    DetectionDataset,
    LinearRegressionDataset,
    NumbersDataset,
    SequenceDataset,
    write_image_folder,
)
from .device import get_device
from .samplers import (
    BucketBatchSampler,
    ClassBalancedBatchSampler,
    check_weights,
    padding_fraction,
    weighted_sampler,
)
from .seeding import seed_everything
from .weights import class_counts, class_weights, sample_weights

__version__ = "0.1.0"

# name -> module that defines it; imported on first access (PEP 562).
_LAZY = {
    "Explorer": "widgets",
    "new_figure": "plots",
    "batching_explorer": "batching",
    "plot_epoch_batches": "batching",
    "weighted_draws_explorer": "sampling_viz",
    "CSVDataset": "csv_dataset",
    "RangeStream": "streams",
    "CatsDogs": "imbalance",
    "text_table": "tables",
    "DistributedWeightedSampler": "distributed",
    "run_ddp_demo": "distributed",
    "TensorBatchLoader": "fastload",
    "fit": "training",
    "evaluate": "training",
    "predict": "training",
    "train_one_epoch": "training",
    "measure_loader": "bench",
    "DigitsDataset": "longtail",
    "adjust_logits": "longtail",
    "long_tail_counts": "longtail",
    "long_tail_indices": "longtail",
}

__all__ = [
    "Blobs2D",
    "BucketBatchSampler",
    "ClassBalancedBatchSampler",
    "check_weights",
    "class_counts",
    "class_weights",
    "padding_fraction",
    "sample_weights",
    "weighted_sampler",
    "DetectionDataset",
    "LinearRegressionDataset",
    "NumbersDataset",
    "SequenceDataset",
    "detection_collate",
    "get_device",
    "pad_collate",
    "seed_everything",
    "write_image_folder",
    *_LAZY,
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'batchlab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
