"""One module per notebook, named after it: ``lessons.samplers`` belongs to
``notebooks/07_samplers.ipynb``.

A lesson module holds what a notebook needs but should not make the student read:
the pure functions behind its figures and widgets (``plot_<topic>``, ``<topic>_explorer``),
and the classes and functions its DataLoader workers must import under ``spawn``
(shown once in the notebook with ``batchlab.viz.show_source``). The PyTorch code a section
teaches is written in the notebook's cells, not here.

The library (``batchlab``, ``batchlab.data``, ``batchlab.train``) never imports a lesson
module: ``import batchlab`` loads none of them (a test checks it, and the import-linter
contract in ``pyproject.toml`` forbids it).
"""
