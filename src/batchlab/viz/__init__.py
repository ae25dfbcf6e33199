"""Figure and widget plumbing shared by the notebooks (no lesson content).

- ``figures.new_figure``: a closed matplotlib ``Figure`` of panels about 4 × 3 inches;
- ``widgets.Explorer``: controls over a pure ``render(**values)`` function;
- ``images.plot_image_grid``, ``images.to_displayable``: show image tensors;
- ``tables.text_table``: a plain-text table;
- ``source.show_source``: print an object's source, highlighted, where a lesson teaches it.

Naming: ``plot_<topic>`` returns a static ``Figure``; ``<topic>_explorer`` returns a widget.

>>> from batchlab.viz import new_figure
>>> fig = new_figure()
>>> type(fig).__name__
'Figure'
"""

from batchlab.viz.figures import new_figure
from batchlab.viz.images import plot_image_grid, to_displayable
from batchlab.viz.source import show_source
from batchlab.viz.tables import text_table

__all__ = ["Explorer", "new_figure", "plot_image_grid", "show_source", "text_table",
           "to_displayable"]


def __getattr__(name: str):
    if name == "Explorer":  # ipywidgets is imported only when a widget is built
        from batchlab.viz.widgets import Explorer

        return Explorer
    raise AttributeError(f"module 'batchlab.viz' has no attribute {name!r}")
