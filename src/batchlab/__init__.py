"""BatchLab: the library behind the notebooks on how data reaches a PyTorch model.

``import batchlab`` gives the **library** only: what an instructor imports into a notebook
of their own. It costs little more than ``import torch``; scikit-learn is imported only
when :class:`DigitsDataset` is first used.

- datasets (:class:`NumbersDataset`, :class:`Blobs2D`, :class:`CSVDataset`, …),
  collate functions, samplers and batch samplers, class and sample weights, the fast
  :class:`TensorBatchLoader`, :class:`DistributedWeightedSampler` — from ``batchlab.data``;
- the training loop (:func:`fit`, :func:`train_one_epoch`, :func:`evaluate`,
  :func:`predict`) — ``batchlab.train``;
- :func:`get_device` and :func:`seed_everything`.

The rest of the package is imported by name and never by the library:
``batchlab.viz`` (figure and widget plumbing), ``batchlab.lessons`` (one module per
notebook: the pure functions behind its figures and widgets, and the classes its
DataLoader workers import), ``batchlab.exercises`` and ``batchlab.tools``
(``python -m batchlab.tools.refresh``, ``python -m batchlab.tools.bench``).

>>> import batchlab
>>> len(batchlab.NumbersDataset(10)), batchlab.num_batches(10, 3)
(10, 4)
"""

from __future__ import annotations

from batchlab.data import (
    Blobs2D,
    BucketBatchSampler,
    CatsDogs,
    ClassBalancedBatchSampler,
    CSVDataset,
    DetectionDataset,
    DigitsDataset,
    DistributedWeightedSampler,
    IndexTensorBatchSampler,
    LinearRegressionDataset,
    NumbersDataset,
    RangeStream,
    RankWorkerStream,
    SequenceDataset,
    TensorBatchLoader,
    check_weights,
    class_counts,
    class_weights,
    detection_collate,
    long_tail_counts,
    long_tail_indices,
    num_batches,
    pad_collate,
    padding_fraction,
    sample_weights,
    weighted_sampler,
    write_image_folder,
)
from batchlab.device import get_device
from batchlab.seeding import seed_everything
from batchlab.train import evaluate, fit, predict, train_one_epoch

__version__ = "0.1.0"

__all__ = [
    "Blobs2D",
    "BucketBatchSampler",
    "CSVDataset",
    "CatsDogs",
    "ClassBalancedBatchSampler",
    "DetectionDataset",
    "DigitsDataset",
    "DistributedWeightedSampler",
    "IndexTensorBatchSampler",
    "LinearRegressionDataset",
    "NumbersDataset",
    "RangeStream",
    "RankWorkerStream",
    "SequenceDataset",
    "TensorBatchLoader",
    "check_weights",
    "class_counts",
    "class_weights",
    "detection_collate",
    "evaluate",
    "fit",
    "get_device",
    "long_tail_counts",
    "long_tail_indices",
    "num_batches",
    "pad_collate",
    "padding_fraction",
    "predict",
    "sample_weights",
    "seed_everything",
    "train_one_epoch",
    "weighted_sampler",
    "write_image_folder",
]
