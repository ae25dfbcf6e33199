"""Make every random thing in a notebook repeatable.

>>> g = seed_everything(0)
>>> a = torch.randperm(5, generator=g).tolist()
>>> g = seed_everything(0)
>>> torch.randperm(5, generator=g).tolist() == a
True
"""

from __future__ import annotations

import random

import numpy as np
import torch

from batchlab._checks import check_int


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's ``random``, NumPy's global state and torch (CPU and all GPUs).

    Returns a fresh CPU ``torch.Generator`` seeded with ``seed``: pass it as
    ``generator=`` to ``DataLoader``/samplers/``random_split`` so their order is
    reproducible independently of any other random call in the notebook.

    >>> g = seed_everything(42)
    >>> g.initial_seed()
    42
    """
    seed = check_int(seed, "seed", minimum=0)
    if seed >= 2**32:
        raise ValueError(f"seed must be < 2**32 (NumPy's limit), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
