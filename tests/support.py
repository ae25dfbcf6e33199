"""Helpers the tests share (not part of the runtime package).

- ``slider_ends`` / ``sweep_ends``: drive every control of a ``batchlab.viz.Explorer`` to
  both of its ends, so a test proves a widget works there;
- ``free_port``: a TCP port nobody listens on, for servers a test starts;
- ``root_conftest``: the repository's ``conftest.py``, for tests of the test set-up.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from batchlab.viz.widgets import Explorer


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def slider_ends(control: widgets.ValueWidget) -> list:
    """The values a test should try for ``control``: both ends of a slider, both states of a toggle.

    >>> slider_ends(widgets.IntSlider(min=1, max=5))
    [1, 5]
    >>> slider_ends(widgets.Checkbox())
    [False, True]
    """
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        return [False, True]
    if hasattr(control, "options") and control.options:
        options = list(control.options)
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        return [values[0], values[-1]]
    if hasattr(control, "min") and hasattr(control, "max"):
        return [control.min, control.max]
    return [control.value]


def sweep_ends(explorer: Explorer, summarize: Callable = lambda result: result) -> dict:
    """Move each control of ``explorer`` to both of its ends, one control at a time.

    Returns ``{name: [summarize(result at one end), summarize(result at the other)]}``;
    every control is put back to where it was. An exception in ``render`` propagates, so
    a test that calls this proves the widget works at the ends of every slider.

    >>> ex = Explorer(lambda n, sq: n * n if sq else n,
    ...               {"n": widgets.IntSlider(value=2, min=1, max=3), "sq": widgets.Checkbox()})
    >>> sweep_ends(ex)
    {'n': [1, 3], 'sq': [2, 4]}
    >>> ex.values
    {'n': 2, 'sq': False}
    """
    seen = {}
    for name, control in explorer.controls.items():
        start = control.value
        seen[name] = []
        for value in slider_ends(control):
            control.value = value
            seen[name].append(summarize(explorer.last_result))
        control.value = start
    return seen


def linear(w: float = 0.0, b: float = 0.0):
    """An ``nn.Linear(1, 1)`` with weight ``w`` and bias ``b``."""
    import torch
    from torch import nn

    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(w)
        model.bias.fill_(b)
    return model


def root_conftest():
    """The repository's ``conftest.py`` as a module (loaded by path: with pytest-xdist, the
    name ``conftest`` may belong to another folder's conftest)."""
    import importlib.util
    import sys

    name = "_batchlab_root_conftest"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "conftest.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]
