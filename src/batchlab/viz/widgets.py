"""A thin ipywidgets shell: controls on top, the result of a pure function below.

Every interactive figure in BatchLab is ``Explorer(render, controls)`` where
``render(**values)`` is a plain, unit-tested function that returns what to show
(a matplotlib ``Figure``, a string, or anything IPython can display). The widget
only wires the controls to it, so the notebook can show the same function's
static result above the widget, and tests can call it at both ends of every slider.

>>> import ipywidgets as w
>>> ex = Explorer(lambda n: f"{n} squared is {n * n}", {"n": w.IntSlider(value=3, min=1, max=9)})
>>> ex.last_result
'3 squared is 9'
>>> ex.controls["n"].value = 9
>>> ex.last_result
'9 squared is 81'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ipywidgets as widgets
from IPython import get_ipython
from IPython.display import clear_output, display


class Explorer(widgets.VBox):
    """A ``VBox`` of ``controls`` and an ``Output`` that shows ``render(**values)``.

    ``render`` is called once at construction and again whenever a control's
    ``value`` changes. Outside a Jupyter kernel (e.g. in tests) an exception in
    ``render`` propagates; inside a kernel it is shown in the output area.

    Attributes: ``controls`` (name → widget), ``output`` (the ``Output`` widget),
    ``last_result`` (what ``render`` returned last), ``values`` (current values).
    """

    def __init__(self, render: Callable, controls: Mapping[str, widgets.ValueWidget], *,
                 title: str | None = None):
        if not callable(render):
            raise TypeError(f"render must be callable, got {type(render).__name__}")
        if not isinstance(controls, Mapping) or not controls:
            raise ValueError("controls must be a non-empty mapping of argument name -> widget")
        for name, control in controls.items():
            if not isinstance(control, widgets.ValueWidget):
                raise TypeError(f"controls[{name!r}] must be an ipywidgets value widget, "
                                f"got {type(control).__name__}")
        self.render = render
        self.controls = dict(controls)
        self.output = widgets.Output()
        self.last_result = None
        header = [widgets.HTML(f"<b>{title}</b>")] if title else []
        box = widgets.HBox(list(self.controls.values()),
                           layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__(header + [box, self.output])
        self.add_class("batchlab-explorer")  # lets the browser tests find every explorer
        self.output.add_class("batchlab-explorer-output")
        for control in self.controls.values():
            control.observe(self.update, names="value")
        self.update()

    @property
    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def update(self, change=None) -> None:
        """Re-run ``render`` with the current values and show its result."""
        if get_ipython() is None:  # plain Python (tests): compute, nowhere to draw
            self.last_result = self.render(**self.values)
            return
        with self.output:
            clear_output(wait=True)
            self.last_result = self.render(**self.values)
            display(self.last_result)


