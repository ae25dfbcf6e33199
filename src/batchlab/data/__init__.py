"""The data library: datasets, collate functions, samplers, weights and fast loaders.

Everything here behaves like ``torch.utils.data`` (same defaults, same batch types) or
documents each difference, and raises a ``ValueError``/``TypeError`` naming the argument
for bad input. Modules:

- ``datasets``: small generated datasets (``NumbersDataset``, ``Blobs2D``, ``CatsDogs``, …)
  and ``write_image_folder``; ``csv_dataset.CSVDataset``; ``streams.RangeStream``
  (an ``IterableDataset``); ``long_tail``: real digits made long-tailed;
- ``collate``: ``pad_collate`` (variable-length sequences), ``detection_collate``;
- ``samplers``: ``num_batches`` (the ``len(loader)`` formula), ``weighted_sampler``,
  ``check_weights``, ``ClassBalancedBatchSampler``, ``BucketBatchSampler``;
- ``class_balance``: ``class_counts``, ``class_weights``, ``sample_weights``;
- ``tensor_loader``: ``TensorBatchLoader`` for data already in memory;
- ``distributed``: ``DistributedWeightedSampler``, ``RankWorkerStream``.

>>> from batchlab.data import NumbersDataset, num_batches
>>> num_batches(len(NumbersDataset(10)), 4)
3
"""

from batchlab.data.class_balance import class_counts, class_weights, sample_weights
from batchlab.data.collate import detection_collate, pad_collate
from batchlab.data.csv_dataset import CSVDataset
from batchlab.data.datasets import (
    Blobs2D,
    CatsDogs,
    DetectionDataset,
    LinearRegressionDataset,
    NumbersDataset,
    SequenceDataset,
    write_image_folder,
)
from batchlab.data.distributed import DistributedWeightedSampler, RankWorkerStream
from batchlab.data.long_tail import DigitsDataset, long_tail_counts, long_tail_indices
from batchlab.data.samplers import (
    BucketBatchSampler,
    ClassBalancedBatchSampler,
    check_weights,
    num_batches,
    padding_fraction,
    weighted_sampler,
)
from batchlab.data.streams import RangeStream
from batchlab.data.tensor_loader import IndexTensorBatchSampler, TensorBatchLoader

__all__ = [
    "Blobs2D", "BucketBatchSampler", "CSVDataset", "CatsDogs", "ClassBalancedBatchSampler",
    "DetectionDataset", "DigitsDataset", "DistributedWeightedSampler",
    "IndexTensorBatchSampler", "LinearRegressionDataset", "NumbersDataset", "RangeStream",
    "RankWorkerStream", "SequenceDataset", "TensorBatchLoader", "check_weights",
    "class_counts", "class_weights", "detection_collate", "long_tail_counts",
    "long_tail_indices", "num_batches", "pad_collate", "padding_fraction", "sample_weights",
    "weighted_sampler", "write_image_folder",
]
