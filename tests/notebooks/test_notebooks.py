"""Hygiene of the stored notebooks: complete, executed top to bottom, small, well tagged.

The notebooks themselves are executed and compared by nbval (see pyproject.toml), or, in a
run that includes the browser suite, by that suite's JupyterLab run with nbval's rules (see
conftest.py); these tests check what nbval does not, and that each notebook is executed
exactly once per run.
"""

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TAGS = {"nbval-check-output", "nbval-ignore-output"}
# A demo cell may be as long as its idea needs, but no longer than a reader can follow.
MAX_CELL_LINES = 25


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"])


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS)


def _collected(request):
    """What a run collects over notebooks/ and the browser suite: ``(nbval items per notebook
    kept, nbval items per notebook left out, notebooks with a browser test)``.

    From this session when it collected all of that with no -k/-m filter (a whole-suite
    run), else from ``pytest --collect-only`` in a subprocess.
    """
    from support import root_conftest

    config, stems = request.config, {p.stem for p in NOTEBOOKS}
    kept = Counter(i.path.name for i in request.session.items
                   if i.path.suffix == ".ipynb" and i.path.parent == ROOT / "notebooks")
    left_out = dict(getattr(config, "_batchlab_once", {}))
    browser = {i.callspec.params["path"].stem for i in request.session.items
               if i.nodeid.startswith(root_conftest().BROWSER_TEST)}
    whole = not config.option.keyword and not config.option.markexpr
    if whole and all(f"{s}.ipynb" in kept or s in browser for s in stems):
        return kept, left_out, browser
    args = [sys.executable, "-m", "pytest", "-n0", "--collect-only", "-q", "notebooks"]
    if root_conftest()._browser_can_run():
        args.append("tests/browser/test_notebooks_in_browser.py")
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    kept = Counter(line.split("::")[0].removeprefix("notebooks/") for line in lines
                   if line.startswith("notebooks/") and "::" in line)
    left_out = {k: int(v) for k, v in re.findall(
        r"compared by nbval's rules: (\S+) \((\d+) nbval items", out.stdout)}
    browser = {line.split("[")[1].rstrip("]") for line in lines if "in_browser.py::" in line}
    return kept, left_out, browser


def test_every_notebook_is_collected_by_nbval_and_executed_once(request):
    """nbval collects one item per code cell; where the browser suite runs a notebook (and
    compares its outputs), nbval's items for it are left out, so it is executed once."""
    from support import root_conftest

    kept, left_out, browser = _collected(request)
    conftest = root_conftest()
    once = conftest._browser_can_run() and not conftest.nbval_too()
    for p in NOTEBOOKS:
        n_cells = sum(1 for c in code_cells(load(p)) if source(c).strip())
        if once and p.stem in browser:
            assert kept[p.name] == 0 and left_out.get(p.name) == n_cells, (
                p.name, kept[p.name], left_out.get(p.name), n_cells)
        else:
            assert kept[p.name] == n_cells, f"{p.name}: {kept[p.name]} items, {n_cells} cells"
            assert p.name not in left_out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ran_top_to_bottom_without_errors(path):
    nb = load(path)
    cells = [c for c in code_cells(nb) if source(c).strip()]
    assert [c["execution_count"] for c in cells] == list(range(1, len(cells) + 1))
    for i, cell in enumerate(cells, 1):
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"cell {i} stored an error"
            text = json.dumps(out)
            assert "Traceback (most recent call last)" not in text, f"cell {i} shows a traceback"
            assert not re.search(r"/(root|home|work)/", text), f"cell {i} shows a machine path"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_small_and_without_widget_state(path):
    assert path.stat().st_size < 1_000_000
    nb = load(path)
    assert "widgets" not in nb["metadata"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_tags_are_known_and_widgets_are_ignored(path):
    for cell in code_cells(load(path)):
        tags = set(cell["metadata"].get("tags", []))
        assert len(tags & TAGS) <= 1, f"conflicting nbval tags in {source(cell)[:60]!r}"
        shows_widget = any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                           for o in cell["outputs"])
        if shows_widget:
            assert "nbval-ignore-output" in tags, f"widget cell not ignored: {source(cell)[:60]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_teaching_anatomy(path):
    nb = load(path)
    markdown = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert nb["cells"][0]["cell_type"] == "markdown" and source(nb["cells"][0]).startswith("# ")
    for heading in ("Learning objectives", "Summary", "Exercises"):
        assert re.search(rf"^#+ .*{heading}", markdown, re.M | re.I), f"no '{heading}' heading"
    if not path.name.startswith("00_"):
        assert re.search(r"^#+ .*Common misconceptions", markdown, re.M | re.I)
    lengths = [len(source(c).strip().splitlines()) for c in code_cells(nb)]
    longest = max(lengths)
    assert longest <= MAX_CELL_LINES, f"a code cell has {longest} lines (at most {MAX_CELL_LINES})"
    assert sum(c["cell_type"] == "markdown" for c in nb["cells"]) >= len(lengths)
    assert any("assert " in source(c) for c in code_cells(nb))
