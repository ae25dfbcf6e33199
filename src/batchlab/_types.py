"""Type aliases for the public API's hints (used in annotations only).

>>> from batchlab._types import IntVector
>>> import torch; torch.Tensor in IntVector.__args__
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

#: Class indices or counts: a list/tuple of ints, a NumPy integer array or an int tensor.
IntVector = Sequence[int] | np.ndarray | torch.Tensor
#: Weights or lengths: a list/tuple of numbers, a NumPy array or a tensor.
RealVector = Sequence[float] | np.ndarray | torch.Tensor
#: Where to run: ``"cpu"``, ``"cuda:1"``, a ``torch.device``, or ``None`` for the default.
DeviceLike = str | torch.device | None
