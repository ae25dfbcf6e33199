"""Strict nbval where the recorded versions are installed, lax (with the reason) where not.

Each test runs pytest on a two-cell notebook in a temporary copy of the project's test
set-up: an untagged cell whose stored output is deliberately not what the cell prints now,
and a cell tagged ``nbval-check-output``. Strict mode must catch the first; lax mode must
skip it but still compare the second.
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


def make_project(tmp_path, versions, tagged_output="42\n"):
    for name in ("conftest.py", "nbval_sanitize.cfg", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tests" / "start_method", tmp_path / "tests" / "start_method")
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook()
    untagged = nbformat.v4.new_code_cell("print('made with another torch')", execution_count=1)
    untagged.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                               text="stored by an older torch\n")]
    tagged = nbformat.v4.new_code_cell("print(6 * 7)", execution_count=2)
    tagged.metadata["tags"] = ["nbval-check-output"]
    tagged.outputs = [nbformat.v4.new_output("stream", name="stdout", text=tagged_output)]
    nb.cells = [untagged, tagged]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["batchlab"] = {"versions": versions}
    nbformat.write(nb, tmp_path / "notebooks" / "00_demo.ipynb")


def run_pytest(tmp_path, **env):
    environ = {k: v for k, v in os.environ.items()
               if k not in {"NBVAL_LAX", "BATCHLAB_START_METHOD", "PYTEST_ADDOPTS"}}
    environ.update(env, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run([sys.executable, "-m", "pytest", "-n0", "-p", "no:cacheprovider",
                           "notebooks"], cwd=tmp_path, capture_output=True, text=True,
                          env=environ, timeout=300)


@pytest.fixture
def cpu_only(monkeypatch):
    import torch

    if torch.cuda.is_available():
        pytest.skip("on a GPU every notebook runs lax anyway")


def test_matching_versions_compare_every_cell(tmp_path, cpu_only):
    make_project(tmp_path, installed())
    out = run_pytest(tmp_path)
    assert "nbval strict (every cell compared): installed versions match" in out.stdout
    assert out.returncode == 1 and "1 failed, 1 passed" in out.stdout, out.stdout[-2000:]


def test_a_simulated_torch_upgrade_runs_lax_and_says_why(tmp_path, cpu_only):
    make_project(tmp_path, {**installed(), "torch": "2.0.0"})
    out = run_pytest(tmp_path)
    assert "nbval lax for 1 of 1 notebooks" in out.stdout
    assert f"torch 2.0.0 recorded, {installed()['torch']} installed" in out.stdout
    assert out.returncode == 0 and "2 passed" in out.stdout, out.stdout[-2000:]


def test_lax_still_compares_the_tagged_cells(tmp_path, cpu_only):
    make_project(tmp_path, {**installed(), "torch": "2.0.0"}, tagged_output="41\n")
    out = run_pytest(tmp_path)
    assert out.returncode == 1 and "1 failed, 1 passed" in out.stdout, out.stdout[-2000:]


def test_nbval_lax_0_forces_strict_despite_a_mismatch(tmp_path, cpu_only):
    make_project(tmp_path, {**installed(), "torch": "2.0.0"})
    out = run_pytest(tmp_path, NBVAL_LAX="0")
    assert "nbval strict (every cell compared): NBVAL_LAX=0" in out.stdout
    assert out.returncode == 1, out.stdout[-2000:]


def test_start_method_switch_reaches_the_kernel(tmp_path, cpu_only):
    make_project(tmp_path, installed())
    nb_path = tmp_path / "notebooks" / "00_demo.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    cell = nbformat.v4.new_code_cell("import multiprocessing as mp\nprint(mp.get_start_method())",
                                     execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="spawn\n")]
    nb.cells = [cell]
    nbformat.write(nb, nb_path)
    out = run_pytest(tmp_path, BATCHLAB_START_METHOD="spawn")
    assert "DataLoader workers start with 'spawn'" in out.stdout
    assert out.returncode == 0, out.stdout[-2000:]
