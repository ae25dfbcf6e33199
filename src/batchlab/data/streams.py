"""Iterable-style datasets: a stream of samples with no index and no length.

They live in a module (not in a notebook) so DataLoader worker processes can
import them under the ``spawn`` start method (macOS, Windows).

>>> list(RangeStream(0, 5))
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

from torch.utils.data import IterableDataset, get_worker_info

from batchlab._checks import check_bool, check_int


class RangeStream(IterableDataset):
    """The integers ``start, start+1, …, stop-1`` as a stream (an ``IterableDataset``).

    A DataLoader with ``num_workers=k`` gives each worker process its own copy of the
    dataset and runs ``__iter__`` in every copy. With ``shard=False`` every copy yields
    the whole range, so one epoch returns every number ``k`` times. With ``shard=True``
    (the default) ``__iter__`` asks ``torch.utils.data.get_worker_info()`` which worker
    it runs in and yields only every ``num_workers``-th number, starting at the worker's
    id, so the workers split the stream between them. In the main process
    (``num_workers=0``) ``get_worker_info()`` is ``None`` and the whole range is yielded.

    >>> from torch.utils.data import DataLoader
    >>> [batch.tolist() for batch in DataLoader(RangeStream(0, 5), batch_size=2)]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, start: int, stop: int, *, shard: bool = True):
        super().__init__()
        self.start = check_int(start, "start")
        self.stop = check_int(stop, "stop")
        if self.stop < self.start:
            raise ValueError(f"stop must be >= start, got start={self.start}, stop={self.stop}")
        self.shard = check_bool(shard, "shard")

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.start, self.stop))           # the whole stream
        return iter(range(self.start + info.id, self.stop, info.num_workers))  # my share

    def __repr__(self) -> str:
        return f"RangeStream({self.start}, {self.stop}, shard={self.shard})"
