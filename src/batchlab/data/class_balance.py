"""Class counts and class/sample weights for imbalanced labels (for losses and samplers).

Three weighting schemes, all computed from the class counts ``n_c`` of ``N`` labels
in ``C`` classes:

- ``"inverse"``: ``N / n_c``, one over the class share (the class-balance post's hand
  computation, see docs/sources.md);
- ``"balanced"``: ``N / (C * n_c)``, scikit-learn's ``class_weight="balanced"``; the
  weighted class sizes ``n_c * w_c`` are then all ``N / C``;
- ``"effective"``: Cui et al., "Class-Balanced Loss Based on Effective Number of
  Samples" (CVPR 2019): ``w_c ∝ (1 - β) / (1 - β**n_c)``, normalised to sum to ``C``.
  ``β = 0`` gives equal weights; ``β → 1`` approaches ``"inverse"`` (up to a constant).

``sample_weights`` gives each *sample* its class weight: that is what
``WeightedRandomSampler`` wants (one weight per sample, ``len(weights) == N``).

**dtypes, and why.** Every weight is computed in float64; then

- ``class_weights`` returns **float32**, because it goes into a loss next to float32
  logits (``CrossEntropyLoss(weight=...)`` requires the weight's dtype to match the
  input's; call ``.to(logits.dtype)`` for a half- or double-precision model);
- ``sample_weights`` returns **float64**, because ``WeightedRandomSampler`` converts its
  weights to float64 anyway (``torch.as_tensor(weights, dtype=torch.double)``) and
  draws with ``torch.multinomial`` on them; float32 would round the weights of a
  large dataset for nothing;
- ``class_counts`` returns **int64** (``torch.bincount``).

>>> labels = [0, 0, 1, 1, 1]
>>> class_counts(labels).dtype, class_weights(labels).dtype, sample_weights(labels).dtype
(torch.int64, torch.float32, torch.float64)

>>> labels = [0, 0, 1, 1, 1]  # cat, cat, dog, dog, dog
>>> class_counts(labels).tolist()
[2, 3]
>>> [round(w, 2) for w in class_weights(labels).tolist()]
[2.5, 1.67]
>>> [round(w, 2) for w in sample_weights(labels).tolist()]
[2.5, 2.5, 1.67, 1.67, 1.67]
"""

from __future__ import annotations

import numpy as np
import torch

from batchlab._checks import check_int, check_real
from batchlab._types import IntVector

SCHEMES = ("inverse", "balanced", "effective")

__all__ = ["SCHEMES", "class_counts", "class_weights", "sample_weights"]


def _as_int_vector(values, name: str) -> torch.Tensor:
    """``values`` (1-D tensor, list, tuple or NumPy array of integers) as a CPU int64 tensor.

    >>> _as_int_vector([2, 0, 1], "labels").tolist()
    [2, 0, 1]
    """
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be a 1-D sequence of integers (list, NumPy array or "
                        f"tensor), got {type(values).__name__}")
    if getattr(values, "ndim", 1) == 0:
        raise ValueError(f"{name} must be 1-D, got a 0-d {type(values).__name__}")
    if len(values) == 0:
        raise ValueError(f"{name} is empty: need at least one integer")
    if isinstance(values, torch.Tensor):
        tensor = values.detach().cpu()
    elif isinstance(values, np.ndarray):
        if values.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integers, got a NumPy array of dtype {values.dtype}")
        tensor = torch.from_numpy(values.astype(np.int64))
    else:
        try:
            tensor = torch.as_tensor(list(values))
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{name} must be a 1-D sequence of integers: {err}") from None
    if tensor.dim() != 1:
        raise ValueError(f"{name} must be 1-D, got shape {tuple(tensor.shape)}")
    if tensor.dtype == torch.bool or tensor.is_floating_point() or tensor.is_complex():
        raise TypeError(f"{name} must hold integers, got dtype {tensor.dtype}")
    return tensor.long()


