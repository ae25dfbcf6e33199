"""Pick the device the notebooks run on.

``get_device()`` prefers CUDA, then Apple's MPS, then the CPU. Set the
environment variable ``BATCHLAB_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``)
to override the choice, e.g. to run the notebooks on the CPU of a GPU machine.

>>> import os
>>> os.environ["BATCHLAB_DEVICE"] = "cpu"
>>> get_device()
device(type='cpu')
>>> del os.environ["BATCHLAB_DEVICE"]
"""

from __future__ import annotations

import os

import torch

ENV_VAR = "BATCHLAB_DEVICE"


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def get_device() -> torch.device:
    """Return the best available ``torch.device`` (or the one ``BATCHLAB_DEVICE`` names).

    Raises ``ValueError`` if ``BATCHLAB_DEVICE`` is not a device string torch knows,
    or names a device type this machine does not have.

    >>> get_device().type in {"cpu", "cuda", "mps"}
    True
    """
    requested = os.environ.get(ENV_VAR, "").strip()
    if requested:
        try:
            device = torch.device(requested)
        except RuntimeError as exc:
            raise ValueError(
                f"{ENV_VAR}={requested!r} is not a device; use 'cpu', 'cuda', 'cuda:N' or 'mps'"
            ) from exc
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"{ENV_VAR}={requested!r} but CUDA is not available on this machine")
        if device.type == "cuda" and device.index is not None:
            if device.index >= torch.cuda.device_count():
                raise ValueError(
                    f"{ENV_VAR}={requested!r} but only {torch.cuda.device_count()} "
                    "CUDA device(s) are visible"
                )
        if device.type == "mps" and not _mps_available():
            raise ValueError(f"{ENV_VAR}={requested!r} but MPS is not available on this machine")
        if device.type not in {"cpu", "cuda", "mps"}:
            raise ValueError(
                f"{ENV_VAR}={requested!r}: only 'cpu', 'cuda[:N]' and 'mps' are supported")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")
