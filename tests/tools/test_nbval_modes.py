"""Strict nbval where the recorded versions are installed, lax (with the reason) where not.

One pytest run, in a temporary copy of the project's test set-up, over two-cell notebooks:
an untagged cell whose stored output is deliberately not what the cell prints now, and a
cell tagged ``nbval-check-output``. Strict mode must catch the first; lax mode must skip it
but still compare the second. The run mixes notebooks whose recorded versions match with
"upgraded" ones, and starts workers with ``spawn``. ``NBVAL_LAX`` is checked on the rule
itself (``batchlab.tools.versions.lax_reason``) and on the header.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from batchlab.tools.versions import installed

ROOT = Path(__file__).resolve().parents[2]


def demo_notebook(versions, *, tagged_output="42\n", cells=None):
    """Two cells: an untagged one whose stored output is deliberately not what it prints now,
    and one tagged ``nbval-check-output`` (``tagged_output`` stored for ``print(6 * 7)``)."""
    nb = nbformat.v4.new_notebook()
    untagged = nbformat.v4.new_code_cell("print('made with another torch')", execution_count=1)
    untagged.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                               text="stored by an older torch\n")]
    tagged = nbformat.v4.new_code_cell("print(6 * 7)", execution_count=2)
    tagged.metadata["tags"] = ["nbval-check-output"]
    tagged.outputs = [nbformat.v4.new_output("stream", name="stdout", text=tagged_output)]
    nb.cells = cells if cells is not None else [untagged, tagged]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["batchlab"] = {"versions": versions}
    return nb


def make_project(tmp_path, notebooks: dict):
    """A copy of the project's test set-up with ``notebooks`` (name -> notebook) in it."""
    for name in ("conftest.py", "nbval_sanitize.cfg", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tests" / "start_method", tmp_path / "tests" / "start_method")
    (tmp_path / "notebooks").mkdir()
    for name, nb in notebooks.items():
        nbformat.write(nb, tmp_path / "notebooks" / f"{name}.ipynb")


def run_pytest(tmp_path, **env):
    """pytest over the project's notebooks; returns stdout and each cell's outcome."""
    environ = {k: v for k, v in os.environ.items()
               if k not in {"NBVAL_LAX", "BATCHLAB_START_METHOD", "PYTEST_ADDOPTS"}}
    environ.update(env, PYTHONPATH=str(ROOT / "src"))
    done = subprocess.run([sys.executable, "-m", "pytest", "-n0", "-p", "no:cacheprovider",
                           "-rA", "notebooks"], cwd=tmp_path, capture_output=True, text=True,
                          env=environ, timeout=300)
    outcomes = {}
    for line in done.stdout.splitlines():  # -rA: "PASSED notebooks/x.ipynb::Cell 0"
        word, _, node = line.partition(" ")
        if word in {"PASSED", "FAILED"} and "::Cell" in node:
            name, cell = node.split(" ")[0].split("/")[-1].split("::")[0], node.split("::")[1]
            outcomes[(name.removesuffix(".ipynb"), cell.split(" - ")[0])] = word
    return done, outcomes


@pytest.fixture
def cpu_only():
    import torch

    if torch.cuda.is_available():
        pytest.skip("on a GPU every notebook runs lax anyway")


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """One run over four notebooks, with workers started by ``spawn``: recorded versions
    match; torch "upgraded"; a stale tagged output after the upgrade; a cell that prints the
    start method."""
    import torch

    if torch.cuda.is_available():
        pytest.skip("on a GPU every notebook runs lax anyway")
    old = {**installed(), "torch": "2.0.0"}
    method = nbformat.v4.new_code_cell(
        "import multiprocessing as mp\nprint(mp.get_start_method())", execution_count=1)
    method.outputs = [nbformat.v4.new_output("stream", name="stdout", text="spawn\n")]
    tmp_path = tmp_path_factory.mktemp("modes")
    make_project(tmp_path, {"00_match": demo_notebook(installed()),
                            "01_upgrade": demo_notebook(old),
                            "02_upgrade_tagged_stale": demo_notebook(old, tagged_output="41\n"),
                            "03_method": demo_notebook(installed(), cells=[method])})
    return run_pytest(tmp_path, BATCHLAB_START_METHOD="spawn")


def test_matching_versions_compare_every_cell(default_run):
    out, cells = default_run
    assert "strict for the rest" in out.stdout, out.stdout[-2000:]
    assert cells[("00_match", "Cell 0")] == "FAILED", out.stdout[-3000:]
    assert cells[("00_match", "Cell 1")] == "PASSED", out.stdout[-3000:]


def test_a_simulated_torch_upgrade_runs_lax_and_says_why(default_run):
    out, cells = default_run
    assert "nbval lax for 2 of 4 notebooks" in out.stdout, out.stdout[-2000:]
    assert f"torch 2.0.0 recorded, {installed()['torch']} installed" in out.stdout
    assert cells[("01_upgrade", "Cell 0")] == "PASSED", out.stdout[-3000:]
    assert cells[("01_upgrade", "Cell 1")] == "PASSED", out.stdout[-3000:]


def test_lax_still_compares_the_tagged_cells(default_run):
    out, cells = default_run
    assert cells[("02_upgrade_tagged_stale", "Cell 0")] == "PASSED", out.stdout[-3000:]
    assert cells[("02_upgrade_tagged_stale", "Cell 1")] == "FAILED", out.stdout[-3000:]
    assert out.returncode == 1 and "2 failed, 5 passed" in out.stdout, out.stdout[-2000:]


def test_start_method_switch_reaches_the_kernel(default_run):
    out, cells = default_run
    assert "DataLoader workers start with 'spawn'" in out.stdout
    assert cells[("03_method", "Cell 0")] == "PASSED", out.stdout[-3000:]  # printed "spawn"


def test_nbval_lax_0_forces_strict_despite_a_mismatch(tmp_path, request, monkeypatch,
                                                      cpu_only):
    """The rule nbval (conftest.py) and the browser suite share, and the header line."""
    from support import root_conftest

    from batchlab.tools.versions import lax_reason

    make_project(tmp_path, {"00_upgrade": demo_notebook({**installed(), "torch": "2.0.0"})})
    path = tmp_path / "notebooks" / "00_upgrade.ipynb"
    monkeypatch.delenv("NBVAL_LAX", raising=False)
    assert "torch 2.0.0 recorded" in lax_reason(path)
    monkeypatch.setenv("NBVAL_LAX", "0")
    assert lax_reason(path) is None
    if not getattr(request.config, "_batchlab_global_lax", None):  # this session's own mode
        lines = root_conftest().pytest_report_header(request.config)
        assert "batchlab: nbval strict (every cell compared): NBVAL_LAX=0" in lines
    monkeypatch.setenv("NBVAL_LAX", "1")
    assert lax_reason(path) == "NBVAL_LAX=1"


def test_header_says_strict_when_every_notebook_matches(request, cpu_only):
    """This session's own header line, from the root conftest.py."""
    from support import root_conftest

    from batchlab.tools.versions import notebook_mismatches

    lines = root_conftest().pytest_report_header(request.config) or []
    found = notebook_mismatches(sorted((ROOT / "notebooks").glob("*.ipynb")))
    if os.environ.get("NBVAL_LAX", "").strip():
        pytest.skip("NBVAL_LAX forces the mode")
    if found:
        assert any(f"nbval lax for {len(found)} of" in line for line in lines), lines
    else:
        assert any("nbval strict (every cell compared): installed versions match" in line
                   for line in lines), lines
