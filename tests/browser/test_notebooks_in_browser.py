"""Every notebook, as a student uses it: JupyterLab in Chromium, Run All, move every widget."""

import pytest

from .conftest import ROOT
from .lab import check_notebook, copy_notebooks, foreign_requests

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_widgets_respond(path, jupyter_lab, lab_root, context, artifacts_dir):
    (name,) = copy_notebooks([path], lab_root)
    result = check_notebook(context, jupyter_lab, name, artifacts_dir / f"{path.stem}.png")
    assert not result["problems"], (
        f"{name}: " + "; ".join(result["problems"]) + f" (screenshot: {result['screenshot']})")
    if "Explorer(children" in path.read_text():  # the stored notebook shows an explorer
        assert result["moved"] > 0, f"{name}: no widget control was moved"
    assert not foreign_requests(result["requests"]), foreign_requests(result["requests"])
    assert result["screenshot"].exists()
