"""Every notebook, as a student uses it: JupyterLab in Chromium, Run All, move every widget.

This is also the run whose outputs are compared with the stored ones, by nbval's rules
(``stored_outputs.py``), so that ``pytest`` executes each notebook once: ``conftest.py``
leaves nbval's own items for these notebooks out of a session that runs this test.
"""

import pytest

from .conftest import ROOT
from .lab import check_notebook, copy_notebooks, foreign_requests
from .stored_outputs import compare_with_stored

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_widgets_respond(path, jupyter_lab, lab_root, lab_page, artifacts_dir,
                                           request):
    (name,) = copy_notebooks([path], lab_root)
    result = check_notebook(lab_page, jupyter_lab, name, artifacts_dir / f"{path.stem}.png")
    assert not result["problems"], (
        f"{name}: " + "; ".join(result["problems"]) + f" (screenshot: {result['screenshot']})")
    if "Explorer(children" in path.read_text():  # the stored notebook shows an explorer
        assert result["moved"] > 0, f"{name}: no widget control was moved"
    assert not foreign_requests(result["requests"]), foreign_requests(result["requests"])
    assert result["screenshot"].exists()
    differences, counts = compare_with_stored(result["cells"], path, request.session)
    assert not differences, "\n\n".join(differences)
    assert counts["compared"] > 0, counts
