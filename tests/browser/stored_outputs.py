"""Compare the outputs of a notebook run in JupyterLab with its stored outputs, as nbval does.

The browser suite runs every notebook once, the way a student does. Rather than have nbval
run each notebook a second time, the browser test compares the outputs of its own run with
the stored ones by nbval's rules, with nbval's own code: the same cell options (tags and
``# NBVAL_*`` comments), the same stream merging, the same sanitizer file, the same skipped
keys, and the same strict/lax decision (:func:`batchlab.tools.versions.lax_reason`).
``conftest.py`` then leaves nbval's items for that notebook out of the run.

>>> # problems, counts = compare_with_stored(state["cells"], path, request.session)
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbval import plugin as nbval

from batchlab.tools.versions import lax_reason


def _node(output: dict) -> nbformat.NotebookNode:
    """An output as JupyterLab's model holds it, as nbformat reads it from a file."""
    def text(value):
        return "".join(value) if isinstance(value, list) else value

    output = dict(output)
    if "text" in output:
        output["text"] = text(output["text"])
    if "data" in output:
        output["data"] = {k: text(v) for k, v in output["data"].items()}
    return nbformat.from_dict(output)


def compare_with_stored(cells: list[dict], path: Path, session) -> tuple[list[str], dict]:
    """Compare each code cell's fresh outputs with those stored in the notebook at ``path``.

    ``cells`` are the code cells as the page reports them (``source``, ``outputs``);
    ``session`` is pytest's (``request.session``): nbval's own file and cell items are built
    on it, so its options (``--nbval-sanitize-with``, ``--nbval-lax``) apply as in an nbval run.
    Returns ``(problems, counts)``: a report per differing cell, and how many cells were
    compared, how many not (tagged ``nbval-ignore-output``, or untagged in lax mode), and
    the mode (``"strict"`` or ``"lax: <reason>"``).
    """
    notebook = nbval.IPyNbFile.from_parent(session, path=Path(path))
    reason = "--nbval-lax" if session.config.option.nbval_lax else lax_reason(path)
    notebook.compare_outputs = reason is None  # what conftest.py sets for an nbval run
    notebook.setup_sanitize_files()
    items = list(notebook.collect())
    if [c["source"] for c in cells] != [item.cell.source for item in items]:
        return [f"{Path(path).name}: the page's code cells are not the stored notebook's"], {}
    problems, counts = [], {"compared": 0, "not compared": 0,
                            "mode": f"lax: {reason}" if reason else "strict"}
    for ran, item in zip(cells, items, strict=True):
        ref, unrun = item.cell, item.cell.execution_count is None
        if item.options["skip"] or item.options["check_exception"]:
            problems.append(f"{item.name}: nbval-skip / raises-exception cannot be honoured by "
                            "a Run All in JupyterLab; run this notebook with "
                            "BATCHLAB_NBVAL_TOO=1 or drop the option")
        if unrun and ref.outputs:
            problems.append(f"{item.name}: unrun reference cell has outputs")
        if not item.options["check"] or unrun:
            counts["not compared"] += 1
            continue
        counts["compared"] += 1
        fresh = nbval.coalesce_streams([_node(o) for o in ran["outputs"]])
        if not item.compare_outputs(fresh, nbval.coalesce_streams(list(ref.outputs))):
            problems.append(f"{Path(path).name}::{item.name}: output differs from the stored "
                            "one\n" + "\n".join(map(str, item.comparison_traceback))
                            + f"\nInput:\n{ref.source}")
    return problems, counts