def _as_labels(labels, num_classes=None) -> tuple[torch.Tensor, int]:
    """Validated ``(labels as int64[N], num_classes)``."""
    labels = _as_int_vector(labels, "labels")
    low = int(labels.min())
    if low < 0:
        raise ValueError(f"labels must be class indices >= 0, got {low} at index "
                         f"{int((labels < 0).nonzero()[0])}")
    high = int(labels.max())
    if num_classes is None:
        num_classes = high + 1
    else:
        num_classes = check_int(num_classes, "num_classes", minimum=1)
        if high >= num_classes:
            raise ValueError(f"labels must be < num_classes={num_classes}, got label {high} "
                             f"at index {int((labels >= num_classes).nonzero()[0])}")
    return labels, num_classes


def class_counts(labels: IntVector, num_classes: int | None = None) -> torch.Tensor:
    """How many samples each class has: an int64 tensor of length ``num_classes``.

    ``num_classes`` defaults to ``max(labels) + 1``; a class with no sample counts 0.

    >>> class_counts([0, 2, 2, 2]).tolist()
    [1, 0, 3]
    >>> class_counts([1, 1], num_classes=3).tolist()
    [0, 2, 0]
    """
    labels, num_classes = _as_labels(labels, num_classes)
    return torch.bincount(labels, minlength=num_classes)


def _class_weights_double(labels, scheme: str, num_classes, beta) -> torch.Tensor:
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(map(repr, SCHEMES))}, got {scheme!r}")
    counts = class_counts(labels, num_classes)
    empty = (counts == 0).nonzero().flatten().tolist()
    if empty:
        raise ValueError(f"class(es) {empty} have zero samples, so their weight would be "
                         f"infinite: drop them or pass a smaller num_classes")
    n = counts.double()
    total, num = float(n.sum()), len(n)
    if scheme == "inverse":
        return total / n
    if scheme == "balanced":
        return total / (num * n)
    beta = check_real(beta, "beta")
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    raw = (1.0 - beta) / (1.0 - torch.pow(torch.tensor(beta, dtype=torch.double), n))
    return raw * (num / raw.sum())


def class_weights(labels: IntVector, scheme: str = "inverse", *, num_classes: int | None = None,
                  beta: float = 0.999) -> torch.Tensor:
    """One weight per class (float32 tensor of length ``C``), larger for rarer classes.

    ``scheme`` is ``"inverse"`` (``N / n_c``), ``"balanced"`` (``N / (C * n_c)``, equal to
    scikit-learn's ``compute_class_weight("balanced", ...)``) or ``"effective"``
    (Cui et al. 2019, ``(1 - beta) / (1 - beta**n_c)`` normalised to sum to ``C``;
    ``beta`` in ``[0, 1)``). Use it as ``CrossEntropyLoss(weight=...)``.

    >>> [round(w, 3) for w in class_weights([0, 0, 0, 1], "inverse").tolist()]
    [1.333, 4.0]
    >>> [round(w, 3) for w in class_weights([0, 0, 0, 1], "balanced").tolist()]
    [0.667, 2.0]
    >>> class_weights([0, 0, 0, 1], "effective", beta=0.0).tolist()
    [1.0, 1.0]
    >>> class_weights([0, 1], "median")
    Traceback (most recent call last):
    ...
    ValueError: scheme must be one of 'inverse', 'balanced', 'effective', got 'median'
    """
    return _class_weights_double(labels, scheme, num_classes, beta).float()


def sample_weights(labels: IntVector, scheme: str = "inverse", **kw: object) -> torch.Tensor:
    """Each sample's class weight: a float64 tensor of length ``N``, for ``WeightedRandomSampler``.

    Keyword arguments (``num_classes``, ``beta``) are passed to ``class_weights``.
    With ``"inverse"`` or ``"balanced"`` every class gets the same total weight, so a
    weighted sampler draws each class equally often *in expectation*.

    >>> w = sample_weights([0, 0, 0, 1])
    >>> [round(x, 3) for x in w.tolist()], w.dtype
    ([1.333, 1.333, 1.333, 4.0], torch.float64)
    """
    unknown = set(kw) - {"num_classes", "beta"}
    if unknown:
        raise TypeError(f"sample_weights got unexpected keyword argument(s) {sorted(unknown)}; "
                        f"allowed: num_classes, beta")
    labels, num_classes = _as_labels(labels, kw.pop("num_classes", None))
    weights = _class_weights_double(labels, scheme, num_classes, kw.pop("beta", 0.999))
    return weights[labels]
