"""The browser checks catch what they are for: deliberately broken copies must fail them.

One notebook holds every breakage (one kernel, one Run All): an explorer whose callback
raises at the end of its slider, an explorer that never redraws, a stored output that is not
what its cell prints now, and, last (Run All stops there), a cell that raises. Each must be
reported, the error without waiting for cells that will never run. The comparison rules are
also checked without a browser: a stale stored output must be reported, in strict mode
always, in lax mode only for a cell tagged ``nbval-check-output``.
"""

import nbformat
import pytest

from .lab import check_notebook
from .stored_outputs import compare_with_stored

SETUP = "import ipywidgets as w\nfrom batchlab.viz.widgets import Explorer\n"
BROKEN = {
    # a widget callback that raises at the end of its slider
    "made the output show an error": SETUP + (
        "def render(n):\n"
        "    if n == 9:\n"
        "        raise ValueError('deliberately broken at n=9')\n"
        "    return f'n = {n}'\n"
        "Explorer(render, {'n': w.IntSlider(value=3, min=1, max=9)})"),
    # a slider that no longer redraws: the output ignores the value
    "did not redraw the output": SETUP + (
        "Explorer(lambda n: 'always the same', {'n': w.IntSlider(value=3, max=9)})"),
    # a stored output that is not what the cell prints now (compared in strict and lax mode)
    "output differs from the stored one": "print('printed now')",
    # a cell that raises (last: Run All stops here)
    "shows an error (ZeroDivisionError)": "1 / 0",
}


def test_a_broken_notebook_fails_the_check(jupyter_lab, lab_root, lab_page, artifacts_dir,
                                           request):
    from batchlab.tools.versions import installed

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# broken on purpose")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in BROKEN.values()]
    stale = nb.cells[-2]
    stale.execution_count, stale.metadata["tags"] = 1, ["nbval-check-output"]
    stale.outputs = [nbformat.v4.new_output("stream", name="stdout", text="stored long ago\n")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["batchlab"] = {"versions": installed()}
    path = lab_root / "broken.ipynb"
    nbformat.write(nb, path)
    result = check_notebook(lab_page, jupyter_lab, "broken.ipynb", artifacts_dir / "broken.png",
                            run_timeout_s=60, redraw_timeout_ms=1500)
    differences, _ = compare_with_stored(result["cells"], path, request.session)
    found = result["problems"] + differences
    for expected in BROKEN:
        assert any(expected in p for p in found), (expected, found)
    assert "'printed now\\n'" in " ".join(differences)  # the run's output, not the stored one
    assert result["screenshot"].exists()


def _stored(tmp_path, versions):
    """A two-cell notebook as refresh stores it: an untagged and a tagged cell."""
    from batchlab.tools.versions import installed

    nb = nbformat.v4.new_notebook()
    plain = nbformat.v4.new_code_cell("print('a')", execution_count=1)
    plain.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\n")]
    tagged = nbformat.v4.new_code_cell("print(6 * 7)", execution_count=2)
    tagged.metadata["tags"] = ["nbval-check-output"]
    tagged.outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    nb.cells = [plain, tagged]
    nb.metadata["batchlab"] = {"versions": {**installed(), **versions}}
    path = tmp_path / "stored.ipynb"
    nbformat.write(nb, path)
    return path


def _ran(plain="a\n", tagged="42\n"):
    """The same cells as the page reports them after Run All (streams may come in pieces)."""
    return [{"source": "print('a')", "outputs": [{"output_type": "stream", "name": "stdout",
                                                  "text": plain}]},
            {"source": "print(6 * 7)", "outputs": [
                {"output_type": "stream", "name": "stdout", "text": tagged[:1]},
                {"output_type": "stream", "name": "stdout", "text": tagged[1:]}]}]


@pytest.fixture
def cpu_only(monkeypatch):
    import torch

    if torch.cuda.is_available():
        pytest.skip("on a GPU every notebook is compared laxly anyway")
    monkeypatch.delenv("NBVAL_LAX", raising=False)


def test_stored_outputs_compared_strictly_when_versions_match(tmp_path, request, cpu_only):
    path = _stored(tmp_path, {})
    problems, counts = compare_with_stored(_ran(), path, request.session)
    assert problems == [] and counts == {"compared": 2, "not compared": 0, "mode": "strict"}
    problems, _ = compare_with_stored(_ran(plain="b\n"), path, request.session)
    assert len(problems) == 1 and "Cell 0" in problems[0] and "'a\\n'" in problems[0], problems


def test_stored_outputs_compared_laxly_after_an_upgrade(tmp_path, request, cpu_only):
    path = _stored(tmp_path, {"torch": "2.0.0"})
    problems, counts = compare_with_stored(_ran(plain="b\n"), path, request.session)
    assert problems == [] and counts["compared"] == 1 and "torch 2.0.0" in counts["mode"]
    problems, _ = compare_with_stored(_ran(tagged="41\n"), path, request.session)
    assert len(problems) == 1 and "Cell 1" in problems[0], problems


def test_stored_outputs_must_belong_to_the_page(tmp_path, request, cpu_only):
    path = _stored(tmp_path, {})
    problems, _ = compare_with_stored(_ran()[:1], path, request.session)
    assert problems and "not the stored notebook's" in problems[0]
