"""Library vs lesson: the layers of the package, and what ``import batchlab`` loads.

The library (``batchlab``, ``batchlab.data``, ``batchlab.train``, ``device``, ``seeding``)
never imports ``batchlab.viz``, ``batchlab.lessons``, ``batchlab.exercises`` or
``batchlab.tools``; import-linter checks every import (module level and inside functions)
against the layers contract in ``pyproject.toml``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "batchlab"
LIBRARY = ("batchlab.data", "batchlab.train", "batchlab.device", "batchlab.seeding",
           "batchlab._checks", "batchlab._types")


def _loaded_after(code: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json\n"
                          "print(json.dumps(sorted(m for m in sys.modules "
                          "if m.startswith('batchlab'))))"],
                         capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_layers_contract_is_kept():
    from importlinter.cli import lint_imports

    old = Path.cwd()
    os.chdir(ROOT)  # import-linter reads pyproject.toml from the working directory
    try:
        assert lint_imports(no_cache=True, no_logo=True) == 0, "run `lint-imports` to see why"
    finally:
        os.chdir(old)


def test_import_batchlab_loads_only_the_library_and_stays_light():
    code = ("import sys, json, batchlab\n"
            "light = sorted(m for m in ('matplotlib', 'ipywidgets', 'sklearn', 'torchvision',"
            " 'IPython') if m in sys.modules)\n"
            "assert batchlab.__version__\n"
            "for name in batchlab.__all__: getattr(batchlab, name)\n"
            "mine = sorted(m for m in sys.modules if m.startswith('batchlab'))\n"
            "print(json.dumps([light, mine]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    heavy, loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert heavy == [], f"import batchlab imported {heavy}"
    assert "batchlab.data.samplers" in loaded and "batchlab.train" in loaded  # not vacuous
    outside = [m for m in loaded if m != "batchlab" and not m.startswith(LIBRARY)]
    assert not outside, f"import batchlab loaded {outside}"


def test_every_lesson_module_belongs_to_a_notebook():
    notebooks = {p.stem.split("_", 1)[1] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    for kind in ("lessons", "exercises"):
        modules = {p.stem for p in (PACKAGE / kind).glob("*.py") if not p.stem.startswith("_")}
        assert modules, kind
        strays = sorted(modules - notebooks)
        assert not strays, f"batchlab.{kind} modules named after no notebook: {strays}"


def _public_functions(path: Path):
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            yield node.name, ast.unparse(node)


def test_figure_and_widget_functions_follow_one_naming_scheme():
    """``plot_<topic>`` returns a static Figure, ``<topic>_explorer`` a widget."""
    checked = 0
    for path in sorted([*(PACKAGE / "viz").glob("*.py"), *(PACKAGE / "lessons").glob("*.py"),
                        PACKAGE / "tools" / "bench.py"]):
        for name, source in _public_functions(path):
            builds_widget = "return Explorer(" in source
            draws = "new_figure(" in source or "return fig" in source
            builds_figure = draws and not builds_widget
            where = f"{path.relative_to(PACKAGE)}:{name}"
            if builds_widget:
                checked += 1
                assert name.endswith("_explorer"), f"{where} returns a widget"
            elif builds_figure and name not in ("new_figure", "item_rows"):  # figure builders
                checked += 1
                assert name.startswith("plot_"), f"{where} draws a figure"
    assert checked >= 25
